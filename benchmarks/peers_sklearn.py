"""scikit-learn's MLPClassifier as a contender (MLP suite only).

Settings that make it the same work: ``solver="adam"``, ``learning_rate_init=1e-3``,
``batch_size=128``, ``alpha=0`` (no L2 penalty), ReLU, its default Adam betas and epsilon
(0.9, 0.999, 1e-8, as leannet and PyTorch), and float32 inputs: MLPClassifier keeps
float32 when it is given float32, so its weights and products are float32 too.

One epoch = one ``partial_fit`` call. Why not ``warm_start=True, max_iter=1`` with ``fit``:
every ``fit`` call rebuilds the Adam optimizer (moments and step count start again from
zero), while ``partial_fit`` keeps it, as leannet and PyTorch do across epochs. Each
``partial_fit`` shuffles the samples (``shuffle=True``) with ``random_state``; an *integer*
seed would be turned into a new generator in every call and give the same permutation every
epoch, so a ``RandomState`` object is passed, which successive calls advance.
Its initialisation is its own (Glorot uniform); its permutations are its own.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from suites import dense_sizes


class SklearnRunner:
    framework = "scikit-learn"
    label = "scikit-learn"
    measures_inference = True
    init_note = "scikit-learn's own (Glorot uniform)"

    def __init__(self, case, data, settings):
        sizes = dense_sizes(case)
        if sizes is None:
            raise ValueError(f"scikit-learn has no model for {case.name!r}")
        self.hidden = tuple(sizes[1:-1])
        self.data, self.settings = data, settings
        self.classes = np.arange(sizes[-1])

    def reset(self, seed):
        self.model = MLPClassifier(
            hidden_layer_sizes=self.hidden, activation="relu", solver="adam", alpha=0.0,
            batch_size=self.settings.batch_size, learning_rate_init=self.settings.lr,
            max_iter=1, shuffle=True, random_state=np.random.RandomState(seed),
        )

    def train(self, epochs, limit=None):
        x, y = self.data.x_train[:limit], self.data.y_train[:limit]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(epochs):
                self.model.partial_fit(x, y, classes=self.classes)

    def predict_proba(self, x, batch_size):
        return np.concatenate([self.model.predict_proba(x[i:i + batch_size])
                               for i in range(0, len(x), batch_size)])

    def predict_one(self, x_one):
        return self.model.predict_proba(x_one)

    def test_accuracy(self):
        probabilities = self.predict_proba(self.data.x_test, 1000)
        return float(np.mean(probabilities.argmax(axis=1) == self.data.y_test))

    def weight_dtype(self):
        return str(self.model.coefs_[0].dtype)
