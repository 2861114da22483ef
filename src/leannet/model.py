"""Sequential: a stack of layers, trained by backpropagation.

    forward:   y = layer_L(... layer_2(layer_1(x)))
    backward:  g = dL/dy;  for each layer from last to first: g = layer.backward(g)
               (each layer sets the gradients of its own parameters on the way)
    step:      optimizer.step(parameters)
"""

import math

import numpy as np

from leannet import checkpoint, losses, optim, serialization
from leannet import metrics as metrics_module
from leannet.callbacks import CallbackList, History
from leannet.errors import TrainingDivergedError
from leannet.layers.activations import sigmoid
from leannet.layers.base import Layer
from leannet.progress import ProgressBar
from leannet.summary import format_summary
from leannet.validation import check_batch_size, check_features, check_targets


class Sequential:
    def __init__(self, layers=None, input_shape=None, seed=None, dtype=np.float32,
                 name="sequential"):
        self.name = name
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)
        self.layers = []
        self.input_shape = None
        self.loss = self.optimizer = None
        self.metric_names = []
        self.stop_training = False
        self.history = None
        self._position = None  # (epoch, batch, last finite loss) of the step being taken
        for layer in layers or []:
            self.add(layer)
        if input_shape is not None:
            self.build(input_shape)

    # ----- structure ------------------------------------------------------------------
    def add(self, layer):
        """Append a layer, giving it a unique name (``dense_1``, ``dense_2``, ...)."""
        if not isinstance(layer, Layer):
            raise ValueError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        taken = {other.name for other in self.layers}
        if layer.name is None:
            base, k = layer.default_name(), 1
            while f"{base}_{k}" in taken:
                k += 1
            layer.name = f"{base}_{k}"
        elif layer.name in taken:
            raise ValueError(f"Sequential.add: a layer named {layer.name!r} is already in the "
                             "model")
        if self.built:
            self._build_layer(layer, self.output_shape)
        self.layers.append(layer)
        self.layers[0].input_grad_needed = False

    def pop(self):
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("Sequential.pop: the model has no layers")
        return self.layers.pop()

    def build(self, input_shape):
        """Create every layer's parameters, inferring each layer's input shape in turn."""
        if not self.layers:
            raise ValueError("Sequential.build: the model has no layers")
        self.input_shape = tuple(int(d) for d in input_shape)
        shape = self.input_shape
        for layer in self.layers:
            shape = self._build_layer(layer, shape)
        # Nobody needs dL/dx of the data: the first layer skips that product.
        self.layers[0].input_grad_needed = False
        return shape

    def _build_layer(self, layer, input_shape):
        """Build ``layer`` for ``input_shape``; a layer already built for it keeps its weights."""
        if layer.built and layer.input_shape == tuple(input_shape):
            layer.rng = self.rng
            return layer.output_shape
        return layer.build(input_shape, rng=self.rng, dtype=self.dtype)

    @property
    def built(self):
        return self.input_shape is not None and all(layer.built for layer in self.layers)

    @property
    def output_shape(self):
        return self.layers[-1].output_shape

    def get_layer(self, name):
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"no layer named {name!r}; layers are {names}")

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def freeze(self, layers=None, until=None):
        """Freeze layers (by name or object), or every layer up to and including ``until``;
        with no argument, the whole model. Frozen parameters are not updated."""
        for layer in self._select_layers(layers, until):
            layer.trainable = False

    def unfreeze(self, layers=None, until=None):
        """Undo ``freeze`` for the same selection (default: every layer)."""
        for layer in self._select_layers(layers, until):
            layer.trainable = True

    def _select_layers(self, layers, until):
        if layers is not None and until is not None:
            raise ValueError("freeze/unfreeze: give either layers=... or until=..., not both")
        if until is not None:
            position = self.layers.index(self._resolve_layer(until))
            return self.layers[:position + 1]
        if layers is None:
            return list(self.layers)
        if isinstance(layers, (str, Layer)):
            layers = [layers]
        return [self._resolve_layer(layer) for layer in layers]

    def _resolve_layer(self, layer):
        if isinstance(layer, Layer):
            if layer not in self.layers:
                raise ValueError(f"layer {layer.name!r} is not in this model")
            return layer
        return self.get_layer(layer)

    def count_parameters(self):
        return sum(p.size for p in self.parameters())

    def astype(self, dtype):
        """Convert every parameter and buffer (float64 for gradient checks)."""
        self.dtype = np.dtype(dtype)
        for layer in self.layers:
            layer.astype(dtype)
        return self

    def summary(self, print_fn=print):
        """Print (and return) a table of layers, output shapes and parameter counts."""
        text = format_summary(self)
        if print_fn is not None:
            print_fn(text)
        return text

    # ----- the maths ------------------------------------------------------------------
    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad):
        """Chain rule, last layer first: each layer maps dL/d(output) to dL/d(input)."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def regularization_loss(self):
        return sum(layer.regularization_loss() for layer in self.layers)

    # ----- training -------------------------------------------------------------------
    def compile(self, loss="cross_entropy", optimizer="adam", metrics=None):
        self.loss = losses.get(loss)
        self.optimizer = optim.get(optimizer)
        names = [metrics] if isinstance(metrics, str) else list(metrics or [])
        self._metric_functions = {_metric_name(m): metrics_module.get(m) for m in names}
        self.metric_names = list(self._metric_functions)
        return self

    def train_step(self, x, y):
        """One step of gradient descent on a batch; returns the batch loss and outputs."""
        outputs = self.forward(x, training=True)
        loss = self.loss.forward(outputs, y) + self.regularization_loss()
        if not math.isfinite(loss):
            raise TrainingDivergedError(self._non_finite_report(loss))
        self.backward(self.loss.backward())
        self.optimizer.step(self.parameters())
        return loss, outputs

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, validation_split=0.0,
            shuffle=True, callbacks=None, verbose=1, initial_epoch=0, resume_from=None):
        """Train for ``epochs`` passes over (x, y); returns a History of per-epoch logs.

        ``resume_from`` names a checkpoint (see ``ModelCheckpoint``): weights, optimizer state,
        epoch and random state are restored, and training goes on exactly where it stopped.
        """
        if resume_from is not None:
            initial_epoch = checkpoint.restore_checkpoint(self, resume_from)
        self._require_compiled("fit")
        batch_size = check_batch_size(batch_size)
        x, y = self._check_data(x, y)
        x, y, validation_data = _split_validation(x, y, validation_data, validation_split)
        if validation_data is not None:
            validation_data = self._check_data(*validation_data)  # before any training
        # On resume, restore_checkpoint has put the epochs before the checkpoint in
        # self.history; callbacks see the live History (ModelCheckpoint saves it).
        history = self.history if resume_from is not None else History()
        self.history = history
        callback_list = CallbackList([history, *(callbacks or [])], self)
        self.stop_training, logs = False, {}
        callback_list.call("on_train_begin", logs)
        for epoch in range(initial_epoch, epochs):
            callback_list.call("on_epoch_begin", epoch, {})
            logs = self._train_epoch(x, y, batch_size, shuffle, epoch, epochs, verbose,
                                     callback_list)
            if validation_data is not None:
                scores = self.evaluate(*validation_data)
                logs.update({f"val_{key}": value for key, value in scores.items()})
            logs["lr"] = self.optimizer.current_lr
            callback_list.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        callback_list.call("on_train_end", logs)
        self.history = history
        return history

    def _train_epoch(self, x, y, batch_size, shuffle, epoch, epochs, verbose, callback_list):
        n = len(x)
        order = self.rng.permutation(n) if shuffle else None
        running = _RunningLogs(self, last_loss=self._position[2] if self._position else None)
        bar = ProgressBar(math.ceil(n / batch_size), f"Epoch {epoch + 1}/{epochs}", verbose > 0)
        self._position = (epoch, 0, running.last_loss)
        for batch, start in enumerate(range(0, n, batch_size)):
            if order is None:
                x_batch, y_batch = x[start:start + batch_size], y[start:start + batch_size]
            else:
                index = order[start:start + batch_size]
                x_batch, y_batch = x[index], y[index]
            if callback_list.has_batch_hooks:
                callback_list.call("on_train_batch_begin", batch, {})
            self._position = (epoch, batch, running.last_loss)
            loss, outputs = self.train_step(x_batch, y_batch)
            running.add(loss, outputs, y_batch)
            if callback_list.has_batch_hooks:
                callback_list.call("on_train_batch_end", batch, {"loss": loss})
            bar.update(running.means)
        logs = running.means()
        bar.close(logs)
        return logs

    def _non_finite_report(self, loss):
        epoch, batch, last_loss = self._position
        culprit = self._first_non_finite_gradient()
        return (f"the loss became {loss} at epoch {epoch + 1}, batch {batch + 1} "
                f"(last finite batch loss: {last_loss}); {culprit}. Try a lower learning "
                "rate, gradient clipping (clipnorm=...), or check the inputs for extreme values")

    def _first_non_finite_gradient(self):
        """Run backward once more and name the first layer whose gradient is not finite."""
        with np.errstate(all="ignore"):
            grad = self.loss.backward()
            if not np.isfinite(grad).all():
                return "the gradient of the loss itself is not finite"
            for layer in reversed(self.layers):
                grad = layer.backward(grad)
                bad_params = [p.name for p in layer.parameters() if not np.isfinite(p.grad).all()]
                if bad_params or (grad is not None and not np.isfinite(grad).all()):
                    return f"the gradient first went non-finite in layer {layer.name!r}"
        return "every gradient is finite, so the forward pass overflowed"

    # ----- inference ------------------------------------------------------------------
    def predict(self, x, batch_size=256):
        """Model outputs for x; a classifier's are probabilities (softmax or sigmoid)."""
        x = self._check_data(x)
        outputs = self._forward_in_batches(x, batch_size)
        name = getattr(self.loss, "name", None)
        if name == "cross_entropy":  # softmax, in place on the fresh outputs
            outputs -= outputs.max(axis=1, keepdims=True)
            np.exp(outputs, out=outputs)
            outputs /= outputs.sum(axis=1, keepdims=True)
        elif name == "binary_cross_entropy":
            outputs = sigmoid(outputs)
        return outputs

    def evaluate(self, x, y, batch_size=256):
        """{"loss": ..., and each compiled metric} over the whole of (x, y)."""
        self._require_compiled("evaluate")
        x, y = self._check_data(x, y)
        outputs = self._forward_in_batches(x, batch_size)
        scores = {"loss": self.loss.forward(outputs, y) + self.regularization_loss()}
        for name, function in self._metric_functions.items():
            scores[name] = function(outputs, y)
        return scores

    def _forward_in_batches(self, x, batch_size):
        batch_size = check_batch_size(batch_size)
        if len(x) <= batch_size:
            return self.forward(x, training=False)
        return np.concatenate([self.forward(x[i:i + batch_size], training=False)
                               for i in range(0, len(x), batch_size)])

    # ----- weights and files (the work is done in serialization.py) -------------------
    def state_dict(self):
        """{"<layer>.<parameter or buffer>": array}: every saved array, by name."""
        return serialization.model_state_dict(self)

    def load_state_dict(self, state, strict=True):
        serialization.load_model_state_dict(self, state, strict=strict)

    def get_weights(self):
        """Copies of every parameter's value, in ``parameters()`` order."""
        return [p.value.copy() for p in self.parameters()]

    def set_weights(self, weights):
        serialization.set_weights(self, weights)

    def save(self, path, include_optimizer=True):
        """Write one ``.npz`` file: arrays plus a JSON config; atomically, never pickle."""
        serialization.save_model(self, path, include_optimizer=include_optimizer)

    def load_weights(self, path, skip_mismatch=False):
        """Load weights from a model file by layer name; returns a report of what loaded."""
        return serialization.load_weights(self, path, skip_mismatch=skip_mismatch)

    # ----- checks ---------------------------------------------------------------------
    def _check_data(self, x, y=None):
        if not self.layers:
            raise ValueError("the model has no layers")
        if not self.built:
            x = np.asarray(x)
            if x.ndim < 2:
                raise ValueError(f"x: expected (N, features...) with a batch axis, got {x.shape}")
            self.build(x.shape[1:])
        x = check_features(self, x)
        if y is None:
            return x
        return x, check_targets(self, y, len(x))

    def _require_compiled(self, what):
        if self.loss is None or self.optimizer is None:
            raise ValueError(f"call model.compile(loss=..., optimizer=...) before {what}()")


