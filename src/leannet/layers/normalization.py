"""Batch normalisation (Ioffe & Szegedy, 2015) with Keras semantics.

Each feature (input (N, F)) or channel (input (N, C, H, W)) is normalised over the batch
and the spatial axes, then scaled and shifted by learned ``gamma`` and ``beta``:

    x_hat = (x - mean) / sqrt(var + epsilon)          y = gamma * x_hat + beta

Training uses the statistics of the batch (``var`` is the biased variance, mean of the
squared deviations) and updates the running ones, Keras-style:

    running = momentum * running + (1 - momentum) * batch

Inference (``training=False``) uses the running statistics instead. The running mean and
variance are buffers (saved with the model, never seen by an optimizer); they start at 0
and 1. Note that PyTorch's ``momentum=0.1`` is Keras' ``momentum=0.9`` and that PyTorch
tracks the unbiased variance; here, as in Keras, the running variance is the biased one.
"""

import numpy as np

from leannet.layers.base import Layer


class BatchNorm(Layer):
    """Normalise each feature/channel over the batch; ``gamma`` (scale) and ``beta``
    (center) are learned unless ``scale=False`` / ``center=False``."""

    def __init__(self, momentum=0.9, epsilon=1e-5, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum!r}")
        if not epsilon >= 0.0:
            raise ValueError(f"BatchNorm: epsilon must be >= 0, got {epsilon!r}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def _build(self, input_shape):
        if len(input_shape) not in (1, 3):
            raise ValueError(
                f"layer {self.name!r} (BatchNorm) expects input (N, features) or "
                f"(N, C, H, W), got (N, {', '.join(map(str, input_shape))})"
            )
        features = input_shape[0]
        self.gamma = self.add_parameter("gamma", np.ones(features)) if self.scale else None
        self.beta = self.add_parameter("beta", np.zeros(features)) if self.center else None
        self.add_buffer("running_mean", np.zeros(features))
        self.add_buffer("running_var", np.ones(features))
        return input_shape

    def _axes_and_shape(self, x):
        """Axes the statistics run over, and the shape that broadcasts a per-feature vector."""
        if x.ndim == 2:
            return (0,), (1, x.shape[1])
        return (0, 2, 3), (1, x.shape[1], 1, 1)

    def forward(self, x, training=False):
        if x.ndim not in (2, 4) or x.shape[1:] != self.input_shape:
            self.check_input(x, expected_rank=len(self.input_shape) + 1)
        axes, shape = self._axes_and_shape(x)
        if training:
            mean = x.mean(axis=axes)
            centered = x - mean.reshape(shape)
            var = np.mean(centered * centered, axis=axes)
            self._update_running(mean, var)
        else:
            mean, var = self._buffers["running_mean"], self._buffers["running_var"]
            centered = x - mean.reshape(shape)
        self.training = training
        self.inv_std = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype, copy=False)
        self.x_hat = centered
        self.x_hat *= self.inv_std.reshape(shape)
        y = self.x_hat * self.gamma.value.reshape(shape) if self.scale else self.x_hat.copy()
        if self.center:
            y += self.beta.value.reshape(shape)
        return y

    def _update_running(self, mean, var):
        """running = momentum * running + (1 - momentum) * batch (a side effect of training
        mode, not part of the function whose gradient backward computes)."""
        for key, batch_value in (("running_mean", mean), ("running_var", var)):
            running = self._buffers[key]
            self.set_buffer(key, self.momentum * running + (1.0 - self.momentum) * batch_value)

    def backward(self, grad_out):
        """Training: dL/dx = s (g - mean g - x_hat mean(g x_hat)); inference: dL/dx = s g;
        dgamma = sum g x_hat, dbeta = sum g  (g = dL/dy, s = gamma/sqrt(var+eps), per feature)."""
        axes, shape = self._axes_and_shape(grad_out)
        sum_grad = grad_out.sum(axis=axes)
        sum_grad_x_hat = np.sum(grad_out * self.x_hat, axis=axes)
        if self.trainable:
            if self.scale:
                self.gamma.grad[...] = sum_grad_x_hat
            if self.center:
                self.beta.grad[...] = sum_grad
        if not self.input_grad_needed:
            return None
        gain = self.inv_std * self.gamma.value if self.scale else self.inv_std
        if not self.training:
            return grad_out * gain.reshape(shape)
        m = grad_out.size // grad_out.shape[1]
        grad_x = self.x_hat * (sum_grad_x_hat / m).reshape(shape)
        grad_x += (sum_grad / m).reshape(shape)
        np.subtract(grad_out, grad_x, out=grad_x)
        grad_x *= gain.reshape(shape)
        return grad_x

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, epsilon=self.epsilon, center=self.center,
                      scale=self.scale)
        return config
