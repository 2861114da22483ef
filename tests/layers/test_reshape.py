"""Flatten: shapes, values, gradient checks (alone and inside a network)."""

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, Flatten, Tanh

SEEDS = [0, 1, 2]


def random_input(seed):
    """A float64 array of rank 3 or 4 with random sizes (batch first)."""
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(3, 5))
    return rng.standard_normal(tuple(int(d) for d in rng.integers(1, 5, size=rank)))


def test_output_shape_and_values():
    x = np.arange(24.0).reshape(2, 3, 4)
    layer = Flatten()
    assert layer.build((3, 4)) == (12,)
    y = layer.forward(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y[1], np.arange(12.0, 24.0))
    np.testing.assert_array_equal(layer.backward(y), x)


def test_four_dimensional_images():
    layer = Flatten()
    assert layer.build((3, 5, 7)) == (105,)
    assert layer.forward(np.zeros((2, 3, 5, 7), dtype=np.float32)).shape == (2, 105)


def test_empty_batch():
    """A batch of zero samples (say, an empty test split) still flattens to (0, features)."""
    layer = Flatten()
    layer.build((3, 4))
    y = layer.forward(np.zeros((0, 3, 4), dtype=np.float32))
    assert y.shape == (0, 12)
    assert layer.backward(y).shape == (0, 3, 4)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_alone(seed):
    errors = leannet.gradcheck(Flatten(), random_input(seed), seed=seed)
    assert set(errors) == {"input"} and errors["input"] < 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_inside_network(seed):
    """Flatten in the middle: a wrong reshape in backward scrambles the input gradient."""
    x = random_input(seed)
    model = leannet.Sequential([Tanh(), Flatten(), Dense(3), Tanh(), Dense(2)],
                               input_shape=x.shape[1:], seed=seed)
    errors = leannet.gradcheck(model, x, seed=seed)
    assert "input" in errors and "dense_1.weight" in errors
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    layer = Flatten()
    y = layer(np.ones((2, 3, 2), dtype=dtype))
    assert y.dtype == dtype and layer.backward(y).dtype == dtype
