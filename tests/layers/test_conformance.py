"""One conformance test over every layer class (DESIGN.md, "Quality bar").

Each layer is checked for: build and output shape, dtype kept, get_config round trip,
save/load round trip (predictions equal to the last bit), a gradient check inside a small
network (not first in line, so its input gradient matters), and one training step that
lowers the loss.

A new layer joins by adding one line to CASES: (factory, input shape without batch axis,
kind of input: "float" or "tokens:<vocab>").
"""

import json

import numpy as np
import pytest

import leannet as ln

L = ln.layers

CASES = [
    (lambda: L.Dense(4), (5,), "float"),
    (lambda: L.Dense(3, use_bias=False), (4,), "float"),
    (lambda: L.Sigmoid(), (4,), "float"),
    (lambda: L.Tanh(), (4,), "float"),
    (lambda: L.ReLU(), (4,), "float"),
    (lambda: L.LeakyReLU(alpha=0.1), (4,), "float"),
    (lambda: L.ELU(alpha=0.7), (4,), "float"),
    (lambda: L.GELU(), (4,), "float"),
    (lambda: L.Softmax(), (4,), "float"),
    (lambda: L.Dropout(0.3), (6,), "float"),
    (lambda: L.Flatten(), (2, 3), "float"),
    (lambda: L.Conv2D(2, 3), (2, 5, 5), "float"),
    (lambda: L.Conv2D(3, 2, stride=2, padding="same", use_bias=False), (1, 5, 4), "float"),
    (lambda: L.Conv2D(2, 3, dilation=2, padding=1), (2, 6, 6), "float"),
    (lambda: L.MaxPool2D(2), (2, 4, 4), "float"),
    (lambda: L.MaxPool2D(3, stride=2, padding=1), (1, 5, 5), "float"),
    (lambda: L.AvgPool2D(2), (2, 4, 6), "float"),
    (lambda: L.AvgPool2D(3, stride=1), (1, 5, 5), "float"),
    (lambda: L.GlobalAvgPool2D(), (3, 4, 4), "float"),
    (lambda: L.BatchNorm(), (5,), "float"),
    (lambda: L.BatchNorm(momentum=0.5), (2, 3, 3), "float"),
    (lambda: L.RNN(3), (4, 2), "float"),
    (lambda: L.RNN(3, return_sequences=True, use_bias=False), (3, 2), "float"),
    (lambda: L.LSTM(3), (4, 2), "float"),
    (lambda: L.LSTM(2, return_sequences=True), (3, 2), "float"),
    (lambda: L.GRU(3), (4, 2), "float"),
    (lambda: L.GRU(2, return_sequences=True), (3, 2), "float"),
    (lambda: L.TimeDistributed(L.Dense(2)), (3, 4), "float"),
    (lambda: L.Embedding(7, 3), (5,), "tokens:7"),
]


def case_id(case):
    return type(case[0]()).__name__ + str(case[1])


def make_input(shape, kind, n=3, seed=0):
    rng = np.random.default_rng(seed)
    if kind.startswith("tokens:"):
        return rng.integers(0, int(kind.split(":")[1]), size=(n, *shape))
    return rng.standard_normal((n, *shape))


def network(factory, shape, kind, seed=0):
    """[Tanh ->] layer -> Flatten -> Dense(3): the layer under test is not first in line
    unless it takes token ids, and a Dense after it mixes every output."""
    before = [] if kind.startswith("tokens:") else [L.Tanh()]
    return ln.Sequential([*before, factory(), L.Flatten(), L.Dense(3)], input_shape=shape,
                         seed=seed)


@pytest.fixture(params=CASES, ids=case_id)
def case(request):
    return request.param


def test_build_and_output_shape(case):
    factory, shape, kind = case
    model = ln.Sequential([factory()], input_shape=shape, seed=0)
    layer = model.layers[0]
    y = model.forward(model._check_data(make_input(shape, kind)))
    assert y.shape[1:] == layer.output_shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(case, dtype):
    factory, shape, kind = case
    model = network(factory, shape, kind).astype(dtype)
    x = make_input(shape, kind)
    x = x.astype(dtype) if x.dtype.kind == "f" else x
    y = model.forward(x, training=True)
    assert y.dtype == dtype
    model.backward(np.ones_like(y))
    assert all(p.value.dtype == dtype and p.grad.dtype == dtype for p in model.parameters())


def test_get_config_round_trip(case):
    factory, shape, _ = case
    layer = factory()
    layer.build(shape, rng=np.random.default_rng(0))
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config


def test_gradient_check_inside_a_network(case):
    factory, shape, kind = case
    model = network(factory, shape, kind, seed=1)
    errors = ln.gradcheck(model, make_input(shape, kind, seed=2))
    assert max(errors.values()) < 1e-6, errors


def test_one_training_step_lowers_the_loss(case):
    """Measured in training mode with the random state rewound before every pass, so
    Dropout draws one mask and BatchNorm uses batch statistics: the step is plain gradient
    descent on one fixed function."""
    factory, shape, kind = case
    model = network(factory, shape, kind, seed=3)
    model.compile(loss="mse", optimizer=ln.optim.SGD(lr=0.01))
    x = model._check_data(make_input(shape, kind, n=8, seed=4))
    y = np.random.default_rng(5).standard_normal((8, 3)).astype(np.float32)
    state = model.rng.bit_generator.state

    def training_loss():
        model.rng.bit_generator.state = state
        return model.loss.forward(model.forward(x, training=True), y)

    before = training_loss()
    model.rng.bit_generator.state = state
    model.train_step(x, y)
    assert training_loss() < before


def test_save_load_round_trip(case, tmp_path):
    factory, shape, kind = case
    model = network(factory, shape, kind, seed=6)
    model.compile(loss="mse", optimizer="adam")
    x = make_input(shape, kind, n=5, seed=7)
    model.fit(x, np.zeros((5, 3)), epochs=1, batch_size=5, verbose=0)  # weights and buffers move
    path = tmp_path / "model.leannet"
    model.save(path)
    loaded = ln.load_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert np.array_equal(loaded.predict(x), model.predict(x))