class _RunningLogs:
    """Sample-weighted running means of the loss and metrics over one epoch."""

    def __init__(self, model, last_loss=None):
        self.functions = model._metric_functions
        self.totals = dict.fromkeys(["loss", *self.functions], 0.0)
        self.count = 0
        self.last_loss = last_loss  # the last finite batch loss, carried across epochs

    def add(self, loss, outputs, y):
        n = len(outputs)
        self.count += n
        self.last_loss = loss
        self.totals["loss"] += loss * n
        for name, function in self.functions.items():
            self.totals[name] += function(outputs, y) * n

    def means(self):
        return {key: total / max(self.count, 1) for key, total in self.totals.items()}


def _metric_name(metric):
    return metric if isinstance(metric, str) else getattr(metric, "__name__", repr(metric))


def _split_validation(x, y, validation_data, validation_split):
    """Hold out the *last* fraction of the data (before shuffling), as Keras does."""
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        return x, y, tuple(validation_data)
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
    if validation_split == 0.0:
        return x, y, None
    n_train = int(round(len(x) * (1.0 - validation_split)))
    if n_train < 1 or n_train >= len(x):
        raise ValueError(f"validation_split={validation_split} leaves no training or no "
                         f"validation samples out of {len(x)}")
    return x[:n_train], y[:n_train], (x[n_train:], y[n_train:])
