"""XOR with a 2-2-1 sigmoid network, mean squared error and plain gradient descent.

XOR is not linearly separable: no single neuron can do it, but two hidden neurons can
(one learns OR, the other AND, and the output combines them). Trained full-batch.
"""

import numpy as np

import leannet as ln

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)


def build_network(seed=0):
    layers = ln.layers
    return ln.Sequential(
        [layers.Dense(2, init="glorot_normal"), layers.Sigmoid(),
         layers.Dense(1, init="glorot_normal"), layers.Sigmoid()],
        input_shape=(2,), seed=seed,
    )


def main(epochs=4000, seed=0, verbose=True):
    network = build_network(seed)
    network.compile(loss="mse", optimizer=ln.optim.SGD(lr=2.0))
    network.fit(INPUTS, TARGETS, epochs=epochs, batch_size=4, shuffle=False, verbose=0)
    predictions = network.predict(INPUTS).ravel()
    if verbose:
        for pair, value in zip(INPUTS.astype(int), predictions, strict=True):
            print(f"{pair[0]} xor {pair[1]} -> {value:.3f}")
        print("rounded:", " ".join(str(int(round(v))) for v in predictions))
    return predictions


if __name__ == "__main__":
    main()
