"""Where the datasets come from, how to fetch them, and how to tell a good copy.

Each downloadable dataset is four IDX files (train/test images/labels). A copy is checked
against a table of published digests:

- MNIST: SHA-256 of each file's *decompressed* bytes, so a copy that was unpacked or
  recompressed still passes. (The canonical ``.gz`` files of yann.lecun.com have the MD5s
  f68b3c2dcbeaaa9fbdd348bbdeb94873, d53e105ee54ea40749a09fcbcd1e9432,
  9fb629c4189551a2d022fa330f9573f3 and ec29112dd5afa0611ce80d1b7f02629c, in the order
  train images, train labels, test images, test labels; mirrors recompress, so those are
  not what is checked.)
- Fashion-MNIST: the MD5 of each ``.gz`` file, as published by Zalando Research. An
  unpacked copy cannot be checked against them and is reported as "unverifiable".

``download`` fetches every missing or failing file from a list of mirrors into a
directory (by default the cache, ``cache_dir(name)``), streaming each to a temporary
file, checking it, and only then renaming it into place: a failed or corrupted download
leaves nothing behind.
"""

import dataclasses
import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path

from tqdm import tqdm

from leannet.atomic import atomic_write

FILE_ROLES = ("train_images", "train_labels", "test_images", "test_labels")
BASE_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class Checksum:
    """A published digest: ``algorithm`` of the decompressed bytes or of the file itself."""

    algorithm: str  # a hashlib name: "sha256", "md5"
    digest: str
    of: str = "decompressed"  # "decompressed" or "file"


@dataclasses.dataclass(frozen=True)
class Source:
    """A downloadable dataset: its mirrors (base URLs) and the digest of each file."""

    name: str
    mirrors: tuple
    checksums: dict  # role -> Checksum


MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)

SOURCES = {
    "mnist": Source(
        "mnist",
        MNIST_MIRRORS,
        {
            "train_images": Checksum(
                "sha256", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
            ),
            "train_labels": Checksum(
                "sha256", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
            ),
            "test_images": Checksum(
                "sha256", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
            ),
            "test_labels": Checksum(
                "sha256", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
            ),
        },
    ),
    "fashion-mnist": Source(
        "fashion-mnist",
        FASHION_MNIST_MIRRORS,
        {
            "train_images": Checksum("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", of="file"),
            "train_labels": Checksum("md5", "25c81989df183df01b3e8a0aad5dffbe", of="file"),
            "test_images": Checksum("md5", "bef4ecab320f06d8554ea6380940ec79", of="file"),
            "test_labels": Checksum("md5", "bb300cfdad3c16e7a12a480ee83cd310", of="file"),
        },
    ),
}


class DownloadError(OSError):
    """No mirror gave a good copy of a file (offline, not found, or a checksum mismatch)."""


@dataclasses.dataclass
class FileCheck:
    """The verdict on one file: status is "ok", "missing", "mismatch", "unreadable" or
    "unverifiable" (an unpacked file whose published digest is of the ``.gz``)."""

    role: str
    path: Path | None
    status: str
    expected: str = ""
    actual: str = ""
    detail: str = ""

    @property
    def ok(self):
        return self.status == "ok"

    def __str__(self):
        where = str(self.path) if self.path else BASE_NAMES[self.role]
        text = f"{self.status.upper():>12}  {where}"
        if self.status == "mismatch":
            text += f"  (expected {self.expected}, got {self.actual})"
        elif self.detail:
            text += f"  ({self.detail})"
        return text


