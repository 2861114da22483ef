"""Build the small MNIST shipped in src/leannet/data/bundled/ from the full MNIST files.

    python tools/make_bundled_mnist.py [SOURCE_DIR]

SOURCE_DIR holds the four MNIST IDX files (default: $LEANNET_DATA, else
/work/shared/data/mnist). The first 10,000 training and the first 2,000 test images and
labels are written as gzip IDX files with mtime 0, so running this twice gives the same
bytes; the SHA-256 of each file is printed for the record.
"""

import argparse
import hashlib
import os
from pathlib import Path

from leannet.data.datasets import load_mnist
from leannet.data.download import BASE_NAMES, verify
from leannet.data.idx import write_idx

NUM_TRAIN, NUM_TEST = 10_000, 2_000
TARGET = Path(__file__).resolve().parents[1] / "src" / "leannet" / "data" / "bundled"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("LEANNET_DATA") or "/work/shared/data/mnist"
    parser.add_argument("source", nargs="?", default=default, help="directory of full MNIST")
    source = Path(parser.parse_args().source)
    failed = [str(check) for check in verify("mnist", source) if not check.ok]
    if failed:
        raise SystemExit("the source is not the published MNIST:\n" + "\n".join(failed))
    (x_train, y_train), (x_test, y_test) = load_mnist(path=source, download=False)
    arrays = {
        "train_images": x_train[:NUM_TRAIN],
        "train_labels": y_train[:NUM_TRAIN].astype("uint8"),
        "test_images": x_test[:NUM_TEST],
        "test_labels": y_test[:NUM_TEST].astype("uint8"),
    }
    TARGET.mkdir(parents=True, exist_ok=True)
    for role, array in arrays.items():
        path = write_idx(TARGET / (BASE_NAMES[role] + ".gz"), array, compresslevel=9)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path.name:32} {array.shape!s:18} {path.stat().st_size:>9} bytes  {digest}")


if __name__ == "__main__":
    main()
