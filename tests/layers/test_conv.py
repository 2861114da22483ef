import itertools
import json

import numpy as np
import pytest

import leannet as ln
from leannet.layers import conv as conv_module
from leannet.layers.conv import Conv2D
from leannet.regularizers import L2


def reference_conv(x, weight, bias, stride, dilation, pads):
    """Plain cross-correlation: one output pixel at a time."""
    x = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    filters, _, kh, kw = weight.shape
    span_h, span_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    out_h = (x.shape[2] - span_h) // stride[0] + 1
    out_w = (x.shape[3] - span_w) // stride[1] + 1
    y = np.zeros((x.shape[0], filters, out_h, out_w))
    for ho in range(out_h):
        for wo in range(out_w):
            top, left = ho * stride[0], wo * stride[1]
            window = x[:, :, top : top + span_h : dilation[0], left : left + span_w : dilation[1]]
            for f in range(filters):
                y[:, f, ho, wo] = np.sum(window * weight[f], axis=(1, 2, 3)) + bias[f]
    return y


def channels_last(x):
    """The same (N, C, H, W) array, stored NHWC (as a Conv2D output is)."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def built_conv(input_shape, seed=0, dtype=np.float64, **kwargs):
    layer = Conv2D(**kwargs)
    layer.build(input_shape, rng=np.random.default_rng(seed), dtype=dtype)
    if layer.use_bias:
        layer.bias.value[...] = np.random.default_rng(seed + 1).standard_normal(layer.filters)
    return layer


# (kernel_size, input H, W): odd kernel on odd input, even kernel on even input, and mixed.
SIZES = {"odd": ((3, 3), (7, 5)), "even": ((2, 4), (6, 8)), "mixed": ((3, 2), (6, 7))}


@pytest.mark.parametrize("memory", ["nchw", "nhwc"])
@pytest.mark.parametrize(
    "stride, padding, dilation, size",
    list(itertools.product([1, 2], [0, "same", (1, 2)], [1, 2], ["odd", "even"])),
)
def test_forward_matches_loop_reference(stride, padding, dilation, size, memory):
    kernel, (height, width) = SIZES[size]
    layer = built_conv((3, height, width), filters=4, kernel_size=kernel, stride=stride,
                       padding=padding, dilation=dilation)
    x = np.random.default_rng(2).standard_normal((2, 3, height, width))
    x = channels_last(x) if memory == "nhwc" else x
    expected = reference_conv(x, layer.weight.value, layer.bias.value, layer.stride,
                              layer.dilation, layer.pads)
    y = layer.forward(x)
    assert layer.pixel_major == (memory == "nhwc")
    assert y.shape == expected.shape == (2, *layer.output_shape)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("size", [5, 6, 7])
def test_same_keeps_size_and_pads_bottom_right_for_even_kernels(kernel, size):
    layer = built_conv((2, size, size + 1), filters=3, kernel_size=kernel, padding="same")
    assert layer.output_shape == (3, size, size + 1)
    extra = kernel - 1
    assert layer.pads == ((extra // 2, extra - extra // 2),) * 2
    x = np.random.default_rng(0).standard_normal((2, 2, size, size + 1))
    expected = reference_conv(x, layer.weight.value, layer.bias.value, (1, 1), (1, 1),
                              layer.pads)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_same_with_stride_gives_ceil_output():
    layer = built_conv((1, 7, 8), filters=2, kernel_size=3, stride=2, padding="same")
    assert layer.output_shape == (2, 4, 4)


GRAD_CASES = list(
    itertools.product([1, 2], [0, "same"], [1, 2], ["odd", "even"], [1, 3], [True, False])
)


@pytest.mark.parametrize("stride, padding, dilation, size, channels, use_bias", GRAD_CASES)
def test_gradcheck_alone(stride, padding, dilation, size, channels, use_bias):
    kernel, (height, width) = SIZES[size]
    layer = built_conv((channels, height, width), filters=2, kernel_size=kernel, stride=stride,
                       padding=padding, dilation=dilation, use_bias=use_bias)
    x = np.random.default_rng(3).standard_normal((2, channels, height, width))
    errors = ln.gradcheck(layer, x)
    assert set(errors) == {"input", *(p.name for p in layer.parameters())}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    "stride, padding, dilation, use_bias",
    [(1, "same", 1, True), (2, 1, 1, False), (1, 0, 2, True), (2, "same", 2, True)],
)
def test_gradcheck_in_chain_checks_input_gradient_of_second_conv(
    stride, padding, dilation, use_bias
):
    model = ln.Sequential(
        [
            Conv2D(3, 3, padding="same", use_bias=use_bias),
            ln.layers.Tanh(),
            Conv2D(2, (2, 3), stride=stride, padding=padding, dilation=dilation,
                   use_bias=use_bias),
            ln.layers.Tanh(),
            Conv2D(2, 2, use_bias=use_bias),
        ],
        input_shape=(2, 7, 6),
        seed=4,
        dtype=np.float64,
    )
    x = np.random.default_rng(5).standard_normal((2, 2, 7, 6))
    errors = ln.gradcheck(model, x)
    assert max(errors.values()) < 1e-6, errors
    # The first conv reads plain NCHW input; later ones read a conv output (channels-last).
    assert [model.layers[i].pixel_major for i in (0, 2, 4)] == [False, True, True]


def test_matches_reference_for_each_batch_size_reusing_work_arrays():
    layer = built_conv((3, 6, 6), filters=4, kernel_size=3, padding=1)
    rng = np.random.default_rng(6)
    for n in (4, 2, 5, 4):
        plain = rng.standard_normal((n, 3, 6, 6))
        for x in (plain, channels_last(plain + 1.0)):
            expected = reference_conv(x, layer.weight.value, layer.bias.value, (1, 1), (1, 1),
                                      layer.pads)
            for training in (True, False):  # training reuses work arrays, inference does not
                y = layer.forward(x, training=training)
                np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunk_bytes", [1, 3000])  # one sample a chunk; chunks of 2 or 3
def test_chunked_products_match_the_whole_batch_at_once(monkeypatch, chunk_bytes):
    # Forward and input gradient run a chunk of samples at a time (cache blocking); a
    # batch split into chunks, with a smaller last one, must give the same numbers.
    rng = np.random.default_rng(8)
    x = channels_last(rng.standard_normal((7, 3, 6, 5)))  # channels-last: the chunked path
    grad_out = rng.standard_normal((7, 4, 3, 3))
    results = []
    for forward_bytes, backward_bytes in ((1 << 40, 1 << 40), (chunk_bytes, chunk_bytes)):
        monkeypatch.setattr(conv_module, "FORWARD_CHUNK_BYTES", forward_bytes)
        monkeypatch.setattr(conv_module, "BACKWARD_CHUNK_BYTES", backward_bytes)
        layer = built_conv((3, 6, 5), filters=4, kernel_size=3, stride=2, padding="same")
        y = layer.forward(x, training=True)
        results.append((y, layer.backward(grad_out), layer.weight.grad, layer.bias.grad))
    expected = reference_conv(x, layer.weight.value, layer.bias.value, (2, 2), (1, 1), layer.pads)
    np.testing.assert_allclose(results[1][0], expected, rtol=1e-12, atol=1e-12)
    for whole, chunked in zip(*results, strict=True):
        np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)


def test_sample_chunks_cover_the_batch():
    assert conv_module.sample_chunks(7, 100, 250) == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert conv_module.sample_chunks(3, 100, 1) == [(0, 1), (1, 2), (2, 3)]
    assert conv_module.sample_chunks(3, 100, 10**6) == [(0, 3)]


def test_gradients_for_second_batch_size_match_a_fresh_layer():
    layer = built_conv((2, 5, 5), filters=3, kernel_size=3, padding="same")
    rng = np.random.default_rng(7)
    layer.forward(rng.standard_normal((6, 2, 5, 5)), training=True)
    x = rng.standard_normal((2, 2, 5, 5))
    grad_out = rng.standard_normal((2, 3, 5, 5))
    fresh = built_conv((2, 5, 5), filters=3, kernel_size=3, padding="same")
    results = []
    for conv in (layer, fresh):
        conv.forward(x, training=True)
        results.append((conv.backward(grad_out), conv.weight.grad.copy(), conv.bias.grad.copy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_float32_is_kept_and_gradients_are_set_not_accumulated():
    layer = built_conv((3, 6, 6), dtype=np.float32, filters=4, kernel_size=3, padding="same")
    x = np.random.default_rng(8).standard_normal((2, 3, 6, 6)).astype(np.float32)
    y = layer.forward(x)
    grad_in = layer.backward(np.ones_like(y))
    first = layer.weight.grad.copy()
    layer.forward(x)
    layer.backward(np.ones_like(y))
    assert y.dtype == grad_in.dtype == layer.weight.grad.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.grad, first)


def test_first_layer_returns_no_input_gradient_and_frozen_layer_still_does():
    layer = built_conv((1, 5, 5), filters=2, kernel_size=3)
    x = np.random.default_rng(9).standard_normal((2, 1, 5, 5))
    layer.input_grad_needed = False
    assert layer.backward(np.ones_like(layer.forward(x))) is None
    layer.input_grad_needed = True
    layer.trainable = False
    layer.weight.grad[...] = 0
    grad_in = layer.backward(np.ones_like(layer.forward(x)))
    assert grad_in.shape == x.shape and np.any(grad_in != 0)
    assert not np.any(layer.weight.grad)


def test_he_init_uses_fan_in_of_the_window():
    layer = built_conv((8, 10, 10), dtype=np.float32, filters=64, kernel_size=5)
    assert layer.weight.shape == (64, 8, 5, 5) and layer.bias.shape == (64,)
    assert abs(layer.weight.value.std() - np.sqrt(2.0 / (8 * 25))) < 0.01
    glorot = built_conv((8, 10, 10), filters=64, kernel_size=5, init="glorot_normal")
    assert abs(glorot.weight.value.std() - np.sqrt(2.0 / (8 * 25 + 64 * 25))) < 0.005


def test_kernel_regularizer_adds_loss_and_gradient():
    layer = built_conv((2, 5, 5), filters=3, kernel_size=3, kernel_regularizer=L2(0.1))
    plain = built_conv((2, 5, 5), filters=3, kernel_size=3)
    x = np.random.default_rng(10).standard_normal((2, 2, 5, 5))
    for conv in (layer, plain):
        conv.backward(np.ones_like(conv.forward(x)))
    weight = layer.weight.value
    assert layer.regularization_loss() == pytest.approx(0.1 * np.sum(weight**2))
    assert plain.regularization_loss() == 0.0
    np.testing.assert_allclose(layer.weight.grad, plain.weight.grad + 0.2 * weight)


def test_get_config_round_trip():
    layer = built_conv((3, 9, 8), filters=5, kernel_size=(3, 2), stride=(2, 1),
                       padding=(1, 2), dilation=(1, 2), use_bias=False, init="glorot",
                       kernel_regularizer=L2(0.01), name="conv_a")
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = Conv2D.from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    rebuilt.build((3, 9, 8), rng=np.random.default_rng(0), dtype=np.float64)
    x = np.random.default_rng(11).standard_normal((2, 3, 9, 8))
    np.testing.assert_array_equal(rebuilt.forward(x), layer.forward(x))
    same = Conv2D.from_config(built_conv((1, 5, 5), filters=2, kernel_size=3,
                                         padding="same").get_config())
    assert same.padding == "same" and same.kernel_size == (3, 3)


def test_wrong_rank_is_rejected_with_layer_name_and_shapes():
    layer = built_conv((3, 6, 6), filters=2, kernel_size=3)
    with pytest.raises(ValueError, match=r"conv2d.*rank 4.*\(2, 6, 6\)"):
        layer.forward(np.zeros((2, 6, 6)))


def test_channel_mismatch_is_rejected_with_layer_name_and_shapes():
    layer = built_conv((3, 6, 6), filters=2, kernel_size=3)
    with pytest.raises(ValueError, match=r"conv2d.*\(N, 3, 6, 6\).*\(2, 4, 6, 6\)"):
        layer.forward(np.zeros((2, 4, 6, 6)))


def test_kernel_larger_than_padded_input_is_rejected_at_build():
    with pytest.raises(ValueError, match=r"conv2d.*kernel \(5, 5\).*padded input \(3, 4\)"):
        built_conv((1, 3, 4), filters=2, kernel_size=5)
    with pytest.raises(ValueError, match=r"conv2d.*spans \(5, 5\)"):
        built_conv((1, 4, 4), filters=2, kernel_size=3, dilation=2)
    built_conv((1, 3, 3), filters=2, kernel_size=5, padding=1)  # 5 fits in 3 + 2: fine
    with pytest.raises(ValueError, match=r"conv2d.*expects input \(N, C, H, W\)"):
        built_conv((9,), filters=2, kernel_size=3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 0, "kernel_size": 3},
        {"filters": 2, "kernel_size": (3, 0)},
        {"filters": 2, "kernel_size": 3, "stride": 0},
        {"filters": 2, "kernel_size": 3, "padding": "full"},
        {"filters": 2, "kernel_size": 3, "padding": -1},
        {"filters": 2, "kernel_size": 3, "dilation": (1, 2, 3)},
    ],
)
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError, match="Conv2D"):
        Conv2D(**kwargs)
