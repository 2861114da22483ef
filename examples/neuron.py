"""A single neuron: output = sigmoid(w . x + b).

With weights w = [0, 1], bias b = 4 and input x = [2, 3]:
    w . x + b = 0*2 + 1*3 + 4 = 7,   sigmoid(7) = 1 / (1 + e^-7) = 0.9990889488055994
"""

import numpy as np

import leannet as ln


def main():
    neuron = ln.Sequential([ln.layers.Dense(1), ln.layers.Sigmoid()], input_shape=(2,),
                           dtype=np.float64)
    dense = neuron.layers[0]
    dense.weight.value[:] = [[0.0], [1.0]]  # W has shape (inputs, units) = (2, 1)
    dense.bias.value[:] = [4.0]
    output = neuron.forward(np.array([[2.0, 3.0]]))  # a batch of one sample
    print(output[0, 0])


if __name__ == "__main__":
    main()
