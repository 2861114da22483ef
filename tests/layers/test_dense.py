"""Dense: values, shapes, gradient checks (alone and inside a network), errors, config."""

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, Tanh

SEEDS = [0, 1, 2]
TOLERANCE = 1e-6


def random_shape(seed):
    """A batch size, an input width and a number of units drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, 6)), int(rng.integers(1, 7)), int(rng.integers(1, 6))


def assert_all_small(errors):
    assert errors, "gradcheck returned nothing to compare"
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_alone(seed, use_bias):
    batch, width, units = random_shape(seed)
    x = np.random.default_rng(seed + 100).standard_normal((batch, width))
    layer = Dense(units, use_bias=use_bias)
    errors = leannet.gradcheck(layer, x, seed=seed)
    expected_keys = {"input", "dense.weight"} | ({"dense.bias"} if use_bias else set())
    assert set(errors) == expected_keys
    assert_all_small(errors)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_inside_network(seed, use_bias):
    """The Dense under test sits in the middle, so a wrong dL/dx would spoil dense_1's grads."""
    batch, width, units = random_shape(seed)
    model = leannet.Sequential(
        [Dense(4), Tanh(), Dense(units, use_bias=use_bias), Tanh(), Dense(3)],
        input_shape=(width,), seed=seed,
    )
    x = np.random.default_rng(seed + 100).standard_normal((batch, width))
    errors = leannet.gradcheck(model, x, seed=seed)
    assert "dense_1.weight" in errors and "dense_2.weight" in errors
    assert ("dense_2.bias" in errors) == use_bias
    assert_all_small(errors)


def test_forward_is_x_times_w_plus_b():
    layer = Dense(2)
    layer.build((3,), rng=np.random.default_rng(0), dtype=np.float64)
    layer.weight.value[...] = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]
    layer.bias.value[...] = [0.5, -0.5]
    y = layer.forward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(y, [[4.5, -1.5]])


def test_backward_by_hand():
    layer = Dense(2, use_bias=True)
    layer.build((2,), rng=np.random.default_rng(0), dtype=np.float64)
    layer.weight.value[...] = [[1.0, 2.0], [3.0, 4.0]]
    x = np.array([[1.0, -1.0], [2.0, 0.5]])
    grad_out = np.array([[1.0, 0.0], [0.0, 2.0]])
    layer.forward(x, training=True)
    grad_in = layer.backward(grad_out)
    np.testing.assert_allclose(layer.weight.grad, x.T @ grad_out)
    np.testing.assert_allclose(layer.bias.grad, [1.0, 2.0])
    np.testing.assert_allclose(grad_in, [[1.0, 3.0], [4.0, 8.0]])


def test_backward_sets_rather_than_accumulates():
    layer = Dense(3)
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    layer(x, training=True)
    grad_out = np.ones((4, 3), dtype=np.float32)
    layer.backward(grad_out)
    first = layer.weight.grad.copy()
    layer.backward(grad_out)
    np.testing.assert_array_equal(layer.weight.grad, first)


def test_shapes_and_parameters():
    layer = Dense(7)
    assert layer.build((5,), rng=np.random.default_rng(0)) == (7,)
    assert [p.shape for p in layer.parameters()] == [(5, 7), (7,)]
    assert layer.count_parameters() == 5 * 7 + 7
    no_bias = Dense(7, use_bias=False)
    no_bias.build((5,), rng=np.random.default_rng(0))
    assert [p.shape for p in no_bias.parameters()] == [(5, 7)]
    y = layer.forward(np.zeros((3, 5), dtype=np.float32))
    assert y.shape == (3, 7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    layer = Dense(3)
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(dtype)
    y = layer(x, training=True)
    grad_in = layer.backward(np.ones_like(y))
    assert y.dtype == dtype and grad_in.dtype == dtype
    assert all(p.value.dtype == dtype and p.grad.dtype == dtype for p in layer.parameters())


def test_no_input_gradient_when_not_needed():
    layer = Dense(3)
    x = np.ones((2, 4), dtype=np.float32)
    layer(x, training=True)
    layer.input_grad_needed = False
    assert layer.backward(np.ones((2, 3), dtype=np.float32)) is None
    assert np.any(layer.weight.grad != 0)


def test_frozen_layer_still_passes_the_gradient_back():
    layer = Dense(3, trainable=False)
    layer.build((4,), rng=np.random.default_rng(0), dtype=np.float64)
    assert not any(p.trainable for p in layer.parameters())
    x = np.random.default_rng(1).standard_normal((2, 4))
    layer.forward(x, training=True)
    grad_out = np.ones((2, 3))
    np.testing.assert_allclose(layer.backward(grad_out), grad_out @ layer.weight.value.T)


@pytest.mark.parametrize("units", [0, -3, 2.5, "4", None])
def test_bad_units(units):
    with pytest.raises(ValueError, match=r"Dense: units must be a positive integer, got"):
        Dense(units)


def test_image_input_needs_flatten():
    with pytest.raises(ValueError, match=r"'dense'.*\(N, features\).*\(N, 3, 4\).*Flatten"):
        Dense(2).build((3, 4), rng=np.random.default_rng(0))


def test_wrong_input_width_names_the_layer():
    layer = Dense(2, name="hidden")
    layer.build((3,), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"'hidden' \(Dense\) expects input shape \(N, 3\), "
                                         r"got \(4, 5\)"):
        layer.forward(np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"'hidden' \(Dense\) expects input of rank 2"):
        layer.forward(np.zeros((4, 3, 1), dtype=np.float32))


def test_config_round_trip():
    layer = Dense(5, use_bias=False, init="glorot_uniform", name="out")
    config = layer.get_config()
    rebuilt = Dense.from_config(config)
    assert rebuilt.get_config() == config
    assert (rebuilt.units, rebuilt.use_bias, rebuilt.init, rebuilt.name) == (
        5, False, "glorot_uniform", "out")


def test_init_name_is_used():
    layer = Dense(4, init="zeros")
    layer.build((3,), rng=np.random.default_rng(0))
    assert not np.any(layer.weight.value)
