"""Pooling over (N, C, H, W): MaxPool2D, AvgPool2D and GlobalAvgPool2D.

A pool reads ``ph*pw`` strided slices of the (padded) input, one per offset (a, b) in
the window, and combines them element-wise:

    max:  y = max_{a,b} x_pad[:, :, a + s*i, b + s*j]        avg:  y = mean_{a,b} (same)

The backward pass sends each slice its share of ``dL/dy`` back, one offset at a time
(a loop over the pool offsets, never over samples or pixels). When windows tile the input
exactly (stride == pool size, no padding, sizes divide) the input is viewed as
(N, C, H/ph, ph, W/pw, pw) by a reshape instead, and the offsets' gradients are written
straight into their own tiles: no zero fill, no accumulation. Arrays stored channels-last
(the output of a Conv2D) stay channels-last, forward and backward.

Max pooling first copies the ph*pw slices into one block, each slice contiguous, and
keeps it for the backward pass, whose compare/multiply/subtract per offset then read
contiguous memory instead of short strided runs (C values at a time in a channels-last
array): 2-3x faster backward for the price of one copy of the input.

Max-pool ties: the whole gradient of a window goes to ONE element, the first maximum in
row-major order within the window (as PyTorch does), never split among equal elements.
Max-pool padding is -inf (it never wins); average pooling pads with zeros and always
divides by ``ph*pw`` (PyTorch's default ``count_include_pad=True``).
"""

import numpy as np

from leannet.layers.base import Layer
from leannet.layers.im2col import (
    as_pair,
    check_padding_spec,
    offset_slice,
    output_length,
    resolve_padding,
)
from leannet.layers.workspace import scratch


def _empty_nchw(shape, dtype, channels_last):
    """An uninitialised (N, C, H, W) array, stored channels-last when asked."""
    if not channels_last:
        return np.empty(shape, dtype=dtype)
    n, channels, height, width = shape
    return np.empty((n, height, width, channels), dtype=dtype).transpose(0, 3, 1, 2)


