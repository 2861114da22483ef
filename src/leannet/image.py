"""Reading the images that ``leannet predict`` classifies.

    read_png("digit.png")        # (28, 28) uint8, 0 = black background as in MNIST
    read_images("digits.npy")    # (N, 28, 28) or (N, 784), as stored

PNG files are decoded by Pillow, an optional extra (``pip install 'leannet[image]'``); a
colour or palette PNG is converted to grey (ITU-R 601-2 luma, Pillow's "L" mode). NumPy
``.npy`` files are read with ``allow_pickle=False``, so a file never runs code.
"""

import os

import numpy as np

IMAGE_SIZE = (28, 28)
MISSING_PILLOW = "reading PNG images needs Pillow: pip install 'leannet[image]'"


class ImageError(ValueError):
    """An image file that cannot be read, or whose pixels are not a 28x28 picture."""


def read_png(path):
    """A 28x28 PNG as a (28, 28) uint8 array of grey levels."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as error:
        raise ImportError(MISSING_PILLOW) from error
    try:
        with Image.open(path) as picture:
            grey = picture.convert("L")
    except UnidentifiedImageError as error:
        raise ImageError(f"{path}: not an image Pillow can read") from error
    if grey.size != IMAGE_SIZE[::-1]:
        width, height = grey.size
        raise ImageError(f"{path}: expected a 28x28 image, got {width}x{height}")
    return np.asarray(grey, dtype=np.uint8)


def read_npy(path):
    """The array in a ``.npy`` file: one image (28, 28) or (784,), or a batch of them."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:  # not a .npy file, or one holding Python objects
        raise ImageError(f"{path}: not a NumPy .npy array of numbers ({error})") from error
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise ImageError(f"{path}: expected an array of pixel values, got dtype "
                         f"{getattr(array, 'dtype', type(array).__name__)}")
    return array


def as_image_batch(array, source="images"):
    """(28, 28), (784,), (N, 28, 28) or (N, 784) -> (N, 28, 28), keeping the dtype."""
    array = np.asarray(array)
    pixels = IMAGE_SIZE[0] * IMAGE_SIZE[1]
    if array.shape in (IMAGE_SIZE, (pixels,)):
        array = array[np.newaxis]
    if array.ndim == 3 and array.shape[1:] == IMAGE_SIZE:
        return array
    if array.ndim == 2 and array.shape[1] == pixels:
        return array.reshape(len(array), *IMAGE_SIZE)
    raise ImageError(f"{source}: expected one 28x28 image (28, 28) or several (N, 28, 28) "
                     f"or (N, 784), got shape {array.shape}")


def read_images(path):
    """Images from a ``.png`` or ``.npy`` file as (N, 28, 28), uint8 or float as stored."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    extension = os.path.splitext(path)[1].lower()
    if extension == ".png":
        return read_png(path)[np.newaxis]
    if extension == ".npy":
        return as_image_batch(read_npy(path), path)
    kind = f"a {extension} file" if extension else "a file without extension"
    raise ImageError(f"{path}: expected a .png image or a .npy array, not {kind}")
