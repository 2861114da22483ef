"""Optimizers: update each trainable Parameter in place from its ``.grad``.

    SGD        v = mu v + g;  p -= lr v               (Nesterov: p -= lr (g + mu v))
    RMSprop    s = rho s + (1 - rho) g^2;  p -= lr g / (sqrt(s) + eps)
    Adam       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
               p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    AdamW      Adam, plus decoupled decay first:  p -= lr * weight_decay * p

``weight_decay`` on SGD, RMSprop and Adam is the classic coupled form (g += wd * p, as in
PyTorch). Before any update, ``clipvalue`` clips each gradient element to [-c, c] and
``clipnorm`` rescales all gradients together so their global L2 norm is at most c.

State (moments, step count) is kept per Parameter, so one optimizer serves any set of
parameters; frozen parameters (``trainable=False``) are skipped and get no state.
"""

import math
from numbers import Real

import numpy as np

from leannet.optim import schedules


class Optimizer:
    def __init__(self, lr=0.01, weight_decay=0.0, clipnorm=None, clipvalue=None):
        self.lr = lr
        self.weight_decay = _non_negative(type(self).__name__, "weight_decay", weight_decay)
        self.clipnorm = None if clipnorm is None else _positive(self, "clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive(self, "clipvalue", clipvalue)
        self.iterations = 0  # steps taken; the position of the learning-rate schedule
        self.state = {}  # Parameter -> {slot name: array}
        self._loaded_slots = {}  # parameter name -> slots, from load_state_dict
        self._scratch_arrays = {}  # Parameter -> work array reused across steps

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = value if callable(value) else _positive(self, "lr", value)

    @property
    def current_lr(self):
        """The learning rate the next step will use."""
        return float(self._lr(self.iterations)) if callable(self._lr) else self._lr

    def step(self, parameters):
        """Update every trainable parameter from its gradient; advance the schedule."""
        trainable = [p for p in parameters if p.trainable]
        clip_gradients(trainable, self.clipnorm, self.clipvalue)
        lr = self.current_lr
        self.iterations += 1
        for param in trainable:
            self.update(param, self._slots(param), lr)

    def update(self, param, slots, lr):
        raise NotImplementedError

    def new_slots(self, param):
        """Fresh state for one parameter: {slot name: zeros like the value}."""
        return {}

    def _slots(self, param):
        slots = self.state.get(param)
        if slots is None:
            slots = self._loaded_slots.pop(param.name, None) or self.new_slots(param)
            self.state[param] = slots
        return slots

    def _scratch(self, param):
        """A reusable work array shaped like ``param`` (not part of the saved state)."""
        scratch = self._scratch_arrays.get(param)
        if scratch is None or scratch.shape != param.value.shape \
                or scratch.dtype != param.value.dtype:
            scratch = self._scratch_arrays[param] = np.empty_like(param.value)
        return scratch

    def _decayed_gradient(self, param):
        if self.weight_decay:
            return param.grad + self.weight_decay * param.value
        return param.grad

    # ----- saving ---------------------------------------------------------------------
    def get_config(self):
        lr = self._lr.get_config() if isinstance(self._lr, schedules.Schedule) else self._lr
        return {"class_name": type(self).__name__, "lr": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue, **self._arguments()}

    def _arguments(self):
        return {}

    def state_dict(self):
        """{"iterations": t, "slots": {parameter name: {slot: array}}} — copies."""
        slots = {p.name: {k: v.copy() for k, v in s.items()} for p, s in self.state.items()}
        for name, pending in self._loaded_slots.items():
            slots.setdefault(name, {k: v.copy() for k, v in pending.items()})
        return {"iterations": self.iterations, "slots": slots}

    def load_state_dict(self, state):
        """Restore moments and step count; slots attach to parameters by name on first use."""
        self.iterations = int(state["iterations"])
        self.state = {}
        self._loaded_slots = {
            name: {k: np.array(v) for k, v in slots.items()}
            for name, slots in state["slots"].items()
        }


def clip_gradients(parameters, clipnorm=None, clipvalue=None):
    """Clip in place: each element to [-clipvalue, clipvalue], then the global norm."""
    if clipvalue is not None:
        for param in parameters:
            np.clip(param.grad, -clipvalue, clipvalue, out=param.grad)
    if clipnorm is not None:
        total = np.sqrt(sum(float(np.sum(p.grad * p.grad)) for p in parameters))
        if total > clipnorm:
            for param in parameters:
                param.grad *= clipnorm / total


class SGD(Optimizer):
    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(lr=lr, **kwargs)
        self.momentum = _non_negative("SGD", "momentum", momentum)
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def new_slots(self, param):
        return {"velocity": np.zeros_like(param.value)} if self.momentum else {}

    def update(self, param, slots, lr):
        grad = self._decayed_gradient(param)
        if not self.momentum:
            param.value -= lr * grad
            return
        velocity, scratch = slots["velocity"], self._scratch(param)
        velocity *= self.momentum
        velocity += grad
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=scratch)
            scratch += grad
        else:
            scratch[...] = velocity
        scratch *= lr
        param.value -= scratch

    def _arguments(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    def __init__(self, lr=1e-3, rho=0.9, epsilon=1e-7, **kwargs):
        super().__init__(lr=lr, **kwargs)
        self.rho = _fraction(self, "rho", rho)
        self.epsilon = _positive(self, "epsilon", epsilon)

    def new_slots(self, param):
        return {"mean_square": np.zeros_like(param.value)}

    def update(self, param, slots, lr):
        grad = self._decayed_gradient(param)
        mean_square, scratch = slots["mean_square"], self._scratch(param)
        np.multiply(grad, grad, out=scratch)  # s = rho (s - g^2) + g^2
        mean_square -= scratch
        mean_square *= self.rho
        mean_square += scratch
        np.sqrt(mean_square, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        param.value -= scratch

    def _arguments(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    def __init__(self, lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(lr=lr, **kwargs)
        self.beta_1 = _fraction(self, "beta_1", beta_1)
        self.beta_2 = _fraction(self, "beta_2", beta_2)
        self.epsilon = _positive(self, "epsilon", epsilon)

    def new_slots(self, param):
        return {"m": np.zeros_like(param.value), "v": np.zeros_like(param.value)}

    def update(self, param, slots, lr):
        grad = self._decayed_gradient(param)
        self._adam_step(param, slots, grad, lr)

    def _adam_step(self, param, slots, grad, lr):
        """In place, with one scratch array: no temporaries the size of the parameter.

        With c = sqrt(1 - b2^t), the update lr/(1 - b1^t) * m / (sqrt(v)/c + eps) is
        computed as the equal (lr c / (1 - b1^t)) * m / (sqrt(v) + eps c).
        """
        m, v, scratch = slots["m"], slots["v"], self._scratch(param)
        t = self.iterations
        m -= grad  # m = b1 m + (1 - b1) g  =  b1 (m - g) + g
        m *= self.beta_1
        m += grad
        np.multiply(grad, grad, out=scratch)  # v = b2 (v - g^2) + g^2
        v -= scratch
        v *= self.beta_2
        v += scratch
        correction = math.sqrt(1.0 - self.beta_2**t)
        np.sqrt(v, out=scratch)
        scratch += self.epsilon * correction
        np.divide(m, scratch, out=scratch)
        scratch *= lr * correction / (1.0 - self.beta_1**t)
        param.value -= scratch

    def _arguments(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay: p -= lr * wd * p, separate from the gradient."""

    def __init__(self, lr=1e-3, weight_decay=1e-2, **kwargs):
        super().__init__(lr=lr, weight_decay=weight_decay, **kwargs)

    def update(self, param, slots, lr):
        if self.weight_decay:
            param.value *= 1.0 - lr * self.weight_decay
        self._adam_step(param, slots, param.grad, lr)


OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(optimizer):
    """An Optimizer, or a name ("sgd", "rmsprop", "adam", "adamw") with default settings."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(
        f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)} or an Optimizer"
    )


def from_config(config):
    """Rebuild an optimizer from ``get_config()``'s dict."""
    config = dict(config)
    name = str(config.pop("class_name", "")).lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer class {name!r}")
    if isinstance(config.get("lr"), dict):
        config["lr"] = schedules.get(config["lr"])
    return OPTIMIZERS[name](**config)


def _is_number(value):
    """A real number, NumPy scalars included (np.float32(0.1)); not a bool."""
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _positive(owner, name, value):
    where = owner if isinstance(owner, str) else type(owner).__name__
    if not _is_number(value) or not value > 0:
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")
    return float(value)


def _non_negative(where, name, value):
    if not _is_number(value) or not value >= 0:
        raise ValueError(f"{where}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _fraction(owner, name, value):
    """A decay rate in [0, 1): at 1 Adam's bias correction would divide by zero."""
    if not _is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{type(owner).__name__}: {name} must be in [0, 1), got {value!r}")
    return float(value)
