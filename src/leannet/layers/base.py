"""Layer: the contract every layer is built against.

A layer knows four things: how to *build* its parameters for a given input shape, how to
compute its output (*forward*), how to send the gradient back (*backward*), and how to
describe itself (*get_config*) so that a model file can rebuild it.

    build(input_shape, rng, dtype) -> output_shape   shapes exclude the batch axis
    forward(x, training=False) -> y                  caches what backward needs
    backward(grad_out) -> grad_in                    *sets* p.grad of its parameters
    parameters() -> list[Parameter]
    get_config() -> dict                             JSON-safe constructor arguments

A subclass implements ``_build`` (create parameters with ``add_parameter``, return the
output shape), ``forward`` and ``backward``; the base class does the bookkeeping.
"""

import re

import numpy as np

from leannet.parameter import Parameter

LAYER_CLASSES = {}  # class name -> class; used to rebuild layers from model files


def _snake_case(class_name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", class_name).lower()


class Layer:
    """Base class of every layer."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LAYER_CLASSES[cls.__name__] = cls

    def __init__(self, name=None, trainable=True):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{type(self).__name__}: name must be a string, got {name!r}")
        self.name = name
        self._trainable = bool(trainable)
        self._parameters = {}  # local name -> Parameter, in creation order
        self._buffers = {}  # local name -> ndarray: saved state that is not learned
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self.dtype = np.dtype(np.float32)
        self.rng = None
        # The model sets this to False for its first layer: nobody needs dL/dx there,
        # and skipping it saves one matrix product per step.
        self.input_grad_needed = True

    # ----- building -------------------------------------------------------------------
    @classmethod
    def default_name(cls):
        """Base of the automatic name: ``Dense`` -> ``dense``, ``MaxPool2D`` -> ``max_pool2d``."""
        return _snake_case(cls.__name__)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create the parameters for inputs of ``input_shape``; return the output shape."""
        if self.name is None:
            self.name = self.default_name()
        self.rng = rng if rng is not None else np.random.default_rng()
        self.dtype = np.dtype(dtype)
        self._parameters, self._buffers = {}, {}
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = tuple(int(d) for d in self._build(self.input_shape))
        self.trainable = self._trainable  # apply the flag to the new parameters
        self.built = True
        return self.output_shape

    def _build(self, input_shape):
        """Subclasses create parameters here. Default: no parameters, shape unchanged."""
        return input_shape

    def add_parameter(self, local_name, value):
        """Register a learned array; its full name is ``"<layer>.<local_name>"``."""
        param = Parameter(np.asarray(value, dtype=self.dtype), name=f"{self.name}.{local_name}")
        self._parameters[local_name] = param
        return param

    def add_buffer(self, local_name, value):
        """Register saved-but-not-learned state (BatchNorm's running mean, say)."""
        self._buffers[local_name] = np.asarray(value, dtype=self.dtype)

    # ----- the maths ------------------------------------------------------------------
    def forward(self, x, training=False):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x, training=False):
        """Build on first use (from ``x``'s shape and dtype), then run ``forward``."""
        x = np.asarray(x)
        if not self.built:
            dtype = x.dtype if x.dtype.kind == "f" else np.float32
            self.build(x.shape[1:], dtype=dtype)
        return self.forward(x, training=training)

    # ----- inspection -----------------------------------------------------------------
    def parameters(self):
        return list(self._parameters.values())

    def buffers(self):
        """Saved, non-learned arrays by local name."""
        return dict(self._buffers)

    def set_buffer(self, local_name, value):
        self._buffers[local_name] = np.asarray(value, dtype=self.dtype)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, flag):
        """Freezing a layer freezes every parameter in it; gradients still flow through."""
        self._trainable = bool(flag)
        for param in self._parameters.values():
            param.trainable = self._trainable

    def regularization_loss(self):
        """Penalty added to the training loss (weight regularisers); 0 for most layers."""
        return 0.0

    def count_parameters(self):
        return sum(p.size for p in self.parameters())

    def astype(self, dtype):
        """Convert every parameter and buffer to ``dtype`` (float64 for gradient checks)."""
        self.dtype = np.dtype(dtype)
        for param in self._parameters.values():
            param.astype(dtype)
        for key, value in self._buffers.items():
            self._buffers[key] = value.astype(dtype)
        return self

    def get_config(self):
        """JSON-safe constructor arguments; subclasses add their own to this dict."""
        return {"name": self.name, "trainable": self._trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def check_input(self, x, expected_rank=None):
        """Raise a ValueError naming this layer if ``x`` does not fit its input shape."""
        shape = tuple(x.shape[1:])
        if expected_rank is not None and x.ndim != expected_rank:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects input of rank "
                f"{expected_rank} (batch first), got shape {x.shape}"
            )
        if self.built and shape != self.input_shape:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects input shape "
                f"(N, {', '.join(map(str, self.input_shape))}), got {x.shape}"
            )

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
