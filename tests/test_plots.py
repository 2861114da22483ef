"""leannet.plots: each picture holds the right data and is written as a PNG of the right size."""

import csv
import os
import struct
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest

import leannet as ln
from leannet import plots
from leannet.parameter import Parameter


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def png_size(path):
    """(width, height) in pixels from the PNG header (signature, then the IHDR chunk)."""
    with open(path, "rb") as stream:
        header = stream.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def assert_png_of(figure, path):
    """The PNG at ``path`` is figure size * dpi pixels and is not a blank page."""
    import matplotlib.image

    width, height = np.round(figure.get_size_inches() * figure.dpi).astype(int)
    assert png_size(path) == (width, height)
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width) and pixels.std() > 0
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp file left


def trained_model(epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 16)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    model = ln.Sequential([ln.layers.Dense(4), ln.layers.ReLU(), ln.layers.Dense(3)],
                          input_shape=(16,), seed=0)
    model.compile(loss="cross_entropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.25, verbose=0)
    return model, history


def curves(figure):
    """{panel title: {line label: (x, y)}} of a plot_history figure."""
    return {axis.get_title(): {line.get_label(): (line.get_xdata(), line.get_ydata())
                               for line in axis.get_lines()}
            for axis in figure.axes if axis.get_visible()}


# ----- plot_history -------------------------------------------------------------------
def test_history_panels_hold_the_train_and_validation_values(mpl, tmp_path):
    _, history = trained_model(epochs=3)
    figure = plots.plot_history(history, tmp_path / "curves.png")
    assert_png_of(figure, tmp_path / "curves.png")
    assert png_size(tmp_path / "curves.png") == (900, 350)  # two panels of 4.5 x 3.5 in
    panels = curves(figure)
    assert list(panels) == ["loss", "accuracy"]  # constant lr: no panel of its own
    for name, lines in panels.items():
        assert set(lines) == {"train", "validation"}
        np.testing.assert_array_equal(lines["train"][0], [1, 2, 3])
        np.testing.assert_array_equal(lines["train"][1], history.history[name])
        np.testing.assert_array_equal(lines["validation"][1], history.history[f"val_{name}"])
    from_dict = curves(plots.plot_history(history.history))
    for name in panels:
        np.testing.assert_array_equal(from_dict[name]["train"][1], panels[name]["train"][1])


def write_history_csv(path, rows):
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_history_from_a_csv_file(mpl, tmp_path):
    rows = [{"epoch": e, "accuracy": 0.5 + 0.1 * e, "loss": 1.0 - 0.2 * e, "lr": 0.1 / 2 ** e,
             "val_accuracy": "NA" if e == 2 else 0.4 + 0.1 * e,
             "val_loss": "" if e == 1 else 1.1 - 0.2 * e}
            for e in range(4)]
    write_history_csv(tmp_path / "history.csv", rows)
    figure = plots.plot_history(str(tmp_path / "history.csv"))
    panels = curves(figure)
    assert list(panels) == ["accuracy", "loss", "lr"]  # lr changes, so it is drawn
    np.testing.assert_array_equal(panels["loss"]["train"][0], [1, 2, 3, 4])  # epoch 0 -> 1
    np.testing.assert_allclose(panels["loss"]["train"][1], [1.0, 0.8, 0.6, 0.4])
    np.testing.assert_allclose(panels["loss"]["validation"][1], [1.1, np.nan, 0.7, 0.5])
    np.testing.assert_allclose(panels["accuracy"]["validation"][1], [0.4, 0.5, np.nan, 0.7])
    np.testing.assert_allclose(panels["lr"]["lr"][1], [0.1, 0.05, 0.025, 0.0125])
    plots.plot_history(tmp_path / "history.csv", tmp_path / "h.png")  # a Path works too
    assert png_size(tmp_path / "h.png") == (1350, 350)  # three panels in a row


def test_history_of_a_csv_logger_run(mpl, tmp_path):
    if not hasattr(ln.callbacks, "CSVLogger"):
        pytest.skip("leannet.callbacks.CSVLogger is not written yet")
    model = ln.Sequential([ln.layers.Dense(3)], input_shape=(4,), seed=0)
    model.compile(loss="cross_entropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 3, size=20)
    logged = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.25, verbose=0,
                       callbacks=[ln.callbacks.CSVLogger(str(tmp_path / "history.csv"))])
    from_csv = curves(plots.plot_history(tmp_path / "history.csv"))
    np.testing.assert_allclose(from_csv["loss"]["train"][1], logged.history["loss"])
    np.testing.assert_array_equal(from_csv["loss"]["train"][0], [1, 2])


def test_history_without_epochs_is_refused(mpl):
    with pytest.raises(ValueError, match="no epochs"):
        plots.plot_history({"loss": []})
    with pytest.raises(TypeError, match="History"):
        plots.plot_history(3.0)


# ----- plot_confusion_matrix ----------------------------------------------------------
def test_confusion_matrix_counts_and_normalised_rows(mpl, tmp_path):
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    figure = plots.plot_confusion_matrix(y_true, y_pred, path=tmp_path / "cm.png")
    assert_png_of(figure, tmp_path / "cm.png")
    expected = [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), expected)
    assert sorted(t.get_text() for t in figure.axes[0].texts) == sorted("110021001")

    scores = np.eye(4)[[0, 1, 1, 1, 2, 2]]  # scores (N, C), one class more than seen
    figure = plots.plot_confusion_matrix(np.eye(4)[y_true], scores, normalize=True,
                                         class_names=["a", "b", "c", "d"])
    shown = figure.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown[:3, :3], np.array(expected) / [[2], [3], [1]])
    np.testing.assert_array_equal(shown[:, 3], 0)
    np.testing.assert_array_equal(shown[3], 0)  # a class with no samples: a row of zeros
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["a", "b", "c", "d"]


