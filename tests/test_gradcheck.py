"""gradcheck itself: it must pass right gradients and *fail* wrong ones."""

import numpy as np
import pytest

import leannet
from leannet.gradcheck import numerical_gradient, relative_error
from leannet.layers import Dense, Tanh
from leannet.losses import MSE, CrossEntropy
from leannet.regularizers import L2


def scale_input_gradient(layer, factor):
    """Make ``layer.backward`` return ``factor`` times the true dL/dx (a planted bug)."""
    true_backward = layer.backward
    layer.backward = lambda grad_out: factor * true_backward(grad_out)
    return layer


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.array([2.0]), np.array([1.0])) == pytest.approx(1 / 3)
    assert relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)


def test_numerical_gradient_of_a_known_function():
    a = np.random.default_rng(0).standard_normal((3, 4))
    before = a.copy()
    grad = numerical_gradient(lambda: float(np.sum(a**3)), a)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-7)
    np.testing.assert_array_equal(a, before)  # the array is left as it was


def test_correct_layer_passes():
    x = np.random.default_rng(0).standard_normal((4, 3))
    errors = leannet.gradcheck(Dense(2), x)
    assert set(errors) == {"input", "dense.weight", "dense.bias"}
    assert max(errors.values()) < 1e-8


@pytest.mark.parametrize("factor", [2.0, 1.01, -1.0])
def test_wrong_input_gradient_fails(factor):
    x = np.random.default_rng(0).standard_normal((4, 3))
    errors = leannet.gradcheck(scale_input_gradient(Tanh(), factor), x)
    assert errors["input"] > 1e-3
    assert errors["input"] == pytest.approx(abs(factor - 1) / (abs(factor) + 1), rel=1e-4)


def test_wrong_input_gradient_mid_network_spoils_earlier_parameters():
    """Checked first in line, a wrong dL/dx would only show as "input"; mid-network it shows
    in every earlier parameter too."""
    layer = scale_input_gradient(Tanh(), 2.0)
    model = leannet.Sequential([Dense(4), layer, Dense(2)], input_shape=(3,), seed=0)
    errors = leannet.gradcheck(model, np.random.default_rng(1).standard_normal((5, 3)))
    assert errors["dense_1.weight"] > 0.1 and errors["dense_1.bias"] > 0.1
    assert errors["dense_2.weight"] < 1e-6  # after the bug: unaffected


def test_wrong_weight_gradient_fails():
    class OffByAFactor(Dense):
        def backward(self, grad_out):
            grad_in = super().backward(grad_out)
            self.weight.grad *= 1.5
            return grad_in

    layer = OffByAFactor(3, name="bad")
    errors = leannet.gradcheck(layer, np.random.default_rng(0).standard_normal((4, 2)))
    assert errors["bad.weight"] == pytest.approx(0.5 / 2.5, rel=1e-4)
    assert errors["bad.bias"] < 1e-8 and errors["input"] < 1e-8


def test_wrong_loss_gradient_fails():
    loss = CrossEntropy()
    true_backward = loss.backward
    loss.backward = lambda: true_backward() * 0.5
    logits = np.random.default_rng(0).standard_normal((4, 3))
    assert leannet.gradcheck(loss, logits, np.array([0, 1, 2, 1]))["input"] > 0.3


def test_converts_to_float64_in_place():
    model = leannet.Sequential([Dense(3), Tanh(), Dense(2)], input_shape=(2,), seed=0)
    x = np.ones((2, 2), dtype=np.float32)
    leannet.gradcheck(model, x)
    assert all(p.value.dtype == np.float64 for p in model.parameters())
    assert x.dtype == np.float32  # the caller's array is not touched


def test_builds_an_unbuilt_model_from_x():
    model = leannet.Sequential([Dense(3), Tanh(), Dense(2)], seed=0)
    errors = leannet.gradcheck(model, np.random.default_rng(0).standard_normal((2, 4)))
    assert model.input_shape == (4,) and len(errors) == 5
    assert max(errors.values()) < 1e-6


def test_does_not_change_the_weights():
    model = leannet.Sequential([Dense(3), Tanh(), Dense(2)], input_shape=(2,), seed=0)
    before = [w.astype(np.float64) for w in model.get_weights()]
    leannet.gradcheck(model, np.random.default_rng(0).standard_normal((3, 2)))
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_non_contiguous_input():
    """A transposed (Fortran-ordered) input must be perturbed for real, not on a copy."""
    x = np.random.default_rng(0).standard_normal((3, 4)).T
    errors = leannet.gradcheck(Dense(2), x)
    assert errors["input"] < 1e-8


def test_frozen_parameters_are_not_checked():
    """backward may skip the weight gradient of a frozen layer, so there is nothing to check;
    the gradient through the frozen layer still is."""
    model = leannet.Sequential([Dense(3), Tanh(), Dense(2, trainable=False)],
                               input_shape=(4,), seed=0)
    errors = leannet.gradcheck(model, np.random.default_rng(0).standard_normal((5, 4)))
    assert set(errors) == {"input", "dense_1.weight", "dense_1.bias"}
    assert max(errors.values()) < 1e-6


def test_regularizer_penalty_is_part_of_the_checked_loss():
    """Dense adds d(penalty)/dW to its weight gradient, so the check must add the penalty."""
    layer = Dense(3, kernel_regularizer=L2(0.5))
    errors = leannet.gradcheck(layer, np.random.default_rng(0).standard_normal((4, 2)))
    assert max(errors.values()) < 1e-6, errors


def test_mse_through_gradcheck_of_a_loss():
    y_pred = np.random.default_rng(0).standard_normal((3, 2))
    assert leannet.gradcheck(MSE(), y_pred, np.zeros((3, 2)))["input"] < 1e-8
