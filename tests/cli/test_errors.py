"""Expected failures: one line on stderr, exit code 2 for usage errors and 1 otherwise,
never a traceback (an exception escaping ``main`` would fail these tests)."""

import json
import sys

import numpy as np
import pytest

import leannet
from leannet import plots, presets
from leannet.errors import TrainingDivergedError

pytestmark = pytest.mark.usefixtures("no_plots")  # the few runs that train need no pictures


def assert_one_line_error(result, code, *fragments):
    assert result.code == code, (result.out, result.err)
    assert len(result.error_lines) == 1, result.err
    line = result.error_lines[0]
    assert line.startswith("leannet") and "error:" in line and "Traceback" not in line
    for fragment in fragments:
        assert fragment in line


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--model", "resnet"], "invalid choice: 'resnet'"),
    (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["train", "--optimizer", "adagrad"], "invalid choice: 'adagrad'"),
    (["train", "--epochs", "0"], "--epochs: expected a positive integer, got '0'"),
    (["train", "--batch-size", "many"], "--batch-size: expected a positive integer"),
    (["train", "--lr", "-1"], "--lr: expected a positive number, got '-1'"),
    (["train", "--lr", "nan"], "--lr: expected a positive number"),
    (["train", "--hidden", "256,x"], "--hidden: expected positive layer sizes"),
    (["train", "--hidden", "0"], "--hidden: expected positive layer sizes"),
    (["train", "--validation-split", "1"], "--validation-split: expected a number in [0, 1)"),
    (["train", "--seed", "-3"], "--seed: expected an integer >= 0"),
    (["train", "--model", "cnn", "--hidden", "64"], "--hidden shapes only the mlp preset"),
    (["train", "--freeze-until", "dense_1"], "--freeze-until needs --init-from"),
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["fly"], "invalid choice: 'fly'"),
    (["predict", "model.leannet"], "the following arguments are required: FILE"),
    (["data", "fetch"], "invalid choice: 'fetch'"),
    (["data", "download", "mnist", "--dataset", "fashion-mnist"], "two datasets named"),
])
def test_usage_errors_exit_with_2(cli, argv, fragment):
    assert_one_line_error(cli(*argv), 2, fragment)


def test_no_command_prints_help_and_exits_with_2(cli):
    result = cli()
    assert result.code == 2 and "train" in result.err and "COMMAND" in result.err


def test_help_and_version_exit_with_0(cli):
    assert cli("--version").out.strip() == f"leannet {leannet.__version__}"
    result = cli("train", "--help")
    assert result.code == 0 and "--init-from" in result.out


@pytest.mark.parametrize("command", ["evaluate", "summary", "predict"])
def test_missing_model_file(cli, command, tmp_path):
    extra = [tmp_path / "x.npy"] if command == "predict" else []
    result = cli(command, tmp_path / "absent.leannet", *extra)
    assert_one_line_error(result, 1, "absent.leannet: no such model file")


@pytest.mark.parametrize("content, fragment", [
    (b"hello", "not a leannet model file (not an .npz archive)"),
    (b"PK\x03\x04 broken zip", "damaged or not a leannet model file"),
])
def test_bad_model_file(cli, tmp_path, content, fragment):
    (tmp_path / "bad.leannet").write_bytes(content)
    for command in ("evaluate", "summary"):
        assert_one_line_error(cli(command, tmp_path / "bad.leannet"), 1, fragment)


def test_directory_without_a_model(cli, tmp_path):
    assert_one_line_error(cli("evaluate", tmp_path), 1, "a directory without model.leannet")


def test_model_that_is_not_a_digit_classifier(cli, tmp_path):
    model = leannet.Sequential([leannet.layers.Dense(1)], input_shape=(2,))
    model.save(tmp_path / "xor.leannet")
    np.save(tmp_path / "x.npy", np.zeros((28, 28), np.uint8))
    assert_one_line_error(cli("predict", tmp_path / "xor.leannet", tmp_path / "x.npy"), 1,
                          "outputs of shape (1,), not the 10 class scores")


def test_missing_dataset(cli, tmp_path):
    # The mirrors are unreachable in these tests: the download fails, the error says so.
    assert_one_line_error(cli("train", "--dataset", "fashion-mnist"), 1,
                          "dataset 'fashion-mnist' not found", "the download failed",
                          "leannet data download fashion-mnist")
    (tmp_path / "empty").mkdir()
    result = cli("train", "--dataset", "mnist", "--data-dir", tmp_path / "empty")
    assert_one_line_error(result, 1, f"dataset 'mnist' not found in {tmp_path / 'empty'}")


def test_damaged_dataset_file(cli, tmp_path):
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (data_dir / name).write_bytes(b"\x00\x00\x08\x03garbage")
    result = cli("train", "--dataset", "mnist", "--data-dir", data_dir)
    assert_one_line_error(result, 1, "cannot read dataset 'mnist'")


def test_data_download_offline_and_verify_missing(cli):
    assert_one_line_error(cli("data", "download", "mnist", "--no-progress"), 1,
                          "could not download a good copy of train-images-idx3-ubyte.gz")
    assert_one_line_error(cli("data", "verify", "fashion-mnist"), 1,
                          "fashion-mnist: no complete copy found",
                          "leannet data download fashion-mnist")


