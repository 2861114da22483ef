"""Recurrent: what RNN, LSTM and GRU share (shapes, parameters, checks, the big GEMMs).

A recurrent layer reads a sequence ``x`` of shape ``(N, T, F)`` (batch first) and keeps a
hidden state ``h`` of shape ``(N, units)``. Each step mixes the input with the previous
state through ``G`` gate blocks of ``units`` columns each:

    pre_t = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias       (N, G * units)

    kernel             (F, G * units)       initialised by ``init`` (glorot)
    recurrent_kernel   (units, G * units)   ``recurrent_init``: orthogonal per gate block
    bias               (G * units,)         zeros (LSTM: forget gate ones)

Only the recurrent part depends on the previous step, so the input part of every step is
one matrix product before the time loop, ``(T*N, F) @ kernel``, and after backpropagation
through time the weight gradients are one matrix product each over all steps:

    dL/dkernel           = X.T @ dPre          X    = all x_t stacked     (T*N, F)
    dL/drecurrent_kernel = H_prev.T @ dPre     dPre = all dL/dpre_t       (T*N, G*units)
    dL/dbias             = sum over rows of dPre
    dL/dx                = dPre @ kernel.T

The bias rides along in the products: X gets a column of ones and kernel a row ``bias``,
so ``[X, 1] @ [kernel; bias]`` adds it and ``[X, 1].T @ dPre`` also yields dL/dbias. Since
x_t, 1 and h_{t-1} are stored side by side, ``[X, 1, H_prev].T @ dPre`` gives all three
weight gradients of an RNN or LSTM in a single product (the GRU needs two: its reset gate
makes the recurrent part's gradient differ from the input part's).

Inside, every per-step array is feature-major, ``(features, N)``: the transposes of the
batch-first arrays. x is kept as (F, T, N), the states as (units, T+1, N), one step's
gates as (G*units, N). Each gate is then a contiguous block of rows, and the elementwise
work of a step (the sigmoids, the products of the cell update) runs on contiguous memory:
measured twice as fast as on the strided column blocks of an (N, G*units) array. The
matrix products are the same ones, transposed (``recurrent_kernel.T @ h_t``).

``return_sequences=True`` returns every ``h_t`` as ``(N, T, units)`` (to feed another
recurrent layer); otherwise only the last, ``(N, units)``. The sequence length may differ
from the one the layer was built with; the feature count may not. Every layer takes
``forward(x, initial_state=...)`` and, after ``backward``, leaves the gradient with respect
to that state in ``grad_initial_state`` (None when no state was given).
"""

import numpy as np

from leannet import init
from leannet.layers.base import Layer
from leannet.layers.workspace import scratch


