"""Callbacks: code that runs at fixed points of ``fit``, with Keras' hook names.

Subclass ``Callback`` and override any hook; ``self.model`` is set before training. A
callback stops training by setting ``self.model.stop_training = True``.
"""


class Callback:
    def __init__(self):
        self.model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Per-epoch logs: ``history.history["loss"]`` is the list of epoch losses, and so on."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class CallbackList:
    """Calls a hook on every callback in order."""

    def __init__(self, callbacks, model):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
        self.has_batch_hooks = any(
            type(c).on_train_batch_begin is not Callback.on_train_batch_begin
            or type(c).on_train_batch_end is not Callback.on_train_batch_end
            for c in self.callbacks
        )

    def call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)
