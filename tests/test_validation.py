"""Bad input is stopped at the door: a ValueError naming the layer or argument, what was
expected and what came."""

import numpy as np
import pytest

import leannet
from leannet.layers import Dense, ReLU


def classifier(compiled=True):
    model = leannet.Sequential([Dense(8), ReLU(), Dense(3)], input_shape=(2,), seed=0)
    if compiled:
        model.compile(loss="cross_entropy", optimizer="sgd", metrics=["accuracy"])
    return model


X = np.random.default_rng(0).standard_normal((10, 2)).astype(np.float32)
Y = np.arange(10) % 3


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_wrong_input_width(call):
    model = classifier()
    wide = np.zeros((10, 5), dtype=np.float32)
    arguments = (wide,) if call == "predict" else (wide, Y)
    kwargs = {"verbose": 0} if call == "fit" else {}
    with pytest.raises(ValueError, match=r"x: layer 'dense_1' \(Dense\) expects input shape "
                                         r"\(N, 2\), got \(10, 5\)"):
        getattr(model, call)(*arguments, **kwargs)


def test_missing_batch_axis():
    with pytest.raises(ValueError, match=r"expects input shape \(N, 2\), got \(2,\)"):
        classifier().predict(np.zeros(2))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_non_finite_x(call, bad):
    x = X.copy()
    x[3, 1] = bad
    arguments = (x,) if call == "predict" else (x, Y)
    kwargs = {"verbose": 0} if call == "fit" else {}
    with pytest.raises(ValueError, match=r"x: expected finite numbers, got 1 NaN or infinite "
                                         r"value.*at index \(3, 1\)"):
        getattr(model := classifier(), call)(*arguments, **kwargs)
    assert model.optimizer.iterations == 0


def test_non_finite_y():
    model = leannet.Sequential([Dense(1)], input_shape=(2,), seed=0).compile("mse", "sgd")
    y = np.zeros(10)
    y[7] = np.nan
    with pytest.raises(ValueError, match=r"y: expected finite numbers, got 1 NaN or infinite "
                                         r"value.*at index \(7,\)"):
        model.fit(X, y, verbose=0)


def test_non_numeric_x():
    with pytest.raises(ValueError, match=r"x: expected a numeric array, got dtype <U1"):
        classifier().predict(np.array([["a", "b"]]))


@pytest.mark.parametrize("labels, got", [([0, 1, 3], "from 0 to 3"), ([-1, 0, 2], "from -1 to 2")])
def test_label_out_of_range(labels, got):
    y = np.resize(labels, 10)
    with pytest.raises(ValueError, match=rf"y: label out of range: layer 'dense_2' has 3 "
                                         rf"outputs, so labels must be in \[0, 2\]; got values "
                                         rf"{got}"):
        classifier().fit(X, y, verbose=0)


def test_fractional_labels():
    with pytest.raises(ValueError, match=r"y: class indices must be whole numbers"):
        classifier().fit(X, Y + 0.5, verbose=0)


def test_one_hot_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"y: expected class indices \(N,\) or one-hot "
                                         r"\(N, 3\), got \(10, 4\)"):
        classifier().fit(X, np.eye(4)[Y], verbose=0)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, bool])
def test_one_hot_labels_of_any_numeric_dtype_are_accepted(dtype):
    """np.eye(3, dtype=int)[y] is as much a one-hot label as the float version."""
    model = classifier()
    scores = model.evaluate(X, np.eye(3, dtype=dtype)[Y])
    assert scores == pytest.approx(model.evaluate(X, Y))


def test_whole_float_labels_are_accepted():
    model = classifier()
    assert model.evaluate(X, Y.astype(np.float32)) == model.evaluate(X, Y)


@pytest.mark.parametrize("y_length", [9, 11])
def test_x_and_y_of_different_lengths(y_length):
    with pytest.raises(ValueError, match=rf"x and y have different lengths: 10 samples in x, "
                                         rf"{y_length} in y"):
        classifier().fit(X, np.resize(Y, y_length), verbose=0)


def test_unknown_loss_name():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of \['binary_cross"
                                         r"_entropy', 'cross_entropy', 'mse'\]"):
        classifier(compiled=False).compile(loss="hinge")


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adagrad'; expected one of "
                                         r"\['adam', 'adamw', 'rmsprop', 'sgd'\]"):
        classifier(compiled=False).compile(loss="mse", optimizer="adagrad")


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, "32", True, None])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=rf"batch_size must be a positive integer, got "
                                         rf"{batch_size!r}"):
        classifier().fit(X, Y, batch_size=batch_size, verbose=0)


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5])
def test_bad_validation_split(split):
    with pytest.raises(ValueError, match=rf"validation_split must be in \[0, 1\), got {split}"):
        classifier().fit(X, Y, validation_split=split, verbose=0)


def test_validation_split_that_leaves_nothing():
    with pytest.raises(ValueError, match=r"validation_split=0.01 leaves no training or no "
                                         r"validation samples out of 10"):
        classifier().fit(X, Y, validation_split=0.01, verbose=0)


def test_bad_validation_data():
    with pytest.raises(ValueError, match=r"validation_data must be a pair \(x_val, y_val\)"):
        classifier().fit(X, Y, validation_data=(X,), verbose=0)


@pytest.mark.parametrize("units", [0, -1])
def test_dense_with_no_units(units):
    with pytest.raises(ValueError, match=rf"Dense: units must be a positive integer, got {units}"):
        Dense(units)


@pytest.mark.parametrize("call", ["fit", "evaluate"])
def test_fit_or_evaluate_before_compile(call):
    model = classifier(compiled=False)
    kwargs = {"verbose": 0} if call == "fit" else {}
    with pytest.raises(ValueError, match=rf"call model.compile\(loss=..., optimizer=...\) "
                                         rf"before {call}\(\)"):
        getattr(model, call)(X, Y, **kwargs)


def test_wrong_target_shape_for_mse():
    model = leannet.Sequential([Dense(2)], input_shape=(2,), seed=0).compile("mse", "sgd")
    with pytest.raises(ValueError, match=r"MSE: predictions have shape \(10, 2\) but targets "
                                         r"have shape \(10, 3\)"):
        model.fit(X, np.zeros((10, 3)), verbose=0)
