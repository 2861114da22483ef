"""The steps of ``leannet train``: build the model, fit it with checkpoints, report."""

import math
import os
import time

from leannet import checkpoint, plots, presets, serialization
from leannet.callbacks import Callback, CSVLogger, ModelCheckpoint
from leannet.commands import runfiles
from leannet.commands.datasets import note
from leannet.commands.errors import CommandError, Interrupted
from leannet.commands.modelfile import score
from leannet.optim.optimizers import OPTIMIZERS, SGD
from leannet.optim.schedules import CosineDecay


def build_model(settings, resuming=False):
    """The preset, initialised from --init-from (not when resuming: the checkpoint holds
    the weights), frozen up to --freeze-until, and compiled."""
    name = settings["model"]
    try:
        model = presets.build_model(name, presets.INPUT_SHAPES[name],
                                    hidden=settings["hidden"], seed=settings["seed"])
    except presets.PresetUnavailableError as error:
        raise CommandError(str(error)) from None
    if settings["init_from"] and not resuming:
        _initialise_from(model, settings["init_from"])
    if settings["freeze_until"]:
        _freeze_until(model, settings["freeze_until"])
    model.compile(loss="cross_entropy", optimizer=_optimizer(settings), metrics=["accuracy"])
    return model


def _optimizer(settings):
    name, lr = settings["optimizer"], settings["lr"]
    if name == "sgd":
        return SGD(lr=lr, momentum=0.9)
    return OPTIMIZERS[name](lr=lr)


def _initialise_from(model, path):
    path = runfiles.model_path(path)
    report = model.load_weights(path, skip_mismatch=True)
    loaded = _layer_names(report.loaded)
    if not loaded:
        raise CommandError(f"{path}: none of its layers fits the {model.name} preset "
                           "(weights are matched by layer name and shape)")
    kept = [name for name in _layer_names(report.skipped) if name not in loaded]
    print(f"initialised {', '.join(loaded)} from {path}"
          + (f"; {', '.join(kept)} start from random weights" if kept else ""))


def _layer_names(array_names):
    """"dense_1.weight", "dense_1.bias" -> "dense_1", in order, once each."""
    return list(dict.fromkeys(name.rsplit(".", 1)[0] for name in array_names))


def _freeze_until(model, layer_name):
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise CommandError(f"--freeze-until: no layer named {layer_name!r}; the "
                           f"{model.name} preset has {', '.join(names)}")
    model.freeze(until=layer_name)


class EpochLine(Callback):
    """One line per epoch: always without progress bars, else only for validation scores
    (the bar shows the training loss and accuracy but is closed before validation)."""

    def __init__(self, epochs, progress):
        super().__init__()
        self.epochs, self.progress = epochs, progress

    def on_epoch_end(self, epoch, logs=None):
        shown = {key: value for key, value in (logs or {}).items()
                 if key != "lr" and (not self.progress or key.startswith("val_"))}
        if shown:
            figures = "  ".join(f"{key} {value:.4f}" for key, value in shown.items())
            print(f"epoch {epoch + 1}/{self.epochs}  {figures}", flush=True)


def fit(model, settings, x_train, y_train, out, progress, resume=False):
    """Train to ``settings["epochs"]`` with a checkpoint per epoch; returns the seconds."""
    epochs = settings["epochs"]
    kept = _check_split(len(x_train), settings["validation_split"])
    if settings["lr_schedule"] == "cosine" and not resume:  # a resumed run restores its own
        steps = epochs * math.ceil(kept / settings["batch_size"])
        model.optimizer.lr = CosineDecay(settings["lr"], decay_steps=steps)
    if resume:
        done = _checkpoint_epochs(out)
        print(f"resuming {out} after epoch {done} of {epochs}" if done < epochs else
              f"{out} has trained {done} epochs already: nothing left to train (give a "
              f"larger --epochs to go on)")
    callbacks = [CSVLogger(os.path.join(out, runfiles.HISTORY_FILE), append=resume),
                 ModelCheckpoint(out), EpochLine(epochs, progress)]
    start = time.perf_counter()
    try:
        model.fit(x_train, y_train, epochs=epochs, batch_size=settings["batch_size"],
                  validation_split=settings["validation_split"], callbacks=callbacks,
                  verbose=int(progress), resume_from=out if resume else None)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; continue with `leannet train --resume {out}`") from None
    return time.perf_counter() - start


def _check_split(num_samples, validation_split):
    """The number of training images that the validation split leaves."""
    if not validation_split:
        return num_samples
    kept = int(round(num_samples * (1.0 - validation_split)))
    if not 0 < kept < num_samples:
        raise CommandError(f"--validation-split {validation_split} leaves no training or no "
                           f"validation images out of {num_samples}")
    return kept


def _checkpoint_epochs(out):
    """Epochs finished according to the run's checkpoint (FileNotFoundError if none)."""
    path = checkpoint.resolve_checkpoint(out)
    training = serialization.read_header(path).get("training") or {}
    epoch = training.get("epoch")
    if not isinstance(epoch, int):
        raise CommandError(f"{path}: not a checkpoint (no training position)")
    return epoch + 1


def report(model, settings, out, test_set, seconds, argv):
    """Score on the test set; write model.leannet, metrics.json and the plots."""
    images, labels = test_set
    loss, accuracy, probabilities = score(model, images, labels)
    print(f"test accuracy {accuracy:.2%} (loss {loss:.4f}) on {len(labels):,} "
          f"{settings['dataset']} test images")
    model.save(os.path.join(out, runfiles.MODEL_FILE))
    history = model.history
    last = {key: values[-1] for key, values in history.history.items()
            if key.startswith("val_") and values}
    metrics = {"test_loss": loss, "test_accuracy": accuracy, "epochs": len(history.epoch),
               "seconds": round(seconds, 3), "dataset": settings["dataset"],
               "model": settings["model"], **last,
               "settings": {key: settings[key] for key in settings if key != "dataset"},
               "argv": list(argv)}
    runfiles.write_json(os.path.join(out, runfiles.METRICS_FILE), metrics)
    written = [runfiles.MODEL_FILE, runfiles.HISTORY_FILE, runfiles.METRICS_FILE]
    written += draw_plots(out, labels, probabilities)
    print(f"saved {', '.join(written)} in {out}")


def draw_plots(out, labels, probabilities):
    """curves.png and confusion.png; without matplotlib, one note and nothing drawn."""
    if not plots.matplotlib_available():
        note(f"matplotlib is not installed, so {runfiles.CURVES_FILE} and "
             f"{runfiles.CONFUSION_FILE} were skipped (pip install 'leannet[plot]')")
        return []
    plots.plot_history(os.path.join(out, runfiles.HISTORY_FILE),
                       path=os.path.join(out, runfiles.CURVES_FILE))
    plots.plot_confusion_matrix(labels, probabilities,
                                path=os.path.join(out, runfiles.CONFUSION_FILE))
    return [runfiles.CURVES_FILE, runfiles.CONFUSION_FILE]
