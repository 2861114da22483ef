"""Initialisers: empirical variances against the formulas, determinism, names."""

import numpy as np
import pytest

from leannet import init
from leannet.layers import Dense

FAN_IN, FAN_OUT = 300, 500  # 150,000 draws: the sample variance is within ~1% of the truth

VARIANCES = {
    "glorot_uniform": 2.0 / (FAN_IN + FAN_OUT),
    "glorot_normal": 2.0 / (FAN_IN + FAN_OUT),
    "he_uniform": 2.0 / FAN_IN,
    "he_normal": 2.0 / FAN_IN,
}


def draw(initialiser, seed=0, dtype=np.float64):
    return initialiser((FAN_IN, FAN_OUT), FAN_IN, FAN_OUT, np.random.default_rng(seed), dtype)


@pytest.mark.parametrize("name", sorted(VARIANCES))
def test_variance_matches_formula(name):
    weights = draw(init.get(name))
    assert weights.shape == (FAN_IN, FAN_OUT)
    assert weights.var() == pytest.approx(VARIANCES[name], rel=0.03)
    assert abs(weights.mean()) < 0.05 * np.sqrt(VARIANCES[name])


@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform"])
def test_uniform_limit_is_sqrt_three_variances(name):
    weights = draw(init.get(name))
    limit = np.sqrt(3.0 * VARIANCES[name])
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() > 0.99 * limit


@pytest.mark.parametrize("name", ["glorot_normal", "he_normal"])
def test_normal_variants_are_gaussian(name):
    """About 68.3% of a Gaussian lies within one standard deviation (a uniform: 57.7%)."""
    weights = draw(init.get(name))
    inside = np.mean(np.abs(weights) < np.sqrt(VARIANCES[name]))
    assert inside == pytest.approx(0.6827, abs=0.01)


@pytest.mark.parametrize("std", [0.01, 0.5])
def test_normal_with_given_std(std):
    weights = draw(init.normal(std))
    assert weights.std() == pytest.approx(std, rel=0.02)


def test_zeros_and_ones():
    np.testing.assert_array_equal(draw(init.zeros), np.zeros((FAN_IN, FAN_OUT)))
    np.testing.assert_array_equal(draw(init.ones), np.ones((FAN_IN, FAN_OUT)))


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform",
                                  "he_normal", "normal"])
def test_same_seed_same_array_different_seed_different_array(name):
    initialiser = init.get(name)
    np.testing.assert_array_equal(draw(initialiser, seed=7), draw(initialiser, seed=7))
    assert not np.array_equal(draw(initialiser, seed=7), draw(initialiser, seed=8))


@pytest.mark.parametrize("name", ["zeros", "normal", "glorot", "he", "he_uniform"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_honoured(name, dtype):
    assert draw(init.get(name), dtype=dtype).dtype == dtype


@pytest.mark.parametrize("alias, target", [
    ("glorot", init.glorot_uniform), ("xavier", init.glorot_uniform),
    ("xavier_normal", init.glorot_normal), ("he", init.he_normal),
    ("kaiming", init.he_normal), ("kaiming_uniform", init.he_uniform),
])
def test_aliases(alias, target):
    assert init.get(alias) is target


def test_functions_pass_through():
    def custom(shape, fan_in, fan_out, rng, dtype):
        return np.full(shape, 0.5, dtype=dtype)

    assert init.get(custom) is custom
    layer = Dense(3, init=custom)
    layer.build((2,), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(layer.weight.value, np.full((2, 3), 0.5, dtype=np.float32))


@pytest.mark.parametrize("bad", ["lecun", "He", None, 1.0])
def test_unknown_initialiser_raises(bad):
    with pytest.raises(ValueError, match=rf"unknown initialiser {bad!r}; expected one of"):
        init.get(bad)


def test_dense_uses_fan_in_for_he():
    layer = Dense(400)  # default init "he": Var(W) = 2 / fan_in
    layer.build((250,), rng=np.random.default_rng(0), dtype=np.float64)
    assert layer.weight.value.var() == pytest.approx(2.0 / 250, rel=0.03)
    np.testing.assert_array_equal(layer.bias.value, np.zeros(400))


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8)])
def test_orthogonal_has_orthonormal_columns_or_rows(shape):
    w = init.get("orthogonal")(shape, rng=np.random.default_rng(0), dtype=np.float64)
    assert w.shape == shape
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


def test_dense_takes_the_orthogonal_initialiser_by_name():
    layer = Dense(4, init="orthogonal")
    layer.build((4,), rng=np.random.default_rng(1), dtype=np.float64)
    np.testing.assert_allclose(layer.weight.value.T @ layer.weight.value, np.eye(4), atol=1e-12)
    assert layer.get_config()["init"] == "orthogonal"


def test_orthogonal_needs_a_matrix_shape():
    with pytest.raises(ValueError, match=r"orthogonal: expected a 2-D shape, got \(2, 3, 4\)"):
        init.orthogonal((2, 3, 4), rng=np.random.default_rng(0))
