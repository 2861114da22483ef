"""Dropout (inverted): zero each input with probability ``rate`` during training."""

from leannet.layers.base import Layer


class Dropout(Layer):
    """Training: y = x * m / (1 - rate), m ~ Bernoulli(1 - rate). Inference: y = x.

    Scaling by 1/(1 - rate) at training time keeps E[y] = x, so nothing changes at
    inference ("inverted" dropout, as in Keras and PyTorch).
    """

    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(x.shape, dtype=x.dtype) < keep) / x.dtype.type(keep)
        return x * self.mask

    def backward(self, grad_out):
        """dL/dx = dL/dy * m / (1 - rate)  (the same mask as forward)"""
        return grad_out if self.mask is None else grad_out * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
