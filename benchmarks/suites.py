"""What is benchmarked: the suites, their models as framework-neutral layer lists, the data.

A model is a list of layer specs, each a tuple whose first item is the kind:

    ("dense", units)  ("relu",)  ("flatten",)  ("conv", filters, kernel)  ("maxpool", size)
    ("lstm", units)   ("gru", units)   ("rnn", units)

Every convolution is stride 1 with "same" padding (a 5x5 kernel pads 2 on each side);
every pool has stride = size; a recurrent layer returns its last hidden state only.
Each framework's module turns the same list into its own model.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Settings:
    """The training settings every framework gets, and the shape of the run."""

    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    threads: int = 1
    epochs: int = 1
    batches: int | None = None  # None: full epochs; B: the first B batches of the data
    repeat: int = 5
    accuracy_epochs: int = 10
    inference_batch: int = 1000
    latency_calls: int = 1000
    latency_budget_seconds: float = 1.0
    warmup_batches: int = 20


@dataclass(frozen=True)
class Case:
    """One model of a suite, trained on MNIST shaped as ``input_shape`` (batch axis excluded)."""

    suite: str
    name: str
    input_shape: tuple
    layers: tuple
    description: str


def _conv_stack(name, first, second, dense_units, description):
    """The cnn and lenet presets of ``leannet train`` (leannet.presets)."""
    head = tuple(layer for units in dense_units for layer in (("dense", units), ("relu",)))
    return Case("cnn", name, (1, 28, 28), (
        ("conv", first, 5), ("relu",), ("maxpool", 2),
        ("conv", second, 5), ("relu",), ("maxpool", 2),
        ("flatten",), *head, ("dense", 10),
    ), description)


def _recurrent(kind):
    return Case("rnn", kind, (28, 28), ((kind, 128), ("dense", 10)),
                f"{kind.upper()}(128) over 28 steps of 28 pixels -> Dense(10)")


SUITES = {
    "mlp": (
        Case("mlp", "mlp", (784,),
             (("dense", 256), ("relu",), ("dense", 128), ("relu",), ("dense", 10)),
             "784-256-128-10, ReLU"),
    ),
    "cnn": (
        _conv_stack("cnn", 32, 64, (128,), "Conv(32,5x5,same)+ReLU+MaxPool(2) -> "
                    "Conv(64,5x5,same)+ReLU+MaxPool(2) -> Flatten -> Dense(128)+ReLU -> Dense(10)"),
        _conv_stack("lenet", 6, 16, (120, 84), "LeNet-5-like: the same stack with 6 and 16 "
                    "channels, then Dense(120)+ReLU -> Dense(84)+ReLU -> Dense(10)"),
    ),
    "rnn": tuple(_recurrent(kind) for kind in ("lstm", "gru", "rnn")),
}

LEANNET_CLASS_OF_KIND = {
    "dense": "Dense", "relu": "ReLU", "flatten": "Flatten", "conv": "Conv2D",
    "maxpool": "MaxPool2D", "lstm": "LSTM", "gru": "GRU", "rnn": "RNN",
}
RECURRENT_KINDS = ("lstm", "gru", "rnn")


def shape_after(spec, shape):
    """The output shape (batch axis excluded) of layer ``spec`` for input ``shape``."""
    kind = spec[0]
    if kind == "dense":
        return (spec[1],)
    if kind == "flatten":
        return (int(np.prod(shape)),)
    if kind == "conv":
        return (spec[1], *shape[1:])
    if kind == "maxpool":
        return (shape[0], shape[1] // spec[1], shape[2] // spec[1])
    if kind in RECURRENT_KINDS:
        return (spec[1],)
    return shape


def dense_sizes(case):
    """[784, 256, 128, 10] for a model of Dense and ReLU layers only, else None."""
    if any(spec[0] not in ("dense", "relu") for spec in case.layers):
        return None
    return [case.input_shape[0]] + [spec[1] for spec in case.layers if spec[0] == "dense"]


def missing_leannet_layers(case):
    """Names of the layer classes the case needs that ``leannet.layers`` does not export."""
    import leannet.layers

    needed = sorted({LEANNET_CLASS_OF_KIND[spec[0]] for spec in case.layers})
    return [name for name in needed if not hasattr(leannet.layers, name)]


@dataclass
class Data:
    """MNIST as float32 in [0, 1], shaped for one case; labels int64 class indices."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    notes: list = field(default_factory=list)

    def shaped_for(self, case, batches, batch_size):
        """Views of the arrays in the case's input shape; the first ``batches`` batches only."""
        limit = None if batches is None else batches * batch_size
        return Data(self.x_train[:limit].reshape(-1, *case.input_shape), self.y_train[:limit],
                    self.x_test.reshape(-1, *case.input_shape), self.y_test, self.notes)


def load_flat_mnist(data_dir=None):
    """Full MNIST through ``leannet.data.load_mnist`` as (N, 784) float32 and int64 labels."""
    from leannet.data import flatten, load_mnist, to_float

    (x_train, y_train), (x_test, y_test) = load_mnist(path=data_dir, download=False)
    return Data(to_float(flatten(x_train)), y_train.astype(np.int64),
                to_float(flatten(x_test)), y_test.astype(np.int64))


def find_case(name):
    for cases in SUITES.values():
        for case in cases:
            if case.name == name:
                return case
    raise ValueError(f"no benchmark case named {name!r}")
