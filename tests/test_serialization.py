"""Model files: round trips for every layer type, the format, atomic writes, hostile files."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leannet as ln
from leannet import serialization
from leannet.atomic import atomic_write
from leannet.errors import ModelFileError
from leannet.layers import (
    ELU,
    GELU,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from leannet.layers.embedding import Embedding
from leannet.layers.gru import GRU
from leannet.layers.lstm import LSTM
from leannet.layers.rnn import RNN
from leannet.layers.wrappers import TimeDistributed
from leannet.regularizers import L2

load_model = serialization.load_model


def _dense_inputs(rng, shape):
    return rng.standard_normal((6, *shape))


def _token_ids(rng, shape):
    return rng.integers(0, 10, (6, *shape))


# One line per layer type: (id, layers before the Dense head, input shape, input maker).
# A new layer joins the save/load round trip by adding its line here.
ROUND_TRIP_CASES = [
    ("Dense", lambda: [Dense(5, kernel_regularizer=L2(1e-3)), Dense(4, use_bias=False)],
     (7,), _dense_inputs),
    ("Dropout", lambda: [Dense(5), Dropout(0.3)], (7,), _dense_inputs),
    ("Flatten", lambda: [Flatten()], (2, 3, 2), _dense_inputs),
    ("Sigmoid", lambda: [Dense(5), Sigmoid()], (4,), _dense_inputs),
    ("Tanh", lambda: [Dense(5), Tanh()], (4,), _dense_inputs),
    ("ReLU", lambda: [Dense(5), ReLU()], (4,), _dense_inputs),
    ("LeakyReLU", lambda: [Dense(5), LeakyReLU(alpha=0.2)], (4,), _dense_inputs),
    ("ELU", lambda: [Dense(5), ELU(alpha=0.7)], (4,), _dense_inputs),
    ("GELU", lambda: [Dense(5), GELU()], (4,), _dense_inputs),
    ("Softmax", lambda: [Dense(5), Softmax()], (4,), _dense_inputs),
    ("RNN", lambda: [RNN(4, return_sequences=True)], (5, 3), _dense_inputs),
    ("LSTM", lambda: [LSTM(4)], (5, 3), _dense_inputs),
    ("GRU", lambda: [GRU(4, return_sequences=True), GRU(3)], (5, 3), _dense_inputs),
    ("Embedding", lambda: [Embedding(10, 4)], (6,), _token_ids),
    ("TimeDistributed", lambda: [TimeDistributed(Dense(4, kernel_regularizer=L2(1e-3)))],
     (5, 3), _dense_inputs),
]


def _round_trip_model(make_layers, input_shape, seed=3):
    model = ln.Sequential([*make_layers(), Flatten(), Dense(3)], input_shape=input_shape,
                          seed=seed)
    model.compile(loss="mse", optimizer=ln.optim.Adam(lr=1e-2), metrics=[])
    return model


@pytest.mark.parametrize("make_layers, input_shape, make_inputs",
                         [case[1:] for case in ROUND_TRIP_CASES],
                         ids=[case[0] for case in ROUND_TRIP_CASES])
def test_save_load_round_trip_is_exact(tmp_path, make_layers, input_shape, make_inputs):
    rng = np.random.default_rng(0)
    x = make_inputs(rng, input_shape)
    y = rng.standard_normal((len(x), 3))
    model = _round_trip_model(make_layers, input_shape)
    model.train_step(model._check_data(x), y.astype(np.float32))  # non-initial weights
    path = tmp_path / "model.leannet"
    model.save(path)
    loaded = load_model(path)

    assert [serialization.layer_spec(layer) for layer in loaded.layers] == \
           [serialization.layer_spec(layer) for layer in model.layers]
    assert np.array_equal(loaded.predict(x), model.predict(x))
    for name, value in model.state_dict().items():
        assert np.array_equal(loaded.state_dict()[name], value), name
        assert loaded.state_dict()[name].dtype == value.dtype
    # The optimizer state came along: the next training step is the same in both (the
    # random state is not part of a model file, only of a checkpoint: copy it over).
    loaded.rng.bit_generator.state = model.rng.bit_generator.state
    model.train_step(model._check_data(x), y.astype(np.float32))
    loaded.train_step(loaded._check_data(x), y.astype(np.float32))
    for before, after in zip(model.get_weights(), loaded.get_weights(), strict=True):
        assert np.array_equal(before, after)


def _small_model(seed=0, optimizer=None, units=3):
    model = ln.Sequential([Dense(4), Tanh(), Dense(units)], input_shape=(3,), seed=seed)
    model.compile(loss="cross_entropy", metrics=["accuracy"],
                  optimizer=optimizer or ln.optim.Adam(lr=ln.optim.ExponentialDecay(0.01, 0.5)))
    return model


def _train_a_little(model, steps=3):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.integers(0, model.output_shape[0], 8)
    for _ in range(steps):
        model.train_step(x, y)
    return x, y


@pytest.fixture
def model_file(tmp_path):
    model = _small_model()
    _train_a_little(model)
    path = tmp_path / "small.leannet"
    model.save(path)
    return path


def test_writes_exactly_the_given_path_as_a_plain_npz(tmp_path):
    model = _small_model()
    model.save(str(tmp_path / "x.leannet"))
    assert sorted(os.listdir(tmp_path)) == ["x.leannet"]
    with np.load(tmp_path / "x.leannet", allow_pickle=False) as archive:
        header = archive["__leannet__"]
        assert header.dtype == np.uint8
        document = json.loads(header.tobytes())
        assert all(archive[key].dtype != object for key in archive.files)
        assert "weights/dense_1.weight" in archive.files
    assert document["format"] == "leannet-model" and document["format_version"] == 1
    assert document["model"]["input_shape"] == [3] and document["model"]["seed"] == 0
    assert document["model"]["layers"][0] == {
        "class_name": "Dense",
        "config": {"name": "dense_1", "trainable": True, "units": 4, "use_bias": True,
                   "init": "he"},
    }
    assert document["compile"]["loss"] == "cross_entropy"
    assert document["compile"]["metrics"] == ["accuracy"]
    assert document["compile"]["optimizer"]["class_name"] == "Adam"


def test_compile_settings_and_optimizer_state_round_trip(model_file):
    original = _small_model()
    x, y = _train_a_little(original)
    loaded = load_model(model_file)
    assert loaded.loss.name == "cross_entropy" and loaded.metric_names == ["accuracy"]
    assert loaded.optimizer.get_config() == original.optimizer.get_config()
    assert loaded.optimizer.iterations == original.optimizer.iterations == 3
    assert loaded.optimizer.current_lr == original.optimizer.current_lr  # schedule position
    original.train_step(x, y)
    loaded.train_step(x, y)
    for a, b in zip(original.get_weights(), loaded.get_weights(), strict=True):
        assert np.array_equal(a, b)
    assert loaded.evaluate(x, y) == original.evaluate(x, y)


def test_without_optimizer_state_and_uncompiled(tmp_path):
    model = _small_model()
    _train_a_little(model)
    model.save(tmp_path / "a.leannet", include_optimizer=False)
    loaded = load_model(tmp_path / "a.leannet")
    assert loaded.optimizer.iterations == 0 and loaded.optimizer.state_dict()["slots"] == {}
    bare = ln.Sequential([Dense(2)], input_shape=(3,), seed=5)
    bare.save(tmp_path / "b.leannet")
    loaded = load_model(tmp_path / "b.leannet")
    assert loaded.loss is None and loaded.optimizer is None
    x = np.ones((2, 3), np.float32)
    assert np.array_equal(loaded.predict(x), bare.predict(x))


def test_unsavable_loss_warns_and_keeps_the_model(tmp_path):
    class Custom(ln.losses.MSE):
        name = "custom"

    model = ln.Sequential([Dense(2)], input_shape=(3,), seed=0)
    model.compile(loss=Custom(), optimizer="sgd")
    with pytest.warns(UserWarning, match="not one of leannet's named losses"):
        model.save(tmp_path / "m.leannet")
    assert load_model(tmp_path / "m.leannet").loss is None


def test_custom_metrics_are_left_out_with_a_warning(tmp_path):
    def share_positive(outputs, targets):
        return float(np.mean(outputs > 0))

    model = ln.Sequential([Dense(2)], input_shape=(3,), seed=0)
    model.compile(loss="mse", optimizer="sgd", metrics=["accuracy", share_positive])
    with pytest.warns(UserWarning, match=r"metrics \['share_positive'\].*leaves them out"):
        model.save(tmp_path / "m.leannet")
    assert load_model(tmp_path / "m.leannet").metric_names == ["accuracy"]


def test_float64_model_round_trip(tmp_path):
    model = ln.Sequential([Dense(3), ReLU(), Dense(2)], input_shape=(4,), seed=2,
                          dtype=np.float64)
    model.save(tmp_path / "m.leannet")
    loaded = load_model(tmp_path / "m.leannet")
    assert loaded.dtype == np.float64 and loaded.layers[0].weight.value.dtype == np.float64
    assert np.array_equal(loaded.get_weights()[0], model.get_weights()[0])


# ----- atomic writes ------------------------------------------------------------------
def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.leannet"
    _small_model(seed=0).save(path)
    before = path.read_bytes()

    def savez_that_dies_midway(file, **arrays):
        file.write(b"PK\x03\x04 half a zip archive")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", savez_that_dies_midway)
    with pytest.raises(OSError, match="disk full"):
        _small_model(seed=1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.leannet"]  # no temporary file left behind


def test_atomic_write_replaces_only_on_success_and_keeps_permissions(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    with pytest.raises(RuntimeError):
        with atomic_write(path, "w") as file:
            file.write("new")
            raise RuntimeError("crash")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["notes.txt"]
    with atomic_write(path, "w") as file:
        file.write("new")
    assert path.read_text() == "new" and (os.stat(path).st_mode & 0o777) == 0o640


# ----- files that must be refused -----------------------------------------------------
def _rewrite(source, target, document_change=None, arrays_change=None):
    """Copy a model file, editing its JSON document and/or arrays on the way."""
    with np.load(source, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    document = json.loads(arrays.pop("__leannet__").tobytes())
    if document_change:
        document = document_change(document) or document
    if arrays_change:
        arrays_change(arrays)
    arrays["__leannet__"] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    with open(target, "wb") as file:
        np.savez(file, **arrays)
    return target


def test_newer_format_version_is_refused(model_file, tmp_path):
    bad = _rewrite(model_file, tmp_path / "new.leannet",
                   lambda d: d.update(format_version=2))
    with pytest.raises(ModelFileError, match=r"new\.leannet.*newer leannet"):
        load_model(bad)


@pytest.mark.parametrize("content", [b"", b"hello, not a model", b"\x93NUMPY\x01\x00"])
def test_non_archives_are_refused(tmp_path, content):
    path = tmp_path / "junk.leannet"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=r"junk\.leannet.*not a leannet model file"):
        load_model(path)


def test_other_npz_files_are_not_leannet_models(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ModelFileError, match="not a leannet model file"):
        load_model(path)
    other = _rewrite(_write_small(tmp_path), tmp_path / "fmt.leannet",
                     lambda d: d.update(format="keras"))
    with pytest.raises(ModelFileError, match="format 'keras'"):
        load_model(other)


def _write_small(tmp_path):
    path = tmp_path / "base.leannet"
    _small_model().save(path)
    return path


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.leannet")


def test_arrays_that_do_not_fit_the_architecture_are_refused(model_file, tmp_path):
    def wrong_shape(arrays):
        arrays["weights/dense_1.weight"] = np.zeros((3, 5), np.float32)

    def wrong_dtype(arrays):
        arrays["weights/dense_2.bias"] = arrays["weights/dense_2.bias"].astype(np.float64)

    for name, change in [("shape", wrong_shape), ("dtype", wrong_dtype)]:
        bad = _rewrite(model_file, tmp_path / f"{name}.leannet", arrays_change=change)
        with pytest.raises(ModelFileError, match="do not fit the architecture"):
            load_model(bad)


def test_unlisted_and_missing_arrays_are_refused(model_file, tmp_path):
    extra = _rewrite(model_file, tmp_path / "extra.leannet",
                     arrays_change=lambda a: a.update(smuggled=np.zeros(2)))
    with pytest.raises(ModelFileError, match="not listed"):
        load_model(extra)
    missing = _rewrite(model_file, tmp_path / "missing.leannet",
                       arrays_change=lambda a: a.pop("weights/dense_2.bias"))
    with pytest.raises(ModelFileError, match="missing"):
        load_model(missing)


def test_a_pickled_object_array_is_refused_unread(model_file, tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > pwned.txt",))

    def add_pickle(arrays):
        arrays["weights/dense_1.bias"] = np.array([Boom()], dtype=object)

    bad = _rewrite(model_file, tmp_path / "pickle.leannet", arrays_change=add_pickle)
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(bad)
    assert not os.path.exists("pwned.txt")


def test_wrong_optimizer_slots_are_refused(model_file, tmp_path):
    bad = _rewrite(model_file, tmp_path / "sgd.leannet", lambda d: d["compile"]["optimizer"]
                   .update(class_name="SGD", momentum=0.9, beta_1=None) or None)
    # SGD has no beta_1 argument: the compile section is refused as a whole
    with pytest.raises(ModelFileError, match="compile settings"):
        load_model(bad)

    def to_sgd(document):
        document["compile"]["optimizer"] = {"class_name": "SGD", "lr": 0.1, "momentum": 0.9}

    bad = _rewrite(model_file, tmp_path / "sgd2.leannet", to_sgd)
    with pytest.raises(ModelFileError, match="another optimizer"):
        load_model(bad)


# ----- fuzzing: a damaged file loads or raises ModelFileError, nothing else ---------------
def _loads_or_model_file_error(data):
    """Load a model from the bytes of a file (as load_model does after reading it): it is a
    Sequential or the error is ModelFileError; anything else fails the test."""
    try:
        model = serialization.model_from_file(serialization.parse_model_file(data, "f.leannet"))
    except ModelFileError as error:
        assert "f.leannet" in str(error)
        return False
    assert isinstance(model, ln.Sequential)
    return True


@pytest.fixture(scope="module")
def tiny_file_bytes(tmp_path_factory):
    model = ln.Sequential([Dense(2)], input_shape=(2,), seed=0)
    model.compile(loss="mse", optimizer="adam")
    model.train_step(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
    path = tmp_path_factory.mktemp("tiny") / "tiny.leannet"
    model.save(path)
    return path.read_bytes()


def test_every_truncation_is_refused(tiny_file_bytes):
    for length in range(len(tiny_file_bytes)):
        assert not _loads_or_model_file_error(tiny_file_bytes[:length]), length
    assert _loads_or_model_file_error(tiny_file_bytes)


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=600), zip_like=st.booleans())
def test_random_bytes_never_crash_the_loader(data, zip_like):
    assert not _loads_or_model_file_error((b"PK\x03\x04" if zip_like else b"") + data)


@FUZZ
@given(data=st.data())
def test_flipped_bytes_never_crash_the_loader(tiny_file_bytes, data):
    damaged = bytearray(tiny_file_bytes)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] ^= data.draw(st.integers(1, 255))
    _loads_or_model_file_error(bytes(damaged))


def _json_paths(value, prefix=()):
    """Every path (tuple of keys/indices) inside a JSON document."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _json_paths(item, (*prefix, index))
    return paths


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6,
)


