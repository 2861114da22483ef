"""TimeDistributed: same as the inner layer at every step, gradients, names, errors, config."""

import json

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, ReLU
from leannet.layers.lstm import LSTM
from leannet.layers.wrappers import TimeDistributed
from leannet.serialization import load_model

TOLERANCE = 1e-6


def assert_all_small(errors):
    assert errors, "gradcheck returned nothing to compare"
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"


def built(layer, input_shape, dtype=np.float64, seed=0):
    layer.build(input_shape, rng=np.random.default_rng(seed), dtype=dtype)
    return layer


def test_forward_is_the_inner_layer_at_every_step():
    layer = built(TimeDistributed(Dense(3)), (4, 5))
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    y = layer.forward(x)
    assert y.shape == (2, 4, 3) and layer.output_shape == (4, 3)
    dense = layer.layer
    for t in range(4):
        np.testing.assert_allclose(y[:, t], x[:, t] @ dense.weight.value + dense.bias.value)


def test_backward_sums_weight_gradients_over_steps():
    layer = built(TimeDistributed(Dense(2)), (3, 4))
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    grad_out = np.random.default_rng(1).standard_normal((2, 3, 2))
    layer.forward(x, training=True)
    grad_in = layer.backward(grad_out)
    weight = layer.layer.weight
    expected = sum(x[:, t].T @ grad_out[:, t] for t in range(3))
    np.testing.assert_allclose(weight.grad, expected)
    np.testing.assert_allclose(grad_in, grad_out @ weight.value.T)


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_alone(seed, use_bias):
    rng = np.random.default_rng(seed)
    steps, features = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    layer = built(TimeDistributed(Dense(3, use_bias=use_bias)), (steps, features), seed=seed)
    errors = leannet.gradcheck(layer, rng.standard_normal((2, steps, features)), seed=seed)
    expected = {"input", "time_distributed.dense.weight"}
    assert set(errors) == expected | ({"time_distributed.dense.bias"} if use_bias else set())
    assert_all_small(errors)


def test_gradcheck_between_recurrent_layers():
    """LSTM -> TimeDistributed(Dense) -> ReLU -> LSTM: the wrapper is not first in line, so
    a wrong dL/dx would spoil the first LSTM's gradients."""
    model = leannet.Sequential(
        [LSTM(3, return_sequences=True), TimeDistributed(Dense(4)), ReLU(), LSTM(2)],
        input_shape=(3, 2), seed=0,
    )
    errors = leannet.gradcheck(model, np.random.default_rng(0).standard_normal((2, 3, 2)))
    assert {"lstm_1.kernel", "time_distributed_1.dense.weight"} <= set(errors)
    assert_all_small(errors)


def test_parameter_names_stay_unique_in_a_model():
    model = leannet.Sequential([TimeDistributed(Dense(3)), TimeDistributed(Dense(2))],
                               input_shape=(4, 5), seed=0)
    names = [p.name for p in model.parameters()]
    assert names == ["time_distributed_1.dense.weight", "time_distributed_1.dense.bias",
                     "time_distributed_2.dense.weight", "time_distributed_2.dense.bias"]
    assert set(model.state_dict()) == set(names)


def test_save_and_load_keep_the_inner_weights(tmp_path):
    model = leannet.Sequential([LSTM(3, return_sequences=True), TimeDistributed(Dense(2))],
                               input_shape=(4, 5), seed=0)
    model.compile(loss="mse", optimizer="adam")
    x = np.random.default_rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    path = tmp_path / "td.leannet"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_trainable_and_astype_reach_the_inner_layer():
    layer = built(TimeDistributed(Dense(3)), (4, 5), dtype=np.float32)
    layer.trainable = False
    assert not layer.layer.trainable and not any(p.trainable for p in layer.parameters())
    layer.astype(np.float64)
    assert layer.layer.dtype == np.float64
    assert all(p.value.dtype == np.float64 for p in layer.layer.parameters())


def test_input_gradient_skipped_when_not_needed():
    layer = built(TimeDistributed(Dense(3)), (4, 5))
    layer.input_grad_needed = False
    layer.forward(np.ones((2, 4, 5)))
    assert layer.backward(np.ones((2, 4, 3))) is None
    assert np.any(layer.layer.weight.grad)


def test_bad_inputs():
    with pytest.raises(ValueError, match="expects a Layer"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match=r"'td'.*\(N, T, \.\.\.\).*\(N, 5\)"):
        built(TimeDistributed(Dense(3), name="td"), (5,))
    layer = built(TimeDistributed(Dense(3), name="td"), (4, 5))
    with pytest.raises(ValueError, match=r"'td'.*\(N, T, 5\).*\(2, 4, 6\)"):
        layer.forward(np.ones((2, 4, 6)))
    with pytest.raises(ValueError, match=r"'td'.*\(N, T, 5\).*\(2, 5\)"):
        layer.forward(np.ones((2, 5)))


def test_get_config_round_trip():
    layer = built(TimeDistributed(Dense(3, use_bias=False, init="glorot"), name="td"), (4, 5))
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["units"] == 3
    rebuilt = TimeDistributed.from_config(config)
    assert isinstance(rebuilt.layer, Dense) and rebuilt.get_config() == config
    built(rebuilt, (4, 5))
    assert rebuilt.layer.name == "td.dense"
    np.testing.assert_array_equal(rebuilt.layer.weight.value, layer.layer.weight.value)
    assert rebuilt.get_config() == config  # building again does not stack name prefixes


def test_from_config_rejects_an_unknown_inner_class():
    with pytest.raises(ValueError, match="Nope"):
        TimeDistributed.from_config({"layer": {"class_name": "Nope", "config": {}}})
