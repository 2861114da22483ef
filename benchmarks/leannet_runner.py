"""leannet as a contender: the model built from a suite's layer list, trained with ``fit``.

Training goes through ``model.fit`` exactly as a user calls it. With ``verbose=1`` the tqdm
progress bar is on and redraws as usual; only its text goes to a sink (``os.devnull``
unless ``--show-progress``), so the benchmark output stays readable.
"""

import contextlib
import os

import numpy as np
from suites import LEANNET_CLASS_OF_KIND


def leannet_layer(spec):
    """One ``leannet.layers`` object for a layer spec (see ``suites``)."""
    import leannet.layers

    kind, *args = spec
    cls = getattr(leannet.layers, LEANNET_CLASS_OF_KIND[kind])
    if kind == "conv":
        return cls(args[0], args[1], padding="same")
    if kind == "maxpool":
        return cls(args[0])
    return cls(*args)


def build_model(case, seed, lr):
    """A compiled Sequential: cross-entropy on logits, Adam(lr), accuracy as the metric."""
    import leannet as ln

    model = ln.Sequential([leannet_layer(spec) for spec in case.layers],
                          input_shape=case.input_shape, seed=seed)
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=lr), metrics=["accuracy"])
    return model


class LeannetRunner:
    framework = "leannet"

    def __init__(self, case, data, settings, verbose=1, show_progress=False):
        self.case, self.data, self.settings = case, data, settings
        self.verbose = verbose
        self.show_progress = show_progress
        self.label = f"leannet (verbose={verbose})"
        self.measures_inference = verbose != 0  # the same model either way: measured once
        self.init_note = "leannet's defaults"
        self.model = None

    def reset(self, seed):
        self.model = build_model(self.case, seed, self.settings.lr)

    def train(self, epochs, limit=None):
        """``epochs`` more epochs of ``fit`` (on the first ``limit`` samples when given)."""
        x, y = self.data.x_train[:limit], self.data.y_train[:limit]
        with self._progress_sink():
            self.model.fit(x, y, epochs=epochs, batch_size=self.settings.batch_size,
                           shuffle=True, verbose=self.verbose)

    def _progress_sink(self):
        if self.show_progress or self.verbose == 0:
            return contextlib.nullcontext()
        return _stderr_to_devnull()

    def predict_proba(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size)

    def predict_one(self, x_one):
        return self.model.predict(x_one)

    def weight_dtype(self):
        return str(self.model.parameters()[0].value.dtype)

    def test_accuracy(self):
        probabilities = self.model.predict(self.data.x_test, batch_size=1000)
        return float(np.mean(probabilities.argmax(axis=1) == self.data.y_test))


@contextlib.contextmanager
def _stderr_to_devnull():
    """tqdm writes to ``sys.stderr`` as it is when the bar is made: point that at devnull."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        yield
