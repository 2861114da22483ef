"""TensorBoard: a callback that writes training to TensorBoard event files.

    tb = ln.callbacks.TensorBoard("runs/mnist", histogram_freq=1)
    model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[tb])
    # then: tensorboard --logdir runs/mnist

The layout is Keras': training scalars go to ``<log_dir>/train`` and validation scalars
to ``<log_dir>/validation`` under the same tag, so TensorBoard draws ``loss`` and
``val_loss`` on one chart. Each numeric key of the epoch logs becomes the scalar
``epoch_<key>`` (``val_`` dropped, in the validation run): ``epoch_loss``,
``epoch_accuracy``, ``epoch_lr``... The step is the 0-based epoch index that ``fit`` passes
to ``on_epoch_end`` (a resumed run goes on counting). Every ``histogram_freq`` epochs
(epoch 0, k, 2k, ...; 0 turns them off) a histogram of each parameter is written to the
training run as ``<layer>/<parameter>``, e.g. ``dense_1/weight``.

The files are written by tensorboardX, an optional dependency
(``pip install 'leannet[tensorboard]'``) imported only when a ``TensorBoard`` is created.
"""

import numbers
import os

import numpy as np

from leannet.callbacks import Callback

MISSING_TENSORBOARDX = ("leannet.callbacks.TensorBoard needs tensorboardX: "
                        "pip install 'leannet[tensorboard]'")


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(MISSING_TENSORBOARDX) from error
    return SummaryWriter


class TensorBoard(Callback):
    """Write per-epoch scalars and per-parameter histograms for TensorBoard."""

    def __init__(self, log_dir="logs", histogram_freq=1):
        super().__init__()
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, numbers.Integral) \
                or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an integer >= 0 "
                             f"(0: no histograms), got {histogram_freq!r}")
        self._summary_writer = _summary_writer_class()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self._writers = {}  # "train" / "validation" -> SummaryWriter, opened when first used

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = self._summary_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if _is_number(value):
                run, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
                self._writer(run).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        for writer in self._writers.values():
            writer.flush()  # a crash later loses nothing already logged

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for parameter in self.model.parameters():
            tag = parameter.name.replace(".", "/", 1)  # "dense_1.weight" -> "dense_1/weight"
            writer.add_histogram(tag, np.asarray(parameter.value, dtype=np.float64), epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _is_number(value):
    """A real number (Python or NumPy scalar), not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0
                                               and value.dtype.kind in "iuf")
