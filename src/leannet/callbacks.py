"""Callbacks: code that runs at fixed points of ``fit``, with Keras' hook names.

Subclass ``Callback`` and override any hook; ``self.model`` is set before training. A
callback stops training by setting ``self.model.stop_training = True``. Epochs are counted
from 0 in hooks (as in Keras); ``logs`` at ``on_epoch_end`` holds ``loss``, the metrics,
``val_*`` when there is validation data, and ``lr``. Callbacks run in list order, after
``History``, and all see (and may add to) the same ``logs`` dict.

    EarlyStopping        stop when a monitored value stops improving; can restore the best
    ReduceLROnPlateau    lower the learning rate when it stalls
    LearningRateScheduler  set the learning rate from a function of the epoch
    CSVLogger            one CSV row per epoch
    ModelCheckpoint      save a model file or a resumable checkpoint during training
"""

import csv
import inspect
import math
import os
import warnings

from leannet import checkpoint, serialization
from leannet.optim import schedules


class Callback:
    def __init__(self):
        self.model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Per-epoch logs: ``history.history["loss"]`` is the list of epoch losses, and so on."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
        self.has_batch_hooks = any(
            type(c).on_train_batch_begin is not Callback.on_train_batch_begin
            or type(c).on_train_batch_end is not Callback.on_train_batch_end
            for c in self.callbacks
        )

    def call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


# ----- watching a monitored value -----------------------------------------------------
_MAXIMISED = ("acc", "auc", "precision", "recall", "f1")


def _direction(owner, mode, monitor):
    """"min" or "max"; "auto" maximises accuracy-like names and minimises the rest."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(part in monitor for part in _MAXIMISED) else "min"


def _improved(direction, current, best, min_delta=0.0):
    """Better than ``best`` by more than ``min_delta``."""
    if direction == "min":
        return current < best - min_delta
    return current > best + min_delta


def _monitored_value(owner, monitor, logs):
    """The monitored number from ``logs``, or None with a warning that names what exists."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        hint = "pass validation_data or validation_split, or " if monitor.startswith("val_") else ""
        warnings.warn(f"{type(owner).__name__}: the monitored value {monitor!r} is not in the "
                      f"logs (available: {sorted(logs)}); {hint}monitor one of those",
                      RuntimeWarning, stacklevel=3)
        return None
    return float(value)


def _check_count(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{owner}: {name} must be an integer >= 0, got {value!r}")
    return value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An improvement beats the best value so far by more than ``min_delta``. ``mode`` is
    "min", "max" or "auto" (max for accuracy-like names, else min). With
    ``restore_best_weights`` the model gets back the weights and buffers of its best epoch
    when training ends, whether it stopped early or ran out of epochs (as Keras 3 does).
    After training: ``stopped_epoch`` (0-based, 0 if it did not stop early), ``best``,
    ``best_epoch``.
    """

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=False, verbose=0):
        super().__init__()
        self.monitor = monitor
        self.patience = _check_count("EarlyStopping", "patience", patience)
        self.min_delta = abs(float(min_delta))
        self.direction = _direction("EarlyStopping", mode, monitor)
        self.restore_best_weights = bool(restore_best_weights)
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, None
        self.best = math.inf if self.direction == "min" else -math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored_value(self, self.monitor, logs)
        if current is None:
            return
        self.wait += 1
        if _improved(self.direction, current, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping ({self.monitor} "
                  f"best {self.best:.6g} at epoch {self.best_epoch + 1})")
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved (by more
    than ``min_delta``) for ``patience`` epochs; never below ``min_lr``; then wait
    ``cooldown`` epochs before counting again (Keras semantics).

    A float ``optimizer.lr`` is replaced by the lower float. A schedule is wrapped in (or
    its existing wrapper updated to) ``ScaledSchedule(schedule, s)``, so the whole schedule
    is scaled from this step on and keeps its shape; ``min_lr`` bounds the rate at the
    moment of the cut (a decaying schedule may go lower later, as it would have anyway).
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, min_delta=1e-4,
                 min_lr=0.0, mode="auto", cooldown=0, verbose=0):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        if min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr!r}")
        self.monitor, self.factor, self.min_lr = monitor, float(factor), float(min_lr)
        self.patience = _check_count("ReduceLROnPlateau", "patience", patience)
        self.cooldown = _check_count("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_delta = abs(float(min_delta))
        self.direction = _direction("ReduceLROnPlateau", mode, monitor)
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.inf if self.direction == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored_value(self, self.monitor, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _improved(self.direction, current, self.best, self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, epoch):
        """Lower the learning rate; False if it already is at ``min_lr``."""
        optimizer = self.model.optimizer
        old = optimizer.current_lr
        if old <= self.min_lr:
            return False
        new = max(old * self.factor, self.min_lr)
        if not callable(optimizer.lr):
            optimizer.lr = new
        elif isinstance(optimizer.lr, schedules.ScaledSchedule):
            optimizer.lr.factor *= new / old
        else:
            optimizer.lr = schedules.ScaledSchedule(optimizer.lr, new / old)
        if self.verbose:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowered the learning rate to {new:.6g}")
        return True


class LearningRateScheduler(Callback):
    """At the start of each epoch set ``optimizer.lr = schedule(epoch)`` (0-based epoch), or
    ``schedule(epoch, lr)`` when the function takes two arguments (Keras style).

    It replaces whatever the optimizer had, a per-step schedule included (with a warning).
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be a function, "
                             f"got {schedule!r}")
        self.schedule = schedule
        self.takes_lr = _positional_arity(schedule) >= 2
        self.verbose = verbose

    def on_train_begin(self, logs=None):
        if callable(self.model.optimizer.lr):
            warnings.warn("LearningRateScheduler replaces the optimizer's learning-rate "
                          "schedule with one value per epoch", RuntimeWarning, stacklevel=2)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self.takes_lr:
            value = self.schedule(epoch, optimizer.current_lr)
        else:
            value = self.schedule(epoch)
        try:
            lr = math.nan if isinstance(value, bool) else float(value)  # NumPy scalars too
        except (TypeError, ValueError):
            lr = math.nan
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) must return a "
                             f"positive number, got {value!r}")
        optimizer.lr = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler set the learning rate to {lr:.6g}")


