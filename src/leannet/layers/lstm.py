"""LSTM: long short-term memory (Hochreiter & Schmidhuber 1997, with a forget gate).

Gates are stacked along the last axis of kernel, recurrent_kernel and bias in the Keras
order ``i, f, c, o`` (input, forget, candidate cell, output), ``units`` columns each:

    [a_i, a_f, a_g, a_o] = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
    i = s(a_i)   f = s(a_f)   g = tanh(a_g)   o = s(a_o)        s = logistic sigmoid
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

The forget-gate bias starts at 1 (Keras ``unit_forget_bias``; Jozefowicz et al. 2015), so
the cell remembers by default early in training. ``forward(x, initial_state=(h0, c0))``
starts from a given state; ``backward`` then leaves ``grad_initial_state = (dL/dh0, dL/dc0)``.
"""

import numpy as np

from leannet.layers.recurrent import Recurrent, sigmoid_, times_sigmoid_slope_


class LSTM(Recurrent):
    """``LSTM(units, return_sequences=False)``: (N, T, F) -> (N, units) or (N, T, units)."""

    gates = 4

    def __init__(self, units, return_sequences=False, init="glorot",
                 recurrent_init="orthogonal", use_bias=True, unit_forget_bias=True, **kwargs):
        super().__init__(units, return_sequences=return_sequences, init=init,
                         recurrent_init=recurrent_init, use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self):
        bias = np.zeros(4 * self.units)
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] = 1.0
        return bias

    def forward(self, x, training=False, initial_state=None):
        steps, batch = self._begin_forward(x, training)
        units = self.units
        pair = self._initial_pair(initial_state, batch)
        projection = self._project_inputs()  # (4 units, T, N)
        self.hidden = self._new_hidden(steps, batch, pair[0], "initial h0")
        self.cell = self._work("cell", (steps + 1, units, batch))
        self._write_state(self.cell[0], pair[1], batch, "initial c0")
        self.has_initial_state = initial_state is not None
        self.gates_seq = self._work("gates", (steps, 4 * units, batch))
        self.tanh_cell = self._work("tanh_cell", (steps, units, batch))
        input_times_candidate = self._work("input_times_candidate", (units, batch))
        recurrent_t = self.recurrent_kernel.value.T
        for t in range(steps):
            gates = self.gates_seq[t]
            if t > 0 or self.has_initial_state:
                np.matmul(recurrent_t, self.hidden[:, t], out=gates)
                gates += projection[:, t]
            else:
                gates[...] = projection[:, t]
            sigmoid_(gates[:2 * units])  # i and f
            np.tanh(gates[2 * units:3 * units], out=gates[2 * units:3 * units])
            sigmoid_(gates[3 * units:])  # o
            i, f, g, o = _split_gates(gates, units)
            np.multiply(f, self.cell[t], out=self.cell[t + 1])
            np.multiply(i, g, out=input_times_candidate)
            self.cell[t + 1] += input_times_candidate
            np.tanh(self.cell[t + 1], out=self.tanh_cell[t])
            np.multiply(o, self.tanh_cell[t], out=self.hidden[:, t + 1])
        return self._sequence_output(self.hidden)

    def _initial_pair(self, initial_state, batch):
        if initial_state is None:
            return None, None
        if not isinstance(initial_state, (tuple, list)) or len(initial_state) != 2:
            raise ValueError(
                f"layer {self.name!r} (LSTM) expects initial_state as a pair (h0, c0), each "
                f"({batch}, {self.units}), got {type(initial_state).__name__}"
            )
        return initial_state

    def backward(self, grad_out):
        """BPTT, per step from the last (dh = dL/dh_t, dc = dL/dc_t, s' = s(1 - s)):
        dc += dh * o * (1 - tanh(c_t)^2);  c_{t-1} gets dc * f;  h_{t-1} gets R @ dA
        dA_i = dc * g * i(1-i),  dA_f = dc * c_{t-1} * f(1-f),  dA_g = dc * i * (1-g^2),
        dA_o = dh * tanh(c_t) * o(1-o);  then dL/dkernel = X.T @ dA, dL/dx = dA @ kernel.T.
        """
        steps, units, batch = self.tanh_cell.shape
        grad_hidden_seq = self._output_gradient(grad_out, steps, batch)  # (T, units, N)
        grad_pre = self._work("grad_pre", (4 * units, steps, batch))
        grad_gates = self._work("grad_gates", (4 * units, batch))
        grad_hidden = self._work("grad_hidden", (units, batch), zeros=True)
        grad_cell = self._work("grad_cell", (units, batch), zeros=True)
        work = self._work("work", (units, batch))
        for t in range(steps - 1, -1, -1):
            grad_hidden += grad_hidden_seq[t]
            self._cell_step_backward(t, grad_hidden, grad_cell, grad_gates, work)
            grad_pre[:, t] = grad_gates
            if t > 0 or self.has_initial_state:
                np.matmul(self.recurrent_kernel.value, grad_gates, out=grad_hidden)
        self._parameter_gradients(grad_pre, grad_pre)
        self.grad_initial_state = None
        if self.has_initial_state:
            self.grad_initial_state = (grad_hidden.T.copy(), grad_cell.T.copy())
        return self._input_gradient(grad_pre)

    def _cell_step_backward(self, t, grad_hidden, grad_cell, grad_gates, work):
        """Fill dL/da for step t into ``grad_gates``; turn ``grad_cell`` into dL/dc_{t-1}."""
        i, f, g, o = _split_gates(self.gates_seq[t], self.units)
        grad_i, grad_f, grad_g, grad_o = _split_gates(grad_gates, self.units)
        tanh_c = self.tanh_cell[t]
        # dA_o = dh * tanh(c) * o (1 - o)
        np.multiply(grad_hidden, tanh_c, out=grad_o)
        times_sigmoid_slope_(grad_o, o, work)
        # dc += dh * o * (1 - tanh(c)^2)
        np.multiply(tanh_c, tanh_c, out=work)
        np.subtract(1.0, work, out=work)
        work *= o
        work *= grad_hidden
        grad_cell += work
        # dA_i = dc * g * i (1 - i)
        np.multiply(grad_cell, g, out=grad_i)
        times_sigmoid_slope_(grad_i, i, work)
        # dA_f = dc * c_{t-1} * f (1 - f)
        np.multiply(grad_cell, self.cell[t], out=grad_f)
        times_sigmoid_slope_(grad_f, f, work)
        # dA_g = dc * i * (1 - g^2)
        np.multiply(g, g, out=work)
        np.subtract(1.0, work, out=work)
        work *= i
        np.multiply(grad_cell, work, out=grad_g)
        # dL/dc_{t-1} = dc * f
        grad_cell *= f

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


def _split_gates(gates, units):
    """The four gate blocks (i, f, g, o) of a (4 * units, N) array: contiguous views."""
    return gates[:units], gates[units:2 * units], gates[2 * units:3 * units], gates[3 * units:]
