"""leannet.image: the PNG and .npy files that ``leannet predict`` reads."""

import sys

import numpy as np
import pytest

from leannet import image


@pytest.mark.parametrize("shape", [(28, 28), (784,), (1, 28, 28), (1, 784)])
def test_one_image_becomes_a_batch_of_one(shape):
    pixels = np.arange(784, dtype=np.uint8).reshape(shape)
    batch = image.as_image_batch(pixels)
    assert batch.shape == (1, 28, 28) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch.ravel(), pixels.ravel())


def test_a_flat_batch_is_reshaped_row_by_row():
    flat = np.random.default_rng(0).random((5, 784))
    np.testing.assert_array_equal(image.as_image_batch(flat), flat.reshape(5, 28, 28))


@pytest.mark.parametrize("shape", [(27, 28), (2, 783), (2, 1, 28, 28), (), (28, 28, 3)])
def test_other_shapes_are_refused_by_name(shape):
    with pytest.raises(image.ImageError, match=r"^digits.npy: expected one 28x28 image"):
        image.as_image_batch(np.zeros(shape), "digits.npy")


def test_npy_files_of_any_case(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((3, 28, 28), np.float32))
    (tmp_path / "a.npy").rename(tmp_path / "A.NPY")
    assert image.read_images(tmp_path / "A.NPY").shape == (3, 28, 28)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="absent.png: no such file"):
        image.read_images("absent.png")


def test_png_in_colour_is_read_as_grey(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299 * 255 = 76
    rgb[5:10, 5:10] = 255  # a white square
    pil.fromarray(rgb).save(tmp_path / "red.png")
    grey = image.read_png(tmp_path / "red.png")
    assert grey.shape == (28, 28) and grey.dtype == np.uint8
    assert grey[0, 0] == 76 and grey[7, 7] == 255


def test_png_grey_round_trip(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    pixels = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    pil.fromarray(pixels).save(tmp_path / "grey.png")
    np.testing.assert_array_equal(image.read_images(tmp_path / "grey.png"), pixels[None])


def test_without_pillow_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'leannet\[image\]'"):
        image.read_png(tmp_path / "any.png")