def cache_dir(name):
    """``$XDG_CACHE_HOME/leannet/<name>``, or ``~/.cache/leannet/<name>`` (XDG rules: a
    relative or empty XDG_CACHE_HOME is ignored)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "leannet" / name


def get_source(name):
    """The ``Source`` of a downloadable dataset, or ValueError naming the known ones."""
    name = str(name).strip().lower().replace("_", "-")
    if name not in SOURCES:
        known = ", ".join(sorted(SOURCES))
        raise ValueError(f"unknown downloadable dataset {name!r}; known: {known}")
    return SOURCES[name]


def candidate_names(role):
    """File names accepted for a role, preferred first: the ``.gz``, then unpacked names
    (``train-images-idx3-ubyte`` and the common ``train-images.idx3-ubyte``)."""
    base = BASE_NAMES[role]
    return (base + ".gz", base, base.replace("-idx", ".idx"))


def find_file(directory, role):
    """The first accepted file for ``role`` in ``directory``, or None."""
    for name in candidate_names(role):
        path = Path(directory) / name
        if path.is_file():
            return path
    return None


def file_digest(path, checksum):
    """Hex digest of ``path`` as ``checksum`` defines it (decompressing gzip if asked)."""
    hasher = hashlib.new(checksum.algorithm)
    path = Path(path)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped and checksum.of == "decompressed" else open
    with opener(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def check_file(role, path, checksum):
    """Compare one file with its published digest; returns a ``FileCheck``."""
    if path is None:
        detail = f"none of {', '.join(candidate_names(role))}"
        return FileCheck(role, None, "missing", detail=detail)
    if checksum.of == "file" and not path.name.endswith(".gz"):
        detail = f"the published {checksum.algorithm} is of the .gz file; this copy is unpacked"
        return FileCheck(role, path, "unverifiable", checksum.digest, detail=detail)
    try:
        actual = file_digest(path, checksum)
    except (OSError, EOFError, zlib.error) as err:
        return FileCheck(role, path, "unreadable", checksum.digest, detail=str(err))
    status = "ok" if actual == checksum.digest else "mismatch"
    return FileCheck(role, path, status, checksum.digest, actual)


def verify(name, directory, checksums=None):
    """Check the four files of dataset ``name`` in ``directory``; one ``FileCheck`` per file.

    ``checksums`` (role -> Checksum) replaces the published table, e.g. for test files.
    """
    checksums = checksums or get_source(name).checksums
    return [check_file(role, find_file(directory, role), checksums[role]) for role in FILE_ROLES]


def download(name, directory=None, mirrors=None, checksums=None, progress=True, timeout=30.0):
    """Fetch the files of dataset ``name`` that are missing or fail verification into
    ``directory`` (default: ``cache_dir(name)``); return the ``verify`` report. Raises
    ``DownloadError`` when no mirror gives a good copy of a file.

    ``mirrors`` (base URLs, tried in order) and ``checksums`` replace the defaults.
    """
    source = get_source(name)
    mirrors = tuple(mirrors or source.mirrors)
    checksums = checksums or source.checksums
    directory = Path(directory) if directory is not None else cache_dir(source.name)
    directory.mkdir(parents=True, exist_ok=True)
    for role in FILE_ROLES:
        existing = check_file(role, find_file(directory, role), checksums[role])
        if existing.status not in ("ok", "unverifiable"):
            _fetch_verified(role, directory, mirrors, checksums[role], progress, timeout)
    return verify(source.name, directory, checksums)


def _fetch_verified(role, directory, mirrors, checksum, progress, timeout):
    """Try each mirror until one gives a file that matches ``checksum``."""
    file_name = BASE_NAMES[role] + ".gz"
    target = directory / file_name
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + file_name
        try:
            with atomic_write(target) as stream:
                _stream_url(url, stream, file_name, progress, timeout)
                stream.flush()
                actual = file_digest(stream.name, checksum)
                if actual != checksum.digest:
                    raise _Mismatch(
                        f"checksum mismatch: expected {checksum.algorithm} "
                        f"{checksum.digest}, got {actual}"
                    )
            return target
        except (_Mismatch, OSError, EOFError, zlib.error, http.client.HTTPException) as err:
            failures.append(f"  {url}: {_reason(err)}")
    raise DownloadError(
        f"could not download a good copy of {file_name} into {directory} "
        "(nothing was written there):\n" + "\n".join(failures)
    )


class _Mismatch(Exception):
    """A downloaded file does not match its published checksum."""


def _reason(err):
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return f"cannot connect ({err.reason})"
    return str(err) or type(err).__name__


def _stream_url(url, stream, label, progress, timeout):
    """Copy the body at ``url`` into ``stream`` with a tqdm progress bar."""
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            disable=not progress,
            leave=False,
        ) as bar:
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                stream.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if received == 0:
        raise OSError("the server sent an empty file")
    if total is not None and received != total:
        raise OSError(f"the transfer stopped after {received} of {total} bytes")
