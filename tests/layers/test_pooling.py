import json

import numpy as np
import pytest

import leannet as ln
from leannet.layers.conv import Conv2D
from leannet.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D


def reference_pool(x, pool, stride, pads, reduce):
    """Plain pooling, one output pixel at a time (max pads with -inf, average with 0)."""
    fill = -np.inf if reduce is np.max else 0.0
    x = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=fill)
    out_h = (x.shape[2] - pool[0]) // stride[0] + 1
    out_w = (x.shape[3] - pool[1]) // stride[1] + 1
    y = np.zeros((*x.shape[:2], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride[0], j * stride[1]
            window = x[:, :, top : top + pool[0], left : left + pool[1]]
            y[:, :, i, j] = reduce(window, axis=(2, 3))
    return y


def channels_last(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def built(cls, input_shape, dtype=np.float64, **kwargs):
    layer = cls(**kwargs)
    layer.build(input_shape, rng=np.random.default_rng(0), dtype=dtype)
    return layer


# (kwargs, input H, W, uses the reshape path)
GEOMETRIES = [
    ({"pool_size": 2}, 6, 8, True),
    ({"pool_size": (2, 3)}, 4, 9, True),
    ({"pool_size": 2}, 5, 7, False),  # sizes do not divide: the last row/column is dropped
    ({"pool_size": 3, "stride": 2}, 7, 6, False),  # overlapping windows
    ({"pool_size": 3, "stride": 1, "padding": 1}, 5, 5, False),
    ({"pool_size": (2, 3), "stride": (1, 2), "padding": (1, 1)}, 4, 6, False),
    ({"pool_size": 2, "stride": 2, "padding": 1}, 5, 6, False),
]
GEOMETRY_IDS = [str(g[0]) for g in GEOMETRIES]


@pytest.mark.parametrize("memory", ["nchw", "nhwc"])
@pytest.mark.parametrize("cls, reduce", [(MaxPool2D, np.max), (AvgPool2D, np.mean)])
@pytest.mark.parametrize("kwargs, height, width, tiles", GEOMETRIES, ids=GEOMETRY_IDS)
def test_forward_matches_loop_reference(kwargs, height, width, tiles, cls, reduce, memory):
    layer = built(cls, (3, height, width), **kwargs)
    assert layer.tiles == tiles
    x = np.random.default_rng(1).standard_normal((2, 3, height, width))
    x = channels_last(x) if memory == "nhwc" else x
    expected = reference_pool(x, layer.pool_size, layer.stride, layer.pads, reduce)
    y = layer.forward(x)
    assert y.shape == expected.shape == (2, *layer.output_shape)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("kwargs, height, width, tiles", GEOMETRIES, ids=GEOMETRY_IDS)
def test_gradcheck(kwargs, height, width, tiles, cls):
    layer = built(cls, (2, height, width), **kwargs)
    x = np.random.default_rng(2).standard_normal((2, 2, height, width))
    errors = ln.gradcheck(layer, x)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("kwargs, height, width, tiles", GEOMETRIES, ids=GEOMETRY_IDS)
def test_channels_last_input_gives_the_same_gradient(kwargs, height, width, tiles, cls):
    x = np.random.default_rng(3).standard_normal((2, 3, height, width))
    grads = []
    for data in (x, channels_last(x)):
        layer = built(cls, (3, height, width), **kwargs)
        y = layer.forward(data)
        grads.append(layer.backward(np.arange(y.size, dtype=np.float64).reshape(y.shape)))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[1].strides[1] == grads[1].itemsize  # kept channels-last


@pytest.mark.parametrize("pool", [MaxPool2D(2), MaxPool2D(3, stride=2, padding=1),
                                  AvgPool2D(2), AvgPool2D(3, stride=1, padding=1)],
                         ids=["max2", "max3s2p1", "avg2", "avg3s1p1"])
def test_gradcheck_between_convolutions(pool):
    model = ln.Sequential(
        [Conv2D(3, 3, padding="same"), ln.layers.Tanh(), pool, Conv2D(2, 2)],
        input_shape=(2, 6, 6), seed=4, dtype=np.float64,
    )
    x = np.random.default_rng(5).standard_normal((2, 2, 6, 6))
    errors = ln.gradcheck(model, x)
    assert max(errors.values()) < 1e-6, errors


def test_max_pool_tie_sends_gradient_to_first_maximum_only():
    layer = built(MaxPool2D, (1, 4, 4), pool_size=2)
    x = np.full((1, 1, 4, 4), 7.0)  # every window is a four-way tie
    grad_out = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    layer.forward(x)
    expected = np.array([[[[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]], float)
    np.testing.assert_array_equal(layer.backward(grad_out), expected)


def test_max_pool_tie_picks_first_in_row_major_order():
    layer = built(MaxPool2D, (1, 2, 2), pool_size=2)
    layer.forward(np.array([[[[1.0, 3.0], [3.0, 2.0]]]]))
    grad = layer.backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(grad, [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_overlapping_max_pool_ties_with_padding_worked_by_hand():
    # 3x3 windows, stride 1, padding 1 over a constant 2x2 input: every window's first
    # real element (padding is -inf) is x[0, 0], so all four output gradients land there.
    layer = built(MaxPool2D, (1, 2, 2), pool_size=3, stride=1, padding=1)
    y = layer.forward(np.zeros((1, 1, 2, 2)))
    np.testing.assert_array_equal(y, np.zeros((1, 1, 2, 2)))
    grad = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(grad, [[[[10.0, 0.0], [0.0, 0.0]]]])


def test_overlapping_max_pool_ties_stride_one_worked_by_hand():
    # 2x2 windows, stride 1 over a constant 3x3 input: window (i, j) sends its gradient to
    # its top-left element x[i, j].
    layer = built(MaxPool2D, (1, 3, 3), pool_size=2, stride=1)
    layer.forward(np.ones((1, 1, 3, 3)))
    grad = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(grad, [[[[1.0, 2.0, 0.0], [3.0, 4.0, 0.0], [0, 0, 0]]]])


def test_avg_pool_counts_padding_in_the_divisor():
    layer = built(AvgPool2D, (1, 3, 3), pool_size=3, stride=1, padding=1)
    y = layer.forward(np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(y[0, 0], [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9],
                                         [4 / 9, 6 / 9, 4 / 9]])


def test_global_avg_pool():
    layer = built(GlobalAvgPool2D, (3, 4, 5))
    assert layer.output_shape == (3,)
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(layer.forward(x), x.mean(axis=(2, 3)))
    grad = layer.backward(np.array([[20.0, 40.0, 60.0], [0.0, 20.0, -20.0]]))
    np.testing.assert_allclose(grad, np.broadcast_to([[1.0, 2, 3], [0, 1, -1]], (4, 5, 2, 3))
                               .transpose(2, 3, 0, 1))
    assert max(ln.gradcheck(layer, x).values()) < 1e-6
    model = ln.Sequential([Conv2D(3, 3), ln.layers.Tanh(), GlobalAvgPool2D(), ln.layers.Dense(2)],
                          input_shape=(2, 5, 5), seed=0, dtype=np.float64)
    errors = ln.gradcheck(model, np.random.default_rng(7).standard_normal((2, 2, 5, 5)))
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D, GlobalAvgPool2D])
def test_float32_is_kept(cls):
    layer = built(cls, (2, 4, 4), dtype=np.float32)
    x = np.random.default_rng(8).standard_normal((3, 2, 4, 4)).astype(np.float32)
    y = layer.forward(x)
    assert y.dtype == layer.backward(np.ones_like(y)).dtype == np.float32


def test_default_stride_is_pool_size_and_first_layer_skips_input_gradient():
    layer = built(MaxPool2D, (1, 6, 6), pool_size=3)
    assert layer.stride == (3, 3) and layer.output_shape == (1, 2, 2)
    layer.input_grad_needed = False
    assert layer.backward(np.ones_like(layer.forward(np.ones((1, 1, 6, 6))))) is None


@pytest.mark.parametrize(
    "layer",
    [MaxPool2D(3, stride=(1, 2), padding=(1, 0), name="mp"), AvgPool2D((2, 3)),
     GlobalAvgPool2D(name="gap")],
    ids=["max", "avg", "global"],
)
def test_get_config_round_trip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    x = np.random.default_rng(9).standard_normal((2, 2, 6, 6))
    np.testing.assert_array_equal(rebuilt(x), layer(x))


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D, GlobalAvgPool2D])
def test_wrong_rank_and_channel_mismatch_are_rejected(cls):
    layer = built(cls, (3, 4, 4), name="p")
    with pytest.raises(ValueError, match=r"'p'.*rank 4.*\(2, 4, 4\)"):
        layer.forward(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match=r"'p'.*\(N, 3, 4, 4\).*\(2, 2, 4, 4\)"):
        layer.forward(np.zeros((2, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"'p'.*expects input \(N, C, H, W\)"):
        built(cls, (16,), name="p")


def test_pool_larger_than_input_and_too_much_padding_are_rejected_at_build():
    with pytest.raises(ValueError, match=r"max_pool2d.*pool \(3, 3\).*padded input \(2, 5\)"):
        built(MaxPool2D, (1, 2, 5), pool_size=3)
    with pytest.raises(ValueError, match=r"avg_pool2d.*padding 2.*more than half"):
        built(AvgPool2D, (1, 6, 6), pool_size=3, padding=2)


@pytest.mark.parametrize(
    "kwargs",
    [{"pool_size": 0}, {"pool_size": 2, "stride": (1, 0)}, {"pool_size": 2, "padding": "same"},
     {"pool_size": 2, "padding": -1}, {"pool_size": 2.5}],
)
def test_bad_arguments_are_rejected(kwargs):
    with pytest.raises(ValueError, match="MaxPool2D"):
        MaxPool2D(**kwargs)
