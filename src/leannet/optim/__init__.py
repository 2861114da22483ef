"""Optimizers and learning-rate schedules."""

from leannet.optim.optimizers import (
    SGD,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    clip_gradients,
    from_config,
    get,
)
from leannet.optim.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    LinearWarmup,
    ScaledSchedule,
    Schedule,
    StepDecay,
)

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_gradients", "get", "from_config",
    "Schedule", "Constant", "StepDecay", "ExponentialDecay", "CosineDecay", "LinearWarmup",
    "ScaledSchedule",
]
