"""The GEMM floor: the time of exactly the matrix products of one MLP epoch, nothing else.

For Dense layers of sizes d0 -> d1 -> ... -> dL and a batch of b rows, one step needs

    forward    h_k = h_{k-1} @ W_k                 (b, d_{k-1}) @ (d_{k-1}, d_k)   k = 1..L
    backward   dW_k = h_{k-1}.T @ g_k              (d_{k-1}, b) @ (b, d_k)         k = 1..L
               g_{k-1} = g_k @ W_k.T               (b, d_k) @ (d_k, d_{k-1})       k = L..2

(the first layer's input gradient is not needed: nobody wants dL/dx of the data). For
784-256-128-10 that is 3 + 3 + 2 = 8 products per batch. An epoch of 60,000 samples in
batches of 128 is 468 full batches and one of 96 rows: 469 batches. The transposes are
views, as in leannet's Dense (BLAS reads them with a transpose flag, no copy).

No framework can train this model in less time than its BLAS needs for these products;
the ratio epoch / floor says how much of an epoch is spent outside them.
"""

import numpy as np


def batch_sizes(n_samples, batch_size):
    """Rows of each batch of an epoch: [128] * 468 + [96] for 60,000 samples."""
    full, rest = divmod(n_samples, batch_size)
    return [batch_size] * full + ([rest] if rest else [])


def step_gemm_shapes(sizes, rows):
    """(m, k, n) of every product of one step: (m, k) @ (k, n)."""
    layers = list(zip(sizes[:-1], sizes[1:], strict=True))
    forward = [(rows, d_in, d_out) for d_in, d_out in layers]
    weight_grads = [(d_in, rows, d_out) for d_in, d_out in layers]
    input_grads = [(rows, d_out, d_in) for d_in, d_out in layers[1:]]
    return forward + weight_grads + input_grads


def epoch_flops(sizes, n_samples, batch_size):
    return sum(2 * m * k * n for rows in batch_sizes(n_samples, batch_size)
               for m, k, n in step_gemm_shapes(sizes, rows))


class NumpyGemmEpoch:
    """One epoch's products with numpy (the BLAS leannet uses), into preallocated outputs."""

    backend = "numpy"

    def __init__(self, sizes, n_samples, batch_size, seed=0):
        self.sizes, self.rows = list(sizes), batch_sizes(n_samples, batch_size)
        rng = np.random.default_rng(seed)
        self.operands = {rows: self._operands(rows, rng) for rows in set(self.rows)}
        self.flops = epoch_flops(sizes, n_samples, batch_size)

    def _operands(self, rows, rng):
        """[(a, b, out)] for one step; b and a are transposed views where the maths says."""
        def array(*shape):
            return rng.standard_normal(shape, dtype=np.float32)

        layers = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        weights = [array(d_in, d_out) for d_in, d_out in layers]
        acts = [array(rows, d_in) for d_in, _ in layers]      # h_0 (= x) .. h_{L-1}
        grads = [array(rows, d_out) for _, d_out in layers]   # g_1 .. g_L
        products = [(h, w) for h, w in zip(acts, weights, strict=True)]
        products += [(h.T, g) for h, g in zip(acts, grads, strict=True)]
        products += [(g, w.T) for g, w in zip(grads[1:], weights[1:], strict=True)]
        return [(a, b, np.empty((a.shape[0], b.shape[1]), np.float32)) for a, b in products]

    def run(self):
        for rows in self.rows:
            for a, b, out in self.operands[rows]:
                np.matmul(a, b, out=out)


class TorchGemmEpoch(NumpyGemmEpoch):
    """The same products with torch.matmul (PyTorch's own BLAS), on the same numbers."""

    backend = "pytorch"

    def __init__(self, sizes, n_samples, batch_size, seed=0):
        import torch

        super().__init__(sizes, n_samples, batch_size, seed)
        self.torch = torch
        self.operands = {rows: [tuple(map(torch.from_numpy, triple)) for triple in operands]
                         for rows, operands in self.operands.items()}  # views keep strides

    def run(self):
        matmul = self.torch.matmul
        for rows in self.rows:
            for a, b, out in self.operands[rows]:
                matmul(a, b, out=out)
