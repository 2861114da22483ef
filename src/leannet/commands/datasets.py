"""Which dataset a command uses, loading it, and shaping its images for a model.

With no ``--dataset`` a command uses full MNIST when it is on this machine (``--data-dir``,
``LEANNET_DATA``, the cache) or can be downloaded into the cache; otherwise it says so in
one line and uses the small MNIST set bundled with the package.
"""

import sys

import numpy as np

from leannet import data
from leannet.commands.errors import CommandError, one_line

DATASET_NAMES = tuple(data.DATASETS)
FALLBACK = "mnist-small"
DOWNLOAD_TIMEOUT = 10.0  # seconds per connection when trying a download nobody asked for
# An LSTM reading rows learns much faster from zero-mean, unit-variance pixels (3 epochs of
# full MNIST: 97.0-97.5% from [0, 1] pixels, 97.2-98.3% standardised): MNIST's training-set
# mean and standard deviation, applied by train, evaluate and predict alike.
SEQUENCE_PIXEL_MEAN, SEQUENCE_PIXEL_STD = 0.1307, 0.3081
CLASS_NAMES = {
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                      "Shirt", "Sneaker", "Bag", "Ankle boot"),
}


def note(message):
    """A one-line remark for the user (on stderr, with the progress bars)."""
    print(f"leannet: {message}", file=sys.stderr, flush=True)


def choose_dataset(name, data_dir, progress=True):
    """``name`` when given; else "mnist" if found or downloaded, else the bundled set."""
    if name is not None:
        return name
    if data.dataset_is_available("mnist", data_dir):
        return "mnist"
    if data_dir is not None:
        why = f"full MNIST is not in {data_dir}"
    else:
        try:
            data.download("mnist", progress=progress, timeout=DOWNLOAD_TIMEOUT)
            return "mnist"
        except data.DownloadError:
            why = "offline: full MNIST is not found locally and could not be downloaded"
    note(f"{why}, so this uses the bundled small set ({FALLBACK}: 10,000 training + 2,000 "
         "test images)")
    return FALLBACK


def load_splits(name, data_dir):
    """``(x_train, y_train), (x_test, y_test)`` of dataset ``name`` (uint8 images)."""
    try:
        return data.load_dataset(name, path=data_dir, download=data_dir is None)
    except data.DatasetNotFoundError as error:
        raise CommandError(_not_found(name, data_dir, error)) from None
    except (data.IDXError, ValueError) as error:  # damaged or foreign files
        raise CommandError(f"cannot read dataset {name!r}: {one_line(error)}") from None


def _not_found(name, data_dir, error):
    places = ", ".join(str(place) for place in data.search_dirs(name, data_dir))
    if data_dir is not None:
        return (f"dataset {name!r} not found in {data_dir} (looked in {places}); "
                f"fetch it with `leannet data download {name} --data-dir {data_dir}`")
    cause = error.__cause__
    why = f" and the download failed ({one_line(cause).split('; ')[-1]})" if cause else ""
    return (f"dataset {name!r} not found (looked in {places}){why}; fetch it with "
            f"`leannet data download {name}` or set LEANNET_DATA to a directory holding it")


def prepare_images(images, input_shape):
    """uint8 or [0, 1] float images (N, 28, 28) -> float32 in the model's layout: in [0, 1]
    as (N, 784) for an MLP or (N, 1, 28, 28) for a CNN; standardised (N, 28, 28) rows for
    an LSTM."""
    input_shape = tuple(input_shape)
    try:
        pixels = data.to_float(images)
    except ValueError as error:
        raise CommandError(one_line(error)) from None
    n, height, width = pixels.shape
    layouts = {(height * width,): (n, height * width), (1, height, width): (n, 1, height, width),
               (height, width): (n, height, width)}
    if input_shape not in layouts:
        raise CommandError(f"the model takes inputs of shape {input_shape}, which is not a "
                           f"layout of {height}x{width} grey images ((784,), (1, 28, 28) "
                           "or (28, 28))")
    if input_shape == (height, width):  # rows as time steps (the lstm preset): standardise
        pixels = (pixels - np.float32(SEQUENCE_PIXEL_MEAN)) / np.float32(SEQUENCE_PIXEL_STD)
    return pixels.reshape(layouts[input_shape])


def class_name(dataset, index):
    """"7" for digits; "7 (Sneaker)" for Fashion-MNIST."""
    names = CLASS_NAMES.get(dataset)
    return f"{index} ({names[index]})" if names and 0 <= index < len(names) else str(index)

