"""leannet: neural networks from scratch on NumPy."""

from leannet import init, layers
from leannet.gradcheck import gradcheck
from leannet.parameter import Parameter

__version__ = "0.1.0"
__all__ = ["Parameter", "gradcheck", "init", "layers"]
