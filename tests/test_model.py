"""Sequential end to end: learning, determinism, logs, predict/evaluate, summary, dtypes."""

import numpy as np
import pytest

import leannet
from leannet.layers import GELU, Dense, Dropout, ReLU, Softmax, Tanh
from leannet.losses import CrossEntropy


def spirals(n_per_class=150, seed=0):
    """Two interleaved spirals of two turns each: no straight line separates them."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n_per_class)) * 4 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (4 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, 0.02, (2 * n_per_class, 2))
    return x.astype(np.float32), np.repeat([0, 1], n_per_class)


X, Y = spirals()


def spiral_model(seed=0, dropout=0.0):
    layers = [Dense(32), Tanh(), Dense(32), Tanh(), Dense(2)]
    if dropout:
        layers.insert(2, Dropout(dropout))
    model = leannet.Sequential(layers, input_shape=(2,), seed=seed)
    return model.compile("cross_entropy", leannet.optim.Adam(lr=0.02), metrics=["accuracy"])


def test_fit_learns_two_spirals():
    model = spiral_model(seed=0)
    history = model.fit(X, Y, epochs=200, batch_size=32, verbose=0)
    assert model.evaluate(X, Y)["accuracy"] >= 0.95
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_the_spirals_are_not_linearly_separable():
    """So the test above needs the hidden layers (and their gradients) to work."""
    model = leannet.Sequential([Dense(2)], input_shape=(2,), seed=0)
    model.compile("cross_entropy", leannet.optim.Adam(lr=0.02), metrics=["accuracy"])
    model.fit(X, Y, epochs=50, batch_size=32, verbose=0)
    assert model.evaluate(X, Y)["accuracy"] < 0.8


def train_briefly(seed):
    model = spiral_model(seed=seed, dropout=0.2)
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, validation_split=0.2)
    return model


def test_same_seed_gives_bit_identical_weights():
    first, second = train_briefly(seed=5), train_briefly(seed=5)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert a.name == b.name and np.array_equal(a.value, b.value), a.name


def test_different_seed_gives_different_weights():
    first, second = train_briefly(seed=5), train_briefly(seed=6)
    assert not any(np.array_equal(a.value, b.value)
                   for a, b in zip(first.parameters(), second.parameters(), strict=True)
                   if a.name.endswith("weight"))


def test_validation_split_logs_and_history():
    model = spiral_model()
    history = model.fit(X, Y, epochs=4, batch_size=64, validation_split=0.25, verbose=0)
    assert model.history is history
    assert history.epoch == [0, 1, 2, 3]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 4 for values in history.history.values())
    # the held-out part is the *last* quarter, as in Keras
    held_out = model.evaluate(X[225:], Y[225:])
    assert history.history["val_loss"][-1] == pytest.approx(held_out["loss"], rel=1e-6)
    assert history.history["val_accuracy"][-1] == held_out["accuracy"]


def test_validation_data_logs():
    model = spiral_model()
    x_val, y_val = spirals(20, seed=1)
    history = model.fit(X, Y, epochs=2, validation_data=(x_val, y_val), verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert history.history["val_accuracy"][-1] == model.evaluate(x_val, y_val)["accuracy"]


def test_no_validation_means_no_val_logs():
    history = spiral_model().fit(X, Y, epochs=2, verbose=0)
    assert not any(key.startswith("val_") for key in history.history)


def test_predict_gives_probabilities_for_cross_entropy():
    model = spiral_model()
    probabilities = model.predict(X)
    assert probabilities.shape == (300, 2)
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probabilities, Softmax()(model.forward(X)), rtol=1e-6)


def test_predict_gives_sigmoid_for_binary_cross_entropy():
    model = leannet.Sequential([Dense(4), Tanh(), Dense(1)], input_shape=(2,), seed=0)
    model.compile("binary_cross_entropy", "adam")
    logits = model.forward(X)
    np.testing.assert_allclose(model.predict(X), 1 / (1 + np.exp(-logits)), rtol=1e-6)


def test_predict_in_batches_equals_one_pass():
    model = spiral_model()
    np.testing.assert_allclose(model.predict(X, batch_size=7), model.predict(X), rtol=1e-6)


def test_evaluate_returns_the_loss_and_metrics():
    model = spiral_model()
    model.fit(X, Y, epochs=2, verbose=0)
    scores = model.evaluate(X, Y, batch_size=50)
    logits = model.forward(X)
    assert set(scores) == {"loss", "accuracy"}
    assert scores["loss"] == pytest.approx(CrossEntropy()(logits, Y), rel=1e-6)
    assert scores["accuracy"] == np.mean(logits.argmax(axis=1) == Y)


def test_one_hot_and_index_labels_train_alike():
    by_index, by_one_hot = spiral_model(seed=2), spiral_model(seed=2)
    by_index.fit(X, Y, epochs=2, verbose=0)
    by_one_hot.fit(X, np.eye(2)[Y], epochs=2, verbose=0)
    for a, b in zip(by_index.parameters(), by_one_hot.parameters(), strict=True):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-4, atol=1e-6)


def test_summary_lists_layers_shapes_and_totals(capsys):
    model = leannet.Sequential([Dense(16), ReLU(), Dense(3)], input_shape=(4,), seed=0)
    model.freeze("dense_2")
    text = model.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    for expected in ["dense_1 (Dense)", "relu_1 (ReLU)", "dense_2 (Dense)",
                     "(None, 16)", "(None, 3)", "80", "51"]:
        assert expected in text, expected
    assert "Total params: 131" in text  # 4*16 + 16 + 16*3 + 3
    assert "Trainable params: 80" in text
    assert "Non-trainable params: 51" in text
    rows = [line.split()[0] for line in text.splitlines() if line.startswith(("dense", "relu"))]
    assert rows == ["dense_1", "relu_1", "dense_2"]  # one row per layer, in order
    assert "frozen" in next(line for line in text.splitlines() if line.startswith("dense_2"))


def test_float32_stays_float32_end_to_end():
    model = leannet.Sequential([Dense(8), GELU(), Dropout(0.1), Dense(8), Tanh(), Dense(2)],
                               input_shape=(2,), seed=0)
    model.compile("cross_entropy", "adam")
    assert model.forward(X, training=True).dtype == np.float32
    model.fit(X.astype(np.float64), Y, epochs=1, batch_size=64, verbose=0)
    for param in model.parameters():
        assert param.value.dtype == np.float32, param.name
        assert param.grad.dtype == np.float32, param.name
    for slots in model.optimizer.state.values():
        assert all(slot.dtype == np.float32 for slot in slots.values())
    outputs = model.forward(X, training=True)
    assert outputs.dtype == np.float32
    model.loss.forward(outputs, Y)
    assert model.backward(model.loss.backward()) is None  # the first layer skips dL/dx
    assert model.predict(X).dtype == np.float32


def test_astype_float64_converts():
    model = spiral_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.astype(np.float64)
    assert all(p.value.dtype == np.float64 and p.grad.dtype == np.float64
               for p in model.parameters())
    assert model.predict(X).dtype == np.float64
    model.fit(X, Y, epochs=1, verbose=0)
    assert all(p.value.dtype == np.float64 for p in model.parameters())


def test_verbose_zero_prints_nothing(capsys):
    model = spiral_model()
    model.fit(X, Y, epochs=2, validation_split=0.1, verbose=0)
    model.evaluate(X, Y)
    model.predict(X)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_one_shows_progress(capsys):
    spiral_model().fit(X, Y, epochs=2, verbose=1)
    captured = capsys.readouterr()
    assert "Epoch 2/2" in captured.out + captured.err


def test_model_gradcheck_through_every_layer():
    model = leannet.Sequential([Dense(5), GELU(), Dense(4), Tanh(), Dropout(0.3), Dense(3)],
                               input_shape=(3,), seed=4)
    errors = leannet.gradcheck(model, np.random.default_rng(0).standard_normal((6, 3)))
    assert len(errors) == 1 + 6
    assert max(errors.values()) < 1e-6, errors


def test_training_step_lowers_the_loss():
    model = spiral_model()
    before = model.evaluate(X, Y)["loss"]
    model.optimizer.lr = 0.01
    model.train_step(X, Y)
    assert model.evaluate(X, Y)["loss"] < before
