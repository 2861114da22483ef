"""Data: the IDX format, MNIST-class datasets, preprocessing and mini-batching.

    from leannet.data import load_mnist, flatten, to_float, one_hot, DataLoader
    (x_train, y_train), (x_test, y_test) = load_mnist()           # or subset="small"
    x = to_float(flatten(x_train)); y = one_hot(y_train, 10)
    for x_batch, y_batch in DataLoader(x, y, batch_size=128, seed=0): ...

``leannet.data.download`` is the function ``download(name, directory=None, ...)``; the
module of the same name is reached with ``from leannet.data.download import ...``.
"""

from leannet.data.datasets import (
    DATASETS,
    DatasetNotFoundError,
    dataset_is_available,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    locate_dataset,
    search_dirs,
)
from leannet.data.download import (
    SOURCES,
    DownloadError,
    FileCheck,
    cache_dir,
    download,
    verify,
)
from leannet.data.idx import IDXError, read_idx, write_idx
from leannet.data.loader import DataLoader
from leannet.data.preprocessing import Standardizer, flatten, one_hot, to_float

__all__ = [
    "DATASETS",
    "SOURCES",
    "DataLoader",
    "DatasetNotFoundError",
    "DownloadError",
    "FileCheck",
    "IDXError",
    "Standardizer",
    "cache_dir",
    "dataset_is_available",
    "download",
    "flatten",
    "load_dataset",
    "load_fashion_mnist",
    "load_mnist",
    "locate_dataset",
    "one_hot",
    "read_idx",
    "search_dirs",
    "to_float",
    "verify",
    "write_idx",
]
