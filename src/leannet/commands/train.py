"""``leannet train``: train a preset model on MNIST-class data and save the run.

    leannet train --dataset mnist-small --epochs 5 --out runs/quickstart
    leannet train --resume runs/quickstart --epochs 10      # go on to epoch 10

The run directory receives run.json (the settings, written first), checkpoint.leannet
(after every epoch), history.csv, model.leannet, metrics.json, and curves.png and
confusion.png when matplotlib is installed (see ``runfiles``).
"""

import argparse
import os

from leannet import checkpoint, presets
from leannet.commands import runfiles
from leannet.commands.datasets import (
    DATASET_NAMES,
    choose_dataset,
    load_splits,
    prepare_images,
)
from leannet.commands.errors import CommandError, UsageError
from leannet.commands.options import (
    add_dataset_options,
    fraction,
    hidden_sizes,
    non_negative_int,
    positive_float,
    positive_int,
)
from leannet.commands.training import build_model, fit, report
from leannet.optim.optimizers import OPTIMIZERS

DEFAULTS = {"dataset": None, "model": "mlp", "hidden": [256, 128], "epochs": 10,
            "batch_size": 128, "optimizer": "adam", "lr": None, "seed": 0,
            "validation_split": 0.0, "init_from": None, "freeze_until": None}
DEFAULT_LR = {"adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "sgd": 1e-2}
# A resumed run keeps these; only --epochs, --data-dir and --no-progress may be given.
KEPT_ON_RESUME = [key for key in DEFAULTS if key != "epochs"]


def register(subparsers):
    parser = subparsers.add_parser("train", help="train a model and save the run",
                                   description=__doc__.split("\n\n")[0])
    add_dataset_options(parser, "default: full MNIST when it is on this machine or can be "
                        "downloaded, else the bundled mnist-small")
    parser.add_argument("--model", choices=presets.PRESETS, help="the preset (default mlp)")
    parser.add_argument("--hidden", type=hidden_sizes, metavar="SIZES",
                        help="hidden layer sizes of the mlp preset (default 256,128)")
    parser.add_argument("--epochs", type=positive_int, help="epochs in all (default 10)")
    parser.add_argument("--batch-size", type=positive_int, help="default 128")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                        help="default adam; sgd means SGD with momentum 0.9")
    parser.add_argument("--lr", type=positive_float,
                        help="learning rate (default 1e-3, 1e-2 for sgd)")
    parser.add_argument("--seed", type=non_negative_int, help="weights and shuffling (default 0)")
    parser.add_argument("--out", metavar="DIR",
                        help="the run directory (default runs/DATASET-MODEL, numbered if taken)")
    parser.add_argument("--validation-split", type=fraction, metavar="FRACTION",
                        help="hold out the last FRACTION of the training set (default 0)")
    parser.add_argument("--resume", metavar="DIR",
                        help="continue the run in DIR from its last checkpoint")
    parser.add_argument("--init-from", metavar="MODEL",
                        help="start from the weights of MODEL's layers that fit (by name)")
    parser.add_argument("--freeze-until", metavar="LAYER",
                        help="with --init-from: do not train LAYER and the layers before it")
    parser.add_argument("--no-progress", action="store_true",
                        help="one line per epoch instead of progress bars")
    parser.set_defaults(run=run)


def run(args):
    settings = resume_settings(args) if args.resume else fresh_settings(args)
    model = build_model(settings, resuming=bool(args.resume))
    progress = not args.no_progress
    settings["dataset"] = choose_dataset(settings["dataset"], args.data_dir, progress)
    (x_train, y_train), (x_test, y_test) = load_splits(settings["dataset"], args.data_dir)
    out = args.resume or args.out or runfiles.new_run_dir(
        os.path.join("runs", f"{settings['dataset']}-{settings['model']}"))
    os.makedirs(out, exist_ok=True)
    _write_run_file(out, settings, args)
    model.summary()
    input_shape = presets.INPUT_SHAPES[settings["model"]]
    seconds = fit(model, settings, prepare_images(x_train, input_shape), y_train, out,
                  progress, resume=bool(args.resume))
    report(model, settings, out, (x_test, y_test), seconds, args.argv)
    return 0


def _write_run_file(out, settings, args):
    """run.json: the settings (a resumed run's new --epochs goal too) and the first argv."""
    saved = runfiles.read_run_settings(out) if args.resume else None
    argv = saved.get("argv", args.argv) if saved else args.argv
    runfiles.write_json(os.path.join(out, runfiles.RUN_FILE), {**settings, "argv": argv})


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
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    return settings


def _checked_saved_settings(saved, directory):
    """run.json's settings, checked as the options would be (the file may be edited)."""
    settings = {key: saved.get(key, default) for key, default in DEFAULTS.items()}
    if settings["lr"] is None and settings["optimizer"] in DEFAULT_LR:
        settings["lr"] = DEFAULT_LR[settings["optimizer"]]
    checks = {"dataset": _one_of(DATASET_NAMES), "model": _one_of(presets.PRESETS),
              "optimizer": _one_of(OPTIMIZERS), "epochs": positive_int,
              "batch_size": positive_int, "lr": positive_float, "seed": non_negative_int,
              "validation_split": fraction}
    for key, check in checks.items():
        try:
            check(str(settings[key]))
        except argparse.ArgumentTypeError as error:
            raise CommandError(f"{directory}/{runfiles.RUN_FILE}: {key}: {error}") from None
    hidden = settings["hidden"]
    if not isinstance(hidden, list) or not all(isinstance(h, int) and h > 0 for h in hidden):
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
