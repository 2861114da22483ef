"""Sliding windows as matrices: the geometry and the im2col / col2im pair behind Conv2D.

A convolution is one matrix product once every input window is laid out as a row:

    cols[n, ho, wo, i, j, c] = x_padded[n, ho*sh + i*dh, wo*sw + j*dw, c]   (NHWC order)
    y = cols.reshape(N*Ho*Wo, kh*kw*C) @ W.reshape(kh*kw*C, F)

``window_view`` builds that 6-D array as a strided *view* (no copy); ``im2col_rows`` copies
it once into a matrix. Channels are last so that, for stride 1, each (j, c) run of a
window is contiguous in memory and the copy moves long runs at a time. For an NCHW input
(the images of a first layer, often one channel) those runs would be short or strided,
so ``im2col_offsets`` builds the transposed matrix (kh*kw*C, N*Ho*Wo) instead: one strided
slice per kernel offset, each copied run a whole output row.

``col2im`` is the adjoint: every column entry is added back to the input pixel it came
from. Windows overlap, so it loops over the kh*kw kernel offsets and adds one strided
slice per offset (never ``np.add.at``, never a loop over samples or pixels). The column
entries of offset (i, j) are the product ``dL/dy @ W_ij``, a (N*Ho*Wo, C) block; col2im
makes each block just before adding it, so the block is still in cache when it is read
(all kh*kw blocks at once would be 25 times the size of the input gradient for a 5x5
kernel, written to memory and read back). Each block is contiguous and each strided
slice has whole (Wo, C) rows: several times faster than reading (N*Ho*Wo, kh*kw*C) rows
with a stride.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided


def as_pair(value, what, owner):
    """``3 -> (3, 3)``, ``(3, 5) -> (3, 5)``; a positive int or pair of them."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
        or min(value) < 1
    ):
        raise ValueError(f"{owner}: {what} must be a positive int or a pair of them, got {value!r}")
    return int(value[0]), int(value[1])


def effective_size(kernel, dilation):
    """Span of a dilated kernel: ``dilation * (kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def same_padding(size, kernel, stride, dilation):
    """TensorFlow's "same": ``out = ceil(size / stride)``; the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_size(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def check_padding_spec(padding, owner, allow_same=True):
    """Validate a padding argument: ``"valid"``, ``"same"``, a non-negative int or pair."""
    if isinstance(padding, str):
        allowed = ("valid", "same") if allow_same else ("valid",)
        if padding.lower() not in allowed:
            raise ValueError(f"{owner}: padding must be one of {allowed} or int, got {padding!r}")
        return padding.lower()
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        padding = (padding, padding)
    if (
        not isinstance(padding, (tuple, list))
        or len(padding) != 2
        or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in padding)
        or min(padding) < 0
    ):
        raise ValueError(
            f"{owner}: padding must be 'valid', 'same', a non-negative int or a pair, "
            f"got {padding!r}"
        )
    return int(padding[0]), int(padding[1])


def resolve_padding(padding, size, kernel, stride, dilation):
    """Per-axis ``((top, bottom), (left, right))`` for a checked padding spec."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        axes = zip(size, kernel, stride, dilation, strict=True)
        return tuple(same_padding(*args) for args in axes)
    return (padding[0], padding[0]), (padding[1], padding[1])


def output_length(padded_size, kernel, stride, dilation):
    """Number of window positions along one axis: ``(P - span) // stride + 1``."""
    return (padded_size - effective_size(kernel, dilation)) // stride + 1


def offset_slice(offset, stride, dilation, count):
    """Slice of the padded axis read by kernel offset ``offset`` at ``count`` positions."""
    start = offset * dilation
    return slice(start, start + stride * (count - 1) + 1, stride)


def window_view(padded, kernel, stride, dilation, out_size):
    """Read-only view (N, Ho, Wo, kh, kw, C) of the NHWC array ``padded``; no copy."""
    n, _, _, channels = padded.shape
    s_n, s_h, s_w, s_c = padded.strides
    shape = (n, out_size[0], out_size[1], kernel[0], kernel[1], channels)
    strides = (
        s_n,
        s_h * stride[0],
        s_w * stride[1],
        s_h * dilation[0],
        s_w * dilation[1],
        s_c,
    )
    return as_strided(padded, shape=shape, strides=strides, writeable=False)


def im2col_rows(padded, kernel, stride, dilation, out_size, out):
    """Pixel-major columns: row (n, ho, wo) of ``out`` (N*Ho*Wo, kh*kw*C) is one window
    of the NHWC array ``padded``, in (i, j, c) order. Suits many channels: each copied
    run is kw*C values long."""
    windows = window_view(padded, kernel, stride, dilation, out_size)
    np.copyto(out.reshape(windows.shape), windows)
    return out


def im2col_offsets(padded, kernel, stride, dilation, out_size, out):
    """Offset-major columns: ``out`` (kh*kw*C, N*Ho*Wo), rows in (i, j, c) order, from the
    (N, C, H, W) array ``padded``. Suits few channels (a first layer): one strided slice
    per kernel offset, each copied run a whole output row (Wo values)."""
    n, channels = padded.shape[:2]
    by_channel = padded.transpose(1, 0, 2, 3)
    blocks = out.reshape(kernel[0], kernel[1], channels, n, out_size[0], out_size[1])
    for i in range(kernel[0]):
        rows = offset_slice(i, stride[0], dilation[0], out_size[0])
        for j in range(kernel[1]):
            columns = offset_slice(j, stride[1], dilation[1], out_size[1])
            blocks[i, j] = by_channel[:, :, rows, columns]
    return out


def col2im(grad_rows, weight_blocks, kernel, stride, dilation, out_size, out, block):
    """Add every window gradient into zeroed NHWC ``out`` (N, Hp, Wp, C): for each kernel
    offset (i, j), the block ``grad_rows @ weight_blocks[i*kw + j]`` (N*Ho*Wo, C) goes to
    the pixels that offset read. ``grad_rows`` is dL/dy as (N*Ho*Wo, F) rows, channels
    last; ``weight_blocks`` is (kh*kw, F, C); ``block`` a (N*Ho*Wo, C) work array."""
    n, channels = out.shape[0], out.shape[3]
    pixels = block.reshape(n, out_size[0], out_size[1], channels)
    for i in range(kernel[0]):
        rows = offset_slice(i, stride[0], dilation[0], out_size[0])
        for j in range(kernel[1]):
            columns = offset_slice(j, stride[1], dilation[1], out_size[1])
            np.matmul(grad_rows, weight_blocks[i * kernel[1] + j], out=block)
            out[:, rows, columns, :] += pixels
    return out
