"""Checks at the door of ``fit``, ``evaluate`` and ``predict``: stop bad data with a
message that names what was expected and what came, before any arithmetic runs."""

import numpy as np


def check_features(model, x, argument="x"):
    """``x`` must be numeric, finite, and shaped (N, *model.input_shape); returns it in the
    model's dtype (integer token ids stay integers for an Embedding first layer)."""
    x = np.asarray(x)
    first = model.layers[0]
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{argument}: expected a numeric array, got dtype {x.dtype}")
    if x.ndim < 1 or tuple(x.shape[1:]) != tuple(model.input_shape):
        expected = ", ".join(map(str, model.input_shape))
        raise ValueError(
            f"{argument}: layer {first.name!r} ({type(first).__name__}) expects input shape "
            f"(N, {expected}), got {x.shape}"
        )
    if x.dtype.kind == "f":
        if not _all_finite(x):
            raise ValueError(_non_finite_message(x, argument))
        return x.astype(model.dtype, copy=False)
    if getattr(first, "accepts_integer_input", False):
        return x
    return x.astype(model.dtype)


def _all_finite(x):
    """True when x has no NaN or inf, in one pass and without a temporary the size of x:
    NaN and inf propagate into the sum, so a finite sum means finite elements. A sum that
    overflowed on huge but finite values is settled by the element-wise test."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(x, axis=None)
    if np.isfinite(total):
        return True
    return bool(np.isfinite(x).all())


def _non_finite_message(array, argument):
    """Only built on failure: how many values are bad, and where the first one is."""
    bad = ~np.isfinite(array)
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"{argument}: expected finite numbers, got {int(bad.sum())} NaN or infinite "
            f"value(s), the first at index {first}")


def check_targets(model, y, n, argument="y"):
    """``y`` must have one row per sample; class labels must fit the output layer."""
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n:
        raise ValueError(
            f"x and {argument} have different lengths: {n} samples in x, "
            f"{y.shape[0] if y.ndim else 'a scalar'} in {argument}"
        )
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{argument}: expected numbers, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not _all_finite(y):
        raise ValueError(_non_finite_message(y, argument))
    if model.loss.name == "cross_entropy":
        return _check_class_targets(model, y, argument)
    return y.astype(model.dtype, copy=False)


def _check_class_targets(model, y, argument):
    classes = model.output_shape[-1]
    if y.ndim == 2 and y.shape[1] == classes:  # one-hot (or soft) rows, of any number type
        return y.astype(model.dtype, copy=False)
    if y.ndim != 1:
        raise ValueError(
            f"{argument}: expected class indices (N,) or one-hot (N, {classes}), got {y.shape}"
        )
    if y.dtype.kind == "f":
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{argument}: class indices must be whole numbers")
        y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= classes):
        last = model.layers[-1]
        raise ValueError(
            f"{argument}: label out of range: layer {last.name!r} has {classes} outputs, so "
            f"labels must be in [0, {classes - 1}]; got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.int64, copy=False)


def check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)
