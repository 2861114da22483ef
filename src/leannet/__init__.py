"""leannet: neural networks from scratch on NumPy.

    import leannet as ln
    model = ln.Sequential([ln.layers.Dense(128), ln.layers.ReLU(), ln.layers.Dense(10)],
                          input_shape=(784,), seed=0)
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=1e-3), metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=128, validation_split=0.1)
"""

from leannet import callbacks, data, init, layers, losses, metrics, optim, regularizers
from leannet.errors import ModelFileError, TrainingDivergedError
from leannet.gradcheck import gradcheck
from leannet.model import Sequential
from leannet.parameter import Parameter
from leannet.serialization import load_model

__version__ = "0.1.0"
__all__ = [
    "Sequential", "Parameter", "load_model", "gradcheck", "ModelFileError", "TrainingDivergedError",
    "callbacks", "data", "init", "layers", "losses", "metrics", "optim", "regularizers",
]
