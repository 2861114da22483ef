"""Losses: gradient checks, hand values, stability for huge logits, labels, names, errors."""

import math
import warnings

import numpy as np
import pytest

import leannet
from leannet import losses
from leannet.losses import MSE, BinaryCrossEntropy, CrossEntropy

SEEDS = [0, 1, 2]


def random_problem(kind, seed):
    """(loss, logits, targets) of random shape for ``kind``."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    logits = 3.0 * rng.standard_normal((n, c))
    if kind == "mse":
        return MSE(), logits, rng.standard_normal((n, c))
    if kind == "bce":
        return BinaryCrossEntropy(), logits, rng.integers(0, 2, size=(n, c)).astype(float)
    labels = rng.integers(0, c, size=n)
    if kind == "ce_index":
        return CrossEntropy(), logits, labels
    return CrossEntropy(), logits, np.eye(c)[labels]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["mse", "bce", "ce_index", "ce_onehot"])
def test_gradcheck(kind, seed):
    loss, logits, targets = random_problem(kind, seed)
    errors = leannet.gradcheck(loss, logits, targets)
    assert set(errors) == {"input"} and errors["input"] < 1e-6, errors


@pytest.mark.parametrize("seed", SEEDS)
def test_gradcheck_of_soft_targets(seed):
    """Label smoothing gives rows that are not one-hot; p - y must still be the gradient."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((4, 3))
    targets = rng.dirichlet(np.ones(3), size=4)
    assert leannet.gradcheck(CrossEntropy(), logits, targets)["input"] < 1e-6


def test_mse_by_hand():
    loss = MSE()
    assert loss.forward(np.array([[1.0, 2.0], [3.0, 0.0]]), np.zeros((2, 2))) == 3.5
    np.testing.assert_allclose(loss.backward(), [[0.5, 1.0], [1.5, 0.0]])  # 2 (p - y) / 4


def test_binary_cross_entropy_by_hand():
    loss = BinaryCrossEntropy()
    z = np.array([[0.0], [math.log(3.0)]])  # sigmoid: 1/2 and 3/4
    value = loss.forward(z, np.array([1.0, 0.0]))
    assert value == pytest.approx((math.log(2.0) + math.log(4.0)) / 2, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), [[-0.25], [0.375]])  # (s - y) / 2


def test_cross_entropy_by_hand():
    loss = CrossEntropy()
    logits = np.array([[0.0, math.log(3.0)], [1.0, 1.0]])  # p = (1/4, 3/4) and (1/2, 1/2)
    value = loss.forward(logits, np.array([1, 0]))
    assert value == pytest.approx((-math.log(0.75) + math.log(2.0)) / 2, rel=1e-12)
    np.testing.assert_allclose(loss.backward(), [[0.125, -0.125], [-0.25, 0.25]])


def test_uniform_logits_cost_log_classes():
    assert CrossEntropy()(np.zeros((3, 10)), np.array([0, 5, 9])) == pytest.approx(math.log(10))


@pytest.mark.parametrize("seed", SEEDS)
def test_one_hot_and_index_labels_agree(seed):
    _, logits, labels = random_problem("ce_index", seed)
    by_index, by_one_hot = CrossEntropy(), CrossEntropy()
    value_index = by_index.forward(logits, labels)
    value_one_hot = by_one_hot.forward(logits, np.eye(logits.shape[1])[labels])
    assert value_index == pytest.approx(value_one_hot, rel=1e-12)
    np.testing.assert_allclose(by_index.backward(), by_one_hot.backward(), atol=1e-15)


def no_warnings(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = CrossEntropy()
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]])
    value = no_warnings(loss.forward, logits, np.array([0, 0]))
    assert value == pytest.approx(1e4)  # (0 + 2e4) / 2
    grad = no_warnings(loss.backward)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]], atol=1e-12)


def test_binary_cross_entropy_is_stable_for_huge_logits():
    loss = BinaryCrossEntropy()
    logits = np.array([1e4, -1e4, 1e4, -1e4])
    value = no_warnings(loss.forward, logits, np.array([1.0, 0.0, 0.0, 1.0]))
    assert value == pytest.approx(1e4 / 2)  # two right (cost 0), two wrong (cost 1e4 each)
    grad = no_warnings(loss.backward)
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.25, -0.25], atol=1e-12)


@pytest.mark.parametrize("loss", [MSE(), BinaryCrossEntropy(), CrossEntropy()])
def test_float32_gradient_stays_float32(loss):
    logits = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    targets = np.array([0, 2, 1, 1]) if isinstance(loss, CrossEntropy) else (logits > 0) * 1.0
    loss.forward(logits, targets)
    assert loss.backward().dtype == np.float32


def test_binary_targets_of_shape_n_fit_outputs_of_shape_n_by_1():
    z = np.array([[0.3], [-1.2], [2.0]])
    assert BinaryCrossEntropy()(z, np.array([1, 0, 1])) == pytest.approx(
        BinaryCrossEntropy()(z, np.array([[1.0], [0.0], [1.0]])))


@pytest.mark.parametrize("name, cls", [
    ("mse", MSE), ("binary_cross_entropy", BinaryCrossEntropy), ("cross_entropy", CrossEntropy),
    ("mean_squared_error", MSE), ("categorical_crossentropy", CrossEntropy),
    ("sparse_categorical_crossentropy", CrossEntropy), ("BCE", BinaryCrossEntropy),
])
def test_names(name, cls):
    assert type(losses.get(name)) is cls


def test_get_passes_objects_and_classes():
    loss = MSE()
    assert losses.get(loss) is loss
    assert type(losses.get(CrossEntropy)) is CrossEntropy


@pytest.mark.parametrize("bad", ["hinge", "", None, 3])
def test_unknown_loss_names_raise(bad):
    with pytest.raises(ValueError, match=rf"unknown loss {bad!r}; expected one of .*cross_entropy"):
        losses.get(bad)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"MSE: predictions have shape \(4, 2\) but targets "
                                         r"have shape \(4, 3\)"):
        MSE()(np.zeros((4, 2)), np.zeros((4, 3)))


def test_cross_entropy_label_errors():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"CrossEntropy: labels must be in \[0, 3\] for 4 outputs"
                                         r", got values from 0 to 4"):
        CrossEntropy()(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"CrossEntropy: class labels must be integers"):
        CrossEntropy()(logits, np.array([0.5, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"CrossEntropy: 3 predictions but 2 labels"):
        CrossEntropy()(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"expects logits \(N, C\), got shape \(3,\)"):
        CrossEntropy()(np.zeros(3), np.array([0, 1, 1]))