def orthogonal_per_gate(gates):
    """Initialiser of a ``(rows, gates * cols)`` matrix: one orthogonal block per gate."""

    def initialise(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
        rows, width = shape
        block = (rows, width // gates)
        return np.concatenate(
            [init.orthogonal(block, rng=rng, dtype=dtype) for _ in range(gates)], axis=1
        )

    return initialise


def sigmoid_(x):
    """Logistic function in place, as 0.5 + 0.5 tanh(x / 2): no overflow for any x."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def times_sigmoid_slope_(grad, s, work):
    """grad *= s (1 - s) in place, for a sigmoid output ``s``; ``work`` is scratch space."""
    np.subtract(1.0, s, out=work)
    work *= s
    grad *= work


def _initialiser(name_or_function, gates=1):
    if name_or_function == "orthogonal":
        return orthogonal_per_gate(gates)
    return init.get(name_or_function)


class Recurrent(Layer):
    """Base of RNN, LSTM and GRU. Subclasses set ``gates`` and write forward/backward."""

    gates = 1

    def __init__(self, units, return_sequences=False, init="glorot",
                 recurrent_init="orthogonal", use_bias=True, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}")
        for label, value in (("init", init), ("recurrent_init", recurrent_init)):
            if not isinstance(value, str):
                raise ValueError(f"{kind}: {label} must be an initialiser name, got {value!r}")
            _initialiser(value)  # raises on an unknown name, before any build
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.init = init
        self.recurrent_init = recurrent_init
        self.use_bias = bool(use_bias)
        self.grad_initial_state = None
        self._scratch = {}
        self._store = {}

    # ----- building -------------------------------------------------------------------
    def _build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects sequences (N, T, "
                f"features), got input shape (N, {', '.join(map(str, input_shape))})"
            )
        steps, features = input_shape
        width = self.gates * self.units
        kernel = _initialiser(self.init, self.gates)(
            (features, width), features, width, self.rng, self.dtype
        )
        recurrent = _initialiser(self.recurrent_init, self.gates)(
            (self.units, width), self.units, width, self.rng, self.dtype
        )
        self.kernel = self.add_parameter("kernel", kernel)
        self.recurrent_kernel = self.add_parameter("recurrent_kernel", recurrent)
        self.bias = self.add_parameter("bias", self._initial_bias()) if self.use_bias else None
        return (steps, self.units) if self.return_sequences else (self.units,)

    def _initial_bias(self):
        return np.zeros(self.gates * self.units)

    # ----- checks ---------------------------------------------------------------------
    def _check_sequence(self, x):
        features = self.kernel.value.shape[0]
        if x.ndim != 3 or x.shape[2] != features or x.shape[1] < 1:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects input (N, T, {features}) "
                f"with T >= 1, got shape {x.shape}"
            )

    def _check_state(self, state, batch, label):
        state = np.asarray(state)
        if state.shape != (batch, self.units):
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects {label} of shape "
                f"({batch}, {self.units}), got {state.shape}"
            )
        return state.astype(self.dtype, copy=False)

    # ----- the parts every cell shares (all per-step arrays are (features, N)) ---------
    def _begin_forward(self, x, training):
        """Check ``x`` (N, T, F); lay out every step's inputs; return (steps, batch).

        ``self.step_inputs`` is (F [+1] + units, T+1, N): column t holds [x_t; 1; h_{t-1}],
        everything that multiplies a weight at step t (the 1 only with a bias). The x rows
        are filled here, the h rows during the time loop (``self.hidden`` views them).
        """
        self._check_sequence(x)
        # Training reuses the work arrays of forward and backward step after step (fresh
        # ones cost a page fault per 4 KiB page: the MNIST LSTM's forward took 4.5-5.4 ms
        # per step of 128 with fresh arrays, 4.2-4.5 ms with reused ones); inference
        # allocates them afresh, as Conv2D does.
        self._store = self._scratch if training else {}
        batch, steps, features = x.shape
        rows = features + 1 if self.use_bias else features
        self.step_inputs = self._work("step_inputs", (rows + self.units, steps + 1, batch))
        self.x_feature_major = self.step_inputs[:rows, :steps]
        self.x_feature_major[:features] = x.transpose(2, 1, 0)
        self.x_feature_major[features:] = 1.0
        return steps, batch

    def _work(self, key, shape, zeros=False):
        """A work array of ``shape`` in the layer's dtype: uninitialised, or zeros."""
        array = scratch(self._store, key, shape, self.dtype)
        if zeros:
            array[...] = 0
        return array

    def _project_inputs(self):
        """``kernel.T @ x_t + bias`` for every step in one GEMM: (G*units, T, N)."""
        rows, steps, batch = self.x_feature_major.shape
        weights = self.kernel.value
        if self.use_bias:  # [kernel; bias] against [x; 1]
            weights = np.concatenate([weights, self._input_bias()[None]], axis=0)
        projection = np.matmul(weights.T, self.x_feature_major.reshape(rows, steps * batch))
        return projection.reshape(-1, steps, batch)

    def _input_bias(self):
        return self.bias.value

    def _new_hidden(self, steps, batch, initial_state, label="initial_state"):
        """(units, T+1, N) for h_0 ... h_T (rows of ``step_inputs``), h_0 filled in."""
        hidden = self.step_inputs[-self.units:]
        self._write_state(hidden[:, 0], initial_state, batch, label)
        return hidden

    def _write_state(self, out, state, batch, label):
        """Write a given (N, units) state, transposed, into ``out``; zeros if none."""
        if state is None:
            out[...] = 0
        else:
            out[...] = self._check_state(state, batch, label).T

    def _sequence_output(self, hidden):
        """The layer's output from ``hidden`` (units, T+1, N): all h_t, or only the last."""
        if self.return_sequences:  # copies: ``hidden`` is a reused work array
            return hidden[:, 1:].transpose(2, 1, 0).copy()
        return hidden[:, -1].T.copy()

    def _output_gradient(self, grad_out, steps, batch):
        """dL/dh_t from outside the layer, as (T, units, N); only the last step is nonzero
        without ``return_sequences``."""
        expected = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if grad_out.shape != expected:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects an output gradient of "
                f"shape {expected}, got {grad_out.shape}"
            )
        if self.return_sequences:
            return np.ascontiguousarray(grad_out.transpose(1, 2, 0), dtype=self.dtype)
        grad_sequence = self._work("grad_sequence", (steps, self.units, batch), zeros=True)
        grad_sequence[-1] = grad_out.T
        return grad_sequence

    def _parameter_gradients(self, grad_pre, grad_pre_recurrent):
        """Set kernel, recurrent_kernel and bias gradients with GEMMs over all steps at once.

        ``grad_pre`` is dL/d(input part), ``grad_pre_recurrent`` dL/d(recurrent part) of the
        pre-activations, both (G*units, T, N). When they are the same array (RNN, LSTM), one
        product ``[X, 1, H_prev].T @ dPre`` gives all three gradients; the GRU needs two.
        """
        if not self.kernel.trainable:
            return
        width, steps, batch = grad_pre.shape
        features = self.kernel.value.shape[0]
        flat_grad = grad_pre.reshape(width, steps * batch)
        if grad_pre_recurrent is grad_pre:
            inputs = self.step_inputs[:, :steps].reshape(-1, steps * batch)  # a view
            weight_grads = inputs @ flat_grad.T
            self.recurrent_kernel.grad[...] = weight_grads[-self.units:]
        else:
            weight_grads = self.x_feature_major.reshape(-1, steps * batch) @ flat_grad.T
            hidden_prev = self.step_inputs[-self.units:, :steps].reshape(self.units, -1)
            flat_recurrent = grad_pre_recurrent.reshape(width, steps * batch)
            np.matmul(hidden_prev, flat_recurrent.T, out=self.recurrent_kernel.grad)
        self.kernel.grad[...] = weight_grads[:features]
        if self.use_bias:
            self._bias_gradient(weight_grads[features], grad_pre_recurrent)

    def _bias_gradient(self, grad_input_bias, grad_pre_recurrent):
        """dL/dbias = sum over all steps and samples of dL/dpre (computed by the caller)."""
        self.bias.grad[...] = grad_input_bias

    def _input_gradient(self, grad_pre):
        """dL/dx = dPre @ kernel.T, returned batch first (N, T, F); None if not needed."""
        if not self.input_grad_needed:
            return None
        width, steps, batch = grad_pre.shape
        flat = self.kernel.value @ grad_pre.reshape(width, steps * batch)
        return np.ascontiguousarray(flat.reshape(-1, steps, batch).transpose(2, 1, 0))

    # ----- description ----------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, return_sequences=self.return_sequences,
                      init=self.init, recurrent_init=self.recurrent_init,
                      use_bias=self.use_bias)
        return config
