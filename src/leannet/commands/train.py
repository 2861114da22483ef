"""``leannet train``: train a preset model on MNIST-class data and save the run.

    leannet train --dataset mnist-small --epochs 5 --out runs/quickstart
    leannet train --resume runs/quickstart --epochs 10      # go on to epoch 10

The run directory receives run.json (the settings, written first), checkpoint.leannet
(after every epoch), history.csv, model.leannet, metrics.json, and curves.png and
confusion.png when matplotlib is installed (see ``runfiles``).
"""

import os

from leannet import presets
from leannet.commands import runfiles
from leannet.commands.datasets import choose_dataset, load_splits, prepare_images
from leannet.commands.options import (
    add_dataset_options,
    description,
    fraction,
    hidden_sizes,
    non_negative_int,
    positive_float,
    positive_int,
)
from leannet.commands.train_settings import LR_SCHEDULES, fresh_settings, resume_settings
from leannet.commands.training import build_model, fit, report
from leannet.optim.optimizers import OPTIMIZERS


def register(subparsers):
    parser = subparsers.add_parser("train", help="train a model and save the run",
                                   description=description(__doc__))
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
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                        help="constant, or cosine: from --lr down to 0 at the last step "
                        "(default cosine for cnn and lenet, constant otherwise)")
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
