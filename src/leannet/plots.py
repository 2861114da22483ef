"""Pictures of training: curves, confusion matrix, mistakes, first-layer weights, histograms.

    from leannet import plots
    plots.plot_history(history, "curves.png")              # History, its dict, or history.csv
    plots.plot_confusion_matrix(y_test, model.predict(x_test), path="confusion.png")
    plots.plot_misclassified(x_test, y_test, model.predict(x_test), path="mistakes.png")
    plots.plot_first_layer(model, "first_layer.png")
    plots.plot_weight_histograms(model, "weights.png")

matplotlib is optional (``pip install 'leannet[plot]'``) and imported only inside these
functions. No function uses ``pyplot``: each builds a ``matplotlib.figure.Figure`` drawn by
the Agg canvas, so no display is needed and neither the backend nor any figure registry is
touched. Each returns the Figure; with ``path`` it also writes a PNG of
``figure size (inches) * DPI`` pixels, atomically (temporary file, then rename).
"""

import csv
import math
import os
from collections.abc import Mapping

import numpy as np

from leannet.atomic import atomic_write
from leannet.layers.dense import Dense
from leannet.metrics import class_indices, confusion_matrix, predicted_classes

DPI = 100
MISSING_MATPLOTLIB = "leannet.plots needs matplotlib: pip install 'leannet[plot]'"


def matplotlib_available():
    """True when matplotlib can be imported (the CLI skips its plots otherwise)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _new_figure(width, height, **kwargs):
    """A Figure of width x height inches on its own Agg canvas (no pyplot, no display)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(MISSING_MATPLOTLIB) from error
    figure = Figure(figsize=(round(width, 2), round(height, 2)), dpi=DPI, **kwargs)
    FigureCanvasAgg(figure)
    return figure


def _finish(figure, path):
    """Write ``figure`` as a PNG to ``path`` (atomically) when a path is given."""
    if path is not None:
        with atomic_write(os.fspath(path)) as stream:
            figure.savefig(stream, format="png", dpi=DPI)
    return figure


