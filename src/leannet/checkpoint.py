"""Checkpoints: training that resumes bit-identically after a crash.

    save_checkpoint(model, "run/", epoch)         # after epoch ``epoch`` (0-based) finished
    model.fit(x, y, epochs=E, resume_from="run/")  # same model and compile, fresh process

A checkpoint is a model file (see serialization.py; ``load_model`` reads it too) that always
holds the optimizer state (moments and ``iterations``, which is also the position of a
learning-rate schedule) plus a ``training`` section:

    {"epoch": k,                  the epoch just finished, 0-based; training resumes at k + 1
     "rng_state": {...},          model.rng.bit_generator.state (shuffling, Dropout masks)
     "history": {"epoch": [...], "history": {"loss": [...], ...}},
     "lr": 0.001 or {schedule config} or null}   the optimizer's learning rate at that point

A killed ``fit(epochs=E)`` resumed with ``fit(epochs=E, resume_from=...)`` ends with exactly
the weights of a run never interrupted, given the same seed, data and callbacks. (The
internal counters of callbacks such as EarlyStopping's patience start afresh, as in Keras.)

A path that is a directory means the latest checkpoint in it: ``DIR/checkpoint.leannet``,
which ``ModelCheckpoint(DIR)`` rewrites after every epoch, or else the ``*.leannet``
checkpoint in DIR with the highest epoch. Every write is atomic.
"""

import json
import os
import warnings

import numpy as np

from leannet import serialization
from leannet.errors import ModelFileError
from leannet.optim import schedules

CHECKPOINT_FILE = "checkpoint.leannet"


def save_checkpoint(model, path, epoch, history=None):
    """Write a checkpoint after ``epoch`` (0-based) finished; returns the path written.

    ``history`` (a History) defaults to ``model.history``, which ``fit`` keeps current.
    """
    if model.optimizer is None:
        raise ValueError("save_checkpoint: compile the model first (a checkpoint holds the "
                         "optimizer state)")
    path = os.fspath(path)
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        os.makedirs(path, exist_ok=True)
        path = os.path.join(path, CHECKPOINT_FILE)
    training = {
        "epoch": int(epoch),
        "rng_state": _to_json(model.rng.bit_generator.state),
        "history": _history_document(history if history is not None else model.history),
        "lr": _lr_document(model.optimizer),
    }
    serialization.write_model_file(model, path, include_optimizer=True, training=training)
    return path


def restore_checkpoint(model, path):
    """Load a checkpoint into ``model`` (built or not, compiled with the same loss and
    optimizer class); returns the epoch to resume at. Checks everything before changing
    anything: on error the model is left as it was."""
    path = resolve_checkpoint(path)
    model_file = serialization.read_model_file(path)
    training = _training_section(model_file)
    if model.loss is None or model.optimizer is None:
        raise ValueError(f"compile the model (same loss and optimizer) before resuming from "
                         f"{path}")
    if not model.built:
        model.build(model_file.document["model"]["input_shape"])
    check_architecture(model_file, model)
    weights = serialization.checked_weights(model_file, model)
    optimizer_state = serialization.checked_optimizer_state(model_file, model)
    if optimizer_state is None:
        raise ModelFileError(f"{path}: the checkpoint holds no optimizer state")
    lr = _checked_lr(model_file, training["lr"])
    _checked_rng_state(model_file, model, training["rng_state"])

    model.load_state_dict(weights)
    model.optimizer.load_state_dict(optimizer_state)
    if lr is not None:
        model.optimizer.lr = lr
    model.rng.bit_generator.state = training["rng_state"]
    model.history = _restored_history(training["history"])
    return training["epoch"] + 1


