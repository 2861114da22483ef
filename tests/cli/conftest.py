"""Fixtures for the CLI tests: an isolated environment (no LEANNET_DATA, a fresh cache,
unreachable mirrors, a temporary working directory), a helper that runs ``leannet`` in
process, and one small trained run shared by the tests that only read it."""

import dataclasses
import os

import numpy as np
import pytest

from leannet.cli import main
from leannet.data import write_idx
from leannet.data.download import BASE_NAMES

# The full MNIST directory, when CI points LEANNET_DATA at it; read before the autouse
# fixture below hides the variable from every test.
REAL_MNIST_DIR = os.environ.get("LEANNET_DATA") or None
SMALL_RUN = ["--dataset", "mnist-small", "--hidden", "16", "--epochs", "1", "--no-progress"]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path, offline_environment):
    """Every test runs offline, away from the developer's data (see tests/conftest.py)."""
    monkeypatch.chdir(tmp_path)


def write_fake_mnist(directory, num_train=64, num_test=32):
    """Four small MNIST-shaped IDX files (random pixels, labels 0..9)."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    for split, size in (("train", num_train), ("test", num_test)):
        images = rng.integers(0, 256, (size, 28, 28), dtype=np.uint8)
        labels = (np.arange(size) % 10).astype(np.uint8)
        write_idx(directory / (BASE_NAMES[f"{split}_images"] + ".gz"), images)
        write_idx(directory / (BASE_NAMES[f"{split}_labels"] + ".gz"), labels)


@pytest.fixture
def fake_mnist(tmp_path):
    """A directory of four tiny MNIST-shaped files: 64 training and 32 test images."""
    write_fake_mnist(tmp_path / "fake-mnist")
    return tmp_path / "fake-mnist"


@pytest.fixture
def real_mnist(monkeypatch):
    """LEANNET_DATA set back to the full MNIST directory; the test is skipped without it."""
    if REAL_MNIST_DIR is None:
        pytest.skip("LEANNET_DATA does not point at the full MNIST set")
    monkeypatch.setenv("LEANNET_DATA", REAL_MNIST_DIR)
    return REAL_MNIST_DIR


@pytest.fixture
def small_run():
    """Options of a quick training run: one epoch of a 16-unit MLP on the bundled set."""
    return list(SMALL_RUN)


@pytest.fixture
def no_plots(monkeypatch):
    """Act as if matplotlib were missing: the runs skip drawing (tested where it matters)."""
    from leannet import plots

    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def error_lines(self):
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def cli(capsys):
    """cli("train", "--epochs", "1") -> Result(code, stdout, stderr) of ``leannet ...``."""

    def run(*argv):
        capsys.readouterr()
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A one-epoch MLP on the bundled set, trained once for every test that reads it."""
    out = tmp_path_factory.mktemp("shared") / "run"
    assert main(["train", *SMALL_RUN, "--out", str(out)]) == 0
    return out
