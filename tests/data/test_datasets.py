import urllib.request

import numpy as np
import pytest

from leannet.data import (
    DATASETS,
    DatasetNotFoundError,
    IDXError,
    cache_dir,
    dataset_is_available,
    load_dataset,
    load_fashion_mnist,
    load_mnist,
    locate_dataset,
    search_dirs,
    verify,
)
from leannet.data.download import BASE_NAMES


def assert_loaded(result, arrays):
    """``result`` of a loader holds exactly the fake ``arrays``, in the promised dtypes."""
    (x_train, y_train), (x_test, y_test) = result
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
        assert labels.dtype == np.int64 and labels.shape == (len(images),)
        np.testing.assert_array_equal(images, arrays[f"{split}_images"])
        np.testing.assert_array_equal(labels, arrays[f"{split}_labels"])


@pytest.fixture
def three_places(tmp_path, monkeypatch, fake_dataset):
    """Different fake MNIST copies in an explicit dir, in LEANNET_DATA and in the cache."""
    places = {
        "explicit": (tmp_path / "explicit", 1),
        "env": (tmp_path / "env", 2),
        "cache": (tmp_path / "xdg-cache" / "leannet" / "mnist", 3),
    }
    arrays = {key: fake_dataset(directory, seed=seed) for key, (directory, seed) in places.items()}
    monkeypatch.setenv("LEANNET_DATA", str(places["env"][0]))
    return {key: directory for key, (directory, _) in places.items()}, arrays


def test_explicit_path_beats_environment_beats_cache(three_places, monkeypatch):
    dirs, arrays = three_places
    assert_loaded(load_mnist(path=dirs["explicit"], download=False), arrays["explicit"])
    assert_loaded(load_mnist(download=False), arrays["env"])
    monkeypatch.delenv("LEANNET_DATA")
    assert_loaded(load_mnist(download=False), arrays["cache"])
    assert locate_dataset("mnist") == dirs["cache"]


def test_environment_may_name_a_root_with_dataset_subdirectories(
    tmp_path, monkeypatch, fake_dataset
):
    mnist = fake_dataset(tmp_path / "root" / "mnist", seed=4)
    fashion = fake_dataset(tmp_path / "root" / "fashion-mnist", seed=5)
    monkeypatch.setenv("LEANNET_DATA", str(tmp_path / "root"))
    assert_loaded(load_mnist(download=False), mnist)
    assert_loaded(load_fashion_mnist(download=False), fashion)
    assert_loaded(load_dataset("fashion_mnist", download=False), fashion)


def test_fashion_is_never_taken_from_an_mnist_directory(tmp_path, monkeypatch, fake_dataset):
    fake_dataset(tmp_path / "digits")  # same file names as Fashion-MNIST's
    monkeypatch.setenv("LEANNET_DATA", str(tmp_path / "digits"))
    assert dataset_is_available("mnist")
    assert not dataset_is_available("fashion-mnist")
    with pytest.raises(DatasetNotFoundError, match="fashion-mnist"):
        load_fashion_mnist(download=False)


def test_an_explicit_path_without_the_files_is_an_error(three_places, tmp_path):
    empty = tmp_path / "nothing-here"
    with pytest.raises(DatasetNotFoundError) as caught:
        load_mnist(path=empty)  # even with download=True and data in LEANNET_DATA
    message = str(caught.value)
    assert str(empty) in message and str(empty / "mnist") in message
    assert str(three_places[0]["env"]) not in message  # it looked only where it was told


def test_a_partial_copy_is_passed_over(three_places, monkeypatch):
    dirs, arrays = three_places
    (dirs["env"] / (BASE_NAMES["test_labels"] + ".gz")).unlink()
    assert_loaded(load_mnist(download=False), arrays["cache"])


@pytest.mark.parametrize("suffix", ["", ".dotted"])
def test_uncompressed_file_names_are_accepted(tmp_path, fake_dataset, suffix):
    directory = tmp_path / "raw"
    arrays = fake_dataset(directory, suffix="")
    if suffix == ".dotted":  # train-images.idx3-ubyte, as some archives name them
        for base in BASE_NAMES.values():
            (directory / base).rename(directory / base.replace("-idx", ".idx"))
    assert_loaded(load_mnist(path=directory), arrays)


