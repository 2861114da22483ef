"""2-D convolution (cross-correlation, as in every framework) as im2col + one matrix product.

    y[n, f, ho, wo] = b[f] + sum_{c, i, j} W[f, c, i, j] * x_pad[n, c, ho*sh + i*dh, wo*sw + j*dw]

Every window of the batch becomes a row of a column matrix (see ``leannet.layers.im2col``)
and the whole batch is one GEMM; the bias rides along as one more column of ones:

    [cols | 1] (N*Ho*Wo, kh*kw*C + 1) @ [W_mat; b] (kh*kw*C + 1, F) -> (N*Ho*Wo, F)

(For a channels-last input the rows are copied and multiplied a few samples at a time, so
each chunk of rows is multiplied while it is still in cache; the product is the same.)

Columns are channels-last, in (i, j, c) order. An input that is already channels-last in
memory (the output of an earlier Conv2D) is read pixel-major, which copies long runs; a
plain NCHW input (the images fed to the first layer, often one channel) is read into the
transposed matrix, offset-major, which also copies long runs. Same GEMM either way.

The result is handed on as an (N, F, Ho, Wo) *view* of that channels-last matrix: no
transposing copy. Element-wise layers keep that memory order and the next Conv2D reads it
back as NHWC for free. Shapes are always (N, C, H, W); only the strides differ.
"""

import numpy as np

from leannet import init
from leannet.layers.base import Layer
from leannet.layers.im2col import (
    as_pair,
    check_padding_spec,
    col2im,
    effective_size,
    im2col_offsets,
    im2col_rows,
    output_length,
    resolve_padding,
)
from leannet.layers.workspace import scratch
from leannet.regularizers import get as get_regularizer

# The big products run a chunk of samples at a time, so that what a chunk writes is still
# in cache when it is read: about 4 MiB of columns in the forward pass (L3 holds 32 MiB
# here) and about 1 MiB of input gradient in the backward pass (one core's L2).
FORWARD_CHUNK_BYTES = 4 << 20
BACKWARD_CHUNK_BYTES = 1 << 20


