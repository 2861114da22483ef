import json

import numpy as np
import pytest

import leannet as ln
from leannet.layers.conv import Conv2D
from leannet.layers.normalization import BatchNorm


def built(input_shape, dtype=np.float64, seed=0, **kwargs):
    layer = BatchNorm(**kwargs)
    layer.build(input_shape, rng=np.random.default_rng(seed), dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for param in layer.parameters():  # move gamma/beta off 1/0 so their role shows
        param.value[...] = rng.uniform(0.5, 1.5, param.shape)
    return layer


# Note for the gradient checks in training mode: every forward pass also moves the running
# statistics. That is a side effect on buffers, not part of y = f(x, gamma, beta), and the
# training output never reads them, so the numerical gradient is unaffected.
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False),
                                           (False, False)])
@pytest.mark.parametrize("input_shape", [(5,), (3, 4, 5)], ids=["dense", "nchw"])
def test_gradcheck_training_mode(input_shape, center, scale):
    layer = built(input_shape, center=center, scale=scale)
    x = np.random.default_rng(2).standard_normal((4, *input_shape)) * 3 + 1
    errors = ln.gradcheck(layer, x, training=True)
    assert set(errors) == {"input", *(p.name for p in layer.parameters())}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("input_shape", [(5,), (3, 4, 5)], ids=["dense", "nchw"])
def test_gradcheck_inference_mode(input_shape):
    layer = built(input_shape)
    layer.set_buffer("running_mean", np.linspace(-1, 1, input_shape[0]))
    layer.set_buffer("running_var", np.linspace(0.5, 2, input_shape[0]))
    x = np.random.default_rng(3).standard_normal((3, *input_shape))
    errors = ln.gradcheck(layer, x, training=False)
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_inside_networks():
    # No bias right before BatchNorm: its gradient is exactly 0 (the batch mean removes it),
    # so a relative error would compare rounding noise with rounding noise.
    dense = ln.Sequential(
        [ln.layers.Dense(6, use_bias=False), BatchNorm(), ln.layers.Tanh(), ln.layers.Dense(3)],
        input_shape=(4,), seed=0, dtype=np.float64,
    )
    x = np.random.default_rng(4).standard_normal((5, 4))
    assert max(ln.gradcheck(dense, x).values()) < 1e-6
    conv = ln.Sequential(
        [Conv2D(3, 3, padding="same", use_bias=False), BatchNorm(), ln.layers.Tanh(), Conv2D(2, 2)],
        input_shape=(2, 5, 5), seed=0, dtype=np.float64,
    )
    x = np.random.default_rng(5).standard_normal((3, 2, 5, 5))
    errors = ln.gradcheck(conv, x)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("input_shape", [(4,), (3, 2, 5)], ids=["dense", "nchw"])
def test_training_output_is_normalised_per_feature(input_shape):
    layer = BatchNorm(center=False, scale=False)
    layer.build(input_shape, dtype=np.float64)
    x = np.random.default_rng(6).standard_normal((8, *input_shape)) * 5 + 3
    y = layer.forward(x, training=True)
    axes = (0,) if len(input_shape) == 1 else (0, 2, 3)
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=axes), 1, rtol=1e-5)


def test_inference_uses_running_statistics_worked_by_hand():
    layer = BatchNorm(epsilon=0.0)
    layer.build((2,), dtype=np.float64)
    layer.set_buffer("running_mean", [1.0, 2.0])
    layer.set_buffer("running_var", [4.0, 9.0])
    layer.gamma.value[...] = [2.0, 3.0]
    layer.beta.value[...] = [0.5, -1.0]
    # feature 0: 2 * (3 - 1) / 2 + 0.5 = 2.5;  feature 1: 3 * (5 - 2) / 3 - 1 = 2
    y = layer.forward(np.array([[3.0, 5.0], [1.0, -1.0]]), training=False)
    np.testing.assert_allclose(y, [[2.5, 2.0], [0.5, -4.0]])
    np.testing.assert_array_equal(layer.buffers()["running_mean"], [1.0, 2.0])  # unchanged
    # and its gradient is the per-feature gain gamma / sqrt(running_var): [1, 1]
    np.testing.assert_allclose(layer.backward(np.array([[1.0, 1.0], [2.0, 3.0]])),
                               [[1.0, 1.0], [2.0, 3.0]])


