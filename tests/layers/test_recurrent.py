"""RNN, LSTM, GRU: forward against plain step-by-step references, gradient checks through
time (alone, with an initial state, stacked), initialisation, errors, config."""

import json

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, Tanh
from leannet.layers.gru import GRU
from leannet.layers.lstm import LSTM
from leannet.layers.rnn import RNN
from leannet.parameter import Parameter

TOLERANCE = 1e-6

CELLS = {
    "rnn_tanh": lambda units, **kw: RNN(units, **kw),
    "rnn_relu": lambda units, **kw: RNN(units, activation="relu", **kw),
    "rnn_sigmoid": lambda units, **kw: RNN(units, activation="sigmoid", **kw),
    "rnn_linear": lambda units, **kw: RNN(units, activation="linear", **kw),
    "lstm": lambda units, **kw: LSTM(units, **kw),
    "gru": lambda units, **kw: GRU(units, **kw),
}
MAIN_CELLS = ["rnn_tanh", "lstm", "gru"]


def assert_all_small(errors):
    assert errors, "gradcheck returned nothing to compare"
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"


def random_sizes(seed):
    """Batch size, features and units drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4))


def built(layer, steps, features, dtype=np.float64, seed=0):
    layer.build((steps, features), rng=np.random.default_rng(seed), dtype=dtype)
    return layer


def randomise(layer, seed=0, scale=0.5):
    """Replace every parameter by random values (so zero biases cannot hide a bug)."""
    rng = np.random.default_rng(seed)
    for param in layer.parameters():
        param.value[...] = scale * rng.standard_normal(param.shape)
    return layer


# ----- plain references: one step at a time, written as the textbook states them ---------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_reference(x, kernel, recurrent, bias, h, c):
    units, outputs = recurrent.shape[0], []
    for t in range(x.shape[1]):
        a = x[:, t] @ kernel + h @ recurrent + bias
        i = sigmoid(a[:, :units])
        f = sigmoid(a[:, units:2 * units])
        g = np.tanh(a[:, 2 * units:3 * units])
        o = sigmoid(a[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def gru_reference(x, kernel, recurrent, bias, h):
    units, outputs = recurrent.shape[0], []
    for t in range(x.shape[1]):
        from_x = x[:, t] @ kernel + bias[0]
        from_h = h @ recurrent + bias[1]
        z = sigmoid(from_x[:, :units] + from_h[:, :units])
        r = sigmoid(from_x[:, units:2 * units] + from_h[:, units:2 * units])
        n = np.tanh(from_x[:, 2 * units:] + r * from_h[:, 2 * units:])
        h = z * h + (1 - z) * n
        outputs.append(h)
    return np.stack(outputs, axis=1)


def rnn_reference(x, kernel, recurrent, bias, h, activation):
    act = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0), "sigmoid": sigmoid,
           "linear": lambda a: a}[activation]
    outputs = []
    for t in range(x.shape[1]):
        h = act(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def reference(layer, x, initial_state=None):
    """Every h_t, (N, T, units), from the plain reference of ``layer``'s kind."""
    zeros = np.zeros((x.shape[0], layer.units))
    kernel, recurrent = layer.kernel.value, layer.recurrent_kernel.value
    if isinstance(layer, LSTM):
        bias = layer.bias.value if layer.use_bias else 0.0
        h, c = initial_state if initial_state is not None else (zeros, zeros)
        return lstm_reference(x, kernel, recurrent, bias, h, c)
    h = initial_state if initial_state is not None else zeros
    if isinstance(layer, GRU):
        bias = layer.bias.value if layer.use_bias else np.zeros((2, 1))
        return gru_reference(x, kernel, recurrent, bias, h)
    bias = layer.bias.value if layer.use_bias else 0.0
    return rnn_reference(x, kernel, recurrent, bias, h, layer.activation)


def initial_state_for(layer, batch, rng):
    shape = (batch, layer.units)
    if isinstance(layer, LSTM):
        return rng.standard_normal(shape), rng.standard_normal(shape)
    return rng.standard_normal(shape)