def sample_chunks(n, bytes_per_sample, target_bytes):
    """[(start, stop), ...] covering samples 0..n-1, each chunk about ``target_bytes``."""
    step = max(1, target_bytes // max(1, bytes_per_sample))
    return [(start, min(start + step, n)) for start in range(0, n, step)]


class Conv2D(Layer):
    """2-D convolution on (N, C, H, W) inputs; weight (filters, C, kh, kw), bias (filters,).

    ``kernel_size``, ``stride`` and ``dilation`` are an int or a pair. ``padding`` is
    ``"valid"`` (= 0), ``"same"`` (TensorFlow's rule: output ``ceil(H / stride)``; with an
    even kernel the extra row/column of zeros goes at the bottom/right), an int, or a pair
    ``(ph, pw)`` of zeros added on both sides. ``init`` names the weight initialiser
    (fan_in = C*kh*kw, fan_out = filters*kh*kw); the bias starts at zero.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        use_bias=True,
        init="he",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", "Conv2D")
        self.stride = as_pair(stride, "stride", "Conv2D")
        self.dilation = as_pair(dilation, "dilation", "Conv2D")
        self.padding = check_padding_spec(padding, "Conv2D")
        self.use_bias = bool(use_bias)
        self.init = init
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self._scratch = {}

    # ----- building -------------------------------------------------------------------
    def _build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"layer {self.name!r} (Conv2D) expects input (N, C, H, W), got (N, "
                f"{', '.join(map(str, input_shape))})"
            )
        channels, height, width = input_shape
        self.pads = resolve_padding(
            self.padding, (height, width), self.kernel_size, self.stride, self.dilation
        )
        self.padded_size = (height + sum(self.pads[0]), width + sum(self.pads[1]))
        self._check_kernel_fits(input_shape)
        geometry = zip(self.padded_size, self.kernel_size, self.stride, self.dilation, strict=True)
        self.out_size = tuple(output_length(*args) for args in geometry)
        kh, kw = self.kernel_size
        fan_in, fan_out = channels * kh * kw, self.filters * kh * kw
        weight = init.get(self.init)(
            (self.filters, channels, kh, kw), fan_in, fan_out, self.rng, self.dtype
        )
        self.weight = self.add_parameter("weight", weight)
        self.bias = self.add_parameter("bias", np.zeros(self.filters)) if self.use_bias else None
        self._scratch = {}
        return (self.filters, *self.out_size)

    def _check_kernel_fits(self, input_shape):
        span = tuple(map(effective_size, self.kernel_size, self.dilation))
        if span[0] > self.padded_size[0] or span[1] > self.padded_size[1]:
            raise ValueError(
                f"layer {self.name!r} (Conv2D): kernel {self.kernel_size} with dilation "
                f"{self.dilation} spans {span}, larger than the padded input "
                f"{self.padded_size} (input shape (N, {', '.join(map(str, input_shape))}), "
                f"padding {self.pads})"
            )

    # ----- the maths ------------------------------------------------------------------
    def forward(self, x, training=False):
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            self.check_input(x, expected_rank=4)
        n = x.shape[0]
        ho, wo = self.out_size
        channels = self.input_shape[0]
        geometry = (self.kernel_size, self.stride, self.dilation, self.out_size)
        pixels, k = n * ho * wo, self.kernel_size[0] * self.kernel_size[1] * channels
        width = k + self.use_bias  # the bias is one more column of W_mat, against a 1
        self.pixel_major = channels > 1 and x.transpose(0, 2, 3, 1).flags.c_contiguous
        # Training reuses its work arrays step after step; inference (often in big batches)
        # allocates them afresh, so that an evaluation does not pin its memory for good.
        self.cols = None  # let the last batch's columns go before the new ones are made
        store = self._scratch if training else {}
        if self.pixel_major:
            cols = scratch(store, "cols", (pixels, width), x.dtype)
            cols[:, k:] = 1
            y = self._rows_product(self._padded(x, True, store), cols, geometry)
        else:
            cols = scratch(store, "cols", (width, pixels), x.dtype)
            im2col_offsets(self._padded(x, False, store), *geometry, out=cols[:k])
            cols[k:] = 1
            y = cols.T @ self._weight_rows().T
        self.cols = cols
        return y.reshape(n, ho, wo, self.filters).transpose(0, 3, 1, 2)

    def _rows_product(self, padded, cols, geometry):
        """cols @ W_mat.T, a chunk of samples at a time: each chunk's columns are multiplied
        just after they are copied, while still in cache (about 20% faster than copying
        all windows first for the 32/64 MNIST CNN's second layer, where the whole column
        matrix is 80 MB). ``cols`` keeps every chunk for the backward pass."""
        k, per_sample = cols.shape[1] - self.use_bias, self.out_size[0] * self.out_size[1]
        weight_rows = self._weight_rows()
        y = np.empty((cols.shape[0], self.filters), dtype=cols.dtype)
        for start, stop in sample_chunks(len(padded), per_sample * cols[0].nbytes,
                                         FORWARD_CHUNK_BYTES):
            rows = slice(start * per_sample, stop * per_sample)
            im2col_rows(padded[start:stop], *geometry, out=cols[rows, :k])
            np.matmul(cols[rows], weight_rows.T, out=y[rows])
        return y

    def _weight_rows(self):
        """W_mat as (F, kh*kw*C [+1]): row f is filter f in (i, j, c) order, then its bias."""
        rows = self.weight.value.transpose(0, 2, 3, 1).reshape(self.filters, -1)
        if self.use_bias:
            rows = np.concatenate([rows, self.bias.value[:, None]], axis=1)
        return rows

    def _padded(self, x, channels_last, store):
        """x with its zero border, NHWC or NCHW (kept in ``store``); x itself (or a view)
        when no copy is needed."""
        source = x.transpose(0, 2, 3, 1) if channels_last else x
        (top, bottom), (left, right) = self.pads
        if top == bottom == left == right == 0 and source.flags.c_contiguous:
            return source
        n, channels, height, width = x.shape
        if channels_last:
            shape, key = (n, *self.padded_size, channels), "padded_nhwc"
            interior = (slice(None), slice(top, top + height), slice(left, left + width))
        else:
            shape, key = (n, channels, *self.padded_size), "padded_nchw"
            interior = (slice(None), slice(None), slice(top, top + height),
                        slice(left, left + width))
        padded = scratch(store, key, shape, x.dtype, zeros=True)
        padded[interior] = source
        return padded

    def backward(self, grad_out):
        """dL/dW = dL/dy.T @ cols,  dL/db = sum_{n,h,w} dL/dy,  dL/dx = col2im(dL/dy @ W_ij)
        (rows of dL/dy are output pixels, channels last; W_ij = W[:, :, i, j], one per offset)."""
        grad_rows = np.ascontiguousarray(grad_out.transpose(0, 2, 3, 1))
        grad_rows = grad_rows.reshape(-1, self.filters)
        if self.weight.trainable:
            self._weight_gradients(grad_rows)
        if not self.input_grad_needed:
            return None
        return self._input_gradient(grad_rows, grad_out.shape[0])

    def _weight_gradients(self, grad_rows):
        """Set weight.grad and bias.grad: one GEMM over the whole batch gives both."""
        kh, kw = self.kernel_size
        channels = self.input_shape[0]
        if self.pixel_major:
            grad_matrix = grad_rows.T @ self.cols  # (F, kh*kw*C [+1])
        else:
            grad_matrix = (self.cols @ grad_rows).T
        k = kh * kw * channels
        grad_weight = grad_matrix[:, :k].reshape(self.filters, kh, kw, channels)
        self.weight.grad[...] = grad_weight.transpose(0, 3, 1, 2)
        if self.kernel_regularizer is not None:
            self.kernel_regularizer.add_gradient(self.weight.value, self.weight.grad)
        if self.use_bias:
            self.bias.grad[...] = grad_matrix[:, k]

    def _input_gradient(self, grad_rows, n):
        """dL/dx as an (N, C, H, W) view of a channels-last array.

        col2im makes and adds one (pixels, C) block dL/dy @ W_ij per kernel offset (i, j),
        for a chunk of samples at a time: a chunk's blocks and its part of dL/dx then stay
        in cache (for the 32/64 MNIST CNN's second layer, 18-20 ms per step of 128 against
        24 ms for all 25 blocks of the batch made first). The loop runs over a few chunks,
        never over single samples.
        """
        channels, height, width = self.input_shape
        kh, kw = self.kernel_size
        weight_blocks = self.weight.value.transpose(2, 3, 0, 1).reshape(kh * kw, self.filters, -1)
        grad_padded = np.zeros((n, *self.padded_size, channels), dtype=grad_rows.dtype)
        chunks = sample_chunks(n, grad_padded[0].nbytes, BACKWARD_CHUNK_BYTES)
        per_sample = self.out_size[0] * self.out_size[1]
        largest = chunks[0][1] - chunks[0][0]  # only the last chunk may be smaller
        blocks = scratch(self._scratch, "grad_block", (largest * per_sample, channels),
                         grad_rows.dtype)
        for start, stop in chunks:
            col2im(grad_rows[start * per_sample : stop * per_sample], weight_blocks,
                   self.kernel_size, self.stride, self.dilation, self.out_size,
                   out=grad_padded[start:stop], block=blocks[: (stop - start) * per_sample])
        (top, _), (left, _) = self.pads
        grad_x = grad_padded[:, top : top + height, left : left + width, :]
        return grad_x.transpose(0, 3, 1, 2)

    def regularization_loss(self):
        """The penalty this layer adds to the loss (see ``leannet.regularizers``)."""
        if self.kernel_regularizer is None:
            return 0.0
        return self.kernel_regularizer.loss(self.weight.value)

    def astype(self, dtype):
        self._scratch = {}
        return super().astype(dtype)

    # ----- description ----------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            stride=list(self.stride),
            padding=self.padding if isinstance(self.padding, str) else list(self.padding),
            dilation=list(self.dilation),
            use_bias=self.use_bias,
            init=init.config_name(self.init, self.name),
        )
        if self.kernel_regularizer is not None:
            config["kernel_regularizer"] = self.kernel_regularizer.get_config()
        return config
