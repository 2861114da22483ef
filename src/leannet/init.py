"""Weight initialisers.

Each initialiser is ``f(shape, fan_in, fan_out, rng, dtype) -> ndarray``. Fans are
passed in by the layer (for a convolution, ``fan_in = in_channels * kh * kw``).

- zeros:           W = 0
- normal(std):     W ~ N(0, std^2)     (the classic ``randn * 0.01`` is ``normal(0.01)``)
- glorot/xavier:   Var(W) = 2 / (fan_in + fan_out)   (keeps signal variance for tanh/sigmoid)
- he/kaiming:      Var(W) = 2 / fan_in               (keeps signal variance for ReLU)
- orthogonal:      W^T W = I (or W W^T = I)          (norm-preserving: recurrent weights)
Uniform variants draw from U(-a, a) with a = sqrt(3 * Var).
"""

import numpy as np


def zeros(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def ones(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


def normal(std=0.01):
    """Return an initialiser drawing from N(0, std^2)."""

    def init(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
        return (rng.standard_normal(shape) * std).astype(dtype)

    init.__name__ = f"normal({std})"
    return init


def _normal_with_variance(variance, shape, rng, dtype):
    return (rng.standard_normal(shape) * np.sqrt(variance)).astype(dtype)


def _uniform_with_variance(variance, shape, rng, dtype):
    limit = np.sqrt(3.0 * variance)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def glorot_uniform(shape, fan_in, fan_out, rng, dtype=np.float32):
    return _uniform_with_variance(2.0 / (fan_in + fan_out), shape, rng, dtype)


def glorot_normal(shape, fan_in, fan_out, rng, dtype=np.float32):
    return _normal_with_variance(2.0 / (fan_in + fan_out), shape, rng, dtype)


def he_uniform(shape, fan_in, fan_out, rng, dtype=np.float32):
    return _uniform_with_variance(2.0 / fan_in, shape, rng, dtype)


def he_normal(shape, fan_in, fan_out, rng, dtype=np.float32):
    return _normal_with_variance(2.0 / fan_in, shape, rng, dtype)


def orthogonal(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
    """A 2-D matrix with orthonormal columns (or rows, when wider than tall): the Q of a
    QR factorisation of a Gaussian matrix, its signs fixed by R's diagonal so that the
    result is uniformly distributed over such matrices. Recurrent layers use one per gate."""
    if len(shape) != 2:
        raise ValueError(f"orthogonal: expected a 2-D shape, got {tuple(shape)}")
    rows, cols = shape
    gaussian = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))
    return (q if rows >= cols else q.T).astype(dtype)


INITIALISERS = {
    "zeros": zeros,
    "ones": ones,
    "normal": normal(0.01),
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming": he_normal,
    "kaiming_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "orthogonal": orthogonal,
}


def get(name_or_function):
    """Resolve an initialiser given by name (``"he"``) or as a function."""
    if callable(name_or_function):
        return name_or_function
    if isinstance(name_or_function, str) and name_or_function in INITIALISERS:
        return INITIALISERS[name_or_function]
    raise ValueError(
        f"unknown initialiser {name_or_function!r}; expected one of {sorted(INITIALISERS)} "
        "or a function f(shape, fan_in, fan_out, rng, dtype)"
    )


def config_name(name_or_function, layer_name):
    """The initialiser as a layer config stores it: only names can be saved."""
    if isinstance(name_or_function, str):
        return name_or_function
    raise ValueError(
        f"layer {layer_name!r}: a custom initialiser function cannot be saved in a config; "
        "pass an initialiser name"
    )
