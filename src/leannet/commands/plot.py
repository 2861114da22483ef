"""``leannet plot RUN_DIR``: redraw curves.png from history.csv, and confusion.png from the
run's model on the test set of its dataset. Needs matplotlib (``pip install 'leannet[plot]'``).
"""

import os

from leannet import plots
from leannet.commands import runfiles
from leannet.commands.datasets import choose_dataset, load_splits
from leannet.commands.errors import CommandError
from leannet.commands.modelfile import check_classifier, open_model, score
from leannet.commands.options import add_dataset_options, description


def register(subparsers):
    parser = subparsers.add_parser("plot", help="redraw a run's curves and confusion matrix",
                                   description=description(__doc__))
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a directory made by leannet train")
    add_dataset_options(parser, "default: the run's dataset")
    parser.set_defaults(run=run)


def run(args):
    if not os.path.isdir(args.run_dir):
        raise CommandError(f"{args.run_dir}: no such run directory")
    history = os.path.join(args.run_dir, runfiles.HISTORY_FILE)
    if not os.path.isfile(history):
        raise CommandError(f"{args.run_dir}: no {runfiles.HISTORY_FILE} (not a training run)")
    if not plots.matplotlib_available():
        raise CommandError(plots.MISSING_MATPLOTLIB)
    curves = os.path.join(args.run_dir, runfiles.CURVES_FILE)
    try:
        plots.plot_history(history, path=curves)
    except ValueError as error:  # an empty or foreign history.csv
        raise CommandError(f"{history}: {error}") from None
    print(f"wrote {curves}")
    path, model = open_model(args.run_dir)
    check_classifier(model, path)
    settings = runfiles.read_run_settings(args.run_dir) or {}
    name = choose_dataset(args.dataset or settings.get("dataset"), args.data_dir)
    _, (images, labels) = load_splits(name, args.data_dir)
    _, accuracy, probabilities = score(model, images, labels)
    confusion = os.path.join(args.run_dir, runfiles.CONFUSION_FILE)
    plots.plot_confusion_matrix(labels, probabilities, path=confusion)
    print(f"wrote {confusion} ({name} test set, accuracy {accuracy:.2%})")
    return 0
