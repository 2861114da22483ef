"""All layers. Each lives in a file of its own; this module gathers them."""

from leannet.layers.activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from leannet.layers.base import LAYER_CLASSES, Layer
from leannet.layers.conv import Conv2D
from leannet.layers.dense import Dense
from leannet.layers.dropout import Dropout
from leannet.layers.embedding import Embedding
from leannet.layers.gru import GRU
from leannet.layers.lstm import LSTM
from leannet.layers.normalization import BatchNorm
from leannet.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from leannet.layers.reshape import Flatten
from leannet.layers.rnn import RNN
from leannet.layers.wrappers import TimeDistributed

__all__ = [
    "LAYER_CLASSES",
    "Layer",
    "Dense",
    "Dropout",
    "Flatten",
    "Conv2D",
    "MaxPool2D",
    "AvgPool2D",
    "GlobalAvgPool2D",
    "BatchNorm",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "TimeDistributed",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "Softmax",
]


def from_config(spec):
    """Rebuild a layer from ``{"class_name": ..., "config": {...}}``."""
    class_name = spec.get("class_name") if isinstance(spec, dict) else None
    if class_name not in LAYER_CLASSES:
        raise ValueError(f"unknown layer class {class_name!r}")
    return LAYER_CLASSES[class_name].from_config(dict(spec.get("config", {})))