# ----- training curves ----------------------------------------------------------------
def plot_history(history, path=None):
    """Training curves: one panel per quantity (loss, each metric), train and validation.

    ``history`` is a ``History`` (what ``fit`` returns), its ``.history`` dict of per-epoch
    lists, or the path of a ``history.csv`` written by ``CSVLogger`` (a header of log keys,
    one row per epoch). Epochs are numbered from 1 on the x axis; an ``epoch`` column in the
    CSV (and ``History.epoch``) holds the 0-based index given to ``on_epoch_end``, as in
    Keras. The learning rate gets a panel of its own when it changes (a schedule at work).
    """
    epochs, logs = _history_logs(history)
    names = _panel_names(logs)
    if not names:
        raise ValueError(f"plot_history: no numeric quantity to plot; keys are {sorted(logs)}")
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = _new_figure(4.5 * columns, 3.5 * rows, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, name in zip(axes[:len(names)], names, strict=True):
        _draw_curves(axis, name, epochs, logs)
    for axis in axes[len(names):]:
        axis.set_visible(False)
    return _finish(figure, path)


def _history_logs(history):
    """(epoch numbers from 1, {key: float array}) from any of plot_history's inputs."""
    if isinstance(history, (str, os.PathLike)):
        epochs, logs = _read_history_csv(history)
    else:
        raw = getattr(history, "history", history)
        if not isinstance(raw, Mapping):
            raise TypeError("plot_history: expected a History, its .history dict or the path "
                            f"of a history.csv; got {type(history).__name__}")
        arrays = {key: _float_array(values) for key, values in raw.items()}
        logs = {key: values for key, values in arrays.items() if values is not None}
        epochs = getattr(history, "epoch", None)
    length = max((len(values) for values in logs.values()), default=0)
    if length == 0:
        raise ValueError("plot_history: the history holds no epochs")
    if epochs is None or len(epochs) != length:
        return np.arange(1, length + 1), logs
    return np.asarray(epochs, dtype=float) + 1, logs


def _float_array(values):
    """A float array of the values, or None when they are not all numbers."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 1 else None


def _read_history_csv(path):
    """(0-based epochs or None, {column: float array}); empty and "NA" cells read as NaN."""
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    columns = {}
    for key in (rows[0].keys() if rows else []):
        cells = ["nan" if row[key] in (None, "", "NA") else row[key] for row in rows]
        values = _float_array(cells)
        if values is not None:
            columns[key] = values
    return columns.pop("epoch", None), columns


def _panel_names(logs):
    """Quantities to plot: each training key, validation-only keys, and a varying lr."""
    names = [key for key in logs if not key.startswith("val_") and key not in ("epoch", "lr")]
    names += [key[4:] for key in logs if key.startswith("val_") and key[4:] not in logs]
    if "lr" in logs:
        finite = logs["lr"][np.isfinite(logs["lr"])]
        if np.unique(finite).size > 1:
            names.append("lr")
    return names


def _draw_curves(axis, name, epochs, logs):
    from matplotlib.ticker import MaxNLocator

    series = [("lr", "lr")] if name == "lr" else [(name, "train"), (f"val_{name}", "validation")]
    for key, label in series:
        if key in logs:
            values = logs[key]
            axis.plot(epochs[:len(values)], values, marker="o", markersize=3, label=label)
    if name == "lr" and np.all(logs["lr"][np.isfinite(logs["lr"])] > 0):
        axis.set_yscale("log")
    axis.set_title(name)
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.grid(alpha=0.3)
    if name != "lr":
        axis.legend()


# ----- confusion matrix ---------------------------------------------------------------
def plot_confusion_matrix(y_true, y_pred, class_names=None, path=None, normalize=False):
    """Cell (i, j): samples of true class i predicted as class j (``metrics.confusion_matrix``).

    ``y_pred`` may be scores (N, C) or predicted classes (N,). ``normalize=True`` divides each
    row by its total, so the diagonal is the recall of each class.
    """
    counts = _confusion_counts(y_true, y_pred, class_names)
    values = counts.astype(float)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    size = len(values)
    names = list(class_names) if class_names is not None else [str(i) for i in range(size)]
    side = max(4.0, 0.45 * size + 2.0)
    figure = _new_figure(side + 1.0, side, layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(values, cmap="Blues", vmin=0, interpolation="nearest")
    figure.colorbar(image, ax=axis)
    if size <= 30:
        _annotate_cells(axis, values, normalize)
    axis.set_xticks(range(size), names, rotation=45 if class_names is not None else 0)
    axis.set_yticks(range(size), names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title("confusion matrix" + (" (each row sums to 1)" if normalize else ""))
    return _finish(figure, path)


def _confusion_counts(y_true, y_pred, class_names):
    true, predicted = _true_and_predicted(y_true, y_pred, "plot_confusion_matrix")
    counts = confusion_matrix(true, predicted)
    if class_names is None:
        return counts
    if len(class_names) < len(counts):
        raise ValueError(f"plot_confusion_matrix: {len(class_names)} class names for labels "
                         f"up to {len(counts) - 1}")
    return confusion_matrix(true, predicted, num_classes=len(class_names))


def _true_and_predicted(y_true, y_pred, caller):
    """Class indices (N,) of labels (indices or one-hot) and predictions (scores or classes)."""
    true = class_indices(y_true).astype(np.int64)
    y_pred = np.asarray(y_pred)
    predicted = predicted_classes(y_pred) if y_pred.ndim == 2 else y_pred.astype(np.int64)
    if len(true) != len(predicted):
        raise ValueError(f"{caller}: {len(true)} labels but {len(predicted)} predictions")
    if true.size and min(true.min(), predicted.min()) < 0:
        raise ValueError(f"{caller}: class indices must not be negative")
    return true, predicted


def _annotate_cells(axis, values, normalize):
    threshold = values.max() / 2 if values.size else 0
    for (i, j), value in np.ndenumerate(values):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        color = "white" if value > threshold else "black"
        axis.text(j, i, text, ha="center", va="center", color=color, fontsize=8)


# ----- images -------------------------------------------------------------------------
def plot_misclassified(images, y_true, y_pred, max_images=25, path=None, class_names=None):
    """A grid of the first ``max_images`` misclassified images, titled "true t / pred p".

    ``images``: (N, H, W), (N, H*W) with a square H*W such as 784, (N, 1, H, W) or
    (N, 3, H, W); ``y_pred`` may be scores (N, C) or predicted classes (N,).
    """
    pictures = _as_pictures(images)
    true, predicted = _true_and_predicted(y_true, y_pred, "plot_misclassified")
    if len(pictures) != len(true):
        raise ValueError(f"plot_misclassified: {len(pictures)} images but {len(true)} labels")
    wrong = np.flatnonzero(true != predicted)[:max(int(max_images), 0)]
    name = (lambda k: str(class_names[k])) if class_names is not None else str
    titles = [f"true {name(true[i])} / pred {name(predicted[i])}" for i in wrong]
    figure = _image_grid(pictures[wrong], titles, cmap="gray")
    if len(wrong) == 0:
        figure.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
    return _finish(figure, path)


def _as_pictures(images):
    """Images as (N, H, W) grey or (N, H, W, 3) colour, from the layouts listed above."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"images of shape {images.shape}: {images.shape[1]} features "
                             "are not a square image; pass (N, H, W)")
        return images.reshape(len(images), side, side)
    if images.ndim == 3:
        return images
    if images.ndim == 4 and images.shape[1] in (1, 3):
        return images[:, 0] if images.shape[1] == 1 else _unit_range(images.transpose(0, 2, 3, 1))
    raise ValueError(f"images of shape {images.shape}: expected (N, H, W), (N, H*W), "
                     "(N, 1, H, W) or (N, 3, H, W)")


