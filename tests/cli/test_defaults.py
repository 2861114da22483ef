"""What ``leannet train`` does when told little: the dataset it picks (full MNIST when found
or downloaded, else the bundled set, said in one line), the run directory it names, and the
one note when matplotlib is missing."""

import json
import shutil

import pytest

from leannet import data

QUICK = ["--hidden", "8", "--epochs", "1", "--no-progress"]
pytestmark = pytest.mark.usefixtures("no_plots")  # drawing is tested in test_end_to_end
OFFLINE_NOTE = "offline: full MNIST is not found locally and could not be downloaded"


@pytest.fixture
def offline(monkeypatch):
    """Nothing on disk and no network: the lookup finds nothing, the download fails at
    once (and records that it was tried)."""
    attempts = []

    def failed_download(name, *args, **kwargs):
        attempts.append(name)
        raise data.DownloadError(f"could not download {name} (offline)")

    monkeypatch.setattr(data, "dataset_is_available", lambda name, path=None: False)
    monkeypatch.setattr(data, "download", failed_download)
    return attempts


def test_offline_falls_back_to_the_bundled_set_saying_so_once(cli, tmp_path, offline):
    result = cli("train", *QUICK)
    assert result.code == 0, result.err
    assert offline == ["mnist"]
    notes = [line for line in (result.out + result.err).splitlines() if "offline" in line]
    assert notes == [f"leannet: {OFFLINE_NOTE}, so this uses the bundled small set "
                     "(mnist-small: 10,000 training + 2,000 test images)"]
    run = tmp_path / "runs" / "mnist-small-mlp"
    assert json.loads((run / "metrics.json").read_text())["dataset"] == "mnist-small"
    assert json.loads((run / "run.json").read_text())["dataset"] == "mnist-small"
    assert "on 2,000 mnist-small test images" in result.out


def test_full_mnist_is_used_when_found(cli, tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setenv("LEANNET_DATA", str(fake_mnist))
    monkeypatch.setattr(data, "download", lambda *a, **k: pytest.fail("no download needed"))
    result = cli("train", *QUICK, "--out", tmp_path / "run")
    assert result.code == 0, result.err
    assert "offline" not in result.out + result.err
    assert "on 32 mnist test images" in result.out
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["dataset"] == "mnist"


def test_data_dir_is_looked_in_first(cli, tmp_path, monkeypatch, fake_mnist):
    monkeypatch.setattr(data, "download", lambda *a, **k: pytest.fail("no download needed"))
    result = cli("train", *QUICK, "--data-dir", fake_mnist, "--out", tmp_path / "r")
    assert result.code == 0, result.err
    assert "on 32 mnist test images" in result.out
    evaluated = cli("evaluate", tmp_path / "r", "--data-dir", fake_mnist)
    assert "on 32 mnist test images" in evaluated.out


def test_a_download_that_works_is_used(cli, tmp_path, monkeypatch, fake_mnist):
    def download(name, directory=None, progress=True, **kwargs):
        shutil.copytree(fake_mnist, data.cache_dir(name))

    monkeypatch.setattr(data, "download", download)
    result = cli("train", *QUICK, "--out", tmp_path / "run")
    assert result.code == 0, result.err
    assert "on 32 mnist test images" in result.out and "offline" not in result.err


def test_evaluate_without_a_known_dataset_falls_back_too(cli, trained_run, tmp_path, offline):
    model = tmp_path / "loose.leannet"
    model.write_bytes((trained_run / "model.leannet").read_bytes())
    result = cli("evaluate", model)
    assert result.code == 0, result.err
    assert result.err.count(OFFLINE_NOTE) == 1 and "mnist-small" in result.out


def test_default_run_directories_are_numbered(cli, tmp_path, small_run):
    for _ in range(2):
        assert cli("train", *small_run).code == 0
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == [
        "mnist-small-mlp", "mnist-small-mlp-2"]


def test_without_matplotlib_the_plots_are_skipped_with_one_note(cli, tmp_path, small_run):
    result = cli("train", *small_run, "--epochs", "2", "--out", tmp_path / "run")
    assert result.code == 0, result.err
    text = result.out + result.err
    assert text.count("matplotlib is not installed") == 1
    assert ("leannet: matplotlib is not installed, so curves.png and confusion.png were "
            "skipped (pip install 'leannet[plot]')") in result.err
    names = {path.name for path in (tmp_path / "run").iterdir()}
    assert not names & {"curves.png", "confusion.png"}
    assert "model.leannet" in names


def test_a_data_dir_without_mnist_falls_back_without_downloading(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "download", lambda *a, **k: pytest.fail("not asked to download"))
    (tmp_path / "empty").mkdir()
    result = cli("train", *QUICK, "--data-dir", tmp_path / "empty", "--out", tmp_path / "run")
    assert result.code == 0, result.err
    assert result.error_lines[0] == (f"leannet: full MNIST is not in {tmp_path / 'empty'}, so "
                                     "this uses the bundled small set (mnist-small: 10,000 "
                                     "training + 2,000 test images)")
