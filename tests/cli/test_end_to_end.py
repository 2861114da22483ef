"""Train on the bundled set, then evaluate, predict, summarise and plot the saved model."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from leannet import plots, serialization
from leannet.data import load_dataset


def test_train_writes_the_run(trained_run):
    names = {path.name for path in trained_run.iterdir()}
    assert {"run.json", "checkpoint.leannet", "history.csv", "model.leannet",
            "metrics.json"} <= names
    assert ({"curves.png", "confusion.png"} <= names) == plots.matplotlib_available()
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["dataset"] == "mnist-small" and metrics["model"] == "mlp"
    assert metrics["epochs"] == 1 and metrics["seconds"] > 0
    assert metrics["argv"][:2] == ["train", "--dataset"]
    assert 0.5 < metrics["test_accuracy"] <= 1.0  # one epoch of a 16-unit MLP: about 0.75
    with open(trained_run / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["epoch"] for row in rows] == ["0"]
    assert set(rows[0]) >= {"loss", "accuracy"}


@pytest.mark.usefixtures("no_plots")
def test_train_prints_summary_epochs_and_test_accuracy(cli, tmp_path, small_run):
    result = cli("train", *small_run, "--epochs", "2", "--validation-split", "0.1",
                 "--out", tmp_path / "run")
    assert result.code == 0, result.err
    assert 'Model: "mlp"' in result.out and "Total params: 12,730" in result.out
    assert "epoch 2/2  loss " in result.out and "val_accuracy" in result.out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert f"test accuracy {metrics['test_accuracy']:.2%}" in result.out
    assert metrics["epochs"] == 2 and 0 < metrics["val_accuracy"] <= 1


@pytest.mark.usefixtures("no_plots")
def test_train_shows_a_progress_bar_per_epoch(cli, tmp_path, small_run):
    result = cli("train", *small_run[:-1], "--epochs", "2", "--out", tmp_path / "run")
    assert result.code == 0, result.err
    assert "Epoch 1/1" not in result.err and "Epoch 2/2" in result.err
    assert "accuracy=" in result.err and "loss=" in result.err


def test_the_saved_model_predicts_what_metrics_json_says(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    model = serialization.load_model(trained_run / "model.leannet")
    _, (images, labels) = load_dataset("mnist-small")
    probabilities = model.predict(images.reshape(len(images), -1) / np.float32(255))
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-9)


def test_evaluate_uses_the_runs_dataset(cli, trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    for target in (trained_run, trained_run / "model.leannet"):
        result = cli("evaluate", target)
        assert result.code == 0, result.err
        assert f"test accuracy {metrics['test_accuracy']:.2%}" in result.out
        assert "2,000 mnist-small test images" in result.out


def test_predict_npy_one_image_and_a_batch(cli, trained_run, tmp_path):
    _, (images, labels) = load_dataset("mnist-small")
    model = serialization.load_model(trained_run / "model.leannet")
    expected = model.predict(images[:3].reshape(3, -1) / np.float32(255))
    np.save(tmp_path / "one.npy", images[0])
    np.save(tmp_path / "three.npy", images[:3].reshape(3, 784))
    result = cli("predict", trained_run, tmp_path / "one.npy", tmp_path / "three.npy")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 4
    classes = expected.argmax(axis=1)
    assert lines[0] == f"{tmp_path / 'one.npy'}: {classes[0]} (p={expected[0].max():.3f})"
    for index in range(3):
        assert lines[1 + index].startswith(f"{tmp_path / 'three.npy'}[{index}]: "
                                           f"{classes[index]} (p=")


def test_predict_png(cli, trained_run, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    _, (images, _) = load_dataset("mnist-small")
    image_module.fromarray(images[1]).save(tmp_path / "digit.png")
    image_module.fromarray(255 - images[1]).save(tmp_path / "dark_on_light.png")
    np.save(tmp_path / "digit.npy", images[1])
    result = cli("predict", trained_run, tmp_path / "digit.png", tmp_path / "digit.npy")
    assert result.code == 0, result.err
    png_line, npy_line = result.out.splitlines()
    assert png_line.split(": ")[1] == npy_line.split(": ")[1]
    inverted = cli("predict", "--invert", trained_run, tmp_path / "dark_on_light.png")
    assert inverted.out.strip().split(": ")[1] == png_line.split(": ")[1]


def test_summary(cli, trained_run):
    result = cli("summary", trained_run / "model.leannet")
    assert result.code == 0, result.err
    assert "dense_1 (Dense)" in result.out and "Total params: 12,730" in result.out
    assert "optimizer Adam (lr 0.001)" in result.out
    checkpoint = cli("summary", trained_run / "checkpoint.leannet")
    assert "Checkpoint after epoch 1" in checkpoint.out


def test_plot_redraws_both_pictures(cli, trained_run):
    pytest.importorskip("matplotlib")
    for name in ("curves.png", "confusion.png"):
        (trained_run / name).unlink(missing_ok=True)
    result = cli("plot", trained_run)
    assert result.code == 0, result.err
    for name in ("curves.png", "confusion.png"):
        assert (trained_run / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_python_dash_m_leannet_trains(tmp_path, small_run):
    result = subprocess.run(
        [sys.executable, "-m", "leannet", "train", *small_run, "--hidden", "8",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
    assert (tmp_path / "run" / "model.leannet").is_file()


@pytest.mark.usefixtures("no_plots")
@pytest.mark.parametrize("preset", ["cnn", "lenet", "lstm"])
def test_every_preset_trains_evaluates_and_predicts(cli, tmp_path, fake_mnist, preset):
    """Each preset gets its own input layout: (N, 1, 28, 28) for the convolutional
    ones, (N, 28, 28) rows as time steps for the LSTM (on 64 tiny fake images)."""
    run = tmp_path / preset
    result = cli("train", "--model", preset, "--dataset", "mnist", "--data-dir", fake_mnist,
                 "--epochs", "1", "--batch-size", "32", "--no-progress", "--out", run)
    assert result.code == 0, result.err
    assert f'Model: "{preset}"' in result.out and "on 32 mnist test images" in result.out
    evaluated = cli("evaluate", run, "--data-dir", fake_mnist)
    assert evaluated.code == 0 and "on 32 mnist test images" in evaluated.out
    np.save(tmp_path / "two.npy", np.zeros((2, 28, 28), np.uint8))
    predicted = cli("predict", run, tmp_path / "two.npy")
    assert predicted.code == 0 and len(predicted.out.splitlines()) == 2


@pytest.mark.usefixtures("no_plots")
def test_fashion_mnist_predictions_are_named(cli, tmp_path, fake_mnist):
    run = tmp_path / "fashion"
    result = cli("train", "--dataset", "fashion-mnist", "--data-dir", fake_mnist, "--hidden",
                 "8", "--epochs", "1", "--no-progress", "--out", run)
    assert result.code == 0, result.err
    assert "on 32 fashion-mnist test images" in result.out
    np.save(tmp_path / "one.npy", np.zeros((28, 28), np.uint8))
    line = cli("predict", run, tmp_path / "one.npy").out.strip()
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot")
    label = int(line.split(": ")[1].split()[0])
    assert line.split(": ")[1].startswith(f"{label} ({names[label]}) (p=")
