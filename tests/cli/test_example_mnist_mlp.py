"""examples/mnist_mlp.py runs and learns (one epoch on the bundled set)."""

import runpy
from pathlib import Path

from leannet.data import load_dataset

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mnist_mlp.py"


def test_the_example_learns_digits():
    example = runpy.run_path(str(EXAMPLE))
    accuracy = example["main"](epochs=1, dataset="mnist-small", verbose=0)
    assert 0.85 < accuracy <= 1.0  # measured: 0.8885 after one epoch with seed 0


def test_the_example_falls_back_to_the_bundled_set(monkeypatch):
    example = runpy.run_path(str(EXAMPLE))
    monkeypatch.setitem(example["main"].__globals__, "dataset_is_available", lambda name: False)
    loaded = []

    def load_a_few(name):  # the first 500 training images keep this test short
        loaded.append(name)
        (x_train, y_train), test = load_dataset(name)
        return (x_train[:500], y_train[:500]), test

    monkeypatch.setitem(example["main"].__globals__, "load_dataset", load_a_few)
    example["main"](epochs=1, verbose=0)
    assert loaded == ["mnist-small"]