def resolve_checkpoint(path):
    """A checkpoint file's path; a directory stands for the latest checkpoint in it."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        return path
    found = latest_checkpoint(path)
    if found is None:
        raise FileNotFoundError(f"no checkpoint in directory {path!r} (looked for "
                                f"{CHECKPOINT_FILE} and *.leannet checkpoints)")
    return found


def latest_checkpoint(directory):
    """DIR/checkpoint.leannet if present, else the *.leannet checkpoint with the highest
    epoch (unreadable files are skipped with a warning); None if there is none."""
    default = os.path.join(directory, CHECKPOINT_FILE)
    if os.path.isfile(default):
        return default
    best = None
    for name in sorted(os.listdir(directory)):
        candidate = os.path.join(directory, name)
        if name.startswith(".") or not name.endswith(".leannet"):
            continue
        try:
            training = serialization.read_header(candidate).get("training")
        except (OSError, ModelFileError) as error:
            warnings.warn(f"skipping {candidate}: {error}", stacklevel=2)
            continue
        epoch = training.get("epoch") if isinstance(training, dict) else None
        if serialization.is_integer(epoch) and (best is None or epoch > best[0]):
            best = (epoch, candidate)
    return None if best is None else best[1]


def check_architecture(model_file, model):
    """The model must have the file's input shape, dtype and layers (class and config)."""
    spec = model_file.document["model"]
    saved = spec["layers"]
    current = [serialization.layer_spec(layer) for layer in model.layers]
    problems = []
    if list(model.input_shape) != spec["input_shape"]:
        problems.append(f"input shape {tuple(spec['input_shape'])} in the file, "
                        f"{model.input_shape} in the model")
    if model.dtype.name != spec["dtype"]:
        problems.append(f"dtype {spec['dtype']} in the file, {model.dtype.name} in the model")
    if len(saved) != len(current):
        problems.append(f"{len(saved)} layers in the file, {len(current)} in the model")
    for index, (old, new) in enumerate(zip(saved, current, strict=False)):
        if old != new:
            problems.append(f"layer {index} is {old} in the file, {new} in the model")
            break
    if problems:
        raise ModelFileError(f"{model_file.path}: the checkpoint does not fit this model: "
                             + "; ".join(problems))


# ----- the training section -----------------------------------------------------------
def _training_section(model_file):
    training = model_file.document["training"]
    path = model_file.path
    if training is None:
        raise ModelFileError(f"{path}: a model file, not a checkpoint (no training position); "
                             "write checkpoints with ModelCheckpoint or save_checkpoint")
    epoch = training.get("epoch")
    if not serialization.is_integer(epoch) or epoch < 0:
        raise ModelFileError(f"{path}: training.epoch must be an integer >= 0, got {epoch!r}")
    serialization.check_type(path, training.get("rng_state"), (dict,), "training.rng_state")
    serialization.check_type(path, training.get("lr"), (int, float, dict, type(None)),
                           "training.lr")
    history = serialization.check_type(path, training.get("history"), (dict,), "training.history")
    epochs = serialization.check_type(path, history.get("epoch"), (list,), "history.epoch")
    logs = serialization.check_type(path, history.get("history"), (dict,), "history.history")
    for key, values in logs.items():
        serialization.check_type(path, values, (list,), f"history.history[{key!r}]")
    if not all(serialization.is_integer(e) for e in epochs):
        raise ModelFileError(f"{path}: history.epoch must hold integers")
    return training


def _checked_lr(model_file, lr):
    """The saved learning rate as the optimizer takes it (a float or a Schedule)."""
    if lr is None:
        return None
    try:
        return schedules.get(lr) if isinstance(lr, dict) else float(lr)
    except Exception as error:  # bad values from the file reach schedule constructors
        raise ModelFileError(f"{model_file.path}: training.lr is not a learning rate "
                             f"({type(error).__name__}: {error})") from error


def _checked_rng_state(model_file, model, state):
    """Try the state on a fresh generator of the model's kind before touching the model."""
    probe = type(model.rng.bit_generator)()
    try:
        probe.state = state
    except Exception as error:  # wrong kind of generator, wrong types
        raise ModelFileError(f"{model_file.path}: training.rng_state does not fit the "
                             f"model's {type(probe).__name__} generator "
                             f"({type(error).__name__}: {error})") from error


def _lr_document(optimizer):
    lr = optimizer.lr
    if isinstance(lr, schedules.Schedule):
        try:
            config = lr.get_config()
            schedules.get(json.loads(json.dumps(config)))
        except (TypeError, ValueError, AttributeError):
            return None  # a schedule that cannot be saved: the resumed run keeps its own
        return config
    return float(lr) if isinstance(lr, (int, float)) else None


def _history_document(history):
    if history is None:
        return {"epoch": [], "history": {}}
    logs = {key: [_to_json(value) for value in values]
            for key, values in history.history.items()}
    return {"epoch": [int(epoch) for epoch in history.epoch], "history": logs}


def _restored_history(document):
    from leannet.callbacks import History  # callbacks.py imports this module

    history = History()
    history.epoch = list(document["epoch"])
    history.history = {key: list(values) for key, values in document["history"].items()}
    return history


def _to_json(value):
    """NumPy scalars and arrays -> Python numbers and lists, recursively."""
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
