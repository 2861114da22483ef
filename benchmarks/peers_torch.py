"""PyTorch (CPU) as a contender: the same layer list, the same data, a plain training loop.

The loop is what a careful PyTorch user writes for data that fits in memory: a fresh
permutation each epoch, batches gathered by indexing the whole tensors (no DataLoader, whose
per-sample collation would cost more than the model), ``zero_grad`` / forward /
``cross_entropy`` / ``backward`` / ``Adam.step``, and the running loss and accuracy read each
batch (``loss.item()``, argmax), as leannet's ``fit`` computes its progress-bar metrics.

Same start, same batches: Dense and Conv2D weights are copied from a leannet model built
with the same seed (leannet's W is (in, out), torch's is (out, in)), and the epoch
permutations are drawn from that model's generator, as leannet's ``fit`` draws them, so
both frameworks see the same batches in the same order. Recurrent layers keep torch's own
initialisation (their gate layouts differ).
"""

import numpy as np
import torch
from suites import RECURRENT_KINDS, shape_after
from torch import nn


class LastStep(nn.Module):
    """nn.LSTM / nn.GRU / nn.RNN over (N, T, F), batch first; returns the last h_t."""

    def __init__(self, kind, features, units):
        super().__init__()
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.recurrent = layer(features, units, batch_first=True)

    def forward(self, x):
        outputs, _ = self.recurrent(x)
        return outputs[:, -1]


def build_torch_model(case):
    """(nn.Sequential, [(spec, module) for each Dense/Conv2D layer])."""
    modules, with_parameters, shape = [], [], case.input_shape
    for spec in case.layers:
        module = _torch_module(spec, shape)
        modules.append(module)
        if spec[0] in ("dense", "conv"):
            with_parameters.append((spec, module))
        shape = shape_after(spec, shape)
    return nn.Sequential(*modules), with_parameters


def _torch_module(spec, shape):
    kind = spec[0]
    if kind == "dense":
        return nn.Linear(shape[0], spec[1])
    if kind == "conv":
        return nn.Conv2d(shape[0], spec[1], spec[2], padding=spec[2] // 2)
    if kind == "maxpool":
        return nn.MaxPool2d(spec[1])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "relu":
        return nn.ReLU()
    if kind in RECURRENT_KINDS:
        return LastStep(kind, shape[-1], spec[1])
    raise ValueError(f"no PyTorch module for layer spec {spec!r}")


def copy_leannet_weights(leannet_model, with_parameters):
    """Copy Dense/Conv2D weights and biases from leannet into the matching torch modules."""
    source = [layer for layer in leannet_model.layers if layer.parameters()]
    source = [layer for layer in source if type(layer).__name__ in ("Dense", "Conv2D")]
    with torch.no_grad():
        for layer, (spec, module) in zip(source, with_parameters, strict=True):
            weight = layer.weight.value.T if spec[0] == "dense" else layer.weight.value
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            module.bias.copy_(torch.from_numpy(layer.bias.value))


class TorchRunner:
    framework = "pytorch"
    label = "pytorch"
    measures_inference = True

    def __init__(self, case, data, settings):
        self.case, self.settings = case, settings
        self.x_train = torch.from_numpy(data.x_train)
        self.y_train = torch.from_numpy(data.y_train)
        self.x_test = torch.from_numpy(data.x_test)
        self.y_test = data.y_test
        recurrent = any(spec[0] in RECURRENT_KINDS for spec in case.layers)
        self.init_note = ("Dense/Conv2D weights copied from leannet (same seed)"
                          + ("; recurrent layers: torch's own init" if recurrent else ""))

    def reset(self, seed):
        from leannet_runner import build_model

        torch.manual_seed(seed)  # torch's own initialisation (recurrent layers) is seeded too
        self.model, with_parameters = build_torch_model(self.case)
        twin = build_model(self.case, seed, self.settings.lr)
        copy_leannet_weights(twin, with_parameters)
        self.order_rng = twin.rng  # leannet's fit draws rng.permutation(n) each epoch
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.settings.lr)

    def train(self, epochs, limit=None):
        n = len(self.x_train) if limit is None else min(limit, len(self.x_train))
        self.model.train()
        for _ in range(epochs):
            self._train_epoch(n)

    def _train_epoch(self, n):
        batch_size = self.settings.batch_size
        order = torch.from_numpy(self.order_rng.permutation(n))
        total_loss, correct = 0.0, 0
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            x_batch, y_batch = self.x_train[index], self.y_train[index]
            self.optimizer.zero_grad(set_to_none=True)
            logits = self.model(x_batch)
            loss = torch.nn.functional.cross_entropy(logits, y_batch)
            loss.backward()
            self.optimizer.step()
            total_loss += loss.item() * len(index)
            correct += int((logits.argmax(dim=1) == y_batch).sum().item())
        return total_loss / n, correct / n

    def predict_proba(self, x, batch_size):
        self.model.eval()
        x = torch.from_numpy(x)
        with torch.no_grad():
            parts = [torch.softmax(self.model(x[i:i + batch_size]), dim=1)
                     for i in range(0, len(x), batch_size)]
        return torch.cat(parts).numpy()

    def predict_one(self, x_one):
        with torch.no_grad():
            return torch.softmax(self.model(torch.from_numpy(x_one)), dim=1).numpy()

    def weight_dtype(self):
        return str(next(self.model.parameters()).dtype).replace("torch.", "")

    def test_accuracy(self):
        probabilities = self.predict_proba(self.x_test.numpy(), 1000)
        return float(np.mean(probabilities.argmax(axis=1) == self.y_test))
