"""Activations: hand values, gradient checks (alone and inside a network), dtype, config."""

import math
import warnings

import numpy as np
import pytest

import leannet
from leannet.layers import ELU, GELU, Dense, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

SEEDS = [0, 1, 2]
TOLERANCE = 1e-6
ACTIVATIONS = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": lambda: LeakyReLU(alpha=0.1),
    "elu": lambda: ELU(alpha=1.3),
    "gelu": GELU,
    "softmax": Softmax,
}


def random_input(seed, rank=2):
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    return 2.0 * rng.standard_normal(shape)


def assert_all_small(errors):
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("rank", [2, 3])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradcheck_alone(name, seed, rank):
    errors = leannet.gradcheck(ACTIVATIONS[name](), random_input(seed, rank), seed=seed)
    assert set(errors) == {"input"}
    assert_all_small(errors)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradcheck_inside_network(name, seed):
    """Between two Dense layers, a wrong dL/dx of the activation spoils dense_1's gradients."""
    rng = np.random.default_rng(seed)
    batch, width, hidden = (int(d) for d in rng.integers(1, 6, size=3))
    model = leannet.Sequential([Dense(hidden + 1), ACTIVATIONS[name](), Dense(3)],
                               input_shape=(width,), seed=seed)
    x = rng.standard_normal((batch, width))
    errors = leannet.gradcheck(model, x, seed=seed)
    assert {"dense_1.weight", "dense_1.bias", "dense_2.weight"} <= set(errors)
    assert_all_small(errors)


X = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])


@pytest.mark.parametrize("layer, expected", [
    (Sigmoid(), 1.0 / (1.0 + np.exp(-X))),
    (Tanh(), np.tanh(X)),
    (ReLU(), [[0.0, 0.0, 0.0, 0.5, 2.0]]),
    (LeakyReLU(alpha=0.1), [[-0.2, -0.05, 0.0, 0.5, 2.0]]),
    (ELU(alpha=2.0), [[2.0 * math.expm1(-2.0), 2.0 * math.expm1(-0.5), 0.0, 0.5, 2.0]]),
    (GELU(), [[-0.04540230, -0.15428599, 0.0, 0.34571401, 1.95459769]]),
], ids=["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"])
def test_values_by_hand(layer, expected):
    np.testing.assert_allclose(layer(X), expected, rtol=1e-7, atol=1e-8)


def test_softmax_values_by_hand():
    probabilities = Softmax()(np.array([[0.0, math.log(2.0)], [5.0, 5.0]]))
    np.testing.assert_allclose(probabilities, [[1 / 3, 2 / 3], [0.5, 0.5]])


def test_softmax_is_over_the_last_axis():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(Softmax()(x).sum(axis=-1), np.ones((2, 3)))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu", "gelu", "softmax"])
def test_no_overflow_for_huge_inputs(name):
    x = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = ACTIVATIONS[name]()
        y = layer(x, training=True)
        grad = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dtype_and_shape_are_kept(name, dtype):
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(dtype)
    layer = ACTIVATIONS[name]()
    y = layer(x, training=True)
    grad_in = layer.backward(np.ones_like(y))
    assert y.shape == x.shape and grad_in.shape == x.shape
    assert y.dtype == dtype, f"forward turned {np.dtype(dtype)} into {y.dtype}"
    assert grad_in.dtype == dtype, f"backward turned {np.dtype(dtype)} into {grad_in.dtype}"
    assert layer.build((2, 4)) == (2, 4)


@pytest.mark.parametrize("cls, alpha", [(LeakyReLU, 0.2), (ELU, 0.7)])
def test_config_round_trip(cls, alpha):
    layer = cls(alpha=alpha, name="act")
    rebuilt = cls.from_config(layer.get_config())
    assert rebuilt.alpha == alpha and rebuilt.name == "act"
    assert rebuilt.get_config() == layer.get_config()
