"""Regularisation and training safety: L2 penalties, AdamW's decoupled decay, gradient
clipping, Dropout, and the error that stops a diverging fit."""

import math

import numpy as np
import pytest

import leannet as ln
from leannet.gradcheck import numerical_gradient, relative_error
from leannet.layers import Dense, Dropout, ReLU, Tanh
from leannet.optim import clip_gradients
from leannet.parameter import Parameter
from leannet.regularizers import L2


def _regularized_model(dtype=np.float32, l2_first=0.01, l2_last=0.02):
    model = ln.Sequential([Dense(3, kernel_regularizer=L2(l2_first)), Tanh(),
                           Dense(2, kernel_regularizer=L2(l2_last))],
                          input_shape=(4,), seed=0, dtype=dtype)
    model.compile(loss="mse", optimizer=ln.optim.SGD(lr=0.1))
    return model


def _regression_data(n=10, dtype=np.float32):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, 4)).astype(dtype), rng.standard_normal((n, 2)).astype(dtype)


# ----- L2 kernel regulariser ----------------------------------------------------------
def test_l2_penalty_is_part_of_the_reported_loss():
    model = _regularized_model()
    x, y = _regression_data()
    first, last = model.layers[0], model.layers[2]
    w1, b1, w2, b2 = (p.value.astype(np.float64) for p in model.parameters())
    outputs = np.tanh(x @ w1 + b1) @ w2 + b2
    by_hand = np.mean((outputs - y) ** 2) + 0.01 * np.sum(w1**2) + 0.02 * np.sum(w2**2)
    assert first.regularization_loss() == pytest.approx(0.01 * np.sum(w1**2), rel=1e-6)
    assert last.regularization_loss() == pytest.approx(0.02 * np.sum(w2**2), rel=1e-6)
    assert model.evaluate(x, y)["loss"] == pytest.approx(by_hand, rel=1e-5)
    # fit reports the loss of each batch before its step: one batch, one epoch = by_hand
    history = model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(by_hand, rel=1e-5)


def test_l2_penalty_gradient_passes_a_gradient_check_in_a_chain():
    model = _regularized_model(np.float64, l2_first=0.3, l2_last=0.2)
    x, y = _regression_data(dtype=np.float64)
    loss = model.loss

    def total_loss():
        return loss.forward(model.forward(x, training=True), y) + model.regularization_loss()

    total_loss()
    model.backward(loss.backward())
    for param in model.parameters():
        analytic = param.grad.copy()
        numeric = numerical_gradient(total_loss, param.value)
        assert relative_error(analytic, numeric) < 1e-6, param.name
    # the penalty is not negligible here: leaving it out of the check would fail
    data_only = numerical_gradient(lambda: loss.forward(model.forward(x), y),
                                   model.layers[0].weight.value)
    assert relative_error(model.layers[0].weight.grad, data_only) > 1e-3


def test_l2_adds_exactly_two_lambda_w_to_the_weight_gradient():
    plain = ln.Sequential([Dense(3), Tanh(), Dense(2)], input_shape=(4,), seed=0)
    regularized = _regularized_model(l2_first=0.25, l2_last=0.5)
    x, y = _regression_data()
    for model in (plain, regularized):
        model.compile(loss="mse", optimizer="sgd")
        model.loss.forward(model.forward(x), y)
        model.backward(model.loss.backward())
    for layer, extra, lam in zip(regularized.layers[::2], plain.layers[::2], (0.25, 0.5),
                                 strict=True):
        np.testing.assert_allclose(layer.weight.grad - extra.weight.grad,
                                   2 * lam * layer.weight.value, rtol=1e-5, atol=1e-7)
        assert np.array_equal(layer.bias.grad, extra.bias.grad)  # biases are not penalised


def test_adamw_decay_is_decoupled_from_the_loss_and_the_gradient():
    model = ln.Sequential([Dense(2)], input_shape=(4,), seed=0, dtype=np.float64)
    lr, decay = 0.01, 0.1
    model.compile(loss="mse", optimizer=ln.optim.AdamW(lr=lr, weight_decay=decay))
    x, y = _regression_data(dtype=np.float64)
    weight = model.layers[0].weight
    w0 = weight.value.copy()
    assert model.evaluate(x, y)["loss"] == pytest.approx(np.mean((x @ w0 - y) ** 2))
    model.train_step(x, y)
    grad = weight.grad  # the data gradient alone: no decay term in it
    np.testing.assert_allclose(grad, 2 * x.T @ (x @ w0 - y) / y.size, rtol=1e-10)
    # first Adam step: m_hat = g, v_hat = g^2; decay shrinks w first, outside the gradient
    expected = w0 * (1 - lr * decay) - lr * grad / (np.abs(grad) + 1e-8)
    np.testing.assert_allclose(weight.value, expected, rtol=1e-10)


# ----- gradient clipping ----------------------------------------------------------------
def _params_with_grads(*grads):
    params = []
    for grad in grads:
        param = Parameter(np.zeros(np.shape(grad)))
        param.grad = np.array(grad, dtype=np.float64)
        params.append(param)
    return params


def test_clip_by_global_norm():
    params = _params_with_grads([3.0, 4.0], [[12.0]])  # global norm 13
    clip_gradients(params, clipnorm=6.5)
    assert np.allclose(params[0].grad, [1.5, 2.0]) and np.allclose(params[1].grad, [[6.0]])
    params = _params_with_grads([3.0, 4.0], [[12.0]])
    clip_gradients(params, clipnorm=13.5)  # below the limit: untouched
    assert np.array_equal(params[0].grad, [3.0, 4.0]) and np.array_equal(params[1].grad, [[12]])


