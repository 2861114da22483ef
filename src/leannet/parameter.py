"""Parameter: a learned array together with its gradient."""

import numpy as np


class Parameter:
    """A learned array. ``value`` is updated by an optimizer from ``grad``.

    ``backward`` of the owning layer *sets* ``grad`` for one step; nothing accumulates.
    ``trainable=False`` freezes it: optimizers skip it, but gradients still flow through
    its layer to earlier layers.
    """

    def __init__(self, value, name="", trainable=True):
        self.value = np.asarray(value)
        self.grad = np.zeros_like(self.value)
        self.name = name
        self.trainable = trainable

    @property
    def shape(self):
        return self.value.shape

    @property
    def size(self):
        return self.value.size

    def astype(self, dtype):
        """Convert value and grad to ``dtype`` in place (the object itself is kept)."""
        self.value = self.value.astype(dtype)
        self.grad = self.grad.astype(dtype)

    def __repr__(self):
        flag = "" if self.trainable else ", frozen"
        return f"Parameter({self.name!r}, shape={self.value.shape}, {self.value.dtype}{flag})"
