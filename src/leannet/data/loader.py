"""DataLoader: mini-batches of (x, y), shuffled once per epoch.

    loader = DataLoader(x_train, y_train, batch_size=128, shuffle=True, seed=0)
    for epoch in range(5):
        for x_batch, y_batch in loader:     # one pass = one epoch, every sample once
            ...

Arrays of any rank are batched along their first axis. Shuffling draws one permutation
per epoch from a ``numpy.random.Generator`` (made from ``seed``, or passed in), so the
same seed gives the same batches, epoch after epoch, and the global NumPy state is
never touched. Without shuffling, batches are views (slices), not copies.
"""

import numbers

import numpy as np


class DataLoader:
    """Iterate over ``x`` (and ``y``) in batches; ``len(loader)`` is the number of batches."""

    def __init__(self, x, y=None, batch_size=32, shuffle=True, drop_last=False, seed=None):
        self.x = _as_batched_array(x, "x")
        self.y = None if y is None else _as_batched_array(y, "y")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(
                f"DataLoader: x and y have different lengths: {len(self.x)} samples in x, "
                f"{len(self.y)} in y"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise ValueError(f"DataLoader: batch_size must be an integer, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.batch_size = int(batch_size)
        self.shuffle = _as_flag(shuffle, "shuffle")
        self.drop_last = _as_flag(drop_last, "drop_last")
        self.rng = _as_generator(seed)

    @property
    def num_samples(self):
        return len(self.x)

    def __len__(self):
        full, rest = divmod(self.num_samples, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self):
        order = self.rng.permutation(self.num_samples) if self.shuffle else None
        for batch in range(len(self)):
            start = batch * self.batch_size
            stop = min(start + self.batch_size, self.num_samples)
            index = slice(start, stop) if order is None else order[start:stop]
            yield self.x[index] if self.y is None else (self.x[index], self.y[index])


def _as_batched_array(array, argument):
    array = np.asarray(array)
    if array.ndim == 0:
        raise ValueError(f"DataLoader: {argument} needs a batch axis, got a scalar")
    if len(array) == 0:
        raise ValueError(f"DataLoader: {argument} is empty (shape {array.shape})")
    return array


def _as_flag(value, argument):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"DataLoader: {argument} must be True or False, got {value!r}")
    return bool(value)


def _as_generator(seed):
    """A Generator from None (fresh entropy), an int seed, or a Generator (used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"DataLoader: seed must be None, a non-negative integer or a "
            f"numpy.random.Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed))