def test_clip_by_value_then_norm():
    params = _params_with_grads([3.0, -4.0], [[0.5]])
    clip_gradients(params, clipvalue=1.0)
    assert np.array_equal(params[0].grad, [1.0, -1.0]) and np.array_equal(params[1].grad, [[0.5]])
    params = _params_with_grads([3.0, -4.0], [[0.5]])
    clip_gradients(params, clipvalue=1.0, clipnorm=1.0)  # value first: norm sqrt(2.25) = 1.5
    np.testing.assert_allclose(params[0].grad, [1 / 1.5, -1 / 1.5])
    np.testing.assert_allclose(params[1].grad, [[0.5 / 1.5]])


def test_optimizer_clips_before_its_step_and_ignores_frozen_parameters():
    param, frozen = _params_with_grads([3.0, 4.0], [1000.0])
    frozen.trainable = False
    ln.optim.SGD(lr=1.0, clipnorm=1.0).step([param, frozen])
    np.testing.assert_allclose(param.value, [-0.6, -0.8])  # frozen grad not in the norm
    assert np.array_equal(frozen.value, [0.0])
    (param,) = _params_with_grads([3.0, -0.25])
    ln.optim.SGD(lr=1.0, clipvalue=0.5).step([param])
    np.testing.assert_allclose(param.value, [-0.5, 0.25])


def test_fit_applies_clipnorm_on_every_step():
    norms = []

    class GradientNorm(ln.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            norms.append(math.sqrt(sum(float(np.sum(p.grad**2))
                                       for p in self.model.parameters())))

    x, y = _regression_data(64)
    model = ln.Sequential([Dense(8), ReLU(), Dense(2)], input_shape=(4,), seed=0)
    model.compile(loss="mse", optimizer=ln.optim.SGD(lr=0.01, clipnorm=0.05))
    model.fit(x * 100, y, epochs=2, batch_size=16, verbose=0, callbacks=[GradientNorm()])
    assert len(norms) == 8 and max(norms) <= 0.05 * (1 + 1e-5)
    assert min(norms) > 0.049  # the raw gradients were all larger: every step was clipped


# ----- a diverging fit stops with a report ----------------------------------------------
def test_non_finite_loss_stops_fit_naming_epoch_batch_loss_and_layer():
    class BlowUp(ln.callbacks.Callback):
        """After batch 4 of epoch 2, make the first layer's weights enormous."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            self.last_loss = logs["loss"]
            if (self.epoch, batch) == (1, 3):
                self.model.layers[0].weight.value *= np.float32(1e30)

    x, y = _regression_data(80)
    model = ln.Sequential([Dense(8), ReLU(), Dense(2)], input_shape=(4,), seed=0)
    model.compile(loss="mse", optimizer=ln.optim.SGD(lr=0.01))
    blow_up = BlowUp()
    with np.errstate(all="ignore"), pytest.raises(ln.TrainingDivergedError) as caught:
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[blow_up])
    message = str(caught.value)
    assert isinstance(caught.value, FloatingPointError)
    assert "the loss became inf at epoch 2, batch 5" in message
    assert math.isfinite(blow_up.last_loss)
    assert f"(last finite batch loss: {blow_up.last_loss})" in message
    # outputs ~1e30 square to inf; dL/dW of the last layer (h.T @ g ~ 1e60) overflows first
    assert "the gradient first went non-finite in layer 'dense_2'" in message
    assert "clipnorm" in message


# ----- Dropout ---------------------------------------------------------------------------
def _dropout(rate, seed=0):
    layer = Dropout(rate)
    layer.build((50,), rng=np.random.default_rng(seed), dtype=np.float64)
    return layer


def test_dropout_is_the_identity_at_inference():
    layer = _dropout(0.5)
    x = np.random.default_rng(0).standard_normal((4, 50))
    assert layer.forward(x, training=False) is x
    assert layer.backward(x) is x  # no mask kept from a training pass
    model = ln.Sequential([Dense(6), Dropout(0.5), Dense(2)], input_shape=(50,), seed=0)
    assert np.array_equal(model.predict(x), model.predict(x))


def test_dropout_training_preserves_the_mean():
    layer, rate = _dropout(0.3), 0.3
    x = np.ones((2000, 50))
    y = layer.forward(x, training=True)
    assert set(np.unique(y)) == {0.0, 1 / (1 - rate)}  # inverted: kept units scaled up
    assert abs(np.mean(y == 0) - rate) < 0.01
    assert abs(y.mean() - 1.0) < 0.01  # std of this mean is about 0.002
    assert np.array_equal(_dropout(0.0).forward(x, training=True), x)


def test_dropout_backward_reuses_the_forward_mask():
    layer = _dropout(0.4)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 50)) + 5.0  # no zeros in x
    y = layer.forward(x, training=True)
    grad_out = rng.standard_normal(y.shape)
    grad_in = layer.backward(grad_out)
    assert np.array_equal(grad_in == 0, y == 0)
    np.testing.assert_allclose(grad_in, grad_out * (y / x), rtol=1e-12)


def test_dropout_passes_a_gradient_check_inside_a_chain():
    model = ln.Sequential([Dense(5), Dropout(0.5), Tanh(), Dense(3)], input_shape=(4,), seed=3)
    errors = ln.gradcheck(model, np.random.default_rng(0).standard_normal((6, 4)))
    assert max(errors.values()) < 1e-6, errors


def test_dropout_masks_come_from_the_model_seed():
    x = np.ones((3, 50), np.float32)

    def mask(seed):
        model = ln.Sequential([Dropout(0.5)], input_shape=(50,), seed=seed)
        return model.forward(x, training=True)

    assert np.array_equal(mask(1), mask(1)) and not np.array_equal(mask(1), mask(2))
