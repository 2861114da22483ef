"""Opening a model file for a command, and scoring it on labelled images."""

import numpy as np

from leannet import metrics, serialization
from leannet.commands.datasets import prepare_images
from leannet.commands.errors import CommandError
from leannet.commands.runfiles import model_path

NUM_CLASSES = 10


def open_model(path):
    """(the file's path, the model in it); a run directory stands for its model.leannet.
    A damaged or foreign file raises ModelFileError, which ``leannet`` reports in one line."""
    path = model_path(path)
    return path, serialization.load_model(path)


def check_classifier(model, path):
    """The model must map 28x28 images to 10 class scores."""
    if tuple(model.output_shape) != (NUM_CLASSES,):
        raise CommandError(f"{path}: the model gives outputs of shape {model.output_shape}, "
                           f"not the {NUM_CLASSES} class scores of these datasets")


def score(model, images, labels):
    """(loss, accuracy, probabilities (N, 10)) of ``model`` on uint8 ``images``."""
    x = prepare_images(images, model.input_shape)
    if model.loss is None:  # saved uncompiled: score it with the usual classifier loss
        model.compile(loss="cross_entropy", optimizer="sgd")
    loss = float(model.evaluate(x, labels)["loss"])
    probabilities = model.predict(x)
    return loss, metrics.accuracy(probabilities, labels), probabilities


def predict_classes(model, images):
    """(class index, its probability) arrays for uint8 or [0, 1] float ``images``."""
    probabilities = model.predict(prepare_images(images, model.input_shape))
    classes = probabilities.argmax(axis=1)
    return classes, probabilities[np.arange(len(classes)), classes]
