"""Loss functions. Each averages over the batch.

    MSE                 L = mean((y_pred - y)^2)                     dL/dy = 2 (y_pred - y) / size
    BinaryCrossEntropy  from logits z:  L = mean(max(z,0) - z y + log(1 + e^-|z|))
                                                                     dL/dz = (sigmoid(z) - y) / size
    CrossEntropy        from logits z:  p = softmax(z),  L = -mean_n log p[n, y_n]
                                                                     dL/dz = (p - onehot(y)) / N

``forward(y_pred, y_true)`` returns the loss as a float and caches what ``backward()``
needs; ``backward()`` returns dL/dy_pred.
"""

import numpy as np

from leannet.layers.activations import sigmoid


class Loss:
    name = "loss"

    def forward(self, y_pred, y_true):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def __call__(self, y_pred, y_true):
        return self.forward(y_pred, y_true)

    def get_config(self):
        return {"class_name": type(self).__name__}

    @staticmethod
    def _targets_like(name, y_pred, y_true):
        """Targets as an array of y_pred's dtype and shape; (N,) fits (N, 1)."""
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        if y_true.shape != y_pred.shape and y_true.size == y_pred.size and y_true.ndim == 1:
            y_true = y_true.reshape(y_pred.shape)
        if y_pred.shape != y_true.shape:
            raise ValueError(
                f"{name}: predictions have shape {y_pred.shape} but targets have shape "
                f"{y_true.shape}; they must match"
            )
        return y_true


class MSE(Loss):
    name = "mse"

    def forward(self, y_pred, y_true):
        y_true = self._targets_like("MSE", y_pred, y_true)
        self.diff = y_pred - y_true
        return float(np.mean(self.diff * self.diff))

    def backward(self):
        """dL/dy_pred = 2 (y_pred - y) / size"""
        return self.diff * (2.0 / self.diff.size)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on logits (no Sigmoid layer before it): stable for any z."""

    name = "binary_cross_entropy"

    def forward(self, y_pred, y_true):
        y_true = self._targets_like("BinaryCrossEntropy", y_pred, y_true)
        self.logits, self.targets = y_pred, y_true
        z = y_pred
        return float(np.mean(np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))

    def backward(self):
        """dL/dz = (sigmoid(z) - y) / size"""
        return (sigmoid(self.logits) - self.targets) / self.logits.size


class CrossEntropy(Loss):
    """Softmax cross-entropy on logits; labels as class indices (N,) or one-hot (N, C).

    Softmax is fused into the loss, so its gradient is simply (p - y) / N.
    """

    name = "cross_entropy"

    def forward(self, y_pred, y_true):
        y_true = np.asarray(y_true)
        if y_pred.ndim != 2:
            raise ValueError(f"CrossEntropy: expects logits (N, C), got shape {y_pred.shape}")
        n, classes = y_pred.shape
        if y_true.shape[:1] != (n,):
            raise ValueError(
                f"CrossEntropy: {n} predictions but {y_true.shape[0] if y_true.ndim else 0} labels"
            )
        shifted = y_pred - y_pred.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        self.probabilities = exp / sum_exp
        log_probabilities = shifted - np.log(sum_exp)
        if y_true.ndim == 1:
            self.labels = check_class_labels(y_true, classes, "CrossEntropy")
            self.targets = None
            return float(-np.mean(log_probabilities[np.arange(n), self.labels]))
        self.labels, self.targets = None, self._targets_like("CrossEntropy", y_pred, y_true)
        return float(-np.sum(self.targets * log_probabilities) / n)

    def backward(self):
        """dL/dz = (softmax(z) - onehot(y)) / N"""
        grad = self.probabilities.copy()
        n = grad.shape[0]
        if self.labels is not None:
            grad[np.arange(n), self.labels] -= 1.0
        else:
            grad -= self.targets
        grad /= n
        return grad


def check_class_labels(labels, num_classes, where):
    """Class indices must be integers in [0, num_classes)."""
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0):
            labels = labels.astype(np.int64)
        else:
            raise ValueError(f"{where}: class labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{where}: labels must be in [0, {num_classes - 1}] for {num_classes} outputs, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


LOSSES = {cls.name: cls for cls in (MSE, BinaryCrossEntropy, CrossEntropy)}
ALIASES = {
    "mean_squared_error": "mse",
    "bce": "binary_cross_entropy",
    "binary_crossentropy": "binary_cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
}


def get(loss):
    """A loss object, or its name ("mse", "binary_cross_entropy", "cross_entropy")."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss()
    if isinstance(loss, str):
        key = ALIASES.get(loss.lower(), loss.lower())
        if key in LOSSES:
            return LOSSES[key]()
    raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)} or a Loss object")
