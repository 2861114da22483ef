"""Callbacks: Keras hook order and semantics, each checked against a scripted run."""

import csv
import math
import os

import numpy as np
import pytest

import leannet as ln
from leannet import serialization
from leannet.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from leannet.layers import Dense, Tanh
from leannet.optim import ScaledSchedule


def _data(n=48):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _model(optimizer=None, seed=0):
    model = ln.Sequential([Dense(5), Tanh(), Dense(2)], input_shape=(4,), seed=seed)
    model.compile(loss="cross_entropy", optimizer=optimizer or ln.optim.SGD(lr=0.1),
                  metrics=["accuracy"])
    return model


def _fit(model, epochs, callbacks, **kwargs):
    x, y = _data()
    return model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks,
                     **kwargs)


class Script(Callback):
    """Puts a scripted value into the logs, for the callbacks after it to watch."""

    def __init__(self, values, key="score"):
        super().__init__()
        self.values, self.key = values, key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Snapshots(Callback):
    """The model's state dict after every epoch."""

    def on_train_begin(self, logs=None):
        self.states = []

    def on_epoch_end(self, epoch, logs=None):
        self.states.append(self.model.state_dict())


def _same_state(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ----- hooks ---------------------------------------------------------------------------
def test_hooks_fire_in_keras_order():
    class Recorder(Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_train_begin(self, logs=None):
            self.calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            self.calls.append(f"epoch_begin {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            self.calls.append(f"batch_begin {batch}")

        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(f"batch_end {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            self.calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            self.calls.append("train_end")

    recorder = Recorder()
    model = _model()
    x, y = _data(20)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[recorder],
              validation_data=(x, y))
    assert recorder.model is model
    epoch_keys = "['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']"
    one_epoch = ["batch_begin 0", "batch_end 0 ['loss']", "batch_begin 1", "batch_end 1 ['loss']"]
    assert recorder.calls == [
        "train_begin",
        "epoch_begin 0", *one_epoch, f"epoch_end 0 {epoch_keys}",
        "epoch_begin 1", *one_epoch, f"epoch_end 1 {epoch_keys}",
        "train_end",
    ]


def test_history_holds_every_epoch():
    history = _fit(_model(), 3, [], validation_split=0.25)
    assert isinstance(history, History) and history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "lr", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())


# ----- EarlyStopping -------------------------------------------------------------------
def test_early_stopping_restores_the_best_weights():
    snapshots = Snapshots()
    stop = EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    model = _model()
    history = _fit(model, 10, [Script([5, 3, 4, 4.5, 6, 1, 1, 1, 1, 1]), snapshots, stop])
    assert history.epoch == [0, 1, 2, 3]  # epochs 2 and 3 did not improve: patience spent
    assert (stop.stopped_epoch, stop.best, stop.best_epoch) == (3, 3.0, 1)
    assert not _same_state(snapshots.states[1], snapshots.states[3])  # training moved on
    assert _same_state(model.state_dict(), snapshots.states[1])


def test_early_stopping_without_restoring_keeps_the_last_weights():
    snapshots = Snapshots()
    model = _model()
    _fit(model, 10, [Script([5, 3, 4, 4.5, 6]), snapshots, EarlyStopping("score", patience=2)])
    assert _same_state(model.state_dict(), snapshots.states[3])


def test_best_weights_are_restored_even_without_an_early_stop():
    snapshots = Snapshots()
    stop = EarlyStopping("score", patience=5, restore_best_weights=True)
    model = _model()
    _fit(model, 3, [Script([3, 1, 2]), snapshots, stop])
    assert stop.stopped_epoch == 0
    assert _same_state(model.state_dict(), snapshots.states[1])


def test_early_stopping_min_delta_and_mode():
    # improvements smaller than min_delta do not count
    history = _fit(_model(), 10, [Script([5, 4.95, 4.9, 1]),
                                  EarlyStopping("score", patience=1, min_delta=0.1)])
    assert history.epoch == [0, 1]
    # accuracy-like names are maximised in "auto" mode
    history = _fit(_model(), 10, [Script([0.5, 0.6, 0.7, 0.6, 0.6], "val_accuracy"),
                                  EarlyStopping("val_accuracy", patience=1)])
    assert history.epoch == [0, 1, 2, 3]
    history = _fit(_model(), 10, [Script([0.5, 0.6, 0.7], "val_accuracy"),
                                  EarlyStopping("val_accuracy", patience=0, mode="min")])
    assert history.epoch == [0, 1]
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")


def test_a_missing_monitored_value_warns_and_names_what_exists():
    with pytest.warns(RuntimeWarning, match=r"'val_loss' is not in the logs.*'loss'.*"
                                            r"validation_split"):
        history = _fit(_model(), 3, [EarlyStopping(patience=0)])
    assert history.epoch == [0, 1, 2]  # nothing to watch: training went on


# ----- ReduceLROnPlateau ---------------------------------------------------------------
def test_reduce_lr_on_plateau_waits_for_patience():
    reduce = ReduceLROnPlateau(monitor="score", factor=0.5, patience=2)
    model = _model(ln.optim.SGD(lr=0.1))
    history = _fit(model, 7, [Script([1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]), reduce])
    # logs["lr"] is the rate the epoch trained with; the cut applies from the next epoch
    assert history.history["lr"] == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
    assert model.optimizer.lr == 0.025


def test_reduce_lr_cooldown_min_delta_and_min_lr():
    def lr_history(cooldown):
        reduce = ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, cooldown=cooldown)
        return _fit(_model(ln.optim.SGD(lr=0.1)), 8, [Script([1.0] * 8), reduce]).history["lr"]

    assert lr_history(0) == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]
    assert lr_history(2) == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    # a gain smaller than min_delta is a stall; min_lr is a floor
    reduce = ReduceLROnPlateau(monitor="score", factor=0.1, patience=1, min_delta=0.5,
                               min_lr=0.004)
    model = _model(ln.optim.SGD(lr=0.1))
    history = _fit(model, 5, [Script([4.0, 3.9, 3.8, 3.7, 3.6]), reduce])
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.01, 0.004, 0.004])
    assert model.optimizer.lr == 0.004
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_scales_a_schedule_and_the_model_file_keeps_it(tmp_path):
    schedule = ln.optim.ExponentialDecay(0.01, 0.5, decay_steps=6)
    model = _model(ln.optim.Adam(lr=schedule))
    reduce = ReduceLROnPlateau(monitor="score", factor=0.5, patience=1)
    _fit(model, 4, [Script([1.0, 1.0, 1.0, 1.0]), reduce])  # cuts after epochs 1, 2 and 3
    lr = model.optimizer.lr
    assert isinstance(lr, ScaledSchedule) and lr.schedule is schedule and lr.factor == 0.125
    steps = model.optimizer.iterations
    assert model.optimizer.current_lr == pytest.approx(0.125 * schedule(steps), rel=1e-12)
    model.save(tmp_path / "m.leannet")
    loaded = serialization.load_model(tmp_path / "m.leannet")
    assert loaded.optimizer.current_lr == model.optimizer.current_lr


