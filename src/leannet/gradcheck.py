"""Numerical gradient checking: compare backward() with central differences.

For a layer or a model, the scalar checked is L = sum(y * R) + penalty for a fixed random
R, so dL/dy = R and every output element takes part; ``penalty`` is the object's
``regularization_loss()`` (weight regularisers add their gradient in ``backward``). For a
loss, L is the loss itself. Frozen parameters (``trainable=False``) are not checked: their
layer may skip computing their gradient.

    numeric dL/dw_i = (L(w_i + eps) - L(w_i - eps)) / (2 eps)
    relative error  = ||analytic - numeric|| / (||analytic|| + ||numeric||)

Everything runs in float64 (the object is converted in place), where a correct gradient
gives errors around 1e-9 and a wrong one errors near 1.
"""

import numpy as np


def relative_error(analytic, numeric):
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0.0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)


def numerical_gradient(f, array, eps=1e-6):
    """Central differences of the scalar function f() with respect to ``array`` (in place)."""
    grad = np.zeros(array.shape, dtype=np.float64)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("numerical_gradient: the array must be C-contiguous, so that "
                         "perturbing its flat view perturbs the array itself")
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        loss_plus = f()
        flat[i] = saved - eps
        loss_minus = f()
        flat[i] = saved
        flat_grad[i] = (loss_plus - loss_minus) / (2 * eps)
    return grad


def _generators(obj):
    layers = getattr(obj, "layers", [obj])
    found = {}
    for layer in layers:
        rng = getattr(layer, "rng", None)
        if rng is not None:
            found[id(rng)] = rng
    return list(found.values())


def _check_loss(loss, y_pred, y_true, eps):
    y_pred = np.array(y_pred, dtype=np.float64)
    loss.forward(y_pred, y_true)
    analytic = np.array(loss.backward(), dtype=np.float64)
    numeric = numerical_gradient(lambda: loss.forward(y_pred, y_true), y_pred, eps)
    return {"input": relative_error(analytic, numeric)}


def gradcheck(obj, x, y=None, eps=1e-6, seed=0, training=True):
    """Largest relative error between analytic and numerical gradients.

    ``obj`` is a layer, a model (anything with forward/backward/parameters) or a loss
    (anything with forward(y_pred, y_true)/backward(); pass ``y``). Returns
    ``{"input": err, "<parameter name>": err, ...}``; ``"input"`` is left out for integer
    inputs (token ids). Random layers (Dropout) see the same random numbers in every pass.
    """
    if not hasattr(obj, "parameters"):
        return _check_loss(obj, x, y, eps)

    x = np.asarray(x)
    if x.dtype.kind == "f":
        x = np.array(x, dtype=np.float64, order="C")  # a private, contiguous copy
    if not getattr(obj, "built", True):
        if hasattr(obj, "layers"):  # a model builds its layers with its own seeded generator
            obj.build(x.shape[1:])
        else:
            obj.build(x.shape[1:], rng=np.random.default_rng(seed), dtype=np.float64)
    obj.astype(np.float64)
    for layer in getattr(obj, "layers", [obj]):
        layer.input_grad_needed = True

    generators = _generators(obj)
    saved_states = [g.bit_generator.state for g in generators]

    def forward():
        for generator, state in zip(generators, saved_states, strict=True):
            generator.bit_generator.state = state
        return obj.forward(x, training=training)

    projection = np.random.default_rng(seed).standard_normal(forward().shape)

    def penalty():
        return float(obj.regularization_loss()) if hasattr(obj, "regularization_loss") else 0.0

    def scalar_loss():
        return float(np.sum(forward() * projection)) + penalty()

    forward()
    grad_in = obj.backward(projection.copy())
    checked = [p for p in obj.parameters() if p.trainable]
    analytic = {p.name: p.grad.copy() for p in checked}

    errors = {}
    if x.dtype.kind == "f":
        errors["input"] = relative_error(grad_in, numerical_gradient(scalar_loss, x, eps))
    for param in checked:
        numeric = numerical_gradient(scalar_loss, param.value, eps)
        errors[param.name] = relative_error(analytic[param.name], numeric)
    return errors
