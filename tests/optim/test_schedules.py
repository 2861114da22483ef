"""Learning-rate schedules: each formula at a few steps, composition, config, bad arguments."""

import math

import pytest

from leannet.optim import (
    SGD,
    Constant,
    CosineDecay,
    ExponentialDecay,
    LinearWarmup,
    StepDecay,
    schedules,
)


def test_step_decay():
    schedule = StepDecay(0.1, step_size=10, gamma=0.5)
    expected = {0: 0.1, 9: 0.1, 10: 0.05, 19: 0.05, 25: 0.025, 100: 0.1 * 0.5**10}
    for step, lr in expected.items():
        assert schedule(step) == pytest.approx(lr, rel=1e-12), step


def test_exponential_decay():
    schedule = ExponentialDecay(0.2, decay_rate=0.5, decay_steps=4)
    for step, lr in {0: 0.2, 2: 0.2 / math.sqrt(2), 4: 0.1, 12: 0.025}.items():
        assert schedule(step) == pytest.approx(lr, rel=1e-12), step


def test_cosine_decay():
    schedule = CosineDecay(1.0, decay_steps=100)
    for step, lr in {0: 1.0, 25: (1 + math.cos(math.pi / 4)) / 2, 50: 0.5, 100: 0.0,
                     150: 0.0}.items():
        assert schedule(step) == pytest.approx(lr, abs=1e-12), step


def test_cosine_decay_to_a_floor():
    schedule = CosineDecay(0.5, decay_steps=10, min_lr=0.1)
    assert schedule(0) == pytest.approx(0.5)
    assert schedule(5) == pytest.approx(0.3)
    assert schedule(10) == schedule(1000) == pytest.approx(0.1)


def test_linear_warmup_to_a_constant():
    schedule = LinearWarmup(4, after=0.8)
    assert [schedule(s) for s in range(6)] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 0.8])


def test_linear_warmup_then_cosine_decay():
    """Ramp from start_lr to cosine's first value, then the cosine starts over from its step 0."""
    schedule = LinearWarmup(10, after=CosineDecay(1.0, decay_steps=20), start_lr=0.1)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.55)
    assert schedule(10) == pytest.approx(1.0)
    assert schedule(20) == pytest.approx(0.5)
    assert schedule(30) == pytest.approx(0.0, abs=1e-12)
    ramp = [schedule(s) for s in range(11)]
    assert ramp == sorted(ramp)
    decay = [schedule(s) for s in range(10, 31)]
    assert decay == sorted(decay, reverse=True)


def test_constant():
    assert Constant(0.3)(0) == Constant(0.3)(10_000) == 0.3


@pytest.mark.parametrize("schedule", [
    StepDecay(0.1, step_size=3, gamma=0.3),
    ExponentialDecay(0.1, decay_rate=0.9, decay_steps=7),
    CosineDecay(0.1, decay_steps=50, min_lr=0.001),
    LinearWarmup(5, after=CosineDecay(0.1, decay_steps=50), start_lr=0.01),
    LinearWarmup(5, after=0.3),
    Constant(0.2),
], ids=["step", "exponential", "cosine", "warmup_cosine", "warmup_constant", "constant"])
def test_config_round_trip(schedule):
    config = schedule.get_config()
    rebuilt = schedules.get(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == config
    assert [rebuilt(s) for s in range(0, 80, 3)] == [schedule(s) for s in range(0, 80, 3)]


def test_get():
    schedule = StepDecay(0.1, step_size=3)
    assert schedules.get(schedule) is schedule
    assert schedules.get(0.5)(99) == 0.5
    for bad in ("cosine", {"class_name": "Warp"}, None, True):
        with pytest.raises(ValueError, match="unknown learning-rate schedule"):
            schedules.get(bad)


def test_optimizer_follows_warmup_by_step_count():
    optimizer = SGD(lr=LinearWarmup(2, after=ExponentialDecay(1.0, decay_rate=0.5)))
    seen = []
    for _ in range(5):
        seen.append(optimizer.current_lr)
        optimizer.step([])
    assert seen == pytest.approx([0.0, 0.5, 1.0, 0.5, 0.25])


@pytest.mark.parametrize("make, match", [
    (lambda: StepDecay(0, step_size=10), r"StepDecay: initial_lr must be a positive number"),
    (lambda: StepDecay(0.1, step_size=0), r"StepDecay: step_size must be a positive integer"),
    (lambda: StepDecay(0.1, step_size=0.5), r"StepDecay: step_size must be a positive integer"
                                            r", got 0.5"),
    (lambda: StepDecay(0.1, step_size=10, gamma=-0.5), r"StepDecay: gamma must be"),
    (lambda: ExponentialDecay(0.1, decay_rate=0), r"ExponentialDecay: decay_rate must be a "
                                                  r"positive number, got 0"),
    (lambda: ExponentialDecay(0.1, 0.9, decay_steps=-1), r"decay_steps must be a positive"),
    (lambda: CosineDecay(-1.0, decay_steps=10), r"CosineDecay: initial_lr must be a positive"),
    (lambda: CosineDecay(0.1, decay_steps=0), r"CosineDecay: decay_steps must be a positive"),
    (lambda: CosineDecay(0.1, 10, min_lr=-0.1), r"CosineDecay: min_lr must be a number >= 0"),
    (lambda: CosineDecay(0.1, 10, min_lr=0.2), r"CosineDecay: min_lr must be .*<= initial_lr"),
    (lambda: LinearWarmup(0, after=0.1), r"LinearWarmup: warmup_steps must be a positive int"),
    (lambda: LinearWarmup(2.5, after=0.1), r"LinearWarmup: warmup_steps must be a positive int"),
    (lambda: LinearWarmup(5, after="cosine"), r"unknown learning-rate schedule 'cosine'"),
    (lambda: LinearWarmup(5, after=0.1, start_lr=-1), r"start_lr must be a number >= 0"),
    (lambda: Constant(0), r"Constant: lr must be a positive number, got 0"),
    (lambda: StepDecay("0.1", 10), r"initial_lr must be a positive number, got '0.1'"),
    (lambda: StepDecay(True, 10), r"initial_lr must be a positive number, got True"),
    (lambda: StepDecay(float("nan"), 10), r"initial_lr must be a positive number, got nan"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