def _unit_range(colour_images):
    """Scale each colour image to [0, 1] (what imshow expects of RGB floats)."""
    images = np.asarray(colour_images, dtype=float)
    low = images.min(axis=(1, 2, 3), keepdims=True)
    high = images.max(axis=(1, 2, 3), keepdims=True)
    return (images - low) / np.where(high > low, high - low, 1.0)


def _image_grid(pictures, titles, cmap, symmetric=False):
    """A near-square grid of images, 1.6 x 1.8 inches per cell; axes without ticks."""
    count = max(len(pictures), 1)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    figure = _new_figure(1.6 * columns, 1.8 * rows)
    figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, hspace=0.4, wspace=0.1)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis in axes:
        axis.set_axis_off()
    for axis, picture, title in zip(axes[:len(pictures)], pictures, titles, strict=True):
        limits = {}
        if picture.ndim == 2 and symmetric:
            bound = float(np.abs(picture).max()) or 1.0
            limits = {"vmin": -bound, "vmax": bound}
        axis.imshow(picture, cmap=cmap if picture.ndim == 2 else None,
                    interpolation="nearest", **limits)
        axis.set_title(title, fontsize=7)
    return figure


# ----- weights ------------------------------------------------------------------------
def plot_first_layer(model, path=None, max_units=64):
    """What the first layer looks for: its weights drawn as images.

    The first Conv2D-like layer (weight ``(filters, in_channels, kh, kw)``) shows each filter
    (grey for one channel, colour for three, else the mean over channels); the first Dense
    layer shows the weight column of each unit reshaped to a square (784 -> 28x28), or, when
    its input size is not a square, the whole weight matrix as one heat map. Blue is
    negative, red positive, white zero. At most ``max_units`` units or filters are drawn.
    """
    layer = _first_visual_layer(model)
    weight = np.asarray(layer.weight.value, dtype=float)
    if weight.ndim == 4:
        pictures, what = _filter_pictures(weight)
    else:
        side = math.isqrt(weight.shape[0])
        if side * side != weight.shape[0]:
            return _finish(_weight_heat_map(layer.name, weight), path)
        pictures, what = weight.T.reshape(-1, side, side), "unit"
    pictures = pictures[:max_units]
    titles = [f"{what} {k}" for k in range(len(pictures))]
    figure = _image_grid(pictures, titles, cmap="RdBu_r", symmetric=True)
    figure.suptitle(f"{layer.name}: weights of each {what}")
    return _finish(figure, path)


def _first_visual_layer(model):
    """The first layer that is a Dense or has a 4-D (filters, channels, kh, kw) weight."""
    for layer in model.layers:
        weight = getattr(layer, "weight", None)
        value = getattr(weight, "value", None)
        if value is not None and (np.ndim(value) == 4 or isinstance(layer, Dense)):
            return layer
    raise ValueError("plot_first_layer: the model has no built Dense or Conv2D layer")


def _filter_pictures(weight):
    """(filters, channels, kh, kw) -> grey (F, kh, kw) or colour (F, kh, kw, 3) pictures."""
    channels = weight.shape[1]
    if channels == 1:
        return weight[:, 0], "filter"
    if channels == 3:
        return _unit_range(weight.transpose(0, 2, 3, 1)), "filter"
    return weight.mean(axis=1), f"filter (mean of {channels} channels)"


def _weight_heat_map(layer_name, weight):
    figure = _new_figure(6.0, 4.5, layout="constrained")
    axis = figure.subplots()
    bound = float(np.abs(weight).max()) or 1.0
    image = axis.imshow(weight, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto",
                        interpolation="nearest")
    figure.colorbar(image, ax=axis)
    axis.set_xlabel("unit")
    axis.set_ylabel("input feature")
    axis.set_title(f"{layer_name}: weights (input feature x unit)")
    return figure


def plot_weight_histograms(model, path=None, gradients=True, bins=50):
    """Histograms of each parameter's values (and of its last gradient), one row each.

    Parameters are listed as in ``model.parameters()``; gradients are those of the last
    training step (zero before any). Values that are not finite are left out and counted.
    """
    parameters = list(model.parameters())
    if not parameters:
        raise ValueError("plot_weight_histograms: the model has no parameters (is it built?)")
    columns = 2 if gradients else 1
    figure = _new_figure(4.5 * columns, 2.2 * len(parameters), layout="constrained")
    axes = figure.subplots(len(parameters), columns, squeeze=False)
    for row, parameter in enumerate(parameters):
        _histogram(axes[row, 0], parameter.value, f"{parameter.name} values", bins)
        if gradients:
            _histogram(axes[row, 1], parameter.grad, f"{parameter.name} gradient", bins)
    return _finish(figure, path)


def _histogram(axis, values, label, bins):
    values = np.asarray(values, dtype=float).ravel()
    finite = values[np.isfinite(values)]
    axis.hist(finite, bins=bins)
    title = f"{label} (std {finite.std():.2g})" if finite.size else f"{label} (no values)"
    if finite.size < values.size:
        title += f", {values.size - finite.size} non-finite left out"
    axis.set_title(title, fontsize=9)
