"""The settings of ``leannet train``: defaults, the options given, and for ``--resume`` the
run's own run.json (checked as strictly as the options, since it may have been edited).
"""

import argparse
import os

from leannet import checkpoint, presets
from leannet.commands import runfiles
from leannet.commands.datasets import DATASET_NAMES
from leannet.commands.errors import CommandError, UsageError
from leannet.commands.options import fraction, non_negative_int, positive_float, positive_int
from leannet.optim.optimizers import OPTIMIZERS

DEFAULTS = {"dataset": None, "model": "mlp", "hidden": [256, 128], "epochs": 10,
            "batch_size": 128, "optimizer": "adam", "lr": None, "seed": 0,
            "validation_split": 0.0, "init_from": None, "freeze_until": None,
            "lr_schedule": None}
DEFAULT_LR = {"adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "sgd": 1e-2}
LR_SCHEDULES = ("constant", "cosine")
# A resumed run keeps these; only --epochs, --data-dir and --no-progress may be given.
KEPT_ON_RESUME = [key for key in DEFAULTS if key != "epochs"]


def fresh_settings(args):
    """The defaults overridden by the options given."""
    settings = {key: getattr(args, key) if getattr(args, key) is not None else default
                for key, default in DEFAULTS.items()}
    settings["hidden"] = list(settings["hidden"])
    if settings["model"] != "mlp" and args.hidden is not None:
        raise UsageError(f"--hidden shapes only the mlp preset, not {settings['model']}")
    if args.freeze_until is not None and args.init_from is None:
        raise UsageError("--freeze-until needs --init-from (freezing random weights "
                         "would only stop them from learning)")
    if settings["lr"] is None:
        settings["lr"] = DEFAULT_LR[settings["optimizer"]]
    if settings["lr_schedule"] is None:
        settings["lr_schedule"] = presets.LR_SCHEDULES[settings["model"]]
    return settings


def resume_settings(args):
    """The settings saved in the run directory; --epochs may move the goal."""
    directory = args.resume
    if not os.path.isdir(directory):
        raise CommandError(f"{directory}: no such run directory to resume")
    saved = runfiles.read_run_settings(directory)
    if saved is None:
        raise CommandError(f"{directory}: not a run of `leannet train` (no "
                           f"{runfiles.RUN_FILE}), so it cannot be resumed")
    if args.out is not None and os.path.abspath(args.out) != os.path.abspath(directory):
        raise UsageError("--resume continues in its own directory; leave out --out")
    checkpoint.resolve_checkpoint(directory)  # FileNotFoundError now, not after loading data
    settings = _checked_saved_settings(saved, directory)
    for key in KEPT_ON_RESUME:
        given = getattr(args, key)
        if given is not None and _as_saved(given) != settings[key]:
            flag = "--" + key.replace("_", "-")
            raise UsageError(f"{directory} was trained with {flag} {settings[key]}; a resumed "
                             "run keeps its settings (give only --epochs, --data-dir, "
                             "--no-progress)")
    if args.epochs is not None and args.epochs != settings["epochs"]:
        if settings["lr_schedule"] == "cosine":
            raise UsageError(f"{directory} decays its learning rate to 0 over "
                             f"{settings['epochs']} epochs (--lr-schedule cosine), so its "
                             "--epochs cannot change when resuming; start a new run with "
                             "--init-from instead")
        settings["epochs"] = args.epochs
    return settings


def _checked_saved_settings(saved, directory):
    """run.json's settings, checked as the options would be (the file may be edited)."""
    settings = {key: saved.get(key, default) for key, default in DEFAULTS.items()}
    if settings["lr"] is None and settings["optimizer"] in DEFAULT_LR:
        settings["lr"] = DEFAULT_LR[settings["optimizer"]]
    if settings["lr_schedule"] is None:  # runs from before --lr-schedule kept a constant lr
        settings["lr_schedule"] = "constant"
    checks = {"dataset": _one_of(DATASET_NAMES), "model": _one_of(presets.PRESETS),
              "optimizer": _one_of(OPTIMIZERS), "epochs": positive_int,
              "batch_size": positive_int, "lr": positive_float, "seed": non_negative_int,
              "validation_split": fraction, "lr_schedule": _one_of(LR_SCHEDULES)}
    for key, check in checks.items():
        try:
            check(str(settings[key]))
        except argparse.ArgumentTypeError as error:
            raise CommandError(f"{directory}/{runfiles.RUN_FILE}: {key}: {error}") from None
    hidden = settings["hidden"]
    if not isinstance(hidden, list) or not all(type(h) is int and h > 0 for h in hidden):
        raise CommandError(f"{directory}/{runfiles.RUN_FILE}: hidden must be a list of "
                           f"positive sizes, got {hidden!r}")
    return settings


def _one_of(choices):
    def check(text):
        if text not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, "
                                             f"got {text!r}")
    return check


def _as_saved(value):
    """An option's value as run.json holds it (tuples are lists in JSON)."""
    return list(value) if isinstance(value, tuple) else value
