"""An MLP for handwritten digits: 784 -> 256 -> 128 -> 10, Adam, cross-entropy.

The same model as `leannet train --model mlp`, in the Python API. Uses full MNIST when it
is on this machine (LEANNET_DATA, the cache), else the small set bundled with leannet.
"""

import leannet as ln
from leannet.data import dataset_is_available, flatten, load_dataset, to_float


def main(epochs=10, dataset=None, verbose=1):
    dataset = dataset or ("mnist" if dataset_is_available("mnist") else "mnist-small")
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    x_train, x_test = to_float(flatten(x_train)), to_float(flatten(x_test))  # (N, 784) in [0, 1]

    layers = ln.layers
    model = ln.Sequential([layers.Dense(256), layers.ReLU(),
                           layers.Dense(128), layers.ReLU(),
                           layers.Dense(10)],  # logits: the loss applies the softmax
                          input_shape=(784,), seed=0)
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=1e-3), metrics=["accuracy"])
    if verbose:
        model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=verbose)
    scores = model.evaluate(x_test, y_test)
    if verbose:
        print(f"{dataset}: test accuracy {scores['accuracy']:.2%}")
    return scores["accuracy"]


if __name__ == "__main__":
    main()
