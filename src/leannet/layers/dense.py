"""Dense (fully connected) layer: y = x @ W + b."""

import numpy as np

from leannet import init
from leannet.layers.base import Layer
from leannet.regularizers import get as get_regularizer


class Dense(Layer):
    """``y = x @ W + b`` with ``W`` of shape ``(in_features, units)``.

    Input ``(N, in_features)``; output ``(N, units)``. ``init`` names the initialiser of
    ``W`` (``"he"`` suits ReLU, ``"glorot"`` suits tanh/sigmoid); ``b`` starts at zero.
    ``kernel_regularizer`` (e.g. ``L2(1e-4)``) adds its penalty to the training loss.
    """

    def __init__(self, units, use_bias=True, init="he", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.init = init
        self.kernel_regularizer = get_regularizer(kernel_regularizer)

    def _build(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"layer {self.name!r} (Dense) expects input (N, features), got (N, "
                f"{', '.join(map(str, input_shape))}); put a Flatten() before it"
            )
        fan_in = input_shape[0]
        initialiser = init.get(self.init)
        self.weight = self.add_parameter(
            "weight", initialiser((fan_in, self.units), fan_in, self.units, self.rng, self.dtype)
        )
        self.bias = self.add_parameter("bias", np.zeros(self.units)) if self.use_bias else None
        return (self.units,)

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.weight.value.shape[0]:
            self.check_input(x, expected_rank=2)
        self.x = x
        y = x @ self.weight.value
        if self.use_bias:
            y += self.bias.value
        return y

    def backward(self, grad_out):
        """dL/dW = x.T @ dL/dy,  dL/db = sum_n dL/dy,  dL/dx = dL/dy @ W.T"""
        if self.weight.trainable:
            np.matmul(self.x.T, grad_out, out=self.weight.grad)
            if self.kernel_regularizer is not None:
                self.kernel_regularizer.add_gradient(self.weight.value, self.weight.grad)
            if self.use_bias:
                np.sum(grad_out, axis=0, out=self.bias.grad)
        if not self.input_grad_needed:
            return None
        return grad_out @ self.weight.value.T

    def regularization_loss(self):
        """The penalty this layer adds to the loss (see ``leannet.regularizers``)."""
        if self.kernel_regularizer is None:
            return 0.0
        return self.kernel_regularizer.loss(self.weight.value)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, use_bias=self.use_bias,
                      init=init.config_name(self.init, self.name))
        if self.kernel_regularizer is not None:
            config["kernel_regularizer"] = self.kernel_regularizer.get_config()
        return config
