"""Flatten: (N, d1, d2, ...) -> (N, d1 * d2 * ...)."""

import numpy as np

from leannet.layers.base import Layer


class Flatten(Layer):
    def _build(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.x_shape = x.shape
        # Explicit width, not -1: NumPy cannot infer -1 for an empty batch (N = 0).
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))

    def backward(self, grad_out):
        """dL/dx = dL/dy reshaped back to the input's shape"""
        return grad_out.reshape(self.x_shape)
