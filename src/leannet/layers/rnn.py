"""RNN: the plain (Elman) recurrent layer, Keras ``SimpleRNN``.

    h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)

with ``act`` one of tanh (default), relu, sigmoid, linear. ``forward(x, initial_state=h0)``
starts from a given state; ``backward`` then leaves ``grad_initial_state = dL/dh0``.
"""

import numpy as np

from leannet.layers.recurrent import Recurrent, sigmoid_


def _relu_(x):
    return np.maximum(x, 0, out=x)


def _identity_(x):
    return x


# name -> (activation in place, slope written from the activation's *output* y into out)
ACTIVATIONS = {
    "tanh": (lambda x: np.tanh(x, out=x), lambda y, out: np.subtract(1.0, np.square(y), out=out)),
    "sigmoid": (sigmoid_, lambda y, out: np.multiply(y, np.subtract(1.0, y), out=out)),
    "relu": (_relu_, lambda y, out: np.greater(y, 0, out=out)),
    "linear": (_identity_, lambda y, out: out.fill(1.0)),
}


class RNN(Recurrent):
    """``RNN(units, activation="tanh", return_sequences=False)``: (N, T, F) -> (N, units)."""

    gates = 1

    def __init__(self, units, activation="tanh", return_sequences=False, init="glorot",
                 recurrent_init="orthogonal", use_bias=True, **kwargs):
        super().__init__(units, return_sequences=return_sequences, init=init,
                         recurrent_init=recurrent_init, use_bias=use_bias, **kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"RNN: unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)}"
            )
        self.activation = activation

    def forward(self, x, training=False, initial_state=None):
        steps, batch = self._begin_forward(x, training)
        activate = ACTIVATIONS[self.activation][0]
        projection = self._project_inputs()  # (units, T, N)
        self.hidden = self._new_hidden(steps, batch, initial_state)  # (units, T+1, N)
        self.has_initial_state = initial_state is not None
        recurrent_part = self._work("recurrent_part", (self.units, batch))
        recurrent_t = self.recurrent_kernel.value.T
        for t in range(steps):
            pre = self.hidden[:, t + 1]
            if t > 0 or self.has_initial_state:
                np.matmul(recurrent_t, self.hidden[:, t], out=recurrent_part)
                np.add(recurrent_part, projection[:, t], out=pre)
            else:
                pre[...] = projection[:, t]
            activate(pre)
        return self._sequence_output(self.hidden)

    def backward(self, grad_out):
        """BPTT from the last step: dA_t = dh_t * act'(A_t);  dh_{t-1} = R @ dA_t
        (+ dL/dh_{t-1} from the output); then dL/dkernel = X.T @ dA, dL/dx = dA @ kernel.T.
        """
        units, steps, batch = self.hidden.shape[0], self.hidden.shape[1] - 1, self.hidden.shape[2]
        grad_hidden_seq = self._output_gradient(grad_out, steps, batch)  # (T, units, N)
        slope = ACTIVATIONS[self.activation][1]
        grad_pre = self._work("grad_pre", (units, steps, batch))
        grad_step = self._work("grad_step", (units, batch))
        grad_hidden = self._work("grad_hidden", (units, batch), zeros=True)
        for t in range(steps - 1, -1, -1):
            grad_hidden += grad_hidden_seq[t]
            slope(self.hidden[:, t + 1], grad_step)
            grad_step *= grad_hidden
            grad_pre[:, t] = grad_step
            if t > 0 or self.has_initial_state:
                np.matmul(self.recurrent_kernel.value, grad_step, out=grad_hidden)
        self._parameter_gradients(grad_pre, grad_pre)
        self.grad_initial_state = grad_hidden.T.copy() if self.has_initial_state else None
        return self._input_gradient(grad_pre)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