def _document_and_arrays(file_bytes):
    with np.load(io.BytesIO(file_bytes), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    return json.loads(arrays.pop("__leannet__").tobytes()), arrays


@FUZZ
@given(data=st.data())
def test_json_with_wrong_types_never_crashes_the_loader(tiny_file_bytes, data):
    document, arrays = _document_and_arrays(tiny_file_bytes)
    path = data.draw(st.sampled_from(_json_paths(document)[1:]))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    arrays["__leannet__"] = np.frombuffer(json.dumps(document).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _loads_or_model_file_error(buffer.getvalue())


def test_header_that_is_not_json_is_refused(tmp_path, tiny_file_bytes):
    _, arrays = _document_and_arrays(tiny_file_bytes)
    for header in [np.frombuffer(b"{not json", np.uint8), np.frombuffer(b"\xff\xfe", np.uint8),
                   np.frombuffer(b"[1, 2]", np.uint8), np.zeros((2, 2), np.uint8)]:
        arrays["__leannet__"] = header
        path = tmp_path / "h.leannet"
        with open(path, "wb") as file:
            np.savez(file, **arrays)
        with pytest.raises(ModelFileError, match=r"h\.leannet"):
            load_model(path)


def test_a_zip_with_a_non_array_member_is_refused(tmp_path, tiny_file_bytes):
    path = tmp_path / "z.leannet"
    path.write_bytes(tiny_file_bytes)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError):
        load_model(path)


# ----- state dicts, set_weights, load_weights -----------------------------------------
def test_state_dict_round_trip_strict_and_not():
    model, other = _small_model(seed=0), _small_model(seed=1)
    other.load_state_dict(model.state_dict())
    assert all(np.array_equal(a, b) for a, b in
               zip(model.get_weights(), other.get_weights(), strict=True))
    state = model.state_dict()
    state.pop("dense_2.bias")
    with pytest.raises(ValueError, match="missing arrays \\['dense_2.bias'\\]"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="unexpected arrays \\['nope'\\]"):
        other.load_state_dict({**model.state_dict(), "nope": np.zeros(1)})
    other.load_state_dict({"dense_1.bias": np.full(4, 7.0), "nope": 1}, strict=False)
    assert np.array_equal(other.layers[0].bias.value, np.full(4, 7.0, np.float32))
    with pytest.raises(ValueError, match="shape mismatch: dense_1.bias"):
        other.load_state_dict({"dense_1.bias": np.zeros(5)}, strict=False)


def test_set_weights_checks_count_and_shapes():
    model = _small_model()
    weights = [w + 1 for w in model.get_weights()]
    model.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights, strict=True))
    with pytest.raises(ValueError, match="has 4 parameters, got 3"):
        model.set_weights(weights[:3])
    with pytest.raises(ValueError, match="'dense_1.weight' has shape \\(3, 4\\)"):
        model.set_weights([np.zeros((4, 3)), *weights[1:]])


