"""GRU: gated recurrent unit (Cho et al. 2014), the "reset after" variant.

Gates are stacked in the Keras order ``z, r, h`` (update, reset, candidate), ``units``
columns each. This is the variant of cuDNN, PyTorch and Keras' default
(``reset_after=True``): the reset gate multiplies the recurrent product *after* the matrix
multiplication, so one ``h_{t-1} @ recurrent_kernel`` per step serves all three gates.

    [x_z, x_r, x_n] = x_t @ kernel + input_bias
    [h_z, h_r, h_n] = h_{t-1} @ recurrent_kernel + recurrent_bias
    z = s(x_z + h_z)   r = s(x_r + h_r)   n = tanh(x_n + r * h_n)
    h_t = z * h_{t-1} + (1 - z) * n

As in Keras (and PyTorch's b_ih, b_hh) ``bias`` has shape ``(2, 3 * units)``: row 0 the
input bias, row 1 the recurrent bias (only their sum matters for z and r; h_n needs its
own). ``forward(x, initial_state=h0)`` starts from a given state; ``backward`` then leaves
``grad_initial_state = dL/dh0``.
"""

import numpy as np

from leannet.layers.recurrent import Recurrent, sigmoid_, times_sigmoid_slope_


class GRU(Recurrent):
    """``GRU(units, return_sequences=False)``: (N, T, F) -> (N, units) or (N, T, units)."""

    gates = 3

    def _initial_bias(self):
        return np.zeros((2, 3 * self.units))

    def _input_bias(self):
        return self.bias.value[0]

    def forward(self, x, training=False, initial_state=None):
        steps, batch = self._begin_forward(x, training)
        units = self.units
        projection = self._project_inputs()  # [x_z, x_r, x_n]: (3 units, T, N)
        self.hidden = self._new_hidden(steps, batch, initial_state)  # (units, T+1, N)
        self.has_initial_state = initial_state is not None
        self.gates_seq = self._work("gates", (steps, 3 * units, batch))  # z, r, n
        self.recurrent_candidate = self._work("recurrent_candidate", (steps, units, batch))  # h_n
        recurrent_part = self._work("recurrent_part", (3 * units, batch))
        work = self._work("work", (units, batch))
        recurrent_t = self.recurrent_kernel.value.T
        for t in range(steps):
            gates = self.gates_seq[t]
            np.matmul(recurrent_t, self.hidden[:, t], out=recurrent_part)
            if self.use_bias:
                recurrent_part += self.bias.value[1][:, None]
            np.add(projection[:2 * units, t], recurrent_part[:2 * units], out=gates[:2 * units])
            sigmoid_(gates[:2 * units])  # z and r
            z, r, n = gates[:units], gates[units:2 * units], gates[2 * units:]
            self.recurrent_candidate[t] = recurrent_part[2 * units:]
            np.multiply(r, self.recurrent_candidate[t], out=n)
            n += projection[2 * units:, t]
            np.tanh(n, out=n)
            # h_t = n + z * (h_{t-1} - n)
            np.subtract(self.hidden[:, t], n, out=work)
            work *= z
            np.add(n, work, out=self.hidden[:, t + 1])
        return self._sequence_output(self.hidden)

    def backward(self, grad_out):
        """BPTT from the last step (dh = dL/dh_t, s' = s(1 - s)):
        dA_z = dh * (h_{t-1} - n) * z(1-z),  dA_n = dh * (1-z) * (1-n^2),
        dA_r = dA_n * h_n * r(1-r),  dh_n = dA_n * r;  dh_{t-1} = dh * z + R @ dH.
        """
        steps, units, batch = self.recurrent_candidate.shape
        grad_hidden_seq = self._output_gradient(grad_out, steps, batch)  # (T, units, N)
        # d[x_z, x_r, x_n] and d[h_z, h_r, h_n], each (3 units, T, N)
        grad_input_side = self._work("grad_input_side", (3 * units, steps, batch))
        grad_recurrent_side = self._work("grad_recurrent_side", grad_input_side.shape)
        grad_input = self._work("grad_input", (3 * units, batch))
        grad_recurrent = self._work("grad_recurrent", (3 * units, batch))
        grad_hidden = self._work("grad_hidden", (units, batch), zeros=True)
        work = self._work("work", (units, batch))
        for t in range(steps - 1, -1, -1):
            grad_hidden += grad_hidden_seq[t]
            self._gates_backward(t, grad_hidden, grad_input, grad_recurrent, work)
            grad_input_side[:, t] = grad_input
            grad_recurrent_side[:, t] = grad_recurrent
            grad_hidden *= self.gates_seq[t][:units]  # the direct path: dh * z
            if t > 0 or self.has_initial_state:
                np.matmul(self.recurrent_kernel.value, grad_recurrent, out=work)
                grad_hidden += work
        self._parameter_gradients(grad_input_side, grad_recurrent_side)
        self.grad_initial_state = grad_hidden.T.copy() if self.has_initial_state else None
        return self._input_gradient(grad_input_side)

    def _gates_backward(self, t, grad_hidden, grad_input, grad_recurrent, work):
        """Fill dL/d(input part) and dL/d(recurrent part) of step t's pre-activations."""
        units = self.units
        gates = self.gates_seq[t]
        z, r, n = gates[:units], gates[units:2 * units], gates[2 * units:]
        grad_z, grad_r, grad_n = (grad_input[:units], grad_input[units:2 * units],
                                  grad_input[2 * units:])
        # dA_z = dh * (h_{t-1} - n) * z (1 - z)
        np.subtract(self.hidden[:, t], n, out=grad_z)
        grad_z *= grad_hidden
        times_sigmoid_slope_(grad_z, z, work)
        # dA_n = dh * (1 - z) * (1 - n^2)
        np.multiply(n, n, out=grad_n)
        np.subtract(1.0, grad_n, out=grad_n)
        np.subtract(1.0, z, out=work)
        grad_n *= work
        grad_n *= grad_hidden
        # dA_r = dA_n * h_n * r (1 - r)
        np.multiply(grad_n, self.recurrent_candidate[t], out=grad_r)
        times_sigmoid_slope_(grad_r, r, work)
        # the recurrent side: the same for z and r; dL/dh_n = dA_n * r
        grad_recurrent[:2 * units] = grad_input[:2 * units]
        np.multiply(grad_n, r, out=grad_recurrent[2 * units:])

    def _bias_gradient(self, grad_input_bias, grad_pre_recurrent):
        """dL/dinput_bias comes from the caller; dL/drecurrent_bias = sum of dL/d(h part)."""
        self.bias.grad[0] = grad_input_bias
        np.sum(grad_pre_recurrent, axis=(1, 2), out=self.bias.grad[1])
