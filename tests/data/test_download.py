import dataclasses
import gzip
import hashlib
import shutil

import numpy as np
import pytest

from leannet.data import DatasetNotFoundError, DownloadError, cache_dir, download, load_mnist
from leannet.data import verify as verify_dataset
from leannet.data.download import BASE_NAMES, SOURCES, Checksum, FileCheck

WRONG = Checksum("sha256", "0" * 64)


@pytest.fixture
def served_mnist(http_server, fake_dataset, checksums_of):
    """Fake MNIST .gz files on a local HTTP server; yields (url, arrays, checksums, log)."""
    url, served, requests = http_server
    arrays = fake_dataset(served, seed=7)
    return url, arrays, checksums_of(served), requests


def test_download_fetches_verifies_and_skips_what_is_there(served_mnist, tmp_path):
    url, arrays, checksums, requests = served_mnist
    target = tmp_path / "downloaded"
    report = download("mnist", target, mirrors=[url], checksums=checksums, progress=False)
    assert [check.status for check in report] == ["ok"] * 4
    assert sorted(requests) == sorted(f"/{base}.gz" for base in BASE_NAMES.values())
    assert sorted(path.name for path in target.iterdir()) == sorted(
        base + ".gz" for base in BASE_NAMES.values()
    )  # no temporary files left
    download("mnist", target, mirrors=[url], checksums=checksums, progress=False)
    assert len(requests) == 4  # all four present and verified: nothing fetched again


def test_download_goes_to_the_cache_by_default(served_mnist):
    url, _, checksums, _ = served_mnist
    report = download("mnist", mirrors=[url], checksums=checksums, progress=False)
    assert {check.path.parent for check in report} == {cache_dir("mnist")}


def test_a_failing_mirror_falls_through_to_the_next(served_mnist, tmp_path):
    url, _, checksums, requests = served_mnist
    mirrors = [url + "missing/", url]  # the first answers 404 for every file
    report = download("mnist", tmp_path / "d", mirrors=mirrors, checksums=checksums, progress=False)
    assert all(check.ok for check in report)
    assert len(requests) == 8


