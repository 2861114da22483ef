"""Embedding: integer token ids -> learned vectors, a table lookup.

    y[n, t] = embeddings[ids[n, t]]          embeddings: (vocab_size, dim)

Input ``(N, T)`` of token ids (any shape after the batch axis works; the sequence length
may vary between batches); output ``(N, T, dim)`` in the layer's dtype. Ids may come as
an integer array or as floats holding whole numbers (a model that converts its inputs to
float32); anything else, or an id outside ``[0, vocab_size)``, is a ValueError.
The table starts from ``init`` (default ``"glorot"``: U(-a, a), a = sqrt(6 / (vocab + dim))).
Constructor names follow the task's ``Embedding(vocab_size, dim)``; Keras calls them
``input_dim`` and ``output_dim``.
"""

import numpy as np

from leannet import init
from leannet.layers.base import Layer


class Embedding(Layer):
    """``Embedding(vocab_size, dim)``: a learned ``(vocab_size, dim)`` table of rows."""

    accepts_integer_input = True  # a model passes integer ids through unconverted

    def __init__(self, vocab_size, dim, init="glorot", **kwargs):
        super().__init__(**kwargs)
        for label, value in (("vocab_size", vocab_size), ("dim", dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Embedding: {label} must be a positive integer, got {value!r}")
        if not isinstance(init, str):
            raise ValueError(f"Embedding: init must be an initialiser name, got {init!r}")
        self.vocab_size = int(vocab_size)
        self.dim = int(dim)
        self.init = init

    def _build(self, input_shape):
        table = init.get(self.init)(
            (self.vocab_size, self.dim), self.vocab_size, self.dim, self.rng, self.dtype
        )
        self.embeddings = self.add_parameter("embeddings", table)
        return tuple(input_shape) + (self.dim,)

    def forward(self, x, training=False):
        self.ids = self._token_ids(np.asarray(x))
        return self.embeddings.value[self.ids]

    def backward(self, grad_out):
        """dL/dembeddings[v] = sum of dL/dy[n, t] over every (n, t) with ids[n, t] == v.

        Token ids have no gradient: this returns None.
        """
        if self.embeddings.trainable:
            grad = self.embeddings.grad
            grad[...] = 0
            np.add.at(grad, self.ids.reshape(-1), grad_out.reshape(-1, self.dim))
        return None

    def _token_ids(self, x):
        """Check ``x`` holds whole numbers in [0, vocab_size); return them as integers."""
        if self.built and x.ndim != len(self.input_shape) + 1:
            self.check_input(x, expected_rank=len(self.input_shape) + 1)
        if x.dtype.kind in "iu":
            ids = x
        elif x.dtype.kind == "f" and np.all(np.isfinite(x)) and np.all(x == np.round(x)):
            ids = x.astype(np.int64)
        else:
            raise ValueError(
                f"layer {self.name!r} (Embedding) expects integer token ids, got dtype "
                f"{x.dtype}" + (" with non-integer values" if x.dtype.kind == "f" else "")
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(
                f"layer {self.name!r} (Embedding) expects token ids in [0, {self.vocab_size}), "
                f"got values in [{ids.min()}, {ids.max()}]"
            )
        return ids

    def get_config(self):
        config = super().get_config()
        config.update(vocab_size=self.vocab_size, dim=self.dim, init=self.init)
        return config
