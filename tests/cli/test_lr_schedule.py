"""``leannet train --lr-schedule constant|cosine``: cosine decays --lr to 0 at the run's last
step; the CNN presets take it by default (their 99% recipe), the others a constant rate."""

import argparse
import csv

import numpy as np
import pytest

from leannet import serialization
from leannet.commands.train_settings import DEFAULTS, fresh_settings

# 64 fake training images in batches of 16: 4 steps an epoch.
RUN = ["--hidden", "8", "--batch-size", "16", "--no-progress", "--seed", "1"]

pytestmark = pytest.mark.usefixtures("no_plots")


def logged_lr(run_dir):
    with open(run_dir / "history.csv", newline="") as file:
        return [float(row["lr"]) for row in csv.DictReader(file)]


@pytest.mark.parametrize(("model", "expected"), [("mlp", "constant"), ("cnn", "cosine"),
                                                 ("lenet", "cosine"), ("lstm", "constant")])
def test_each_preset_has_its_default_schedule(model, expected):
    args = argparse.Namespace(**{**dict.fromkeys(DEFAULTS), "model": model})
    assert fresh_settings(args)["lr_schedule"] == expected
    args.lr_schedule = "constant"
    assert fresh_settings(args)["lr_schedule"] == "constant"


def test_cosine_decays_to_zero_at_the_last_step(cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    result = cli("train", "--data-dir", fake_mnist, *RUN, "--epochs", "2", "--lr", "0.01",
                 "--lr-schedule", "cosine", "--out", run)
    assert result.code == 0, result.err
    # lr after step s of 8: 0.01 * (1 + cos(pi s / 8)) / 2, logged at the end of each epoch
    np.testing.assert_allclose(logged_lr(run), [0.005, 0.0], atol=1e-12)
    optimizer = serialization.read_header(run / "model.leannet")["compile"]["optimizer"]
    assert optimizer["lr"] == {"class_name": "CosineDecay", "initial_lr": 0.01,
                               "decay_steps": 8, "min_lr": 0.0}


def test_constant_keeps_the_rate(cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--data-dir", fake_mnist, *RUN, "--epochs", "2", "--lr", "0.01",
               "--lr-schedule", "constant", "--out", run).code == 0
    assert logged_lr(run) == [0.01, 0.01]


def test_validation_split_shortens_the_decay(cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--data-dir", fake_mnist, *RUN, "--epochs", "1", "--lr-schedule",
               "cosine", "--validation-split", "0.25", "--out", run).code == 0
    optimizer = serialization.read_header(run / "model.leannet")["compile"]["optimizer"]
    assert optimizer["lr"]["decay_steps"] == 3  # 48 training images, batches of 16


def test_a_cosine_run_resumes_on_its_own_schedule(cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--data-dir", fake_mnist, *RUN, "--epochs", "2", "--lr-schedule",
               "cosine", "--out", run).code == 0
    moved = cli("train", "--resume", run, "--epochs", "3", "--data-dir", fake_mnist)
    assert moved.code == 2
    assert moved.error_lines == [
        f"leannet train: error: {run} decays its learning rate to 0 over 2 epochs "
        "(--lr-schedule cosine), so its --epochs cannot change when resuming; start a new "
        "run with --init-from instead"]
    same = cli("train", "--resume", run, "--epochs", "2", "--data-dir", fake_mnist)
    assert same.code == 0, same.err


def test_resume_keeps_the_schedule(cli, fake_mnist, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--data-dir", fake_mnist, *RUN, "--epochs", "1", "--out", run).code == 0
    changed = cli("train", "--resume", run, "--lr-schedule", "cosine",
                  "--data-dir", fake_mnist)
    assert changed.code == 2
    assert "was trained with --lr-schedule constant" in changed.err