class _Pool2D(Layer):
    """Window geometry shared by max and average pooling; subclasses combine the slices."""

    pad_value = 0.0

    def __init__(self, pool_size=2, stride=None, padding=0, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = as_pair(pool_size, "pool_size", owner)
        self.stride = self.pool_size if stride is None else as_pair(stride, "stride", owner)
        self.padding = check_padding_spec(padding, owner, allow_same=False)
        self._scratch = {}

    def _build(self, input_shape):
        kind = type(self).__name__
        if len(input_shape) != 3:
            raise ValueError(
                f"layer {self.name!r} ({kind}) expects input (N, C, H, W), got (N, "
                f"{', '.join(map(str, input_shape))})"
            )
        channels, height, width = input_shape
        self.pads = resolve_padding(self.padding, (height, width), self.pool_size,
                                    self.stride, (1, 1))
        for pad, size in zip(self.pads, self.pool_size, strict=True):
            if pad[0] > size // 2:
                raise ValueError(
                    f"layer {self.name!r} ({kind}): padding {pad[0]} is more than half the "
                    f"pool size {self.pool_size}; a window could hold only padding"
                )
        padded = (height + sum(self.pads[0]), width + sum(self.pads[1]))
        if padded[0] < self.pool_size[0] or padded[1] < self.pool_size[1]:
            raise ValueError(
                f"layer {self.name!r} ({kind}): pool {self.pool_size} is larger than the "
                f"padded input {padded} (input shape (N, {channels}, {height}, {width}))"
            )
        self.padded_size = padded
        self.out_size = tuple(output_length(p, k, s, 1)
                              for p, k, s in zip(padded, self.pool_size, self.stride, strict=True))
        self.tiles = (
            self.stride == self.pool_size
            and self.pads == ((0, 0), (0, 0))
            and height % self.pool_size[0] == 0
            and width % self.pool_size[1] == 0
        )
        return (channels, *self.out_size)

    def _offsets(self):
        """(a, b, rows, columns) for every pool offset; rows/columns slice the padded input."""
        for a in range(self.pool_size[0]):
            rows = offset_slice(a, self.stride[0], 1, self.out_size[0])
            for b in range(self.pool_size[1]):
                yield a, b, rows, offset_slice(b, self.stride[1], 1, self.out_size[1])

    def _windows_source(self, x):
        """The array the offset slices read: x tiled by reshape, or x padded."""
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            self.check_input(x, expected_rank=4)
        self.batch_size = x.shape[0]
        self.channels_last = x.shape[1] > 1 and x.transpose(0, 2, 3, 1).flags.c_contiguous
        if self.tiles:
            n, channels = x.shape[:2]
            (ho, wo), (ph, pw) = self.out_size, self.pool_size
            return x.reshape(n, channels, ho, ph, wo, pw)
        (top, bottom), (left, right) = self.pads
        if top == bottom == left == right == 0:
            return x
        n, channels, height, width = x.shape
        padded = _empty_nchw((n, channels, *self.padded_size), x.dtype, self.channels_last)
        padded[...] = self.pad_value
        padded[:, :, top : top + height, left : left + width] = x
        return padded

    def _slice(self, source, a, b, rows, columns):
        if self.tiles:
            return source[:, :, :, a, :, b]
        return source[:, :, rows, columns]

    def _gather(self, source, dtype, store):
        """Each pool offset's slice of ``source`` copied into one (ph*pw, N, C, Ho, Wo) block,
        offsets in row-major order: later passes over a slice read contiguous memory."""
        slices = self._offset_block(self.batch_size, dtype, store, "slices")
        for k, (a, b, rows, columns) in enumerate(self._offsets()):
            np.copyto(slices[k], self._slice(source, a, b, rows, columns))
        return slices

    def _offset_block(self, n, dtype, store, key):
        """An uninitialised (ph*pw, N, C, Ho, Wo) array kept in ``store``; each offset's
        (N, C, Ho, Wo) slice is contiguous, channels-last when the input is."""
        count = self.pool_size[0] * self.pool_size[1]
        channels, (ho, wo) = self.input_shape[0], self.out_size
        if self.channels_last:
            block = scratch(store, key, (count, n, ho, wo, channels), dtype)
            return block.transpose(0, 1, 4, 2, 3)
        return scratch(store, key, (count, n, channels, ho, wo), dtype)

    def _scatter(self, grad_slices):
        """dL/dx from ``grad_slices`` (ph*pw, N, C, Ho, Wo), the gradient each pool offset's
        slice receives, offsets in row-major order. Laid out channels-last when the input
        was, so that the backward pass of the layer before reads it without a copy."""
        n, grad_dtype = grad_slices.shape[1], grad_slices.dtype
        channels, height, width = self.input_shape
        if self.tiles:
            grad, tiles = self._empty_tiles(n, grad_dtype)
            by_offset = tiles.transpose(3, 5, 0, 1, 2, 4)  # (ph, pw, N, C, Ho, Wo)
            np.copyto(by_offset, grad_slices.reshape(by_offset.shape))  # one pass, no zeros
            return grad
        grad = _empty_nchw((n, channels, *self.padded_size), grad_dtype, self.channels_last)
        grad[...] = 0
        for k, (_, _, rows, columns) in enumerate(self._offsets()):
            grad[:, :, rows, columns] += grad_slices[k]
        (top, _), (left, _) = self.pads
        return grad[:, :, top : top + height, left : left + width]

    def _empty_tiles(self, n, dtype):
        """An (N, C, H, W) array and its (N, C, Ho, ph, Wo, pw) view, sharing memory."""
        channels, height, width = self.input_shape
        (ho, wo), (ph, pw) = self.out_size, self.pool_size
        if self.channels_last:
            store = np.empty((n, ho, ph, wo, pw, channels), dtype=dtype)
            tiles = store.transpose(0, 5, 1, 2, 3, 4)
            return store.reshape(n, height, width, channels).transpose(0, 3, 1, 2), tiles
        store = np.empty((n, channels, ho, ph, wo, pw), dtype=dtype)
        return store.reshape(n, channels, height, width), store

    def get_config(self):
        config = super().get_config()
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        config.update(pool_size=list(self.pool_size), stride=list(self.stride), padding=padding)
        return config


class MaxPool2D(_Pool2D):
    """Largest value of each window. Ties: the gradient goes to the first maximum only."""

    pad_value = -np.inf

    def forward(self, x, training=False):
        # Training keeps the slices in a work array reused step after step; inference
        # allocates them afresh (see Conv2D).
        store = self._scratch if training else {}
        self.slices = None  # let the last batch's slices go before the new ones are made
        self.slices = self._gather(self._windows_source(x), x.dtype, store)
        largest = _empty_nchw((self.batch_size, *self.output_shape), x.dtype, self.channels_last)
        np.maximum.reduce(self.slices, axis=0, out=largest)
        self.largest = largest
        return largest

    def backward(self, grad_out):
        """dL/dx = dL/dy at the first maximum of each window (row-major order), 0 elsewhere."""
        if not self.input_grad_needed:
            return None
        # Offsets are visited in row-major order; each takes the gradient of the windows
        # whose maximum it holds and that no earlier offset has claimed. The last offset
        # gets whatever is left: if no earlier element was the maximum, it was.
        remaining = np.empty_like(self.largest)  # in the input's memory order
        np.copyto(remaining, grad_out)
        claimed = self._offset_block(self.batch_size, grad_out.dtype, self._scratch, "claimed")
        for k in range(len(claimed) - 1):
            hit = np.equal(self.slices[k], self.largest)
            np.multiply(remaining, hit, out=claimed[k])
            np.subtract(remaining, claimed[k], out=remaining)  # exact: claimed is it or 0
        np.copyto(claimed[-1], remaining)
        return self._scatter(claimed)


class AvgPool2D(_Pool2D):
    """Mean of each window (padding zeros count: the divisor is always ph*pw)."""

    def forward(self, x, training=False):
        source = self._windows_source(x)
        total = None
        for a, b, rows, columns in self._offsets():
            values = self._slice(source, a, b, rows, columns)
            total = values.copy(order="K") if total is None else np.add(total, values, out=total)
        total *= 1.0 / (self.pool_size[0] * self.pool_size[1])
        return total

    def backward(self, grad_out):
        """dL/dx = dL/dy / (ph*pw) for every element of its window (summed where they overlap)."""
        if not self.input_grad_needed:
            return None
        count = self.pool_size[0] * self.pool_size[1]
        share = _empty_nchw(grad_out.shape, grad_out.dtype, self.channels_last)
        np.multiply(grad_out, 1.0 / count, out=share)
        return self._scatter(np.broadcast_to(share, (count, *share.shape)))


class GlobalAvgPool2D(Layer):
    """Mean over all of H and W: (N, C, H, W) -> (N, C)."""

    def _build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"layer {self.name!r} (GlobalAvgPool2D) expects input (N, C, H, W), got (N, "
                f"{', '.join(map(str, input_shape))})"
            )
        return (input_shape[0],)

    def forward(self, x, training=False):
        if x.ndim != 4 or (self.built and x.shape[1:] != self.input_shape):
            self.check_input(x, expected_rank=4)
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, grad_out):
        """dL/dx[n, c, h, w] = dL/dy[n, c] / (H*W)"""
        if not self.input_grad_needed:
            return None
        n, channels, height, width = self.x_shape
        grad = np.empty(self.x_shape, dtype=grad_out.dtype)
        grad[...] = (grad_out * (1.0 / (height * width)))[:, :, None, None]
        return grad
