"""``leannet train --resume DIR`` goes on from the last checkpoint, counting epochs right:
an interrupted run that is resumed ends exactly where an uninterrupted one does."""

import json

import numpy as np
import pytest

from leannet import serialization
from leannet.commands.training import EpochLine

RUN = ["--dataset", "mnist-small", "--hidden", "8", "--no-progress", "--seed", "3"]


pytestmark = pytest.mark.usefixtures("no_plots")  # drawing is tested elsewhere


def interrupt_after_epoch(monkeypatch, stop_after):
    """Press Ctrl-C once epoch ``stop_after`` (1-based) has been checkpointed."""
    original = EpochLine.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch + 1 == stop_after:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochLine, "on_epoch_end", on_epoch_end)


def weights(run_dir):
    return serialization.load_model(run_dir / "model.leannet").get_weights()


def test_interrupted_then_resumed_equals_uninterrupted(cli, tmp_path, monkeypatch):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert cli("train", *RUN, "--epochs", "3", "--out", straight).code == 0

    with monkeypatch.context() as patch:
        interrupt_after_epoch(patch, stop_after=2)
        stopped = cli("train", *RUN, "--epochs", "3", "--out", resumed)
    assert stopped.code == 130
    assert stopped.error_lines == [f"leannet train: error: interrupted; continue with "
                                   f"`leannet train --resume {resumed}`"]
    assert not (resumed / "model.leannet").exists()

    result = cli("train", "--resume", resumed, "--no-progress")
    assert result.code == 0, result.err
    assert f"resuming {resumed} after epoch 2 of 3" in result.out
    assert "epoch 3/3" in result.out and "epoch 2/3" not in result.out
    for expected, actual in zip(weights(straight), weights(resumed), strict=True):
        np.testing.assert_array_equal(actual, expected)
    assert (resumed / "history.csv").read_text() == (straight / "history.csv").read_text()
    metrics = json.loads((resumed / "metrics.json").read_text())
    assert metrics["epochs"] == 3
    assert metrics["test_accuracy"] == json.loads(
        (straight / "metrics.json").read_text())["test_accuracy"]


def test_resume_with_more_epochs_moves_the_goal(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", *RUN, "--epochs", "1", "--out", run).code == 0
    result = cli("train", "--resume", run, "--epochs", "2", "--no-progress")
    assert result.code == 0, result.err
    assert "after epoch 1 of 2" in result.out and "epoch 2/2" in result.out
    assert len((run / "history.csv").read_text().splitlines()) == 1 + 2
    assert json.loads((run / "run.json").read_text())["epochs"] == 2
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2

    again = cli("train", "--resume", run, "--no-progress")  # the goal, 2, is reached
    assert again.code == 0
    assert "has trained 2 epochs already: nothing left to train" in again.out
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2


def test_resume_keeps_the_runs_settings(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", *RUN, "--epochs", "1", "--out", run).code == 0
    same = cli("train", "--resume", run, "--hidden", "8", "--dataset", "mnist-small")
    assert same.code == 0, same.err
    for option in (["--hidden", "9"], ["--optimizer", "sgd"], ["--lr", "0.5"],
                   ["--out", tmp_path / "elsewhere"]):
        result = cli("train", "--resume", run, *option)
        assert result.code == 2 and len(result.error_lines) == 1, result.err
        assert "leave out --out" in result.err or "keeps its settings" in result.err
    settings = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**settings, "model": "vgg"}))
    edited = cli("train", "--resume", run)
    assert edited.code == 1 and len(edited.error_lines) == 1
    assert "run.json: model: expected one of mlp, cnn, lenet, lstm, got 'vgg'" in edited.err


def test_resume_needs_a_checkpoint(cli, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"dataset": "mnist-small", "model": "mlp",
                                              "hidden": [8], "epochs": 2}))
    result = cli("train", "--resume", run)
    assert result.code == 1 and len(result.error_lines) == 1
    assert f"no checkpoint in directory {str(run)!r}" in result.err
    missing = cli("train", "--resume", tmp_path / "absent")
    assert missing.code == 1 and "no such run directory to resume" in missing.err
    (tmp_path / "other").mkdir()
    foreign = cli("train", "--resume", tmp_path / "other")
    assert foreign.code == 1 and "not a run of `leannet train` (no run.json)" in foreign.err
