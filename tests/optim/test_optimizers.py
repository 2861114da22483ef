"""Optimizers: first steps against values worked out by hand on a tiny problem."""

import math

import numpy as np
import pytest

from leannet import optim
from leannet.optim import SGD, Adam, AdamW, RMSprop, StepDecay
from leannet.parameter import Parameter

W0 = np.array([1.0, -2.0, 3.0])
G1 = np.array([0.5, -4.0, 0.01])
G2 = np.array([-1.0, 2.0, 0.3])


def parameter(value=W0, name="w", trainable=True):
    return Parameter(np.array(value, dtype=np.float64), name=name, trainable=trainable)


def take_step(optimizer, param, grad):
    param.grad[...] = grad
    optimizer.step([param])
    return param.value.copy()


def test_sgd_plain_step():
    param = parameter()
    np.testing.assert_allclose(take_step(SGD(lr=0.1), param, G1), W0 - 0.1 * G1)


def test_sgd_weight_decay_is_added_to_the_gradient():
    param = parameter()
    after = take_step(SGD(lr=0.1, weight_decay=0.5), param, G1)
    np.testing.assert_allclose(after, W0 - 0.1 * (G1 + 0.5 * W0))


def test_sgd_momentum_second_step():
    """v1 = g1, w1 = w0 - lr g1;  v2 = mu g1 + g2, w2 = w1 - lr (mu g1 + g2)."""
    param, optimizer = parameter(), SGD(lr=0.1, momentum=0.9)
    w1 = take_step(optimizer, param, G1)
    np.testing.assert_allclose(w1, W0 - 0.1 * G1)
    w2 = take_step(optimizer, param, G2)
    np.testing.assert_allclose(w2, w1 - 0.1 * (0.9 * G1 + G2))


def test_sgd_nesterov_second_step():
    """v_t = mu v + g_t and the step is g_t + mu v_t (the PyTorch form)."""
    param, optimizer = parameter(), SGD(lr=0.1, momentum=0.9, nesterov=True)
    w1 = take_step(optimizer, param, G1)
    np.testing.assert_allclose(w1, W0 - 0.1 * (G1 + 0.9 * G1))
    w2 = take_step(optimizer, param, G2)
    v2 = 0.9 * G1 + G2
    np.testing.assert_allclose(w2, w1 - 0.1 * (G2 + 0.9 * v2))


def test_rmsprop_first_step():
    """s1 = (1 - rho) g^2, so the step is lr g / (sqrt(1 - rho) |g| + eps)."""
    param = parameter()
    after = take_step(RMSprop(lr=0.01, rho=0.9, epsilon=1e-7), param, G1)
    np.testing.assert_allclose(after, W0 - 0.01 * G1 / (math.sqrt(0.1) * np.abs(G1) + 1e-7))
    np.testing.assert_allclose(after, W0 - 0.01 * np.sign(G1) / math.sqrt(0.1), rtol=1e-6)


def test_adam_first_step_moves_each_weight_by_lr():
    """Bias correction makes m_hat = g and v_hat = g^2: the step is lr g / (|g| + eps)."""
    param = parameter()
    after = take_step(Adam(lr=0.01), param, G1)
    np.testing.assert_allclose(after, W0 - 0.01 * np.sign(G1), rtol=0, atol=1e-8)
    np.testing.assert_allclose(after, W0 - 0.01 * G1 / (np.abs(G1) + 1e-8), rtol=1e-12)


def test_adam_second_step_by_hand():
    param, optimizer = parameter(), Adam(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    w1 = take_step(optimizer, param, G1)
    w2 = take_step(optimizer, param, G2)
    m = 0.9 * (0.1 * G1) + 0.1 * G2
    v = 0.999 * (0.001 * G1**2) + 0.001 * G2**2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    np.testing.assert_allclose(w2, w1 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-12)


def test_adamw_decay_is_decoupled():
    """With a zero gradient, AdamW moves w by lr * wd * w; Adam's coupled decay instead feeds
    wd * w through the moments, so its first step is a full lr * sign(w)."""
    zero = np.zeros(3)
    after_adamw = take_step(AdamW(lr=0.1, weight_decay=0.01), parameter(), zero)
    np.testing.assert_allclose(after_adamw, W0 - 0.1 * 0.01 * W0, rtol=1e-12)
    after_adam = take_step(Adam(lr=0.1, weight_decay=0.01), parameter(), zero)
    np.testing.assert_allclose(after_adam, W0 - 0.1 * np.sign(W0), rtol=1e-6)


def test_adamw_with_gradient_is_decay_then_adam():
    after = take_step(AdamW(lr=0.1, weight_decay=0.01), parameter(), G1)
    np.testing.assert_allclose(after, W0 * (1 - 0.1 * 0.01) - 0.1 * np.sign(G1), atol=1e-7)


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=0.1), lambda: SGD(lr=0.1, momentum=0.9), lambda: RMSprop(),
    lambda: Adam(), lambda: AdamW(),
], ids=["sgd", "momentum", "rmsprop", "adam", "adamw"])
def test_frozen_parameters_are_skipped_and_get_no_state(make):
    optimizer = make()
    live, frozen = parameter(name="live"), parameter(name="frozen", trainable=False)
    live.grad[...] = G1
    frozen.grad[...] = G1
    optimizer.step([live, frozen])
    optimizer.step([live, frozen])
    np.testing.assert_array_equal(frozen.value, W0)
    assert not np.array_equal(live.value, W0)
    assert frozen not in optimizer.state
    assert "frozen" not in optimizer.state_dict()["slots"]


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=0.1, momentum=0.9, nesterov=True), lambda: RMSprop(lr=0.01),
    lambda: Adam(lr=0.01), lambda: AdamW(lr=0.01, weight_decay=0.1),
], ids=["nesterov", "rmsprop", "adam", "adamw"])
def test_state_dict_round_trip_gives_identical_next_steps(make):
    rng = np.random.default_rng(0)
    first = [parameter(rng.standard_normal(3), name="a"), parameter(rng.standard_normal(2), "b")]
    original = make()
    for _ in range(3):
        for param in first:
            param.grad[...] = rng.standard_normal(param.shape)
        original.step(first)
    saved = original.state_dict()
    copies = [parameter(p.value, name=p.name) for p in first]
    restored = make()
    restored.load_state_dict(saved)
    assert restored.iterations == 3
    for _ in range(2):
        for param, copy in zip(first, copies, strict=True):
            param.grad[...] = copy.grad[...] = rng.standard_normal(param.shape)
        original.step(first)
        restored.step(copies)
        for param, copy in zip(first, copies, strict=True):
            np.testing.assert_array_equal(param.value, copy.value)