def test_load_weights_for_transfer_learning(model_file):
    source = load_model(model_file)
    target = _small_model(seed=9, units=5)  # same trunk, a new 5-class head
    head_before = target.layers[2].weight.value.copy()
    with pytest.raises(ModelFileError, match="dense_2.weight: shape mismatch.*skip_mismatch"):
        target.load_weights(model_file)
    assert not np.array_equal(target.layers[0].weight.value, source.layers[0].weight.value)

    report = target.load_weights(model_file, skip_mismatch=True)
    assert report.loaded == ["dense_1.weight", "dense_1.bias"]
    assert report.skipped["dense_2.weight"] == "shape mismatch: file (4, 3), model (4, 5)"
    assert report.skipped["dense_2.bias"] == "shape mismatch: file (3,), model (5,)"
    assert report.unused == []
    assert np.array_equal(target.layers[0].weight.value, source.layers[0].weight.value)
    assert np.array_equal(target.layers[2].weight.value, head_before)
    assert "loaded 2 arrays" in str(report)


def test_load_weights_reports_missing_layers_and_unused_arrays(model_file, tmp_path):
    target = ln.Sequential([Dense(4), Tanh(), Dense(3, name="head")], input_shape=(3,), seed=4)
    report = target.load_weights(model_file, skip_mismatch=True)
    assert report.loaded == ["dense_1.weight", "dense_1.bias"]
    assert report.skipped == {"head.weight": "missing from the file",
                              "head.bias": "missing from the file"}
    assert report.unused == ["dense_2.weight", "dense_2.bias"]


def test_load_weights_skips_a_layer_as_a_whole_and_casts_dtype(tmp_path):
    source = ln.Sequential([Dense(3, name="a"), Dense(2, name="b")], input_shape=(4,), seed=0,
                           dtype=np.float64)
    source.save(tmp_path / "s.leannet")
    target = ln.Sequential([Dense(3, name="a"), Dense(2, name="b")], input_shape=(5,), seed=1)
    bias_before = target.layers[0].bias.value.copy()
    report = target.load_weights(tmp_path / "s.leannet", skip_mismatch=True)
    assert report.loaded == ["b.weight", "b.bias"]
    assert report.skipped["a.weight"].startswith("shape mismatch")
    assert report.skipped["a.bias"].startswith("layer 'a' skipped as a whole")
    assert np.array_equal(target.layers[0].bias.value, bias_before)
    assert target.layers[1].weight.value.dtype == np.float32
    assert np.array_equal(target.layers[1].weight.value,
                          source.layers[1].weight.value.astype(np.float32))
