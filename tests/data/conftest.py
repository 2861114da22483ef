"""Fixtures for the data tests: an isolated environment, fake MNIST-shaped files, and a
local HTTP server. No test here reaches the internet: the default mirrors are replaced by
a closed port on 127.0.0.1 for every test."""

import functools
import gzip
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

from leannet.data.download import BASE_NAMES, Checksum
from leannet.data.idx import write_idx

# The real MNIST directory, when CI (or a developer) points LEANNET_DATA at it; read
# before the autouse fixture below hides the variable from every other test.
REAL_MNIST_DIR = os.environ.get("LEANNET_DATA") or None


@pytest.fixture(autouse=True)
def isolated_environment(offline_environment):
    """Every test runs offline, away from the developer's data (see tests/conftest.py)."""



def make_fake_arrays(num_train, num_test, seed=0):
    """role -> array: random uint8 images (N, 28, 28) and labels 0..9 (uint8)."""
    rng = np.random.default_rng(seed)
    sizes = {"train": num_train, "test": num_test}
    arrays = {}
    for split, size in sizes.items():
        arrays[f"{split}_images"] = rng.integers(0, 256, (size, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 10, size, dtype=np.uint8)
    return arrays


def write_fake_dataset(directory, num_train=5, num_test=3, seed=0, suffix=".gz"):
    """Write four fake MNIST-shaped IDX files into ``directory``; return the arrays."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = make_fake_arrays(num_train, num_test, seed)
    for role, array in arrays.items():
        write_idx(directory / (BASE_NAMES[role] + suffix), array)
    return arrays


def sha256_table(directory):
    """role -> Checksum of the decompressed bytes of the .gz files in ``directory``."""
    table = {}
    for role, base in BASE_NAMES.items():
        digest = hashlib.sha256(gzip.decompress((directory / (base + ".gz")).read_bytes()))
        table[role] = Checksum("sha256", digest.hexdigest())
    return table


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path / "served"`` on 127.0.0.1; yields (base_url, directory, requests).
    Paths under ``/truncated/`` answer with a body cut short of its Content-Length."""
    served = tmp_path / "served"
    served.mkdir()
    requests = []

    class Handler(_QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path.startswith("/truncated/"):  # promises 1000 bytes, sends 10
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"\x1f\x8b" + bytes(8))
                self.close_connection = True
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served))
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served, requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def fake_dataset():
    """The function ``write_fake_dataset(directory, num_train, num_test, seed, suffix)``."""
    return write_fake_dataset


@pytest.fixture
def checksums_of():
    """The function ``sha256_table(directory)``: a checksum table for fake files."""
    return sha256_table


@pytest.fixture
def real_mnist_dir():
    """The full MNIST directory from LEANNET_DATA (CI sets it); skip when unset."""
    if REAL_MNIST_DIR is None:
        pytest.skip("LEANNET_DATA is not set: the full MNIST files are not available here")
    return REAL_MNIST_DIR
