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

Inside, steps run time-major, ``(T, N, ...)``, so that one step's rows are contiguous.
``return_sequences=True`` returns every ``h_t`` as ``(N, T, units)`` (to feed another
recurrent layer); otherwise only the last, ``(N, units)``. The sequence length may differ
from the one the layer was built with; the feature count may not.
"""

import numpy as np

from leannet import init
from leannet.layers.base import Layer


def orthogonal(shape, fan_in=None, fan_out=None, rng=None, dtype=np.float32):
    """A matrix with orthonormal rows or columns (QR of a Gaussian matrix, signs fixed)."""
    rows, cols = shape
    gaussian = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
    return (q if rows >= cols else q.T).astype(dtype)


def orthogonal_per_gate(shape, fan_in, fan_out, rng, dtype=np.float32):
    """``(units, G * units)`` made of G orthogonal ``(units, units)`` blocks, one per gate."""
    units, width = shape
    blocks = [orthogonal((units, units), rng=rng, dtype=dtype) for _ in range(width // units)]
    return np.concatenate(blocks, axis=1)


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


def _initialiser(name_or_function):
    if name_or_function == "orthogonal":
        return orthogonal_per_gate
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

    # ----- building -------------------------------------------------------------------
    def _build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects sequences (N, T, "
                f"features), got input shape (N, {', '.join(map(str, input_shape))})"
            )
        steps, features = input_shape
        width = self.gates * self.units
        kernel = _initialiser(self.init)((features, width), features, width, self.rng, self.dtype)
        recurrent = _initialiser(self.recurrent_init)(
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

    def _initial_hidden(self, state, batch, out, label="initial_state"):
        """Write h_0 into ``out``: zeros, or the given state after checking its shape."""
        if state is None:
            out[...] = 0
        else:
            out[...] = self._check_state(state, batch, label)
        return state is not None

    # ----- the parts every cell shares ------------------------------------------------
    def _project_inputs(self, x, out):
        """Write ``x_t @ kernel + bias`` for every step into ``out`` (T, N, G*units)."""
        steps, batch, features = out.shape[0], out.shape[1], x.shape[2]
        self.x_time_major = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=self.dtype)
        flat_x = self.x_time_major.reshape(steps * batch, features)
        np.matmul(flat_x, self.kernel.value, out=out.reshape(steps * batch, -1))
        if self.use_bias:
            out += self._input_bias()

    def _input_bias(self):
        return self.bias.value

    def _sequence_output(self, hidden):
        """``hidden`` is (T+1, N, units) with h_0 first; return what the layer outputs."""
        if self.return_sequences:
            return np.ascontiguousarray(hidden[1:].transpose(1, 0, 2))
        return hidden[-1].copy()

    def _output_gradient(self, grad_out, steps, batch):
        """dL/dh_t from outside the layer, as (T, N, units), or None before the last step."""
        expected = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if grad_out.shape != expected:
            raise ValueError(
                f"layer {self.name!r} ({type(self).__name__}) expects an output gradient of "
                f"shape {expected}, got {grad_out.shape}"
            )
        if self.return_sequences:
            return grad_out.transpose(1, 0, 2)
        return None

    @staticmethod
    def _add_output_gradient(grad_hidden, grad_sequence, grad_out, t, steps):
        """Add dL/dh_t from the layer's output to ``grad_hidden`` (dL/dh_t from later steps).

        Without ``return_sequences`` only the last step is an output; there ``grad_hidden``
        has nothing from later steps yet, so it is overwritten.
        """
        if grad_sequence is not None:
            grad_hidden += grad_sequence[t]
        elif t == steps - 1:
            grad_hidden[...] = grad_out

    def _parameter_gradients(self, grad_pre, grad_pre_recurrent, hidden_prev):
        """Set kernel, recurrent_kernel and bias gradients, one GEMM each over all steps.

        ``grad_pre`` is dL/d(input part), ``grad_pre_recurrent`` dL/d(recurrent part) of the
        pre-activations, both (T, N, G*units) (the same array except in the GRU).
        """
        if not self.kernel.trainable:
            return
        rows = grad_pre.shape[0] * grad_pre.shape[1]
        flat_grad = grad_pre.reshape(rows, -1)
        flat_x = self.x_time_major.reshape(rows, -1)
        np.matmul(flat_x.T, flat_grad, out=self.kernel.grad)
        flat_recurrent = grad_pre_recurrent.reshape(rows, -1)
        np.matmul(hidden_prev.reshape(rows, -1).T, flat_recurrent, out=self.recurrent_kernel.grad)
        if self.use_bias:
            self._bias_gradient(flat_grad, flat_recurrent)

    def _bias_gradient(self, flat_grad, flat_grad_recurrent):
        """dL/dbias = sum over all steps and samples of dL/dpre."""
        np.sum(flat_grad, axis=0, out=self.bias.grad)

    def _input_gradient(self, grad_pre):
        """dL/dx = dPre @ kernel.T, returned batch first (N, T, F); None if not needed."""
        if not self.input_grad_needed:
            return None
        steps, batch = grad_pre.shape[:2]
        flat = grad_pre.reshape(steps * batch, -1) @ self.kernel.value.T
        return np.ascontiguousarray(flat.reshape(steps, batch, -1).transpose(1, 0, 2))

    # ----- description ----------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, return_sequences=self.return_sequences,
                      init=self.init, recurrent_init=self.recurrent_init,
                      use_bias=self.use_bias)
        return config
