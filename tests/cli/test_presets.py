"""The model presets: layers, shapes and parameter counts worked out by hand, and each one
learns (a few steps lower the loss on a fixed batch)."""

import numpy as np
import pytest

import leannet
from leannet import presets

# Parameter counts by hand: Dense in*out + out; Conv2D f*c*5*5 + f; LSTM 4*u*(in + u) + 4*u.
PARAMETERS = {
    "mlp": (784 * 256 + 256) + (256 * 128 + 128) + (128 * 10 + 10),
    "cnn": (32 * 25 + 32) + (64 * 32 * 25 + 64) + (64 * 7 * 7 * 128 + 128) + (128 * 10 + 10),
    "lenet": ((6 * 25 + 6) + (16 * 6 * 25 + 16) + (16 * 7 * 7 * 120 + 120)
              + (120 * 84 + 84) + (84 * 10 + 10)),
    "lstm": 4 * 128 * (28 + 128) + 4 * 128 + (128 * 10 + 10),
}
LAYERS = {
    "mlp": ["Dense", "ReLU", "Dense", "ReLU", "Dense"],
    "cnn": ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Flatten",
            "Dense", "ReLU", "Dense"],
    "lenet": ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Flatten",
              "Dense", "ReLU", "Dense", "ReLU", "Dense"],
    "lstm": ["LSTM", "Dense"],
}


@pytest.mark.parametrize("name", presets.PRESETS)
def test_layers_and_parameter_counts(name):
    model = presets.build_model(name, presets.INPUT_SHAPES[name])
    assert [type(layer).__name__ for layer in model.layers] == LAYERS[name]
    assert model.count_parameters() == PARAMETERS[name]
    assert model.output_shape == (10,)


def test_conv_presets_keep_the_size_then_halve_it():
    model = presets.build_model("cnn", (1, 28, 28))
    shapes = [layer.output_shape for layer in model.layers]
    assert shapes[:7] == [(32, 28, 28), (32, 28, 28), (32, 14, 14), (64, 14, 14),
                          (64, 14, 14), (64, 7, 7), (3136,)]
    lenet = presets.build_model("lenet", (1, 28, 28))
    assert [layer.output_shape for layer in lenet.layers][5:] == [
        (16, 7, 7), (784,), (120,), (120,), (84,), (84,), (10,)]


def test_mlp_hidden_sizes_classes_and_seed():
    model = presets.build_model("mlp", (784,), num_classes=3, hidden=(20,), seed=5)
    assert [layer.output_shape for layer in model.layers] == [(20,), (20,), (3,)]
    same = presets.build_model("mlp", (784,), num_classes=3, hidden=(20,), seed=5)
    other = presets.build_model("mlp", (784,), num_classes=3, hidden=(20,), seed=6)
    for mine, twin in zip(model.get_weights(), same.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, twin)
    assert not np.array_equal(model.get_weights()[0], other.get_weights()[0])
    assert presets.build_model("mlp", (784,), hidden=()).count_parameters() == 7850


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown model preset 'vgg'; known: mlp, cnn"):
        presets.build_model("vgg", (784,))


def test_the_message_names_every_missing_layer(monkeypatch):
    monkeypatch.delattr(leannet.layers, "LSTM")
    with pytest.raises(presets.PresetUnavailableError,
                       match="^the lstm preset needs LSTM, which this version lacks$"):
        presets.build_model("lstm", (28, 28))
    monkeypatch.delattr(leannet.layers, "Conv2D", raising=False)
    monkeypatch.delattr(leannet.layers, "MaxPool2D", raising=False)
    with pytest.raises(presets.PresetUnavailableError, match="needs Conv2D and MaxPool2D,"):
        presets.build_model("cnn", (1, 28, 28))


@pytest.mark.parametrize("name", presets.PRESETS)
def test_each_preset_learns(name):
    rng = np.random.default_rng(0)
    x = rng.random((4, *presets.INPUT_SHAPES[name]), dtype=np.float32)
    y = np.arange(4)
    model = presets.build_model(name, presets.INPUT_SHAPES[name], seed=1)
    model.compile(loss="cross_entropy", optimizer=leannet.optim.Adam(lr=1e-3))
    before = model.evaluate(x, y)["loss"]
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert model.evaluate(x, y)["loss"] < before
