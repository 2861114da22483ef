"""Full MNIST with the defaults of ``leannet train`` (MLP 256-128, Adam 1e-3, batch 128,
10 epochs) reaches 98% test accuracy (measured: 98.23%). Runs only when LEANNET_DATA points
at the full set, as in CI; it trains 10 epochs of 60,000 images, so it is marked slow."""

import json
import time

import pytest

from leannet import data


@pytest.mark.slow
@pytest.mark.usefixtures("no_plots")  # the pictures are tested on the small set
def test_default_training_reaches_98_percent(cli, real_mnist, tmp_path):
    (x_train, _), (x_test, _) = data.load_dataset("mnist", download=False)
    assert (len(x_train), len(x_test)) == (60000, 10000)
    start = time.perf_counter()
    result = cli("train", "--dataset", "mnist", "--no-progress", "--out", tmp_path / "run")
    seconds = time.perf_counter() - start
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    print(f"full MNIST, defaults: {metrics['test_accuracy']:.2%} in {seconds:.0f} s")
    assert metrics["epochs"] == 10 and metrics["dataset"] == "mnist"
    assert metrics["test_accuracy"] >= 0.98
