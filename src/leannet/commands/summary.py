"""``leannet summary MODEL``: the layers, shapes and parameter counts of a saved model."""

from leannet import serialization
from leannet.commands.modelfile import open_model
from leannet.commands.options import description


def register(subparsers):
    parser = subparsers.add_parser("summary", help="layers and parameters of a model file",
                                   description=description(__doc__))
    parser.add_argument("model", metavar="MODEL", help="a .leannet file or a run directory")
    parser.set_defaults(run=run)


def run(args):
    path, model = open_model(args.model)
    print(f"{path}")
    model.summary()
    document = serialization.read_header(path)
    compiled = document.get("compile")
    if compiled:
        optimizer = dict(compiled["optimizer"])
        print(f"Compiled: loss {compiled['loss']}, optimizer "
              f"{optimizer.pop('class_name', '?')} (lr {optimizer.get('lr')}), "
              f"metrics {', '.join(compiled['metrics']) or '-'}")
    training = document.get("training")
    if training:
        print(f"Checkpoint after epoch {training['epoch'] + 1}")
    return 0