def _positional_arity(function):
    """How many positional arguments ``function`` accepts (a large number for *args)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return 99
    return sum(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
               for k in kinds)


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: ``epoch`` (0-based) then the logs' keys in
    sorted order (header from the first epoch's logs; a key missing later is ``NA``).

    ``append=True`` adds rows to an existing file, keeping its header and columns (useful
    when resuming). Each row is flushed as soon as it is written.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.file = None

    def on_train_begin(self, logs=None):
        self._close()
        self.keys = self._existing_columns() if self.append else None
        self.file = open(self.filename, "a" if self.append else "w", newline="",
                         encoding="utf-8")
        self.writer = csv.writer(self.file, delimiter=self.separator)

    def _existing_columns(self):
        try:
            with open(self.filename, newline="", encoding="utf-8") as file:
                header = next(csv.reader(file, delimiter=self.separator), None)
        except FileNotFoundError:
            return None
        return header[1:] if header and header[0] == "epoch" else None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(_csv_value(logs.get(key, "NA")) for key in self.keys)])
        self.file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


def _csv_value(value):
    """Numbers in full precision (``repr`` of a float round-trips exactly)."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


class ModelCheckpoint(Callback):
    """Save the model at the end of every epoch (or only when ``monitor`` improves).

    ``filepath`` may hold format fields filled from the epoch (1-based, as in Keras) and the
    logs: ``"ckpt/epoch{epoch:02d}-{val_loss:.3f}.leannet"``. A directory (an existing one,
    or a string ending in "/"; pathlib drops that slash) means ``DIR/checkpoint.leannet``,
    rewritten every epoch: ``fit(resume_from=DIR)`` finds it.

    ``save_weights_only=False`` (default) writes a full checkpoint (``save_checkpoint``: the
    model file plus optimizer state, epoch, random state and history), which both
    ``leannet.load_model`` and ``fit(resume_from=...)`` accept. ``save_weights_only=True``
    writes a plain model file without optimizer state (``save_model(include_optimizer=
    False)``), for ``load_model`` / ``load_weights``; it cannot resume training.
    ``save_best_only`` compares with the best value seen by this callback object (strictly
    better; ``mode`` as in EarlyStopping). Every write is atomic.
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, mode="auto",
                 save_weights_only=False, verbose=0):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.direction = _direction("ModelCheckpoint", mode, monitor)
        self.save_weights_only = bool(save_weights_only)
        self.verbose = verbose
        self.best = math.inf if self.direction == "min" else -math.inf
        self.last_saved = None

    def on_epoch_end(self, epoch, logs=None):
        if self.save_best_only:
            current = _monitored_value(self, self.monitor, logs)
            if current is None or not _improved(self.direction, current, self.best):
                return
            self.best = current
        path = self._path(epoch, logs or {})
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            serialization.save_model(self.model, path, include_optimizer=False)
        else:
            checkpoint.save_checkpoint(self.model, path, epoch)
        self.last_saved = path
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved {path}")

    def _path(self, epoch, logs):
        if self.filepath.endswith(("/", os.sep)) or os.path.isdir(self.filepath):
            return os.path.join(self.filepath, checkpoint.CHECKPOINT_FILE)
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"ModelCheckpoint: cannot fill in {self.filepath!r} from the "
                             f"epoch and the logs {sorted(logs)} ({error!r})") from error


# At the end: tensorboard.py imports Callback from this module.
from leannet.tensorboard import TensorBoard  # noqa: E402,F401
