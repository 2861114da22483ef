"""Which contenders run for a case, and why a peer is left out.

Every runner has the same small interface, so the harness treats them alike:

    label, framework, init_note, measures_inference
    reset(seed)                 a fresh model (untimed)
    train(epochs, limit=None)   more epochs on the training set (timed by the caller)
    predict_proba(x, batch_size), predict_one(x_one), test_accuracy(), weight_dtype()
"""

import importlib.util

from suites import dense_sizes

FRAMEWORKS = ("leannet", "pytorch", "scikit-learn")


def peer_note(framework, case):
    """Why ``framework`` cannot run ``case`` here, or None when it can."""
    if framework == "pytorch" and importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed: skipped (pip install torch, a CPU build)"
    if framework == "scikit-learn":
        if dense_sizes(case) is None:
            return "scikit-learn has no convolutional or recurrent networks: not applicable"
        if importlib.util.find_spec("sklearn") is None:
            return "scikit-learn is not installed: skipped (pip install scikit-learn)"
    return None


def make_runner(framework, case, data, settings, verbose=1, show_progress=False):
    if framework == "leannet":
        from leannet_runner import LeannetRunner

        return LeannetRunner(case, data, settings, verbose=verbose, show_progress=show_progress)
    if framework == "pytorch":
        from peers_torch import TorchRunner

        return TorchRunner(case, data, settings)
    if framework == "scikit-learn":
        from peers_sklearn import SklearnRunner

        return SklearnRunner(case, data, settings)
    raise ValueError(f"unknown framework {framework!r}")


def make_runners(case, data, settings, show_progress=False, quiet_run=True):
    """(runners, notes): leannet with verbose=1 (and verbose=0 if ``quiet_run``), then every
    available peer."""
    runners = [make_runner("leannet", case, data, settings, 1, show_progress)]
    if quiet_run:
        runners.append(make_runner("leannet", case, data, settings, 0))
    notes = []
    for framework in FRAMEWORKS[1:]:
        note = peer_note(framework, case)
        if note:
            notes.append(f"{framework}: {note}")
        else:
            runners.append(make_runner(framework, case, data, settings))
    return runners, notes
