"""MNIST, Fashion-MNIST and a small bundled MNIST: found on disk, or downloaded once.

Every loader returns ``(x_train, y_train), (x_test, y_test)``: images uint8 of shape
(N, 28, 28), labels int64 of shape (N,). The four files are looked for, in order:

1. ``path=`` (the directory itself, then ``path/<dataset>``). When ``path`` is given it is
   the only place looked: an explicit request is never silently swapped for another copy.
2. The directory in the ``LEANNET_DATA`` environment variable: ``$LEANNET_DATA/<dataset>``,
   and for MNIST also ``$LEANNET_DATA`` itself (Fashion-MNIST uses the same file names,
   so it is only taken from its own sub-directory).
3. The cache: ``$XDG_CACHE_HOME/leannet/<dataset>``, or ``~/.cache/leannet/<dataset>``.
4. With ``download=True``: the files are downloaded into the cache and verified
   (see ``leannet.data.download``).

Files found on disk are checked for structure (IDX format, shapes, label range), not
hashed on every load; ``leannet.data.verify`` (``leannet data verify``) checks digests.
Nothing found and no download possible: ``DatasetNotFoundError`` lists every place looked.

``load_mnist(subset="small")`` reads the copy shipped inside the package (the first
10,000 training and 2,000 test images of MNIST) and never touches the network.
"""

import os
from importlib import resources
from pathlib import Path

import numpy as np

from leannet.data.download import (
    FILE_ROLES,
    DownloadError,
    cache_dir,
    candidate_names,
    find_file,
)
from leannet.data.download import download as download_files
from leannet.data.idx import decode_idx, read_idx

DATASETS = {
    "mnist": "MNIST handwritten digits: 60,000 training + 10,000 test images, 28x28",
    "fashion-mnist": "Fashion-MNIST clothing images: 60,000 training + 10,000 test, 28x28",
    "mnist-small": "the first 10,000 training + 2,000 test MNIST images, bundled (no download)",
}
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


class DatasetNotFoundError(FileNotFoundError):
    """The files of a dataset are nowhere to be found and could not be downloaded."""


def search_dirs(name, path=None):
    """The directories looked in for dataset ``name``, in order (see the module docstring)."""
    name = _canonical_name(name)
    if name == "mnist-small":
        return [_bundled_dir()]
    if path is not None:
        return [Path(path), Path(path) / name]
    places = []
    env = os.environ.get("LEANNET_DATA", "")
    if env:
        places.append(Path(env) / name)
        if name == "mnist":
            places.append(Path(env))
    places.append(cache_dir(name))
    return places


def _complete_files(directory):
    """role -> path when ``directory`` holds all four files, else None."""
    files = {role: find_file(directory, role) for role in FILE_ROLES}
    return files if all(files.values()) else None


def locate_dataset(name, path=None):
    """The first directory holding all four files of ``name``, or None; never downloads."""
    name = _canonical_name(name)
    if name == "mnist-small":
        return _bundled_dir()
    for directory in search_dirs(name, path):
        if _complete_files(directory):
            return directory
    return None


def dataset_is_available(name, path=None):
    """True when ``name`` can be loaded without a download (always for "mnist-small")."""
    return locate_dataset(name, path) is not None


def _canonical_name(name):
    canonical = str(name).strip().lower().replace("_", "-")
    if canonical not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return canonical


def load_dataset(name, path=None, download=True):
    """Load a dataset by name ("mnist", "fashion-mnist", "mnist-small")."""
    name = _canonical_name(name)
    if name == "mnist-small":
        return load_mnist(subset="small")
    if name == "mnist":
        return load_mnist(path=path, download=download)
    return load_fashion_mnist(path=path, download=download)


def load_mnist(path=None, subset=None, download=True):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``; ``subset="small"`` gives the
    bundled 10,000 + 2,000 images (no disk search, no network)."""
    if subset == "small":
        return _load_bundled()
    if subset is not None:
        raise ValueError(f"load_mnist: subset must be None or 'small', got {subset!r}")
    return _load_idx_dataset("mnist", path, download)


def load_fashion_mnist(path=None, download=True):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``."""
    return _load_idx_dataset("fashion-mnist", path, download)


def _load_idx_dataset(name, path, download):
    for directory in search_dirs(name, path):
        files = _complete_files(directory)
        if files:
            return _read_files(files)
    if path is not None or not download:
        raise DatasetNotFoundError(_not_found_message(name, path, download_error=None))
    try:
        download_files(name, cache_dir(name))
    except DownloadError as err:
        raise DatasetNotFoundError(_not_found_message(name, path, download_error=err)) from err
    return _read_files(_complete_files(cache_dir(name)))


def _read_files(files):
    return _read_splits({role: read_idx(file) for role, file in files.items()}, files)


def _not_found_message(name, path, download_error):
    places = "\n".join(f"  {directory}" for directory in search_dirs(name, path))
    names = ", ".join(candidate_names(role)[0] for role in FILE_ROLES)
    lines = [f"{name}: the four files ({names}) were not found in:", places]
    if download_error is not None:
        lines.append(f"and the download into {cache_dir(name)} failed: {download_error}")
    elif path is None:
        lines.append("(download=False: nothing was downloaded)")
    if path is None:
        where, how = cache_dir(name), f"`leannet data download {name}` or "
        how += f"leannet.data.download({name!r})"
    else:
        where, how = "that directory", f"leannet.data.download({name!r}, directory={str(path)!r})"
    lines += [
        "Supply them in one of these ways:",
        f"  - download them into {where} (needs internet access):",
        f"    {how},",
        "    or copy the four files there from a machine that has them;",
        "  - set LEANNET_DATA to a directory that holds them"
        + (f" (or a '{name}' sub-directory);" if name == "mnist" else f" in '{name}/';"),
        "  - pass path= the directory that holds them.",
    ]
    return "\n".join(lines)


def _bundled_dir():
    return Path(str(resources.files("leannet.data") / "bundled"))


def _load_bundled():
    bundled = resources.files("leannet.data") / "bundled"
    arrays, sources = {}, {}
    for role in FILE_ROLES:
        resource = bundled / candidate_names(role)[0]
        sources[role] = f"leannet/data/bundled/{resource.name}"
        arrays[role] = decode_idx(resource.read_bytes(), source=sources[role])
    return _read_splits(arrays, sources)


def _read_splits(arrays, sources):
    """Check shapes, dtypes and labels; return ``(x_train, y_train), (x_test, y_test)``."""
    splits = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        _check_images(images, sources[f"{split}_images"])
        _check_labels(labels, len(images), sources[f"{split}_labels"])
        splits.append((images, labels.astype(np.int64)))
    return tuple(splits)


def _check_images(images, source):
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"{source}: expected uint8 images of shape (N, 28, 28), "
            f"got {images.dtype} of shape {images.shape}"
        )


def _check_labels(labels, num_images, source):
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{source}: expected uint8 labels of shape (N,), got {labels.dtype} "
            f"of shape {labels.shape}"
        )
    if len(labels) != num_images:
        raise ValueError(f"{source}: {len(labels)} labels for {num_images} images")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(f"{source}: label {labels.max()} out of range 0..{NUM_CLASSES - 1}")