def test_nchw_inference_uses_running_statistics_per_channel():
    layer = BatchNorm(epsilon=0.0, center=False, scale=False)
    layer.build((2, 1, 2), dtype=np.float64)
    layer.set_buffer("running_mean", [10.0, 0.0])
    layer.set_buffer("running_var", [4.0, 0.25])
    x = np.array([[[[12.0, 8.0]], [[1.0, -1.0]]]])
    np.testing.assert_allclose(layer.forward(x), [[[[1.0, -1.0]], [[2.0, -2.0]]]])


@pytest.mark.parametrize("input_shape", [(3,), (2, 3, 3)], ids=["dense", "nchw"])
def test_running_statistics_update_as_keras(input_shape):
    layer = BatchNorm(momentum=0.8)
    layer.build(input_shape, dtype=np.float64)
    rng = np.random.default_rng(7)
    batches = [rng.standard_normal((6, *input_shape)) * s + s for s in (1.0, 3.0)]
    axes = (0,) if len(input_shape) == 1 else (0, 2, 3)
    mean, var = np.zeros(input_shape[0]), np.ones(input_shape[0])
    for x in batches:
        layer.forward(x, training=True)
        mean = 0.8 * mean + 0.2 * x.mean(axis=axes)
        var = 0.8 * var + 0.2 * x.var(axis=axes)  # biased batch variance, as Keras
    np.testing.assert_allclose(layer.buffers()["running_mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(layer.buffers()["running_var"], var, rtol=1e-12)
    assert [p.name for p in layer.parameters()] == ["batch_norm.gamma", "batch_norm.beta"]


@pytest.mark.parametrize("input_shape", [(3,), (2, 3, 3)], ids=["dense", "nchw"])
def test_float32_is_kept_in_outputs_gradients_and_buffers(input_shape):
    layer = built(input_shape, dtype=np.float32)
    x = np.random.default_rng(8).standard_normal((4, *input_shape)).astype(np.float32)
    for training in (True, False):
        y = layer.forward(x, training=training)
        grad = layer.backward(np.ones_like(y))
        assert y.dtype == grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert all(b.dtype == np.float32 for b in layer.buffers().values())


def test_first_layer_skips_input_gradient_but_sets_parameter_gradients():
    layer = built((3,))
    layer.input_grad_needed = False
    x = np.random.default_rng(9).standard_normal((4, 3))
    y = layer.forward(x, training=True)
    assert layer.backward(np.ones_like(y) * 2) is None
    np.testing.assert_allclose(layer.beta.grad, [8.0, 8.0, 8.0])


def test_get_config_round_trip():
    layer = BatchNorm(momentum=0.7, epsilon=1e-3, center=False, name="bn")
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = BatchNorm.from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    x = np.random.default_rng(10).standard_normal((4, 2, 3, 3))
    np.testing.assert_array_equal(rebuilt(x, training=True), layer(x, training=True))


def test_bad_input_is_rejected_with_layer_name_and_shapes():
    layer = built((3, 4, 4), name="bn")
    with pytest.raises(ValueError, match=r"'bn'.*rank 4.*\(2, 3, 4\)"):
        layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"'bn'.*\(N, 3, 4, 4\).*\(2, 2, 4, 4\)"):
        layer.forward(np.zeros((2, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"'bn'.*\(N, features\) or \(N, C, H, W\)"):
        built((5, 6), name="bn")
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon"):
        BatchNorm(epsilon=-1.0)
