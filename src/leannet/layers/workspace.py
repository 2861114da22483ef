"""Work arrays that a layer keeps from one training step to the next.

Big per-step temporaries (Conv2D's column matrix, the pools' offset blocks, the recurrent
layers' gate and state sequences) are allocated once, not every step: a fresh array of
many megabytes costs a page fault per 4 KiB page on every batch.
"""

import numpy as np


def scratch(store, key, shape, dtype, zeros=False):
    """A reusable work array of ``shape`` from the dict ``store`` (grown when too small).

    A smaller batch takes a prefix of the stored array, so a zero border written once
    (``zeros=True``) stays zero as long as callers write only the interior. Never hand a
    scratch array back to a caller.
    """
    size = int(np.prod(shape))
    held = store.get(key)
    if held is None or held.size < size or held.dtype != dtype:
        held = (np.zeros if zeros else np.empty)(size, dtype=dtype)
        store[key] = held
    return held[:size].reshape(shape)