# ----- LearningRateScheduler -----------------------------------------------------------
def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    history = _fit(_model(), 4, [LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert history.history["lr"] == [0.1, 0.05, 0.1 / 3, 0.025]
    halve = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    history = _fit(_model(ln.optim.SGD(lr=0.8)), 4, [halve])
    assert history.history["lr"] == [0.8, 0.4, 0.2, 0.1]


def test_learning_rate_scheduler_checks_what_it_is_given():
    with pytest.warns(RuntimeWarning, match="replaces the optimizer's learning-rate schedule"):
        _fit(_model(ln.optim.SGD(lr=ln.optim.StepDecay(0.1, 2))), 1,
             [LearningRateScheduler(lambda epoch: 0.01)])
    with pytest.raises(ValueError, match=r"schedule\(1\) must return a positive number"):
        _fit(_model(), 3, [LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else None)])
    with pytest.raises(ValueError, match="must be a function"):
        LearningRateScheduler(0.1)


# ----- CSVLogger -----------------------------------------------------------------------
def _read_csv(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_csv_logger_writes_and_flushes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"

    class CountRows(Callback):
        def on_train_begin(self, logs=None):
            self.counts = []

        def on_epoch_end(self, epoch, logs=None):
            self.counts.append(len(_read_csv(path)))  # before any close: rows were flushed

    counter = CountRows()
    history = _fit(_model(), 3, [CSVLogger(path), counter], validation_split=0.25)
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert counter.counts == [2, 3, 4]
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        for key, value in zip(rows[0][1:], row[1:], strict=True):
            assert float(value) == history.history[key][epoch]  # full precision


def test_csv_logger_appends_under_the_existing_header(tmp_path):
    path = tmp_path / "log.csv"
    _fit(_model(), 2, [CSVLogger(path)])
    _fit(_model(), 2, [CSVLogger(path, append=True), Script([7, 7], key="extra")])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "lr"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "0", "1"]
    _fit(_model(), 1, [CSVLogger(path)])
    assert len(_read_csv(path)) == 2  # append=False starts a new file


def test_csv_logger_writes_na_for_a_value_that_disappears(tmp_path):
    path = tmp_path / "log.csv"

    class DropAccuracyLater(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                del logs["accuracy"]

    _fit(_model(), 2, [DropAccuracyLater(), CSVLogger(path)])
    assert _read_csv(path)[2][1] == "NA"


# ----- ModelCheckpoint ------------------------------------------------------------------
def test_model_checkpoint_fills_the_path_from_epoch_and_logs(tmp_path):
    pattern = os.fspath(tmp_path / "run" / "e{epoch:02d}-{loss:.2f}.leannet")
    saver = ModelCheckpoint(pattern)
    history = _fit(_model(), 2, [saver])
    names = sorted(os.listdir(tmp_path / "run"))
    assert names == [f"e{epoch + 1:02d}-{loss:.2f}.leannet"
                     for epoch, loss in enumerate(history.history["loss"])]
    assert saver.last_saved == os.path.join(tmp_path, "run", names[-1])
    header = serialization.read_header(saver.last_saved)
    assert header["training"]["epoch"] == 1 and header["optimizer"] is not None
    with pytest.raises(ValueError, match="cannot fill in"):
        _fit(_model(), 1, [ModelCheckpoint(tmp_path / "{val_loss}.leannet")])


def test_model_checkpoint_save_best_only(tmp_path):
    pattern = os.fspath(tmp_path / "best{epoch}.leannet")
    _fit(_model(), 5, [Script([3, 2, 2.5, 1, 4]), ModelCheckpoint(pattern, monitor="score",
                                                                  save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["best1.leannet", "best2.leannet", "best4.leannet"]
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        _fit(_model(), 1, [ModelCheckpoint(tmp_path / "x.leannet", save_best_only=True)])
    assert not (tmp_path / "x.leannet").exists()


def test_model_checkpoint_weights_only_and_full(tmp_path):
    model = _model()
    _fit(model, 2, [ModelCheckpoint(tmp_path / "weights.leannet", save_weights_only=True),
                    ModelCheckpoint(tmp_path / "full.leannet"),
                    ModelCheckpoint(os.fspath(tmp_path / "dir") + os.sep)])
    plain = serialization.read_header(tmp_path / "weights.leannet")
    assert plain["training"] is None and plain["optimizer"] is None
    x, _ = _data()
    for name in ("weights.leannet", "full.leannet", "dir/checkpoint.leannet"):
        assert np.array_equal(serialization.load_model(tmp_path / name).predict(x),
                              model.predict(x))
    for path in (tmp_path / "full.leannet", tmp_path / "dir"):
        resumed = _model()
        history = _fit(resumed, 2, [], resume_from=path)
        assert history.epoch == [0, 1]  # both epochs were done: nothing left to train
        assert _same_state(resumed.state_dict(), model.state_dict())
    with pytest.raises(ln.ModelFileError, match="not a checkpoint"):
        _fit(_model(), 3, [], resume_from=tmp_path / "weights.leannet")


def test_monitor_values_must_be_numbers_the_logs_can_hold():
    stop = EarlyStopping("score")
    _fit(_model(), 2, [Script([math.nan, 1.0]), stop])
    assert stop.best == 1.0  # NaN never counts as an improvement
