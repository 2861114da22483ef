"""Weight penalties added to the training loss: L2 (weight decay) and L1.

Unlike AdamW's *decoupled* decay, these change the loss itself, so their term appears in
the reported loss and their gradient flows through the optimizer like any other.
"""

import numpy as np


class L2:
    """penalty = lambda * sum(W^2);  d penalty / dW = 2 * lambda * W"""

    def __init__(self, l2=1e-4):
        if l2 < 0:
            raise ValueError(f"L2: l2 must be >= 0, got {l2!r}")
        self.l2 = float(l2)

    def loss(self, weight):
        return self.l2 * float(np.sum(weight * weight))

    def add_gradient(self, weight, grad):
        grad += (2.0 * self.l2) * weight

    def get_config(self):
        return {"class_name": "L2", "l2": self.l2}


class L1:
    """penalty = lambda * sum(|W|);  d penalty / dW = lambda * sign(W)"""

    def __init__(self, l1=1e-4):
        if l1 < 0:
            raise ValueError(f"L1: l1 must be >= 0, got {l1!r}")
        self.l1 = float(l1)

    def loss(self, weight):
        return self.l1 * float(np.sum(np.abs(weight)))

    def add_gradient(self, weight, grad):
        grad += self.l1 * np.sign(weight)

    def get_config(self):
        return {"class_name": "L1", "l1": self.l1}


def get(spec):
    """None, a regulariser object, its config dict, or a name ("l2")."""
    if spec is None or isinstance(spec, (L1, L2)):
        return spec
    if isinstance(spec, str) and spec.lower() in ("l1", "l2"):
        return L1() if spec.lower() == "l1" else L2()
    if isinstance(spec, dict) and spec.get("class_name") in ("L1", "L2"):
        args = {k: v for k, v in spec.items() if k != "class_name"}
        return (L1 if spec["class_name"] == "L1" else L2)(**args)
    raise ValueError(f"unknown regularizer {spec!r}; expected L1(...), L2(...), 'l1' or 'l2'")
