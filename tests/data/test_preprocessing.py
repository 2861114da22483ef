import json

import numpy as np
import pytest

from leannet.data import Standardizer, flatten, load_mnist, one_hot, to_float


def test_flatten_keeps_the_batch_axis_and_returns_a_view():
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    flat = flatten(images)
    assert flat.shape == (2, 784) and np.shares_memory(flat, images)
    np.testing.assert_array_equal(flat[1], images[1].ravel())
    assert flatten(np.zeros((4, 3, 2, 5))).shape == (4, 30)
    assert flatten(np.zeros(6)).shape == (6, 1)
    with pytest.raises(ValueError, match="batch axis"):
        flatten(np.float32(3.0))


def test_to_float_scales_pixels_to_the_unit_interval():
    pixels = np.array([[0, 51, 255]], dtype=np.uint8)
    scaled = to_float(pixels)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 0.2, 1.0]], rtol=1e-7)
    assert to_float(pixels, dtype=np.float64).dtype == np.float64
    np.testing.assert_allclose(to_float(np.array([0, 255], np.int64)), [0.0, 1.0])
    already = np.array([0.25, 1.0], np.float64)
    np.testing.assert_array_equal(to_float(already), already.astype(np.float32))


@pytest.mark.parametrize(
    "images, phrase",
    [
        (np.array([-1, 3], np.int32), r"0\.\.255, got -1\.\.3"),
        (np.array([300], np.int32), r"0\.\.255, got 300\.\.300"),
        (np.array([0.0, 2.0]), r"already lie in \[0, 1\]"),
        (np.array([np.nan]), r"already lie in \[0, 1\]"),
        (np.array(["a"]), "integer or float pixels"),
    ],
)
def test_to_float_refuses_what_is_not_pixels(images, phrase):
    with pytest.raises(ValueError, match=phrase):
        to_float(images)


def test_one_hot():
    encoded = one_hot(np.array([2, 0, 1, 2]))
    assert encoded.dtype == np.float32 and encoded.shape == (4, 3)
    np.testing.assert_array_equal(encoded, np.eye(3, dtype=np.float32)[[2, 0, 1, 2]])
    assert one_hot(np.array([1], np.uint8), num_classes=10).shape == (1, 10)
    assert one_hot(np.array([], np.int64), num_classes=4).shape == (0, 4)


@pytest.mark.parametrize(
    "labels, num_classes, phrase",
    [
        (np.array([0, 10]), 10, r"0\.\.9, got 0\.\.10"),
        (np.array([-1, 2]), None, r"got -1\.\.2"),
        (np.array([0.0, 1.0]), 2, "integer labels"),
        (np.zeros((2, 2), np.int64), 2, "1-D array"),
    ],
)
def test_one_hot_refuses_bad_labels(labels, num_classes, phrase):
    with pytest.raises(ValueError, match=phrase):
        one_hot(labels, num_classes)


def test_the_seeds_recipe_on_the_bundled_set():
    (x_train, y_train), _ = load_mnist(subset="small")
    x, y = to_float(flatten(x_train)), one_hot(y_train, 10)
    assert x.shape == (10_000, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert y.shape == (10_000, 10) and (y.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(y.argmax(axis=1), y_train)


def test_standardizer_global_statistics():
    (x_train, _), (x_test, _) = load_mnist(subset="small")
    scaler = Standardizer().fit(to_float(x_train))
    assert 0.12 < float(scaler.mean) < 0.14 and 0.29 < float(scaler.std) < 0.32  # MNIST's
    train = scaler.transform(to_float(x_train))
    assert train.dtype == np.float32
    assert abs(train.mean()) < 1e-4 and abs(train.std() - 1) < 1e-4
    test = scaler.transform(to_float(x_test))  # the training statistics, reused
    assert abs(test.mean()) < 0.05


def test_standardizer_per_feature_with_constant_features():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(5, 2, 500), np.full(500, 3.0)])
    scaler = Standardizer(per_feature=True)
    out = scaler.fit_transform(x)
    assert out.dtype == np.float64 and np.isfinite(out).all()
    np.testing.assert_allclose(out.mean(axis=0), [0, 0], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), [1, 0], atol=1e-12)  # constant: centred only
    np.testing.assert_allclose(scaler.inverse_transform(out), x)
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(2,\).*\(3,\)"):
        scaler.transform(np.zeros((4, 3)))


@pytest.mark.parametrize("per_feature", [False, True])
def test_standardizer_config_round_trip_through_json(per_feature):
    x = np.random.default_rng(1).normal(size=(50, 2, 3)).astype(np.float32)
    scaler = Standardizer(per_feature=per_feature).fit(x)
    config = json.loads(json.dumps(scaler.get_config()))
    if not per_feature:
        assert isinstance(config["mean"], float) and isinstance(config["std"], float)
    rebuilt = Standardizer.from_config(config)
    np.testing.assert_array_equal(rebuilt.transform(x), scaler.transform(x))


def test_standardizer_must_be_fitted_first():
    with pytest.raises(ValueError, match="call fit"):
        Standardizer().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="both mean and std"):
        Standardizer(mean=0.5)
    with pytest.raises(ValueError, match="non-empty batch"):
        Standardizer().fit(np.zeros((0, 3)))
