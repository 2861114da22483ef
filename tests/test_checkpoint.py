"""Checkpoints: a run killed and resumed ends bit-identical to one never interrupted."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import leannet as ln
from leannet import checkpoint, serialization
from leannet.callbacks import ModelCheckpoint, ReduceLROnPlateau
from leannet.errors import ModelFileError
from leannet.layers import Dense, Dropout, ReLU

WORKER = Path(__file__).parent / "helpers" / "resume_worker.py"
EPOCHS = 6  # as in the worker
KILL_AFTER_EPOCH = 2


# ----- the real thing: SIGKILL a training process, resume it in another ---------------
def _worker_env():
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _run_worker(run_dir, *arguments):
    subprocess.run([sys.executable, str(WORKER), str(run_dir), *arguments], check=True,
                   timeout=60, env=_worker_env())


def _reported_epochs(progress):
    try:
        return [int(line) for line in progress.read_text().split()]
    except FileNotFoundError:
        return []


def _start_and_kill_after(run_dir, epoch, timeout=30.0):
    """Start a slowed-down worker; SIGKILL it as soon as it reports ``epoch`` finished."""
    process = subprocess.Popen([sys.executable, str(WORKER), str(run_dir), "--batch-delay",
                                "0.01"], env=_worker_env())
    progress, deadline = run_dir / "progress", time.monotonic() + timeout
    try:
        while epoch not in _reported_epochs(progress):
            assert process.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "the worker did not report in time"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=10)
    return process.returncode


def test_a_killed_run_resumes_bit_identically(tmp_path):
    reference, crashed = tmp_path / "reference", tmp_path / "crashed"
    reference.mkdir()
    crashed.mkdir()
    _run_worker(reference)

    returncode = _start_and_kill_after(crashed, KILL_AFTER_EPOCH)
    assert returncode == -signal.SIGKILL
    assert not (crashed / "final.npz").exists()  # it really died mid-run
    saved_epoch = serialization.read_header(crashed / "ckpt" / "checkpoint.leannet")[
        "training"]["epoch"]
    assert KILL_AFTER_EPOCH <= saved_epoch < EPOCHS - 1

    _run_worker(crashed, "--resume")
    assert _reported_epochs(crashed / "progress")[-1] == EPOCHS - 1
    with np.load(reference / "final.npz") as expected, np.load(crashed / "final.npz") as got:
        assert sorted(expected.files) == sorted(got.files)
        assert len(expected.files) > 20  # weights, slots, iterations, rng state, history
        for key in expected.files:
            assert np.array_equal(expected[key], got[key]), key


# ----- resuming in one process ---------------------------------------------------------
def _data():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((120, 6)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def _model(optimizer, seed=11, units=2):
    model = ln.Sequential([Dense(16), ReLU(), Dropout(0.3), Dense(units)], input_shape=(6,),
                          seed=seed)
    model.compile(loss="cross_entropy", optimizer=optimizer, metrics=["accuracy"])
    return model


OPTIMIZERS = {
    "sgd_nesterov": lambda: ln.optim.SGD(lr=0.05, momentum=0.9, nesterov=True),
    "rmsprop_step_decay": lambda: ln.optim.RMSprop(lr=ln.optim.StepDecay(1e-2, 5, 0.5)),
    "adam_warmup_cosine": lambda: ln.optim.Adam(
        lr=ln.optim.LinearWarmup(4, ln.optim.CosineDecay(1e-2, 20)), clipnorm=1.0),
    "adamw": lambda: ln.optim.AdamW(lr=3e-3, weight_decay=0.05),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_resume_matches_an_uninterrupted_run(tmp_path, make_optimizer):
    x, y = _data()
    fit = {"epochs": 5, "batch_size": 16, "validation_split": 0.2, "verbose": 0}
    uninterrupted = _model(make_optimizer())
    uninterrupted.fit(x, y, **fit)

    first = _model(make_optimizer())
    first.fit(x, y, **{**fit, "epochs": 2}, callbacks=[ModelCheckpoint(tmp_path)])
    resumed = _model(make_optimizer())
    history = resumed.fit(x, y, **fit, resume_from=tmp_path)

    for a, b in zip(uninterrupted.get_weights(), resumed.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert history.history == uninterrupted.history.history
    assert history.epoch == [0, 1, 2, 3, 4]
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations
    assert resumed.rng.bit_generator.state == uninterrupted.rng.bit_generator.state


def test_restore_returns_the_next_epoch_and_restores_everything(tmp_path):
    x, y = _data()
    model = _model(ln.optim.Adam(lr=ln.optim.ExponentialDecay(1e-2, 0.9, 3)))
    model.fit(x, y, epochs=3, verbose=0)
    path = checkpoint.save_checkpoint(model, tmp_path / "c.leannet", epoch=2)
    assert path == os.fspath(tmp_path / "c.leannet")

    fresh = _model(ln.optim.Adam(lr=ln.optim.ExponentialDecay(1e-2, 0.9, 3)), seed=99)
    assert checkpoint.restore_checkpoint(fresh, path) == 3
    for name, value in model.state_dict().items():
        assert np.array_equal(fresh.state_dict()[name], value)
    assert fresh.optimizer.iterations == model.optimizer.iterations
    assert fresh.optimizer.current_lr == model.optimizer.current_lr
    assert fresh.rng.bit_generator.state == model.rng.bit_generator.state
    assert fresh.history.history == model.history.history
    # a checkpoint is also a model file
    assert np.array_equal(serialization.load_model(path).predict(x), model.predict(x))


def test_restore_builds_an_unbuilt_model(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path)])
    unbuilt = ln.Sequential([Dense(16), ReLU(), Dropout(0.3), Dense(2)], seed=1)
    unbuilt.compile(loss="cross_entropy", optimizer="adam", metrics=["accuracy"])
    unbuilt.fit(x, y, epochs=1, verbose=0, resume_from=tmp_path)  # nothing left to train
    assert unbuilt.input_shape == (6,)
    assert all(np.array_equal(a, b) for a, b in
               zip(unbuilt.get_weights(), model.get_weights(), strict=True))


def test_the_learning_rate_a_callback_lowered_is_restored(tmp_path):
    x, y = _data()
    model = _model(ln.optim.SGD(lr=0.1))
    reduce = ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[reduce, ModelCheckpoint(tmp_path)])
    assert model.optimizer.lr == 0.025
    resumed = _model(ln.optim.SGD(lr=0.1))
    checkpoint.restore_checkpoint(resumed, tmp_path)
    assert resumed.optimizer.lr == 0.025


# ----- finding the latest checkpoint ---------------------------------------------------
def test_a_directory_means_its_latest_checkpoint(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, epochs=3, verbose=0,
              callbacks=[ModelCheckpoint(tmp_path / "epoch{epoch:02d}.leannet")])
    assert sorted(os.listdir(tmp_path)) == [f"epoch0{k}.leannet" for k in (1, 2, 3)]
    (tmp_path / "notes.leannet").write_bytes(b"not a model")
    with pytest.warns(UserWarning, match="notes.leannet"):
        assert checkpoint.latest_checkpoint(tmp_path) == os.fspath(tmp_path / "epoch03.leannet")
    checkpoint.save_checkpoint(model, tmp_path, epoch=0)  # DIR/checkpoint.leannet wins
    assert checkpoint.latest_checkpoint(tmp_path) == os.fspath(tmp_path / "checkpoint.leannet")


def test_an_empty_directory_has_no_checkpoint(tmp_path):
    assert checkpoint.latest_checkpoint(tmp_path) is None
    model = _model("adam")
    with pytest.raises(FileNotFoundError, match="no checkpoint in directory"):
        model.fit(*_data(), epochs=1, verbose=0, resume_from=tmp_path)


# ----- refusing what does not fit --------------------------------------------------------
@pytest.fixture
def saved_checkpoint(tmp_path):
    model = _model("adam")
    model.fit(*_data(), epochs=1, verbose=0)
    return checkpoint.save_checkpoint(model, tmp_path / "c.leannet", epoch=0), model


def test_another_architecture_is_refused_and_left_untouched(saved_checkpoint):
    path, _ = saved_checkpoint
    other = _model("adam", units=3)
    before = other.state_dict()
    with pytest.raises(ModelFileError, match="does not fit this model: layer 3"):
        checkpoint.restore_checkpoint(other, path)
    assert all(np.array_equal(before[k], v) for k, v in other.state_dict().items())
    other_rate = ln.Sequential([Dense(16), ReLU(), Dropout(0.5), Dense(2)], input_shape=(6,))
    other_rate.compile(loss="cross_entropy", optimizer="adam")
    with pytest.raises(ModelFileError, match="layer 2"):
        checkpoint.restore_checkpoint(other_rate, path)


def test_another_optimizer_is_refused(saved_checkpoint):
    path, _ = saved_checkpoint
    with pytest.raises(ModelFileError, match="another optimizer"):
        checkpoint.restore_checkpoint(_model(ln.optim.SGD(momentum=0.9)), path)


def test_an_uncompiled_model_cannot_resume(saved_checkpoint):
    path, _ = saved_checkpoint
    model = ln.Sequential([Dense(16), ReLU(), Dropout(0.3), Dense(2)], input_shape=(6,))
    with pytest.raises(ValueError, match="compile the model"):
        checkpoint.restore_checkpoint(model, path)
    with pytest.raises(ValueError, match="compile the model"):
        checkpoint.save_checkpoint(model, path, epoch=0)


def test_a_plain_model_file_is_not_a_checkpoint(tmp_path):
    model = _model("adam")
    model.save(tmp_path / "m.leannet")
    with pytest.raises(ModelFileError, match="not a checkpoint"):
        checkpoint.restore_checkpoint(_model("adam"), tmp_path / "m.leannet")


def test_a_damaged_training_section_is_refused(saved_checkpoint, tmp_path):
    import json

    path, _ = saved_checkpoint
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    document = json.loads(arrays["__leannet__"].tobytes())
    for change, message in [(lambda t: t.update(epoch=-1), "training.epoch"),
                            (lambda t: t.update(rng_state={"bit_generator": "MT19937"}),
                             "rng_state"),
                            (lambda t: t.update(lr="fast"), "training.lr"),
                            (lambda t: t.update(lr={"class_name": "Nope"}), "training.lr"),
                            (lambda t: t["history"].update(history=[]), "history")]:
        edited = json.loads(json.dumps(document))
        change(edited["training"])
        arrays["__leannet__"] = np.frombuffer(json.dumps(edited).encode(), np.uint8)
        with open(tmp_path / "bad.leannet", "wb") as file:
            np.savez(file, **arrays)
        model = _model("adam")
        with pytest.raises(ModelFileError, match=message):
            checkpoint.restore_checkpoint(model, tmp_path / "bad.leannet")
