"""The lstm preset end to end through ``leannet train``: each image read as 28 steps of 28
pixels, LSTM(128) -> Dense(10), Adam 1e-3, batches of 128. Fast on the bundled set; on
full MNIST (slow; only when LEANNET_DATA points at the full set, as in CI) 3 epochs must
reach 97%.

Training runs in a fresh interpreter with one BLAS thread: the recurrent layers multiply
small matrices once per time step, and a multi-threaded OpenBLAS made them 5x slower on a
loaded 2-core machine (one epoch of full MNIST: 62 s with 2 threads, 12 s with one).
"""

import json
import os
import subprocess
import sys
import time

import pytest

from leannet.data import dataset_is_available

FULL_MNIST = os.environ.get("LEANNET_DATA") or None
ONE_THREAD = dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1")


def train_lstm(out, dataset, epochs, env=None):
    """Run ``leannet train --model lstm``; return (metrics.json as a dict, seconds)."""
    argv = ["train", "--dataset", dataset, "--model", "lstm", "--epochs", str(epochs),
            "--no-progress", "--out", str(out)]
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "leannet", *argv], capture_output=True,
                            text=True, env={**os.environ, **ONE_THREAD, **(env or {})})
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["dataset"], metrics["model"], metrics["epochs"]) == (dataset, "lstm", epochs)
    return metrics, seconds


def test_lstm_learns_the_bundled_set_in_one_epoch(tmp_path):
    # 10,000 images, 79 steps, ~3.5 s: 71.7-80.0% over seeds 0-4 (seed 0: 75.7%); chance 10%.
    metrics, _ = train_lstm(tmp_path / "run", "mnist-small", epochs=1)
    assert metrics["test_accuracy"] > 0.5


@pytest.mark.slow
@pytest.mark.skipif(FULL_MNIST is None or not dataset_is_available("mnist", FULL_MNIST),
                    reason="LEANNET_DATA does not point at the full MNIST set")
def test_lstm_reaches_97_percent_in_three_epochs(tmp_path):
    # ~40 s on a loaded 2-core machine (12 s per epoch). Pixels in [0, 1]: 96.98-97.50% over
    # seeds 0-3 (seed 0, the default: 96.98%); standardised pixels (mean 0.1307, std 0.3081
    # subtracted and divided in prepare_images for the (28, 28) layout): 97.22-98.34%
    # (seed 0: 98.24%).
    metrics, seconds = train_lstm(tmp_path / "run", "mnist", epochs=3,
                                  env={"LEANNET_DATA": FULL_MNIST})
    print(f"lstm, 3 epochs of full MNIST: {metrics['test_accuracy']:.2%} in {seconds:.0f} s "
          f"({metrics['seconds'] / 3:.1f} s per epoch)")
    assert metrics["test_accuracy"] >= 0.97
