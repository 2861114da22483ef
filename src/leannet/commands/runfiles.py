"""The files of a training run directory, and where to find a model.

    runs/NAME/
      run.json            the settings of ``leannet train`` (written first; read by --resume)
      checkpoint.leannet  rewritten after every epoch (``leannet train --resume``)
      history.csv         one row per epoch (CSVLogger)
      model.leannet       the trained model (``leannet evaluate / predict / summary``)
      metrics.json        test loss and accuracy, epochs, seconds, dataset, model, argv
      curves.png, confusion.png   when matplotlib is installed
"""

import json
import os

from leannet.atomic import atomic_write
from leannet.commands.errors import CommandError

RUN_FILE = "run.json"
MODEL_FILE = "model.leannet"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CURVES_FILE = "curves.png"
CONFUSION_FILE = "confusion.png"


def write_json(path, document):
    """Write ``document`` as indented JSON, atomically."""
    with atomic_write(path, mode="w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
        file.write("\n")


def read_json(path, what):
    """The JSON object in ``path``; CommandError naming ``what`` when missing or damaged."""
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file ({what})") from None
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: cannot read {what} ({error})") from None
    if not isinstance(document, dict):
        raise CommandError(f"{path}: {what} is not a JSON object")
    return document


def read_run_settings(directory):
    """The settings saved by ``leannet train`` in ``directory``, or None if there are none."""
    path = os.path.join(directory, RUN_FILE)
    return read_json(path, "run settings") if os.path.isfile(path) else None


def new_run_dir(base):
    """``base``, or ``base-2``, ``base-3``, ... : the first that does not exist yet."""
    candidate, number = base, 1
    while os.path.exists(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def model_path(path):
    """A model file's path; a run directory stands for the ``model.leannet`` in it."""
    path = os.fspath(path)
    if os.path.isdir(path):
        inside = os.path.join(path, MODEL_FILE)
        if not os.path.isfile(inside):
            raise CommandError(f"{path}: a directory without {MODEL_FILE} (not a finished "
                               "training run)")
        return inside
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such model file")
    return path


def run_dataset(model_file):
    """The dataset a model was trained on, when it sits in a run directory; else None."""
    settings = read_run_settings(os.path.dirname(os.path.abspath(model_file)))
    name = settings.get("dataset") if settings else None
    return name if isinstance(name, str) else None