# ----- forward --------------------------------------------------------------------------
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("cell", list(CELLS))
def test_forward_matches_step_by_step_reference(cell, with_state, use_bias):
    rng = np.random.default_rng(3)
    layer = randomise(built(CELLS[cell](4, return_sequences=True, use_bias=use_bias), 6, 3))
    x = rng.standard_normal((5, 6, 3))
    state = initial_state_for(layer, 5, rng) if with_state else None
    expected = reference(layer, x, state)
    np.testing.assert_allclose(layer.forward(x, initial_state=state), expected, rtol=1e-12,
                               atol=1e-12)
    last_only = built(CELLS[cell](4, use_bias=use_bias), 6, 3)
    for mine, theirs in zip(last_only.parameters(), layer.parameters(), strict=True):
        mine.value[...] = theirs.value
    np.testing.assert_allclose(last_only.forward(x, initial_state=state), expected[:, -1],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_float32_is_kept_and_close_to_float64(cell):
    layer = randomise(built(CELLS[cell](8, return_sequences=True), 7, 5, dtype=np.float32))
    x = np.random.default_rng(1).standard_normal((4, 7, 5)).astype(np.float32)
    y = layer.forward(x, training=True)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, reference(layer, x.astype(np.float64)), atol=1e-5)
    grad_in = layer.backward(np.ones_like(y))
    assert grad_in.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_sequence_length_may_differ_from_build(cell):
    layer = randomise(built(CELLS[cell](3, return_sequences=True), 5, 2))
    x = np.random.default_rng(0).standard_normal((2, 8, 2))
    np.testing.assert_allclose(layer.forward(x), reference(layer, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_reused_work_arrays_match_a_fresh_layer(cell, return_sequences):
    # Training keeps the time loop's arrays from one step to the next. A step with a
    # bigger batch, then a smaller one (as MNIST's last batch is), must give what a fresh
    # layer gives, and an output handed out earlier must not change.
    rng = np.random.default_rng(9)
    used, fresh = (randomise(built(CELLS[cell](3, return_sequences=return_sequences), 4, 2))
                   for _ in range(2))
    first = used.forward(rng.standard_normal((6, 4, 2)), training=True)
    kept = first.copy()
    used.backward(rng.standard_normal(first.shape))
    used.forward(rng.standard_normal((6, 4, 2)), training=True)
    np.testing.assert_array_equal(first, kept)
    x = rng.standard_normal((2, 4, 2))
    grad_out = rng.standard_normal((2, 4, 3) if return_sequences else (2, 3))
    results = []
    for layer in (used, fresh):
        y = layer.forward(x, training=True)
        grad_x = layer.backward(grad_out)
        results.append([y, grad_x, *(p.grad.copy() for p in layer.parameters())])
    for after_use, alone in zip(*results, strict=True):
        np.testing.assert_allclose(after_use, alone, rtol=1e-12, atol=1e-12)


def test_gru_matches_values_worked_out_by_hand():
    """One unit, one step, one feature: z = s(0) = 0.5, r = 0.5, n = tanh(1 + 0.5 * 2),
    h_1 = 0.5 * h_0 + 0.5 * n with h_0 = 1 (the reset gate acts after the product)."""
    layer = built(GRU(1), 1, 1)
    layer.kernel.value[...] = [[0.0, 0.0, 1.0]]
    layer.recurrent_kernel.value[...] = [[0.0, 0.0, 2.0]]
    y = layer.forward(np.ones((1, 1, 1)), initial_state=np.ones((1, 1)))
    np.testing.assert_allclose(y, [[0.5 + 0.5 * np.tanh(2.0)]])


# ----- gradients ------------------------------------------------------------------------
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("steps", [1, 2, 5])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cell", list(CELLS))
def test_gradcheck_alone(cell, return_sequences, steps, use_bias):
    seed = steps + 10 * return_sequences + 100 * use_bias
    batch, features, units = random_sizes(seed)
    layer = CELLS[cell](units, return_sequences=return_sequences, use_bias=use_bias)
    randomise(built(layer, steps, features, seed=seed), seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((batch, steps, features))
    errors = leannet.gradcheck(layer, x, seed=seed)
    names = {"input", f"{layer.name}.kernel", f"{layer.name}.recurrent_kernel"}
    assert set(errors) == names | ({f"{layer.name}.bias"} if use_bias else set())
    assert_all_small(errors)


class WithInitialState:
    """The layer with its initial state as extra parameters, so that gradcheck compares
    ``grad_initial_state`` with central differences too."""

    def __init__(self, layer, state):
        self.layer, self.layers, self.built = layer, [layer], True
        arrays = state if isinstance(state, tuple) else (state,)
        self.states = [Parameter(a.copy(), name=f"initial_state_{k}") for k, a in
                       enumerate(arrays)]
        self.is_pair = isinstance(state, tuple)

    def forward(self, x, training=False):
        values = tuple(p.value for p in self.states)
        state = values if self.is_pair else values[0]
        return self.layer.forward(x, training=training, initial_state=state)

    def backward(self, grad_out):
        grad_in = self.layer.backward(grad_out)
        grads = self.layer.grad_initial_state
        for param, grad in zip(self.states, grads if self.is_pair else (grads,), strict=True):
            param.grad = grad.copy()
        return grad_in

    def parameters(self):
        return self.layer.parameters() + self.states

    def astype(self, dtype):
        self.layer.astype(dtype)
        for param in self.states:
            param.astype(dtype)
        return self


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_gradcheck_with_initial_state(cell, return_sequences, steps):
    rng = np.random.default_rng(steps)
    layer = randomise(built(CELLS[cell](3, return_sequences=return_sequences), steps, 2))
    wrapped = WithInitialState(layer, initial_state_for(layer, 2, rng))
    errors = leannet.gradcheck(wrapped, rng.standard_normal((2, steps, 2)), seed=steps)
    assert "initial_state_0" in errors
    assert ("initial_state_1" in errors) == isinstance(layer, LSTM)
    assert_all_small(errors)


def test_no_initial_state_gives_no_state_gradient():
    layer = built(LSTM(2), 3, 2)
    layer.forward(np.ones((1, 3, 2)), initial_state=(np.ones((1, 2)), np.ones((1, 2))))
    layer.backward(np.ones((1, 2)))
    assert layer.grad_initial_state is not None
    layer.forward(np.ones((1, 3, 2)))
    layer.backward(np.ones((1, 2)))
    assert layer.grad_initial_state is None


@pytest.mark.parametrize("seed", [0, 1])
def test_gradcheck_stacked(seed):
    """Every recurrent layer after the first gets its input gradient checked through the
    parameters of the layers before it."""
    rng = np.random.default_rng(seed)
    steps, features = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    model = leannet.Sequential(
        [LSTM(3, return_sequences=True), LSTM(2, return_sequences=True, use_bias=False),
         GRU(3, return_sequences=True), RNN(2, return_sequences=True), LSTM(2), Dense(2)],
        input_shape=(steps, features), seed=seed,
    )
    x = rng.standard_normal((2, steps, features))
    errors = leannet.gradcheck(model, x, seed=seed)
    assert {"lstm_1.kernel", "lstm_2.recurrent_kernel", "gru_1.bias", "rnn_1.kernel"} <= set(errors)
    assert_all_small(errors)


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_gradcheck_after_another_layer(cell):
    """A Dense applied per step sits before the cell: its gradients are right only if the
    cell's dL/dx is."""
    from leannet.layers.wrappers import TimeDistributed

    model = leannet.Sequential([TimeDistributed(Dense(3)), Tanh(), CELLS[cell](2), Dense(2)],
                               input_shape=(4, 2), seed=7)
    errors = leannet.gradcheck(model, np.random.default_rng(7).standard_normal((3, 4, 2)))
    assert "time_distributed_1.dense.weight" in errors
    assert_all_small(errors)


def test_backward_sets_rather_than_accumulates():
    layer = built(LSTM(3, return_sequences=True), 4, 2, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((2, 4, 2)).astype(np.float32)
    grad_out = np.ones((2, 4, 3), dtype=np.float32)
    layer.forward(x, training=True)
    layer.backward(grad_out)
    first = [p.grad.copy() for p in layer.parameters()]
    layer.forward(x, training=True)
    layer.backward(grad_out)
    for before, after in zip(first, layer.parameters(), strict=True):
        np.testing.assert_array_equal(before, after.grad)


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_input_gradient_skipped_when_not_needed(cell):
    layer = randomise(built(CELLS[cell](3), 4, 2))
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    layer.forward(x)
    assert layer.backward(np.ones((2, 3))) is not None
    expected = [p.grad.copy() for p in layer.parameters()]
    layer.input_grad_needed = False
    layer.forward(x)
    assert layer.backward(np.ones((2, 3))) is None
    for grad, param in zip(expected, layer.parameters(), strict=True):
        np.testing.assert_allclose(param.grad, grad)


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_frozen_layer_still_returns_input_gradient(cell):
    layer = randomise(built(CELLS[cell](3, trainable=False), 4, 2))
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    layer.forward(x)
    grad_in = layer.backward(np.ones((2, 3)))
    trainable = randomise(built(CELLS[cell](3), 4, 2))
    trainable.forward(x)
    np.testing.assert_allclose(grad_in, trainable.backward(np.ones((2, 3))))


# ----- initialisation -------------------------------------------------------------------
def test_lstm_initialisation():
    layer = built(LSTM(4), 3, 5, dtype=np.float32)
    assert layer.kernel.shape == (5, 16) and layer.recurrent_kernel.shape == (4, 16)
    np.testing.assert_array_equal(layer.bias.value, [0] * 4 + [1] * 4 + [0] * 8)
    for gate in range(4):  # each gate's recurrent block is orthogonal
        block = layer.recurrent_kernel.value[:, 4 * gate:4 * gate + 4].astype(np.float64)
        np.testing.assert_allclose(block.T @ block, np.eye(4), atol=1e-6)
    assert all(p.value.dtype == np.float32 for p in layer.parameters())
    assert not np.any(built(LSTM(4, unit_forget_bias=False), 3, 5).bias.value)


@pytest.mark.parametrize("features", [3, 9])
def test_orthogonal_kernel_per_gate_for_any_input_width(features):
    """init="orthogonal" on the (F, 3 * units) kernel: each gate's (F, units) block has
    orthonormal columns (F >= units) or rows (F < units)."""
    layer = built(GRU(5, init="orthogonal"), 4, features)
    for gate in range(3):
        block = layer.kernel.value[:, 5 * gate:5 * gate + 5]
        gram = block.T @ block if features >= 5 else block @ block.T
        np.testing.assert_allclose(gram, np.eye(min(features, 5)), atol=1e-12)


def test_gru_and_rnn_shapes():
    gru, rnn = built(GRU(4), 3, 5), built(RNN(4), 3, 5)
    assert gru.kernel.shape == (5, 12) and gru.recurrent_kernel.shape == (4, 12)
    assert gru.bias.shape == (2, 12) and not np.any(gru.bias.value)
    assert rnn.kernel.shape == (5, 4) and rnn.recurrent_kernel.shape == (4, 4)
    assert rnn.bias.shape == (4,)


@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_same_seed_same_weights_and_output_shapes(cell):
    a, b = built(CELLS[cell](3), 6, 2, seed=5), built(CELLS[cell](3), 6, 2, seed=5)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.value, pb.value)
    assert a.output_shape == (3,)
    assert built(CELLS[cell](3, return_sequences=True), 6, 2).output_shape == (6, 3)


# ----- errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_bad_inputs_name_the_layer_and_shapes(cell):
    layer = built(CELLS[cell](3, name="seq"), 4, 2)
    with pytest.raises(ValueError, match=r"'seq'.*\(N, T, 2\).*\(3, 4\)"):
        layer.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"'seq'.*\(N, T, 2\).*\(3, 4, 5\)"):
        layer.forward(np.ones((3, 4, 5)))
    with pytest.raises(ValueError, match=r"'seq'.*T >= 1.*\(3, 0, 2\)"):
        layer.forward(np.ones((3, 0, 2)))
    with pytest.raises(ValueError, match="'seq'"):
        built(CELLS[cell](3, name="seq"), 4, 2).build((8,))
    layer.forward(np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match=r"'seq'.*output gradient.*\(3, 3\).*\(3, 4, 3\)"):
        layer.backward(np.ones((3, 4, 3)))


@pytest.mark.parametrize("cell", ["rnn_tanh", "gru"])
def test_bad_initial_state(cell):
    layer = built(CELLS[cell](3, name="seq"), 4, 2)
    with pytest.raises(ValueError, match=r"'seq'.*initial_state.*\(2, 3\).*\(2, 4\)"):
        layer.forward(np.ones((2, 4, 2)), initial_state=np.ones((2, 4)))


def test_bad_lstm_initial_state():
    layer = built(LSTM(3, name="seq"), 4, 2)
    x = np.ones((2, 4, 2))
    with pytest.raises(ValueError, match=r"'seq'.*pair \(h0, c0\)"):
        layer.forward(x, initial_state=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'seq'.*c0.*\(2, 3\).*\(1, 3\)"):
        layer.forward(x, initial_state=(np.ones((2, 3)), np.ones((1, 3))))


def test_bad_constructor_arguments():
    for bad in (0, -2, 2.5, True, "8"):
        with pytest.raises(ValueError, match="units"):
            LSTM(bad)
    with pytest.raises(ValueError, match="activation"):
        RNN(3, activation="softmax")
    with pytest.raises(ValueError, match="initialiser"):
        GRU(3, recurrent_init="nope")


# ----- config ---------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    RNN(5, activation="relu", return_sequences=True, use_bias=False, name="r"),
    LSTM(3, unit_forget_bias=False, init="he", recurrent_init="glorot", trainable=False),
    GRU(2, return_sequences=True),
], ids=["rnn", "lstm", "gru"])
def test_get_config_round_trip(layer):
    built(layer, 4, 3)
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    rebuilt.build((4, 3), rng=np.random.default_rng(0), dtype=np.float64)
    for mine, theirs in zip(rebuilt.parameters(), layer.parameters(), strict=True):
        np.testing.assert_array_equal(mine.value, theirs.value)


# ----- training ---------------------------------------------------------------------------
@pytest.mark.parametrize("cell", MAIN_CELLS)
def test_learns_to_remember_the_first_step(cell):
    """The label is the sign of x[:, 0, 0], seen 12 steps before the output: only a layer
    whose gradient flows back through time learns it (chance is 50%). float32 end to end."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 12, 2)).astype(np.float32)
    y = (x[:, 0, 0] > 0).astype(np.int64)
    model = leannet.Sequential([CELLS[cell](16), Dense(2)], input_shape=(12, 2), seed=0)
    model.compile(loss="cross_entropy", optimizer=leannet.optim.Adam(lr=0.01),
                  metrics=["accuracy"])
    model.fit(x[:384], y[:384], epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x[384:], y[384:])["accuracy"] >= 0.85
