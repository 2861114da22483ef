"""Activation functions as layers. None has parameters; each caches what its gradient needs.

    Sigmoid     s(x) = 1 / (1 + e^-x)             s' = s (1 - s)
    Tanh        t(x) = tanh x                      t' = 1 - t^2
    ReLU        max(0, x)                          1[x > 0]
    LeakyReLU   x if x > 0 else a x                1 or a
    ELU         x if x > 0 else a (e^x - 1)        1 or y + a
    GELU        x * Phi(x)  (tanh approximation)   see GELU.backward
    Softmax     e^x_i / sum_j e^x_j  (last axis)   J = diag(p) - p p^T
"""

import numpy as np

from leannet.layers.base import Layer


def sigmoid(x):
    """Numerically stable logistic function: never calls exp on a large positive number."""
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1.0 + exp_x)
    return out


class Sigmoid(Layer):
    def forward(self, x, training=False):
        self.y = sigmoid(x)
        return self.y

    def backward(self, grad_out):
        """dL/dx = dL/dy * y (1 - y)"""
        return grad_out * self.y * (1.0 - self.y)


class Tanh(Layer):
    def forward(self, x, training=False):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        """dL/dx = dL/dy * (1 - y^2)"""
        return grad_out * (1.0 - self.y * self.y)


class ReLU(Layer):
    def forward(self, x, training=False):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, grad_out):
        """dL/dx = dL/dy * 1[x > 0]  (y > 0 exactly when x > 0)"""
        return grad_out * (self.y > 0)


class LeakyReLU(Layer):
    def __init__(self, alpha=0.01, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def forward(self, x, training=False):
        self.positive = x > 0
        return np.where(self.positive, x, self.alpha * x)

    def backward(self, grad_out):
        """dL/dx = dL/dy * (1 if x > 0 else alpha)"""
        return np.where(self.positive, grad_out, self.alpha * grad_out)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def forward(self, x, training=False):
        self.positive = x > 0
        self.y = np.where(self.positive, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.y

    def backward(self, grad_out):
        """dL/dx = dL/dy * (1 if x > 0 else y + alpha)"""
        return np.where(self.positive, grad_out, grad_out * (self.y + self.alpha))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class GELU(Layer):
    """GELU with the tanh approximation: 0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi)."""

    _C = float(np.sqrt(2.0 / np.pi))  # a Python float, so float32 stays float32

    def forward(self, x, training=False):
        self.x = x
        self.t = np.tanh(self._C * (x + 0.044715 * x**3))
        return 0.5 * x * (1.0 + self.t)

    def backward(self, grad_out):
        """dL/dx = dL/dy * [0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2)]"""
        x, t = self.x, self.t
        inner_grad = self._C * (1.0 + 3 * 0.044715 * x * x)
        return grad_out * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner_grad)


class Softmax(Layer):
    """Softmax over the last axis. For training a classifier prefer logits + CrossEntropy,
    which fuses softmax into the loss; this layer is for outputs you want as probabilities."""

    def forward(self, x, training=False):
        exp = np.exp(x - x.max(axis=-1, keepdims=True))
        self.y = exp / exp.sum(axis=-1, keepdims=True)
        return self.y

    def backward(self, grad_out):
        """dL/dx = p * (dL/dp - sum_j dL/dp_j p_j)   (the Jacobian diag(p) - p p^T applied)"""
        inner = np.sum(grad_out * self.y, axis=-1, keepdims=True)
        return self.y * (grad_out - inner)
