"""Dropout: gradient checks in training mode and shapes.

(Its train/inference behaviour and statistics are tested in tests/test_regularization.py.)
"""

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, Dropout, Tanh

SEEDS = [0, 1, 2]


@pytest.mark.parametrize("rate", [0.2, 0.5])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_alone_in_training_mode(seed, rate):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(4, 9))))
    layer = Dropout(rate)
    errors = leannet.gradcheck(layer, x, seed=seed, training=True)
    assert set(errors) == {"input"} and errors["input"] < 1e-6
    layer.forward(x, training=True)
    assert np.any(layer.mask == 0), "the check must see some dropped units to mean anything"


@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_inside_network_in_training_mode(seed):
    """After a Dense layer: a backward that ignored the mask would spoil dense_1's gradients."""
    rng = np.random.default_rng(seed)
    batch, width = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    model = leannet.Sequential([Dense(8), Tanh(), Dropout(0.5), Dense(3)],
                               input_shape=(width,), seed=seed)
    errors = leannet.gradcheck(model, rng.standard_normal((batch, width)), seed=seed,
                               training=True)
    assert {"dense_1.weight", "dense_1.bias", "dense_2.weight"} <= set(errors)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (2, 1, 3, 3)])
def test_shape_and_dtype_are_kept(shape, training):
    layer = Dropout(0.3)
    assert layer.build(shape[1:], rng=np.random.default_rng(0)) == shape[1:]
    for dtype in (np.float32, np.float64):
        x = np.ones(shape, dtype=dtype)
        y = layer.forward(x, training=training)
        grad_in = layer.backward(np.ones_like(y))
        assert y.shape == shape and grad_in.shape == shape
        assert y.dtype == dtype and grad_in.dtype == dtype
