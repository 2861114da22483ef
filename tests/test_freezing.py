"""Freezing and rebuilding models: the mechanics transfer learning rests on."""

import numpy as np
import pytest

import leannet as ln

L = ln.layers


def small_model(seed=0):
    model = ln.Sequential([L.Dense(8), L.ReLU(), L.Dense(8), L.ReLU(), L.Dense(3)],
                          input_shape=(4,), seed=seed)
    model.compile("cross_entropy", ln.optim.Adam(lr=1e-2), metrics=["accuracy"])
    return model


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n)


def snapshot(model):
    return {p.name: p.value.copy() for p in model.parameters()}


def test_frozen_weights_do_not_change_and_unfrozen_ones_do():
    model = small_model()
    model.freeze(until="dense_2")
    before = snapshot(model)
    model.fit(*data(), epochs=2, batch_size=16, verbose=0)
    after = snapshot(model)
    for name in before:
        unchanged = np.array_equal(before[name], after[name])
        assert unchanged == name.startswith(("dense_1.", "dense_2.")), name


def test_no_optimizer_state_for_frozen_parameters():
    model = small_model()
    model.freeze(["dense_1"])
    model.fit(*data(), epochs=1, batch_size=16, verbose=0)
    names_with_state = {p.name for p in model.optimizer.state}
    assert names_with_state == {p.name for p in model.parameters() if p.trainable}
    assert not any(name.startswith("dense_1.") for name in names_with_state)


def test_frozen_first_layer_still_passes_gradient_back_to_earlier_layers():
    model = small_model()
    model.freeze("dense_2")
    before = model.get_layer("dense_1").weight.value.copy()
    model.fit(*data(), epochs=1, batch_size=16, verbose=0)
    assert not np.array_equal(before, model.get_layer("dense_1").weight.value)


def test_summary_counts_trainable_and_frozen_apart():
    model = small_model()
    model.freeze(until="dense_1")
    text = model.summary(print_fn=None)
    frozen = 4 * 8 + 8
    total = model.count_parameters()
    assert f"Trainable params: {total - frozen:,}" in text
    assert f"Non-trainable params: {frozen:,}" in text
    assert "frozen" in text.splitlines()[4]


def test_unfreeze_restores_training():
    model = small_model()
    model.freeze()
    assert not any(p.trainable for p in model.parameters())
    model.unfreeze()
    assert all(p.trainable for p in model.parameters())


def test_freeze_rejects_unknown_layers_and_mixed_arguments():
    model = small_model()
    with pytest.raises(ValueError, match="no layer named 'dense_9'"):
        model.freeze(until="dense_9")
    with pytest.raises(ValueError, match="either layers=... or until=..."):
        model.freeze(layers=["dense_1"], until="dense_2")


def run_layers(layers, x):
    for layer in layers:
        x = layer.forward(x)
    return x


def test_pop_and_add_a_new_head_keeps_the_body():
    model = small_model()
    body = snapshot(model)
    head = model.pop()
    assert head.name == "dense_3"
    model.add(L.Dense(5))
    assert model.output_shape == (5,)
    assert model.layers[-1].name == "dense_3"  # the freed name is reused
    kept = {p.name: p.value for p in model.parameters() if not p.name.startswith("dense_3.")}
    assert kept.keys() == {name for name in body if not name.startswith("dense_3.")}
    for name, value in kept.items():
        assert np.array_equal(value, body[name])


def test_new_model_from_the_layers_of_another_keeps_their_weights():
    trained = small_model()
    trained.fit(*data(), epochs=1, batch_size=16, verbose=0)
    reused = ln.Sequential([*trained.layers[:4], L.Dense(2)], input_shape=(4,), seed=5)
    for old, new in zip(trained.parameters()[:4], reused.parameters()[:4], strict=True):
        assert new is old
    x, _ = data(8)
    np.testing.assert_array_equal(run_layers(reused.layers[:4], x),
                                  run_layers(trained.layers[:4], x))
    assert reused.output_shape == (2,)
