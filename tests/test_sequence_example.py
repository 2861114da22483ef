"""examples/sequence_adding.py: the adding problem's data is right, and on sequences of 50
steps the LSTM and GRU learn it while the plain RNN does not (small sizes, ~6 s).

The training runs in a fresh interpreter with one BLAS thread: a multi-threaded OpenBLAS
made the recurrent layers' small per-step products 5-10x slower on a loaded 2-core machine.
"""

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sequence_adding.py"
ONE_THREAD = dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1")
RUN_SMALL = """
import json, runpy, sys
run = runpy.run_path(sys.argv[1])["run"]
print(json.dumps(run(lengths=(50,), train_size=6000, test_size=500, epochs=7, seed=0)))
"""


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))


def test_the_target_is_the_sum_of_the_two_marked_values(example):
    x, y = example["adding_problem"](500, 20, np.random.default_rng(0))
    assert x.shape == (500, 20, 2) and y.shape == (500, 1)
    assert x.dtype == y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :10].sum(axis=1) == 1).all() and (markers[:, 10:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), atol=1e-6)
    assert -1 <= values.min() < -0.99 and 0.99 < values.max() <= 1


def test_lstm_and_gru_learn_long_sequences_where_the_rnn_does_not():
    # T = 50, 6,000 sequences, 7 epochs. Test MSE as a fraction of the baseline's (always
    # the mean, ~0.68) over seeds 0-19: LSTM 0.011-0.168, GRU 0.004-0.046, RNN 0.26-1.08
    # (0.88 or more on 19 of 20 seeds); LSTM/RNN at most 0.19, GRU/RNN at most 0.03.
    # Seed 0: LSTM 0.018, GRU 0.009, RNN 0.996.
    finished = subprocess.run([sys.executable, "-c", RUN_SMALL, str(EXAMPLE)], check=True,
                              capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
    results = json.loads(finished.stdout)
    mse = {row["model"]: row["mse"] for row in results}
    baseline = results[0]["baseline_mse"]
    assert [row["steps"] for row in results] == [50, 50, 50]
    assert 0.55 < baseline < 0.8  # the variance of a sum of two uniforms on [-1, 1] is 2/3
    for gated in ("LSTM", "GRU"):
        assert mse[gated] < 0.3 * baseline, (gated, mse, baseline)
        assert mse[gated] < 0.5 * mse["RNN"], (gated, mse)


def test_the_script_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--lengths", "5", "--epochs", "1", "--train-size", "200"],
        capture_output=True, text=True, check=True, env={**os.environ, **ONE_THREAD},
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["model", "steps", "test", "MSE", "baseline", "MSE"]
    assert [line.split()[:2] for line in lines[1:]] == [["RNN", "5"], ["LSTM", "5"],
                                                        ["GRU", "5"]]
