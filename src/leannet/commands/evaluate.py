"""``leannet evaluate MODEL``: test loss and accuracy of a saved model.

The dataset defaults to the one the model was trained on when MODEL sits in a run
directory of ``leannet train`` (its run.json says which), else as for ``leannet train``.
"""

from leannet.commands.datasets import choose_dataset, load_splits
from leannet.commands.modelfile import check_classifier, open_model, score
from leannet.commands.options import add_dataset_options, description
from leannet.commands.runfiles import run_dataset


def register(subparsers):
    parser = subparsers.add_parser("evaluate", help="test loss and accuracy of a model",
                                   description=description(__doc__))
    parser.add_argument("model", metavar="MODEL", help="a .leannet file or a run directory")
    add_dataset_options(parser, "default: the model's training dataset when known")
    parser.set_defaults(run=run)


def run(args):
    path, model = open_model(args.model)
    check_classifier(model, path)
    name = choose_dataset(args.dataset or run_dataset(path), args.data_dir)
    _, (images, labels) = load_splits(name, args.data_dir)
    loss, accuracy, _ = score(model, images, labels)
    print(f"{path}: test accuracy {accuracy:.2%} (loss {loss:.4f}) on {len(labels):,} "
          f"{name} test images")
    return 0