def test_a_damaged_file_in_place_is_downloaded_again(served_mnist, tmp_path):
    url, _, checksums, requests = served_mnist
    target = tmp_path / "d"
    download("mnist", target, mirrors=[url], checksums=checksums, progress=False)
    (target / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    report = download("mnist", target, mirrors=[url], checksums=checksums, progress=False)
    assert all(check.ok for check in report)
    assert requests[4:] == ["/t10k-labels-idx1-ubyte.gz"]


def test_checksum_mismatch_is_a_clear_error_and_leaves_nothing(served_mnist, tmp_path):
    url, _, checksums, _ = served_mnist
    checksums = {**checksums, "train_labels": WRONG}
    target = tmp_path / "d"
    with pytest.raises(DownloadError) as caught:
        download("mnist", target, mirrors=[url, url], checksums=checksums, progress=False)
    message = str(caught.value)
    assert "train-labels-idx1-ubyte.gz" in message and "nothing was written" in message
    assert message.count("checksum mismatch: expected sha256 " + "0" * 64) == 2  # both mirrors
    assert "train-labels-idx1-ubyte.gz" not in {path.name for path in target.iterdir()}
    assert not [path for path in target.iterdir() if path.name.startswith(".")]


def test_http_errors_are_named(http_server, tmp_path):
    url, _, _ = http_server  # serves an empty directory
    with pytest.raises(DownloadError, match=r"train-images-idx3-ubyte.gz: HTTP 404"):
        download("mnist", tmp_path / "d", mirrors=[url], progress=False)


def test_a_transfer_cut_short_is_refused(served_mnist, tmp_path):
    url, _, checksums, _ = served_mnist
    target = tmp_path / "d"
    with pytest.raises(DownloadError, match="truncated/train-images-idx3-ubyte.gz: ") as caught:
        download("mnist", target, mirrors=[url + "truncated/"], checksums=checksums, progress=False)
    assert "10" in str(caught.value) and "1000" in str(caught.value)
    assert list(target.iterdir()) == []


def test_progress_bar_is_shown(served_mnist, tmp_path, capsys):
    url, _, checksums, _ = served_mnist
    download("mnist", tmp_path / "d", mirrors=[url], checksums=checksums, progress=True)
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err


def test_unknown_or_bundled_names_cannot_be_downloaded(tmp_path):
    for name in ("cifar10", "mnist-small"):
        with pytest.raises(ValueError, match="unknown downloadable dataset"):
            download(name, tmp_path)


# ----- load_mnist downloading into the cache ------------------------------------------


def use_local_mirror(monkeypatch, url, checksums):
    source = dataclasses.replace(SOURCES["mnist"], mirrors=(url,), checksums=checksums)
    monkeypatch.setitem(SOURCES, "mnist", source)


def test_load_downloads_into_the_cache_once(served_mnist, monkeypatch):
    url, arrays, checksums, requests = served_mnist
    use_local_mirror(monkeypatch, url, checksums)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    np.testing.assert_array_equal(x_train, arrays["train_images"])
    np.testing.assert_array_equal(y_test, arrays["test_labels"])
    assert len(requests) == 4 and (cache_dir("mnist") / "train-images-idx3-ubyte.gz").is_file()
    load_mnist()
    assert len(requests) == 4  # the second load reads the cache


def test_load_with_a_corrupt_mirror_fails_cleanly(served_mnist, monkeypatch):
    url, _, checksums, _ = served_mnist
    use_local_mirror(monkeypatch, url, {**checksums, "test_images": WRONG})
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch") as caught:
        load_mnist()
    assert isinstance(caught.value.__cause__, DownloadError)
    names = {path.name for path in cache_dir("mnist").iterdir()}
    assert "t10k-images-idx3-ubyte.gz" not in names
    assert not [name for name in names if name.startswith(".")]  # no temporary files


# ----- verify -----------------------------------------------------------------------


def test_verify_reports_each_file(tmp_path, fake_dataset, checksums_of):
    directory = tmp_path / "d"
    fake_dataset(directory)
    checksums = checksums_of(directory)
    assert all(check.ok for check in verify_dataset("mnist", directory, checksums))
    (directory / "train-labels-idx1-ubyte.gz").unlink()
    damaged = directory / "t10k-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:50])
    report = verify_dataset("mnist", directory, {**checksums, "test_labels": WRONG})
    statuses = [check.status for check in report]
    assert statuses == ["ok", "missing", "unreadable", "mismatch"]
    assert "MISSING" in str(report[1]) and "train-labels-idx1-ubyte" in str(report[1])
    assert "expected " + "0" * 64 in str(report[3])


def test_a_recompressed_or_unpacked_mnist_copy_passes(tmp_path, fake_dataset, checksums_of):
    original = tmp_path / "original"
    fake_dataset(original)
    checksums = checksums_of(original)
    repacked, unpacked = tmp_path / "repacked", tmp_path / "unpacked"
    repacked.mkdir(), unpacked.mkdir()
    for base in BASE_NAMES.values():
        data = gzip.decompress((original / (base + ".gz")).read_bytes())
        (repacked / (base + ".gz")).write_bytes(gzip.compress(data, compresslevel=1, mtime=9))
        (unpacked / base).write_bytes(data)
    for directory in (repacked, unpacked):
        assert all(check.ok for check in verify_dataset("mnist", directory, checksums))


def test_file_checksums_cannot_judge_an_unpacked_copy(tmp_path, fake_dataset):
    """Fashion-MNIST publishes digests of the .gz files."""
    packed = tmp_path / "packed"
    fake_dataset(packed)
    md5 = {
        role: Checksum(
            "md5", hashlib.md5((packed / (base + ".gz")).read_bytes()).hexdigest(), of="file"
        )
        for role, base in BASE_NAMES.items()
    }
    assert all(check.ok for check in verify_dataset("fashion-mnist", packed, md5))
    unpacked = tmp_path / "unpacked"
    fake_dataset(unpacked, suffix="")
    report = verify_dataset("fashion-mnist", unpacked, md5)
    assert {check.status for check in report} == {"unverifiable"}
    assert "published md5 is of the .gz" in str(report[0])


def test_published_digests_are_in_place():
    mnist, fashion = SOURCES["mnist"].checksums, SOURCES["fashion-mnist"].checksums
    assert mnist["train_images"] == Checksum(
        "sha256", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    )
    assert fashion["test_labels"] == Checksum("md5", "bb300cfdad3c16e7a12a480ee83cd310", of="file")
    assert all(len(c.digest) == 64 for c in mnist.values())
    assert all(len(c.digest) == 32 and c.of == "file" for c in fashion.values())


def test_real_mnist_passes_the_published_sha256(real_mnist_dir, tmp_path):
    report = verify_dataset("mnist", real_mnist_dir)
    assert all(isinstance(check, FileCheck) and check.ok for check in report), report
    # one recompressed real file still passes: the digest is of the decompressed bytes
    copy = tmp_path / "copy"
    shutil.copytree(real_mnist_dir, copy)
    labels = copy / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes()), compresslevel=1))
    assert all(check.ok for check in verify_dataset("mnist", copy))
