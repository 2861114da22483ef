"""Embedding: lookup values, gradients with repeated tokens, token checks, config."""

import json

import numpy as np
import pytest

import leannet
from leannet.layers import Dense
from leannet.layers.embedding import Embedding
from leannet.layers.lstm import LSTM

TOLERANCE = 1e-6


def built(layer, input_shape=(4,), dtype=np.float64, seed=0):
    layer.build(input_shape, rng=np.random.default_rng(seed), dtype=dtype)
    return layer


def assert_all_small(errors):
    assert errors, "gradcheck returned nothing to compare"
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, f"{worst}: relative error {errors[worst]:.2e}"


def test_forward_looks_up_rows():
    layer = built(Embedding(5, 3))
    ids = np.array([[0, 4, 4], [2, 0, 1]])
    y = layer.forward(ids)
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y[1, 0], layer.embeddings.value[2])
    np.testing.assert_array_equal(y, layer.embeddings.value[ids])


def test_backward_sums_rows_of_repeated_tokens():
    layer = built(Embedding(4, 2), (3,))
    ids = np.array([[1, 1, 3], [1, 0, 3]])
    grad_out = np.arange(12.0).reshape(2, 3, 2)
    layer.forward(ids)
    assert layer.backward(grad_out) is None  # token ids have no gradient
    one_hot = np.eye(4)[ids.reshape(-1)]  # (6, vocab)
    np.testing.assert_allclose(layer.embeddings.grad, one_hot.T @ grad_out.reshape(6, 2))
    np.testing.assert_array_equal(layer.embeddings.grad[2], [0.0, 0.0])  # unused token
    np.testing.assert_allclose(layer.embeddings.grad[1], [0 + 2 + 6, 1 + 3 + 7])


def test_backward_sets_rather_than_accumulates():
    layer = built(Embedding(4, 2), (3,))
    ids = np.array([[1, 1, 3]])
    layer.forward(ids)
    layer.backward(np.ones((1, 3, 2)))
    first = layer.embeddings.grad.copy()
    layer.forward(ids)
    layer.backward(np.ones((1, 3, 2)))
    np.testing.assert_array_equal(layer.embeddings.grad, first)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradcheck_with_repeated_tokens(seed):
    rng = np.random.default_rng(seed)
    vocab, steps = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    ids = rng.integers(0, vocab, size=(3, steps))
    ids[0, :2] = ids[1, 0] = 1  # token 1 appears several times, within and across samples
    layer = built(Embedding(vocab, 3), (steps,), seed=seed)
    errors = leannet.gradcheck(layer, ids, seed=seed)
    assert set(errors) == {"embedding.embeddings"}  # no "input": ids are integers
    assert_all_small(errors)


def test_gradcheck_feeding_an_lstm():
    model = leannet.Sequential([Embedding(5, 3), LSTM(4), Dense(2)], input_shape=(6,), seed=0)
    ids = np.array([[0, 1, 1, 4, 1, 2], [3, 3, 0, 1, 2, 4]])
    errors = leannet.gradcheck(model, ids)
    assert "embedding_1.embeddings" in errors
    assert_all_small(errors)


def test_float32_kept_and_whole_float_ids_accepted():
    layer = built(Embedding(6, 4), (3,), dtype=np.float32)
    y = layer.forward(np.array([[1.0, 5.0, 0.0]], dtype=np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y[0], layer.embeddings.value[[1, 5, 0]])
    layer.backward(np.ones_like(y))
    assert layer.embeddings.grad.dtype == np.float32


def test_a_model_passes_integer_ids_through():
    model = leannet.Sequential([Embedding(10, 3), LSTM(2)], input_shape=(4,), seed=0)
    model.compile(loss="mse", optimizer="sgd")
    assert model.predict(np.array([[1, 2, 9, 0]])).shape == (1, 2)


def test_bad_token_ids():
    layer = built(Embedding(5, 2, name="emb"), (3,))
    with pytest.raises(ValueError, match=r"'emb'.*\[0, 5\).*\[0, 5\]"):
        layer.forward(np.array([[0, 5, 1]]))
    with pytest.raises(ValueError, match=r"'emb'.*\[0, 5\).*\[-1, 1\]"):
        layer.forward(np.array([[0, -1, 1]]))
    with pytest.raises(ValueError, match=r"'emb'.*integer token ids.*float64 with non-integer"):
        layer.forward(np.array([[0.5, 1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"'emb'.*integer token ids.*float64"):
        layer.forward(np.array([[np.nan, 1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"'emb'.*integer token ids.*<U1"):
        layer.forward(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match=r"'emb'.*rank 2.*\(3,\)"):
        layer.forward(np.array([0, 1, 2]))


def test_bad_constructor_arguments():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="vocab_size"):
            Embedding(bad, 3)
        with pytest.raises(ValueError, match="dim"):
            Embedding(3, bad)


def test_get_config_round_trip():
    layer = built(Embedding(7, 3, init="normal", name="words"), (5,))
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    rebuilt = Embedding.from_config(config)
    assert rebuilt.get_config() == config
    np.testing.assert_array_equal(built(rebuilt, (5,)).embeddings.value, layer.embeddings.value)
