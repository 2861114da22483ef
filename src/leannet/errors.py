"""Exceptions that leannet raises on purpose (bad *input* raises plain ValueError)."""


class ModelFileError(ValueError):
    """A model or checkpoint file that is not ours, is damaged, or does not fit."""


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite during ``fit``."""