def test_data_verify_reports_a_bad_file(cli, tmp_path):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"not the real file")
    result = cli("data", "verify", "mnist", "--data-dir", tmp_path)
    assert result.code == 1 and result.out.count("MISMATCH") == 4
    assert result.error_lines == [f"leannet data: error: mnist in {tmp_path}: 4 of 4 files "
                                  "failed the check"]


@pytest.mark.parametrize("write, fragment", [
    (lambda path: path.with_suffix(".txt").write_text("7"), "expected a .png image or a .npy"),
    (lambda path: np.save(path, np.zeros((3, 28, 27))), "got shape (3, 28, 27)"),
    (lambda path: np.save(path, np.array([{"a": 1}]), allow_pickle=True), "not a NumPy .npy"),
    (lambda path: np.save(path, np.full((28, 28), 300.0)), "float pixels must already lie"),
    (lambda path: path.write_bytes(b"\x93NUMPY broken"), "not a NumPy .npy array"),
])
def test_bad_image_files(cli, trained_run, tmp_path, write, fragment):
    path = tmp_path / "image.npy"
    write(path)
    target = path if path.exists() else path.with_suffix(".txt")
    assert_one_line_error(cli("predict", trained_run, target), 1, fragment)


def test_png_without_pillow_names_the_extra(cli, trained_run, tmp_path, monkeypatch):
    (tmp_path / "digit.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setitem(sys.modules, "PIL", None)  # "import PIL" now raises ImportError
    assert_one_line_error(cli("predict", trained_run, tmp_path / "digit.png"), 1,
                          "needs Pillow: pip install 'leannet[image]'")


def test_png_of_the_wrong_size_or_not_an_image(cli, trained_run, tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    image_module.new("L", (32, 28)).save(tmp_path / "wide.png")
    assert_one_line_error(cli("predict", trained_run, tmp_path / "wide.png"), 1,
                          "expected a 28x28 image, got 32x28")
    (tmp_path / "fake.png").write_bytes(b"not a png")
    assert_one_line_error(cli("predict", trained_run, tmp_path / "fake.png"), 1,
                          "not an image Pillow can read")


def test_plot_without_matplotlib(cli, trained_run, monkeypatch):
    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)
    assert_one_line_error(cli("plot", trained_run), 1, "pip install 'leannet[plot]'")


def test_plot_of_a_directory_that_is_not_a_run(cli, tmp_path):
    assert_one_line_error(cli("plot", tmp_path), 1, "no history.csv")
    assert_one_line_error(cli("plot", tmp_path / "absent"), 1, "no such run directory")


def test_preset_whose_layer_is_missing(cli, monkeypatch):
    monkeypatch.delattr(leannet.layers, "Conv2D", raising=False)
    monkeypatch.setattr(leannet.layers, "MaxPool2D", object, raising=False)
    result = cli("train", "--model", "cnn", "--dataset", "mnist-small")
    assert_one_line_error(result, 1)
    assert result.error_lines[0] == ("leannet train: error: the cnn preset needs Conv2D, "
                                     "which this version lacks")
    with pytest.raises(presets.PresetUnavailableError, match="needs Conv2D,"):
        presets.build_model("lenet", (1, 28, 28))


def test_init_from_a_model_that_does_not_fit(cli, trained_run, small_run):
    result = cli("train", *small_run, "--hidden", "32", "--init-from", trained_run)
    assert_one_line_error(result, 1, "none of its layers fits the mlp preset")


def test_freeze_until_an_unknown_layer(cli, trained_run, small_run):
    result = cli("train", *small_run, "--init-from", trained_run, "--freeze-until", "conv_9")
    assert_one_line_error(result, 1, "no layer named 'conv_9'", "dense_1, relu_1, dense_2")


def test_out_is_a_file(cli, tmp_path, small_run):
    (tmp_path / "taken").write_text("")
    assert_one_line_error(cli("train", *small_run, "--out", tmp_path / "taken"), 1, "taken")


def test_training_that_diverges(cli, small_run, monkeypatch, tmp_path):
    def diverge(*args, **kwargs):
        raise TrainingDivergedError("the loss became nan at epoch 1, batch 3")

    monkeypatch.setattr(leannet.Sequential, "fit", diverge)
    result = cli("train", *small_run, "--out", tmp_path / "run")
    assert_one_line_error(result, 1, "the loss became nan at epoch 1, batch 3")


def test_run_json_that_is_damaged(cli, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{broken")
    assert_one_line_error(cli("train", "--resume", tmp_path / "run"), 1,
                          "cannot read run settings")
    (tmp_path / "run" / "run.json").write_text(json.dumps([1, 2]))
    assert_one_line_error(cli("train", "--resume", tmp_path / "run"), 1, "not a JSON object")


def test_validation_split_that_leaves_nothing(cli, fake_mnist, tmp_path):
    result = cli("train", "--dataset", "mnist", "--data-dir", fake_mnist, "--hidden", "4",
                 "--validation-split", "0.999", "--out", tmp_path / "run")
    assert_one_line_error(result, 1, "--validation-split 0.999 leaves no training or no "
                                     "validation images out of 64")