def test_cache_dir_follows_xdg_rules(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir("mnist") == tmp_path / "xdg" / "leannet" / "mnist"
    for ignored in ("", "relative/dir"):
        monkeypatch.setenv("XDG_CACHE_HOME", ignored)
        assert cache_dir("fashion-mnist") == tmp_path / "home" / ".cache" / "leannet" / (
            "fashion-mnist"
        )


def test_offline_error_lists_every_place_and_every_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("LEANNET_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetNotFoundError) as caught:
        load_mnist()  # download=True, but the mirrors (127.0.0.1, closed port) refuse
    error = caught.value
    assert isinstance(error, FileNotFoundError)
    message = str(error)
    for place in (tmp_path / "env" / "mnist", tmp_path / "env", cache_dir("mnist")):
        assert f"  {place}\n" in message
    assert "download into" in message and "cannot connect" in message
    assert "leannet data download mnist" in message
    assert "LEANNET_DATA" in message and "path=" in message
    assert list(cache_dir("mnist").iterdir()) == []  # nothing half-written


def test_no_download_when_told_not_to(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("download=False must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DatasetNotFoundError, match=r"download=False"):
        load_mnist(download=False)
    assert not dataset_is_available("mnist")
    assert not cache_dir("mnist").exists()


def test_a_damaged_file_is_reported_not_skipped(tmp_path, fake_dataset):
    fake_dataset(tmp_path / "d")
    path = tmp_path / "d" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IDXError, match="t10k-images-idx3-ubyte.gz: damaged gzip"):
        load_mnist(path=tmp_path / "d")


@pytest.mark.parametrize(
    "role, array, phrase",
    [
        ("train_images", np.zeros((5, 27, 28), np.uint8), r"shape \(N, 28, 28\).*\(5, 27, 28\)"),
        ("train_images", np.zeros((5, 28, 28), np.float32), "expected uint8 images"),
        ("train_labels", np.zeros(4, np.uint8), "4 labels for 5 images"),
        ("test_labels", np.full(3, 10, np.uint8), "label 10 out of range 0..9"),
        ("test_labels", np.zeros((3, 1), np.uint8), r"labels of shape \(N,\)"),
    ],
)
def test_files_of_the_wrong_shape_are_refused(tmp_path, fake_dataset, role, array, phrase):
    from leannet.data import write_idx

    fake_dataset(tmp_path / "d")
    write_idx(tmp_path / "d" / (BASE_NAMES[role] + ".gz"), array)
    with pytest.raises(ValueError, match=phrase) as caught:
        load_mnist(path=tmp_path / "d")
    assert BASE_NAMES[role] in str(caught.value)


def test_dataset_names_and_dispatch(tmp_path, fake_dataset):
    assert set(DATASETS) == {"mnist", "fashion-mnist", "mnist-small"}
    assert search_dirs("Fashion_MNIST", path=tmp_path) == [tmp_path, tmp_path / "fashion-mnist"]
    assert search_dirs("mnist-small") == [locate_dataset("mnist-small")]
    arrays = fake_dataset(tmp_path / "d")
    assert_loaded(load_dataset("MNIST", path=tmp_path / "d"), arrays)
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'; known: mnist"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match="subset must be None or 'small'"):
        load_mnist(subset="tiny")


# ----- the bundled small set -----------------------------------------------------------


def test_bundled_set_loads_without_network(monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", None)  # any network use would fail
    assert dataset_is_available("mnist-small")
    for (x_train, y_train), (x_test, y_test) in (
        load_mnist(subset="small"),
        load_dataset("mnist-small"),
    ):
        assert x_train.shape == (10_000, 28, 28) and x_test.shape == (2_000, 28, 28)
        assert x_train.dtype == x_test.dtype == np.uint8
        assert y_train.shape == (10_000,) and y_test.shape == (2_000,)
        assert y_train.dtype == y_test.dtype == np.int64
        assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
        assert 0 < x_train.mean() < 255 and x_train.max() == 255


# ----- the full set, where LEANNET_DATA points at it (CI) -----------------------------


def test_full_mnist_loads_and_verifies(real_mnist_dir, monkeypatch):
    monkeypatch.setenv("LEANNET_DATA", real_mnist_dir)
    report = verify("mnist", locate_dataset("mnist"))
    assert [check.status for check in report] == ["ok"] * 4, "\n".join(map(str, report))
    (x_train, y_train), (x_test, y_test) = load_mnist(download=False)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.dtype == np.int64 and np.bincount(y_train).tolist()[:2] == [5923, 6742]
    # the bundled files are exactly the first 10,000 + 2,000 samples of the full set
    (small_x, small_y), (small_x_test, small_y_test) = load_mnist(subset="small")
    np.testing.assert_array_equal(small_x, x_train[:10_000])
    np.testing.assert_array_equal(small_y, y_train[:10_000])
    np.testing.assert_array_equal(small_x_test, x_test[:2_000])
    np.testing.assert_array_equal(small_y_test, y_test[:2_000])
