"""Learning-rate schedules: callables ``schedule(step) -> lr``, ``step`` counting optimizer
steps (batches) from 0. Pass one as an optimizer's ``lr``. They compose: ``LinearWarmup``
wraps any schedule (or a constant) that takes over after the warm-up.

    StepDecay          lr0 * gamma^floor(step / step_size)
    ExponentialDecay   lr0 * rate^(step / decay_steps)
    CosineDecay        lr_min + (lr0 - lr_min) * (1 + cos(pi * min(step, T) / T)) / 2
    LinearWarmup       start + (target(0) - start) * step / W   for step < W, then target(step - W)
"""

import math
from numbers import Integral, Real


class Schedule:
    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return {"class_name": type(self).__name__, **self._arguments()}

    def _arguments(self):
        return {}


class StepDecay(Schedule):
    def __init__(self, initial_lr, step_size, gamma=0.1):
        _check_positive("StepDecay", initial_lr=initial_lr, gamma=gamma)
        _check_positive_integer("StepDecay", step_size=step_size)
        self.initial_lr, self.step_size, self.gamma = float(initial_lr), int(step_size), gamma

    def __call__(self, step):
        return self.initial_lr * self.gamma ** (step // self.step_size)

    def _arguments(self):
        return {"initial_lr": self.initial_lr, "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    def __init__(self, initial_lr, decay_rate, decay_steps=1):
        _check_positive("ExponentialDecay", initial_lr=initial_lr, decay_rate=decay_rate,
                        decay_steps=decay_steps)
        self.initial_lr, self.decay_rate = float(initial_lr), float(decay_rate)
        self.decay_steps = decay_steps

    def __call__(self, step):
        return self.initial_lr * self.decay_rate ** (step / self.decay_steps)

    def _arguments(self):
        return {"initial_lr": self.initial_lr, "decay_rate": self.decay_rate,
                "decay_steps": self.decay_steps}


class CosineDecay(Schedule):
    def __init__(self, initial_lr, decay_steps, min_lr=0.0):
        _check_positive("CosineDecay", initial_lr=initial_lr, decay_steps=decay_steps)
        _check_non_negative("CosineDecay", min_lr=min_lr)
        if min_lr > initial_lr:
            raise ValueError(f"CosineDecay: min_lr must be <= initial_lr, got min_lr={min_lr!r} "
                             f"and initial_lr={initial_lr!r}")
        self.initial_lr, self.decay_steps, self.min_lr = float(initial_lr), decay_steps, min_lr

    def __call__(self, step):
        progress = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.min_lr + (self.initial_lr - self.min_lr) * cosine

    def _arguments(self):
        return {"initial_lr": self.initial_lr, "decay_steps": self.decay_steps,
                "min_lr": self.min_lr}


class LinearWarmup(Schedule):
    """Ramp linearly from ``start_lr`` to ``after``'s first value over ``warmup_steps``."""

    def __init__(self, warmup_steps, after, start_lr=0.0):
        _check_positive_integer("LinearWarmup", warmup_steps=warmup_steps)
        _check_non_negative("LinearWarmup", start_lr=start_lr)
        self.warmup_steps, self.start_lr = int(warmup_steps), float(start_lr)
        self.after = get(after)

    def __call__(self, step):
        if step < self.warmup_steps:
            target = self.after(0)
            return self.start_lr + (target - self.start_lr) * step / self.warmup_steps
        return self.after(step - self.warmup_steps)

    def _arguments(self):
        return {"warmup_steps": self.warmup_steps, "after": self.after.get_config(),
                "start_lr": self.start_lr}


class Constant(Schedule):
    def __init__(self, lr):
        _check_positive("Constant", lr=lr)
        self.lr = float(lr)

    def __call__(self, step):
        return self.lr

    def _arguments(self):
        return {"lr": self.lr}


class ScaledSchedule(Schedule):
    """``factor * schedule(step)``: how ReduceLROnPlateau lowers a scheduled learning rate,
    keeping the schedule's shape (warm-up, decay) and scaling all of it."""

    def __init__(self, schedule, factor):
        self.schedule = schedule if callable(schedule) else get(schedule)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
            raise ValueError(f"ScaledSchedule: factor must be a positive number, got {factor!r}")
        self.factor = float(factor)

    def __call__(self, step):
        return self.factor * self.schedule(step)

    def _arguments(self):
        if not isinstance(self.schedule, Schedule):
            raise TypeError("ScaledSchedule: a plain function schedule has no config to save")
        return {"schedule": self.schedule.get_config(), "factor": self.factor}


SCHEDULES = {c.__name__: c for c in (StepDecay, ExponentialDecay, CosineDecay, LinearWarmup,
                                     Constant, ScaledSchedule)}


def get(spec):
    """A number, a Schedule, or a schedule's config dict -> a Schedule."""
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Constant(spec)
    if isinstance(spec, dict) and spec.get("class_name") in SCHEDULES:
        arguments = {k: v for k, v in spec.items() if k != "class_name"}
        return SCHEDULES[spec["class_name"]](**arguments)
    raise ValueError(f"unknown learning-rate schedule {spec!r}")


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_positive(where, **values):
    for name, value in values.items():
        if not _is_number(value) or not value > 0:  # "not >" also catches NaN
            raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")


def _check_non_negative(where, **values):
    for name, value in values.items():
        if not _is_number(value) or not value >= 0:
            raise ValueError(f"{where}: {name} must be a number >= 0, got {value!r}")


def _check_positive_integer(where, **values):
    """Step counts: 2.5 steps would be truncated silently, 0.5 to a division by zero."""
    for name, value in values.items():
        whole = isinstance(value, Integral) or (_is_number(value) and float(value).is_integer())
        if isinstance(value, bool) or not whole or not value >= 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
