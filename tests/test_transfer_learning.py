"""examples/transfer_learning.py on the bundled small MNIST, shortened to run in seconds.

One run of the example's ``main`` (2 seeds, 1 pre-training epoch, 40 epochs on the 250
images) serves every test below. It runs in a child interpreter with one BLAS thread, as
the other timed tests do: on a busy two-core machine a multi-threaded BLAS spends 40x the
CPU on these small matrices. The child writes what the tests look at: the results (JSON)
and the weights of every trained model (.npz).
"""

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import leannet as ln

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "transfer_learning.py"
BODY_WEIGHTS = ("hidden_1.weight", "hidden_1.bias", "hidden_2.weight", "hidden_2.bias")
HEAD_WEIGHTS = ("head_5_9.weight", "head_5_9.bias")
SEEDS = 2
ONE_THREAD = dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), "1")

RUNNER = r"""
import contextlib, io, json, runpy, sys
import numpy as np
example, out = sys.argv[1], sys.argv[2]
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    results = runpy.run_path(example)["main"](
        ["--dataset", "mnist-small", "--seeds", "2", "--pretrain-epochs", "1",
         "--epochs", "40", "--out", out])
arrays = {f"{variant}/{seed}/{name}": value
          for variant, models in results.pop("models").items()
          for seed, model in enumerate(models) for name, value in model.state_dict().items()}
np.savez(f"{out}/trained.npz", **arrays)
report = results.pop("load_report")
results.update(printed=printed.getvalue(), loaded=report.loaded, skipped=report.skipped,
               unused=report.unused)
with open(f"{out}/results.json", "w") as file:
    json.dump(results, file)
"""


@pytest.fixture(scope="module")
def example():
    return runpy.run_path(str(EXAMPLE))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("transfer")
    subprocess.run([sys.executable, "-c", RUNNER, str(EXAMPLE), str(out)], check=True,
                   timeout=600, env={**os.environ, **ONE_THREAD})
    results = json.loads((out / "results.json").read_text())
    with np.load(out / "trained.npz") as trained:
        results["trained"] = dict(trained)
    results["pretrained"] = ln.load_model(results["pretrained_path"]).state_dict()
    return results


def weights(run, variant, seed, names):
    return {name: run["trained"][f"{variant}/{seed}/{name}"] for name in names}


def test_pretraining_learns_the_first_task_and_saves_it(run):
    assert run["dataset"] == "mnist-small"
    assert Path(run["pretrained_path"]).name == "pretrained_0_4.leannet"
    assert run["pretrain_accuracy"] > 0.95  # measured 0.975-0.98 after one epoch
    assert set(run["pretrained"]) == {*BODY_WEIGHTS, "head_0_4.weight", "head_0_4.bias"}


def test_load_report_skips_the_new_head_and_loads_the_body(run):
    assert run["loaded"] == list(BODY_WEIGHTS)
    assert list(run["skipped"]) == list(HEAD_WEIGHTS)
    assert all("missing from the file" in reason for reason in run["skipped"].values())
    assert run["unused"] == ["head_0_4.weight", "head_0_4.bias"]
    assert "skipped head_5_9.weight: missing from the file" in run["printed"]
    assert "Non-trainable params: 233,856" in run["printed"]  # the frozen body's summary


def test_frozen_body_is_unchanged_and_its_head_learned(run, example):
    for seed in run["seeds"]:
        for name, value in weights(run, "frozen", seed, BODY_WEIGHTS).items():
            np.testing.assert_array_equal(value, run["pretrained"][name], err_msg=name)
        untrained = example["build_model"]("mlp", example["NEW_HEAD"], seed).state_dict()
        for name, value in weights(run, "frozen", seed, HEAD_WEIGHTS).items():
            assert value.shape == untrained[name].shape
            assert not np.allclose(value, untrained[name]), name


def test_fine_tuning_adjusts_the_pretrained_body(run):
    for seed in run["seeds"]:
        for name, value in weights(run, "fine-tuned", seed, BODY_WEIGHTS).items():
            pretrained = run["pretrained"][name]
            assert not np.array_equal(value, pretrained), name
            if name.endswith(".weight"):  # (biases start at zero: any change is large)
                # a low learning rate adjusts the features rather than replacing them
                change = np.linalg.norm(value - pretrained) / np.linalg.norm(pretrained)
                assert change < 0.5, f"{name}: relative change {change:.3f}"


def test_pretrained_features_beat_random_frozen_features(run):
    # Measured on mnist-small with these settings: frozen ~0.80-0.83, random frozen ~0.73-0.75.
    summary = run["summary"]
    assert summary["frozen"]["mean"] > summary["random, frozen"]["mean"] + 0.04


def test_every_variant_learns_and_the_table_is_printed(run):
    assert set(run["accuracies"]) == {"scratch", "frozen", "fine-tuned", "random, frozen"}
    for variant, values in run["accuracies"].items():
        assert len(values) == SEEDS
        assert min(values) > 0.6, variant  # chance is 0.2
    rows = {line[:16].strip(): line for line in run["printed"].splitlines()}
    for variant, stats in run["summary"].items():
        assert stats["min"] <= stats["mean"] <= stats["max"]
        for value in stats.values():
            assert f"{value:.2%}" in rows[variant], variant