def test_confusion_matrix_refuses_bad_input(mpl):
    with pytest.raises(ValueError, match="2 class names"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1, 2], class_names=["a", "b"])
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        plots.plot_confusion_matrix([0, 1, 2], [0, 1])


# ----- plot_misclassified -------------------------------------------------------------
def tiles(figure):
    """(image arrays, titles) of the axes that show an image."""
    shown = [axis for axis in figure.axes if axis.images]
    return [np.asarray(a.images[0].get_array()) for a in shown], [a.get_title() for a in shown]


def test_misclassified_grid_in_every_image_layout(mpl, tmp_path):
    images = np.random.default_rng(0).random((6, 28, 28)).astype(np.float32)
    y_true = np.array([0, 1, 2, 3, 4, 5])
    y_pred = np.array([0, 7, 2, 3, 9, 8])  # wrong at 1, 4, 5
    figure = plots.plot_misclassified(images, y_true, y_pred, path=tmp_path / "wrong.png")
    assert_png_of(figure, tmp_path / "wrong.png")
    pictures, titles = tiles(figure)
    assert titles == ["true 1 / pred 7", "true 4 / pred 9", "true 5 / pred 8"]
    for layout in (images.reshape(6, 784), images[:, None]):
        same, _ = tiles(plots.plot_misclassified(layout, y_true, np.eye(10)[y_pred]))
        for a, b in zip(same, pictures, strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pictures[0], images[1])
    _, titles = tiles(plots.plot_misclassified(images, y_true, y_pred, max_images=2,
                                               class_names="abcdefghij"))
    assert titles == ["true b / pred h", "true e / pred j"]


def test_misclassified_with_no_mistakes_and_bad_shapes(mpl):
    images = np.zeros((3, 4, 4))
    figure = plots.plot_misclassified(images, [1, 2, 3], [1, 2, 3])
    assert tiles(figure)[0] == [] and figure.texts[0].get_text() == "no misclassified images"
    with pytest.raises(ValueError, match="not a square"):
        plots.plot_misclassified(np.zeros((3, 10)), [1, 2, 3], [1, 2, 0])
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        plots.plot_misclassified(images, [1, 2], [1, 0])


# ----- plot_first_layer ---------------------------------------------------------------
def test_first_dense_layer_units_as_square_images(mpl, tmp_path):
    model = ln.Sequential([ln.layers.Flatten(), ln.layers.Dense(6), ln.layers.Dense(2)],
                          input_shape=(28, 28), seed=0)
    figure = plots.plot_first_layer(model, tmp_path / "first.png")
    assert_png_of(figure, tmp_path / "first.png")
    pictures, titles = tiles(figure)
    weight = model.layers[1].weight.value
    assert len(pictures) == 6 and titles[5] == "unit 5"
    for unit, picture in enumerate(pictures):
        np.testing.assert_allclose(picture, weight[:, unit].reshape(28, 28))
    assert len(tiles(plots.plot_first_layer(model, max_units=4))[0]) == 4


def test_first_dense_layer_with_a_non_square_input_is_a_heat_map(mpl):
    model = ln.Sequential([ln.layers.Dense(3)], input_shape=(5,), seed=0)
    pictures, _ = tiles(plots.plot_first_layer(model))
    assert len(pictures) == 1
    np.testing.assert_allclose(pictures[0], model.layers[0].weight.value)


def test_conv_filters_are_found_by_their_weight_shape(mpl):
    weight = np.random.default_rng(0).normal(size=(5, 1, 3, 3))
    conv = SimpleNamespace(name="conv", weight=Parameter(weight))
    model = SimpleNamespace(layers=[SimpleNamespace(name="input"), conv])
    pictures, titles = tiles(plots.plot_first_layer(model))
    assert titles == [f"filter {k}" for k in range(5)]
    for k, picture in enumerate(pictures):
        np.testing.assert_allclose(picture, weight[k, 0])
    conv.weight = Parameter(np.abs(weight).repeat(3, axis=1))  # three channels: colour
    pictures, _ = tiles(plots.plot_first_layer(model))
    assert pictures[0].shape == (3, 3, 3) and pictures[0].min() >= 0 and pictures[0].max() <= 1


