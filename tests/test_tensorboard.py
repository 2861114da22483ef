"""The TensorBoard callback writes real event files, read back with TensorBoard's own reader."""

import sys

import numpy as np
import pytest

import leannet as ln
from leannet.tensorboard import TensorBoard


def _event_accumulator():
    pytest.importorskip("tensorboardX")
    module = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    return module.EventAccumulator


def _read_run(directory):
    """Everything TensorBoard itself would load from one run directory."""
    accumulator = _event_accumulator()(str(directory), size_guidance={"scalars": 0,
                                                                      "histograms": 0})
    accumulator.Reload()
    return accumulator


def _train(log_dir, epochs=3, histogram_freq=1):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=60)
    model = ln.Sequential([ln.layers.Dense(4), ln.layers.ReLU(), ln.layers.Dense(3)],
                          input_shape=(5,), seed=0)
    model.compile(loss="cross_entropy", optimizer=ln.optim.Adam(lr=0.01), metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(log_dir, histogram_freq=histogram_freq)])
    return model, history


def test_scalars_equal_the_history_for_each_epoch(tmp_path):
    _event_accumulator()
    _, history = _train(tmp_path, epochs=3)
    train, validation = _read_run(tmp_path / "train"), _read_run(tmp_path / "validation")
    assert sorted(train.Tags()["scalars"]) == ["epoch_accuracy", "epoch_loss", "epoch_lr"]
    assert sorted(validation.Tags()["scalars"]) == ["epoch_accuracy", "epoch_loss"]
    assert set(history.history) == {"loss", "accuracy", "lr", "val_loss", "val_accuracy"}
    for key, values in history.history.items():
        run, name = (validation, key[4:]) if key.startswith("val_") else (train, key)
        events = run.Scalars(f"epoch_{name}")
        assert [event.step for event in events] == [0, 1, 2]
        # TensorBoard stores scalars as float32
        np.testing.assert_array_equal([event.value for event in events],
                                      np.asarray(values, dtype=np.float32))


def test_a_histogram_of_every_parameter_every_histogram_freq_epochs(tmp_path):
    _event_accumulator()
    model, _ = _train(tmp_path, epochs=3, histogram_freq=2)
    train = _read_run(tmp_path / "train")
    expected = {"dense_1/weight", "dense_1/bias", "dense_2/weight", "dense_2/bias"}
    assert set(train.Tags()["histograms"]) == expected
    for parameter in model.parameters():
        events = train.Histograms(parameter.name.replace(".", "/"))
        assert [event.step for event in events] == [0, 2]
        last = events[-1].histogram_value  # written after the last epoch: the final weights
        values = parameter.value.astype(np.float64)
        assert last.num == parameter.size
        assert last.min == pytest.approx(values.min())
        assert last.max == pytest.approx(values.max())
        assert last.sum == pytest.approx(values.sum(), abs=1e-9)


def test_histogram_freq_zero_writes_scalars_only(tmp_path):
    _event_accumulator()
    _train(tmp_path, epochs=2, histogram_freq=0)
    train = _read_run(tmp_path / "train")
    assert train.Tags()["histograms"] == []
    assert len(train.Scalars("epoch_loss")) == 2


def test_bad_histogram_freq_is_refused(tmp_path):
    pytest.importorskip("tensorboardX")
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="histogram_freq"):
            TensorBoard(tmp_path, histogram_freq=bad)


def test_missing_tensorboardx_gives_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'leannet\[tensorboard\]'"):
        TensorBoard(tmp_path)
