"""TimeDistributed: apply one layer to every time step of a sequence.

    y[:, t] = layer(x[:, t])   for every t, with the same parameters at every step

Done without a loop: ``(N, T, ...)`` is reshaped to ``(N*T, ...)``, the inner layer runs
once, and its output is reshaped back to ``(N, T, ...)``. So ``TimeDistributed(Dense(10))``
after ``LSTM(64, return_sequences=True)`` gives one 10-way output per step.

The parameters are the inner layer's. At build the inner layer is named
``"<this layer's name>.<inner name>"`` (``"time_distributed_1.dense"``), so its parameter
names (``"time_distributed_1.dense.weight"``) stay unique inside a model; this layer lists
the same Parameter objects under local names ``"dense.weight"``, so a model file stores
them under the same full names.
"""

from leannet.layers.base import LAYER_CLASSES, Layer


class TimeDistributed(Layer):
    """``TimeDistributed(layer)``: ``layer`` applied to each step of ``(N, T, ...)``."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: expects a Layer to wrap, got {layer!r}")
        self.layer = layer
        self._inner_name = layer.name or layer.default_name()
        super().__init__(**kwargs)

    def _build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"layer {self.name!r} (TimeDistributed) expects input (N, T, ...), got "
                f"(N, {', '.join(map(str, input_shape))})"
            )
        self.layer.name = f"{self.name}.{self._inner_name}"
        step_output = self.layer.build(input_shape[1:], rng=self.rng, dtype=self.dtype)
        for key, param in self.layer._parameters.items():
            self._parameters[f"{self._inner_name}.{key}"] = param
        return (input_shape[0],) + tuple(step_output)

    def forward(self, x, training=False):
        if x.ndim != len(self.input_shape) + 1 or x.shape[2:] != self.input_shape[1:]:
            raise ValueError(
                f"layer {self.name!r} (TimeDistributed) expects input shape (N, T, "
                f"{', '.join(map(str, self.input_shape[1:]))}), got {x.shape}"
            )
        batch, steps = x.shape[:2]
        y = self.layer.forward(x.reshape((batch * steps,) + x.shape[2:]), training=training)
        return y.reshape((batch, steps) + y.shape[1:])

    def backward(self, grad_out):
        """dL/dx[:, t] = inner backward of dL/dy[:, t], all steps as one batch of N*T rows;
        the inner parameter gradients sum over every step."""
        batch, steps = grad_out.shape[:2]
        self.layer.input_grad_needed = self.input_grad_needed
        grad_in = self.layer.backward(grad_out.reshape((batch * steps,) + grad_out.shape[2:]))
        if grad_in is None:
            return None
        return grad_in.reshape((batch, steps) + grad_in.shape[1:])

    # ----- the inner layer's state is this layer's state ------------------------------
    def buffers(self):
        return {f"{self._inner_name}.{key}": value for key, value in self.layer.buffers().items()}

    def set_buffer(self, local_name, value):
        prefix = f"{self._inner_name}."
        if not local_name.startswith(prefix):
            raise ValueError(f"layer {self.name!r} (TimeDistributed) has no buffer {local_name!r}")
        self.layer.set_buffer(local_name[len(prefix):], value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, flag):
        self._trainable = bool(flag)
        self.layer.trainable = self._trainable

    def astype(self, dtype):
        super().astype(dtype)  # the shared Parameter objects
        self.layer.astype(dtype)  # the inner layer's dtype and buffers
        return self

    def regularization_loss(self):
        return self.layer.regularization_loss()

    def get_config(self):
        inner = {**self.layer.get_config(), "name": self._inner_name}
        return {**super().get_config(),
                "layer": {"class_name": type(self.layer).__name__, "config": inner}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        spec = config.pop("layer")
        class_name = spec.get("class_name") if isinstance(spec, dict) else None
        if class_name not in LAYER_CLASSES:
            raise ValueError(f"TimeDistributed: unknown inner layer class {class_name!r}")
        return cls(LAYER_CLASSES[class_name].from_config(dict(spec.get("config", {}))), **config)
