"""Classification metrics on model outputs (logits or probabilities) and labels.

Labels may be class indices ``(N,)`` or one-hot ``(N, C)``. A single-output model is a
binary classifier: its output is a logit (threshold 0) or, with ``from_logits=False``, a
probability (threshold 0.5).
"""

import numpy as np


def class_indices(y_true):
    """One-hot (N, C) -> indices (N,); indices pass through."""
    y_true = np.asarray(y_true)
    return y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.ravel()


def predicted_classes(y_pred, from_logits=True):
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    threshold = 0.0 if from_logits else 0.5
    return (y_pred.ravel() > threshold).astype(np.int64)


def accuracy(y_pred, y_true, from_logits=True):
    """Fraction of samples whose predicted class equals the label."""
    predicted = predicted_classes(y_pred, from_logits)
    return float(np.mean(predicted == class_indices(y_true)))


def top_k_accuracy(y_pred, y_true, k=5):
    """Fraction of samples whose label is among the k highest-scored classes."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 2 or not 1 <= k <= y_pred.shape[1]:
        raise ValueError(f"top_k_accuracy: needs scores (N, C) with 1 <= k <= C; "
                         f"got shape {y_pred.shape} and k={k}")
    top_k = np.argpartition(-y_pred, k - 1, axis=1)[:, :k]
    return float(np.mean(np.any(top_k == class_indices(y_true)[:, None], axis=1)))


def confusion_matrix(y_true, y_pred, num_classes=None):
    """counts[i, j] = number of samples of true class i predicted as class j.

    ``y_pred`` may be scores (N, C) or predicted classes (N,).
    """
    true = class_indices(y_true).astype(np.int64)
    predicted = np.asarray(y_pred)
    predicted = predicted_classes(predicted) if predicted.ndim == 2 else predicted.astype(np.int64)
    if num_classes is None:
        num_classes = int(max(true.max(initial=0), predicted.max(initial=0))) + 1
    for what, classes in (("labels", true), ("predictions", predicted)):
        if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {what} must be in [0, {num_classes - 1}] for "
                f"num_classes={num_classes}, got values from {classes.min()} to {classes.max()}"
            )
    counts = np.bincount(true * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


METRICS = {
    "accuracy": accuracy,
    "acc": accuracy,
    "top_5_accuracy": lambda y_pred, y_true, from_logits=True: top_k_accuracy(y_pred, y_true, 5),
}


def get(name):
    if callable(name):
        return name
    if isinstance(name, str) and name in METRICS:
        return METRICS[name]
    raise ValueError(f"unknown metric {name!r}; expected one of {sorted(METRICS)} or a function")
