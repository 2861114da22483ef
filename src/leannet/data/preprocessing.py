"""Turning raw images and labels into what a network eats.

The seeds' recipe for MNIST with a dense network::

    x = to_float(flatten(images))      # (N, 28, 28) uint8 -> (N, 784) float32 in [0, 1]
    y = one_hot(labels, 10)            # (N,) int -> (N, 10) float32

``Standardizer`` goes one step further: x' = (x - mean) / std with mean and std measured
on the training set only (and reused, unchanged, on the test set).
"""

import numpy as np


def flatten(images):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...): one row per sample (a view when possible)."""
    images = np.asarray(images)
    if images.ndim < 1:
        raise ValueError(f"flatten: expected an array with a batch axis, got shape {images.shape}")
    return images.reshape(images.shape[0], -1)


def to_float(images, dtype=np.float32):
    """Pixels as floats in [0, 1]: integer pixels (0..255) are divided by 255; floats
    already in [0, 1] are only cast. Anything else raises ValueError."""
    images = np.asarray(images)
    if images.dtype.kind in "iu":
        if images.size and (images.min() < 0 or images.max() > 255):
            raise ValueError(
                f"to_float: integer pixels must lie in 0..255, got {images.min()}..{images.max()}"
            )
        scaled = images.astype(dtype)
        scaled /= 255
        return scaled
    if images.dtype.kind == "f":
        if images.size and not (images.min() >= 0.0 and images.max() <= 1.0):
            raise ValueError(
                "to_float: float pixels must already lie in [0, 1] "
                f"(got {images.min()}..{images.max()}); pass uint8 pixels to scale by 1/255"
            )
        return images.astype(dtype, copy=False)
    raise ValueError(f"to_float: expected integer or float pixels, got dtype {images.dtype}")


def one_hot(labels, num_classes=None, dtype=np.float32):
    """(N,) class indices -> (N, num_classes) with a single 1 per row.

    ``num_classes`` defaults to ``labels.max() + 1``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got {labels.dtype} "
            f"of shape {labels.shape}"
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}"
        )
    encoded = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    encoded[np.arange(labels.shape[0]), labels] = 1
    return encoded


def _as_float(x):
    """Float arrays as they are; anything else as float32."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


class Standardizer:
    """x' = (x - mean) / std, with mean and std fitted on training data.

    ``per_feature=False`` (default) uses one mean and one std over all values (for MNIST
    about 0.1307 and 0.3081 after ``to_float``); ``per_feature=True`` one per feature
    (every axis but the first). A feature with std 0 is only centred (its std counts
    as 1), so constant border pixels do not become NaN.
    """

    def __init__(self, per_feature=False, mean=None, std=None):
        self.per_feature = bool(per_feature)
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)
        if (self.mean is None) != (self.std is None):
            raise ValueError("Standardizer: give both mean and std, or neither")

    @property
    def fitted(self):
        return self.mean is not None

    def fit(self, x):
        """Measure mean and std of ``x`` (the training set); returns self."""
        x = np.asarray(x)
        if x.ndim < 1 or x.shape[0] == 0:
            raise ValueError(f"Standardizer.fit: expected a non-empty batch, got shape {x.shape}")
        axis = 0 if self.per_feature else None
        self.mean = np.mean(x, axis=axis, dtype=np.float64)
        std = np.std(x, axis=axis, dtype=np.float64)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x):
        """Standardise ``x`` with the fitted statistics; float input keeps its dtype,
        integer input becomes float32."""
        if not self.fitted:
            raise ValueError("Standardizer.transform: call fit(x_train) first")
        x = _as_float(x)
        if self.per_feature and x.shape[1:] != self.mean.shape:
            raise ValueError(
                f"Standardizer: fitted on samples of shape {self.mean.shape}, "
                f"got samples of shape {x.shape[1:]}"
            )
        return (x - self.mean.astype(x.dtype)) / self.std.astype(x.dtype)

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        """Undo ``transform``: x = x' * std + mean."""
        if not self.fitted:
            raise ValueError("Standardizer.inverse_transform: call fit(x_train) first")
        x = _as_float(x)
        return x * self.std.astype(x.dtype) + self.mean.astype(x.dtype)

    def get_config(self):
        """JSON-safe: mean and std as floats (one statistic) or nested lists (per feature)."""
        return {
            "per_feature": self.per_feature,
            "mean": None if self.mean is None else self.mean.tolist(),
            "std": None if self.std is None else self.std.tolist(),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