def test_state_dict_is_a_copy():
    param, optimizer = parameter(), Adam()
    take_step(optimizer, param, G1)
    saved = optimizer.state_dict()
    m = saved["slots"]["w"]["m"].copy()
    take_step(optimizer, param, G2)
    np.testing.assert_array_equal(saved["slots"]["w"]["m"], m)


def test_schedule_as_learning_rate():
    """current_lr follows the schedule by step count, and each step uses it."""
    optimizer = SGD(lr=StepDecay(1.0, step_size=2, gamma=0.5))
    param = parameter()
    seen = []
    for _ in range(5):
        seen.append(optimizer.current_lr)
        before = param.value.copy()
        after = take_step(optimizer, param, G1)
        np.testing.assert_allclose(before - after, seen[-1] * G1)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert optimizer.iterations == 5 and optimizer.current_lr == 0.25


def test_clipping():
    param = parameter()
    after = take_step(SGD(lr=1.0, clipvalue=1.0), param, G1)
    np.testing.assert_allclose(after, W0 - np.clip(G1, -1, 1))
    a, b = parameter([0.0, 0.0], "a"), parameter([0.0], "b")
    a.grad[...], b.grad[...] = [3.0, 0.0], [4.0]  # global norm 5
    SGD(lr=1.0, clipnorm=1.0).step([a, b])
    np.testing.assert_allclose(np.concatenate([a.value, b.value]), [-0.6, 0.0, -0.8])


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=0.1, momentum=0.9), lambda: RMSprop(), lambda: Adam(), lambda: AdamW(),
], ids=["momentum", "rmsprop", "adam", "adamw"])
def test_float32_stays_float32(make):
    param = Parameter(W0.astype(np.float32), name="w")
    take_step(make(), param, G1.astype(np.float32))
    assert param.value.dtype == np.float32


@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("Adam", Adam), ("adamw", AdamW),
                                       ("rmsprop", RMSprop)])
def test_get_by_name(name, cls):
    assert type(optim.get(name)) is cls
    optimizer = Adam()
    assert optim.get(optimizer) is optimizer


@pytest.mark.parametrize("bad", ["adagrad", None])
def test_unknown_optimizer_raises(bad):
    with pytest.raises(ValueError, match=rf"unknown optimizer {bad!r}; expected one of"):
        optim.get(bad)


@pytest.mark.parametrize("optimizer", [
    SGD(lr=0.2, momentum=0.8, nesterov=True, weight_decay=0.1), RMSprop(lr=0.01, rho=0.8),
    Adam(lr=3e-4, beta_1=0.8, clipnorm=1.0), AdamW(lr=StepDecay(0.1, 10), weight_decay=0.05),
])
def test_config_round_trip(optimizer):
    rebuilt = optim.from_config(optimizer.get_config())
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(lr=0), r"SGD: lr must be a positive number, got 0"),
    (lambda: Adam(lr=-1e-3), r"Adam: lr must be a positive number, got -0.001"),
    (lambda: SGD(lr="fast"), r"SGD: lr must be a positive number, got 'fast'"),
    (lambda: SGD(momentum=-0.5), r"SGD: momentum must be a number >= 0, got -0.5"),
    (lambda: SGD(nesterov=True), r"SGD: nesterov=True needs momentum > 0"),
    (lambda: Adam(weight_decay=-1), r"Adam: weight_decay must be a number >= 0, got -1"),
    (lambda: Adam(clipnorm=0), r"Adam: clipnorm must be a positive number, got 0"),
    (lambda: Adam(beta_1=1.0), r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta_2=-0.1), r"Adam: beta_2 must be in \[0, 1\), got -0.1"),
    (lambda: RMSprop(rho=1.5), r"RMSprop: rho must be in \[0, 1\), got 1.5"),
    (lambda: Adam(epsilon=0), r"Adam: epsilon must be a positive number, got 0"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_numpy_numbers_are_accepted():
    """A learning rate read from a NumPy array (np.float32(0.1)) is a number like any other."""
    optimizer = SGD(lr=np.float32(0.5), momentum=np.float64(0.9), weight_decay=np.float32(0))
    assert optimizer.current_lr == 0.5 and isinstance(optimizer.current_lr, float)