def test_real_conv2d_filters(mpl):
    conv2d = getattr(ln.layers, "Conv2D", None)
    if conv2d is None:
        pytest.skip("leannet.layers.Conv2D is not exported yet")
    model = ln.Sequential([conv2d(4, 3), ln.layers.Flatten(), ln.layers.Dense(2)],
                          input_shape=(1, 8, 8), seed=0)
    pictures, _ = tiles(plots.plot_first_layer(model))
    weight = model.layers[0].weight.value
    assert weight.shape == (4, 1, 3, 3)
    for k, picture in enumerate(pictures):
        np.testing.assert_allclose(picture, weight[k, 0])


def test_first_layer_needs_a_dense_or_conv_layer(mpl):
    model = ln.Sequential([ln.layers.ReLU()], input_shape=(4,))
    with pytest.raises(ValueError, match="no built Dense or Conv2D"):
        plots.plot_first_layer(model)


# ----- plot_weight_histograms ---------------------------------------------------------
def test_weight_and_gradient_histograms_per_parameter(mpl, tmp_path):
    model, _ = trained_model(epochs=1)
    figure = plots.plot_weight_histograms(model, tmp_path / "weights.png")
    assert_png_of(figure, tmp_path / "weights.png")
    parameters = model.parameters()
    assert len(figure.axes) == 2 * len(parameters)
    for row, parameter in enumerate(parameters):
        values_axis, gradient_axis = figure.axes[2 * row], figure.axes[2 * row + 1]
        assert values_axis.get_title().startswith(f"{parameter.name} values")
        assert gradient_axis.get_title().startswith(f"{parameter.name} gradient")
        assert sum(bar.get_height() for bar in values_axis.patches) == parameter.size
    parameters[0].value[0, 0] = np.nan
    figure = plots.plot_weight_histograms(model, gradients=False)
    assert len(figure.axes) == len(parameters)
    assert "1 non-finite left out" in figure.axes[0].get_title()


def test_histograms_need_parameters(mpl):
    with pytest.raises(ValueError, match="no parameters"):
        plots.plot_weight_histograms(ln.Sequential([ln.layers.Dense(2)]))


# ----- files and a missing matplotlib -------------------------------------------------
def test_png_replaces_the_old_file_only_when_complete(mpl, tmp_path, monkeypatch):
    target = tmp_path / "curves.png"
    target.write_bytes(b"old")
    history = {"loss": [1.0, 0.5]}

    def broken_savefig(*args, **kwargs):
        raise RuntimeError("disk full")

    from matplotlib.figure import Figure
    with monkeypatch.context() as patch:
        patch.setattr(Figure, "savefig", broken_savefig)
        with pytest.raises(RuntimeError, match="disk full"):
            plots.plot_history(history, target)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["curves.png"]
    plots.plot_history(history, target)
    assert png_size(target) == (450, 350)


def test_missing_matplotlib_gives_an_install_hint(monkeypatch):
    for name in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert plots.matplotlib_available() is False
    model = ln.Sequential([ln.layers.Dense(2)], input_shape=(4,))
    calls = [lambda: plots.plot_history({"loss": [1.0]}),
             lambda: plots.plot_confusion_matrix([0, 1], [0, 1]),
             lambda: plots.plot_misclassified(np.zeros((2, 4)), [0, 1], [1, 0]),
             lambda: plots.plot_first_layer(model),
             lambda: plots.plot_weight_histograms(model)]
    for call in calls:
        with pytest.raises(ImportError) as error:
            call()
        assert str(error.value) == "leannet.plots needs matplotlib: pip install 'leannet[plot]'"


def test_plots_use_no_pyplot_and_no_display(mpl, tmp_path):
    """In a fresh process: importing leannet loads no matplotlib; plotting loads no pyplot,
    leaves the backend setting alone and needs no display."""
    script = textwrap.dedent(f"""
        import sys
        import leannet, leannet.plots, leannet.tensorboard
        assert "matplotlib" not in sys.modules, "import leannet loaded matplotlib"
        import matplotlib
        backend = dict.__getitem__(matplotlib.rcParams, "backend")  # without resolving it
        leannet.plots.plot_history({{"loss": [1.0, 0.5]}}, {str(tmp_path / "h.png")!r})
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        assert dict.__getitem__(matplotlib.rcParams, "backend") == backend
    """)
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    assert png_size(tmp_path / "h.png") == (450, 350)
