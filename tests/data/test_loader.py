import numpy as np
import pytest

from leannet.data import DataLoader


def epoch_order(loader):
    """The sample ids of one epoch, in the order the loader gave them (x holds ids)."""
    return np.concatenate([batch[0] if isinstance(batch, tuple) else batch for batch in loader])


@pytest.mark.parametrize(
    "n, batch_size, drop_last, expected",
    [
        (10, 3, False, 4),
        (10, 3, True, 3),
        (9, 3, False, 3),
        (9, 3, True, 3),
        (2, 5, False, 1),
        (2, 5, True, 0),
        (1, 1, False, 1),
    ],
)
def test_len_is_the_number_of_batches(n, batch_size, drop_last, expected):
    loader = DataLoader(np.arange(n), batch_size=batch_size, drop_last=drop_last, seed=0)
    assert len(loader) == expected == len(list(loader))


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_once_per_epoch_with_its_label(shuffle):
    x, y = np.arange(103), np.arange(103) * 10
    loader = DataLoader(x, y, batch_size=16, shuffle=shuffle, seed=1)
    for _ in range(3):
        batches = list(loader)
        assert [len(xb) for xb, _ in batches] == [16] * 6 + [7]
        for x_batch, y_batch in batches:
            np.testing.assert_array_equal(y_batch, x_batch * 10)
        np.testing.assert_array_equal(np.sort(epoch_order(loader)), x)


def test_without_shuffle_batches_are_ordered_views():
    x = np.arange(20.0).reshape(10, 2)
    batches = list(DataLoader(x, batch_size=4, shuffle=False))
    np.testing.assert_array_equal(np.concatenate(batches), x)
    assert all(np.shares_memory(batch, x) for batch in batches)


def test_shuffling_is_seeded_and_new_each_epoch():
    x = np.arange(100)
    first, second = DataLoader(x, batch_size=10, seed=42), DataLoader(x, batch_size=10, seed=42)
    orders = [epoch_order(first) for _ in range(3)]
    for order in orders:  # the same seed gives the same epochs, in the same sequence
        np.testing.assert_array_equal(epoch_order(second), order)
    assert not np.array_equal(orders[0], x)  # shuffled
    assert not np.array_equal(orders[0], orders[1])  # a new permutation each epoch
    other = epoch_order(DataLoader(x, batch_size=10, seed=43))
    assert not np.array_equal(other, orders[0])


def test_a_generator_may_be_passed_in_and_global_state_is_untouched():
    x = np.arange(50)
    state = np.random.get_state()[1].copy()
    from_generator = DataLoader(x, batch_size=7, seed=np.random.default_rng(5))
    from_seed = DataLoader(x, batch_size=7, seed=5)
    np.testing.assert_array_equal(epoch_order(from_generator), epoch_order(from_seed))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_drop_last_gives_only_full_batches():
    loader = DataLoader(np.arange(10), np.arange(10), batch_size=4, drop_last=True, seed=3)
    seen = set()
    for _ in range(20):
        sizes = [len(xb) for xb, _ in loader]
        assert sizes == [4, 4]
        seen.update(epoch_order(loader).tolist())
    assert seen == set(range(10))  # shuffling changes which two samples are left out


@pytest.mark.parametrize("shape", [(12,), (12, 3), (12, 2, 3, 4), (12, 1, 2, 2, 2)])
def test_any_rank(shape):
    x = np.random.default_rng(0).normal(size=shape)
    y = np.arange(12)
    loader = DataLoader(x, y, batch_size=5, seed=0)
    for x_batch, y_batch in loader:
        assert x_batch.shape[1:] == shape[1:] and x_batch.dtype == x.dtype
        np.testing.assert_array_equal(x_batch, x[y_batch])


def test_without_y_batches_are_arrays():
    batch = next(iter(DataLoader(np.zeros((5, 2)), batch_size=2)))
    assert isinstance(batch, np.ndarray) and batch.shape == (2, 2)


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"y": np.zeros(9)}, "different lengths: 10 samples in x, 9 in y"),
        ({"batch_size": 0}, "at least 1, got 0"),
        ({"batch_size": -3}, "at least 1, got -3"),
        ({"batch_size": 2.5}, "must be an integer, got 2.5"),
        ({"batch_size": True}, "must be an integer, got True"),
        ({"shuffle": "yes"}, "shuffle must be True or False"),
        ({"drop_last": 1}, "drop_last must be True or False"),
        ({"seed": "abc"}, "seed must be None, a non-negative integer"),
        ({"seed": -1}, "seed must be None, a non-negative integer"),
        ({"y": np.float64(1.0)}, "y needs a batch axis"),
    ],
)
def test_bad_arguments(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        DataLoader(np.zeros((10, 2)), **kwargs)


def test_bad_x():
    with pytest.raises(ValueError, match="x needs a batch axis"):
        DataLoader(np.float32(1.0))
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 3\)\)"):
        DataLoader(np.zeros((0, 3)))
