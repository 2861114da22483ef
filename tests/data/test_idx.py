import gzip
import os
import stat

import numpy as np
import pytest

from leannet.atomic import atomic_write
from leannet.data.idx import IDXError, decode_idx, encode_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(7,), (3, 5), (4, 2, 3), (2, 3, 1, 4)]


def random_array(shape, dtype, rng):
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("suffix", [".gz", ".idx"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: f"rank{len(shape)}")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda dtype: np.dtype(dtype).name)
def test_round_trip(tmp_path, dtype, shape, suffix):
    array = random_array(shape, dtype, np.random.default_rng(len(shape)))
    path = write_idx(tmp_path / f"array{suffix}", array)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype)  # native byte order, not the file's big-endian
    assert loaded.shape == shape
    np.testing.assert_array_equal(loaded, array)
    assert loaded.flags.writeable


def test_compression_follows_the_name_and_reading_follows_the_magic(tmp_path):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    gz, raw = write_idx(tmp_path / "a.gz", array), write_idx(tmp_path / "a.idx", array)
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    assert raw.read_bytes()[:4] == bytes([0, 0, 0x0C, 2])
    # a gzip file without the .gz name is still read as gzip
    renamed = tmp_path / "a-compressed.idx"
    renamed.write_bytes(gz.read_bytes())
    np.testing.assert_array_equal(read_idx(renamed), array)


def test_exact_bytes_big_endian():
    assert encode_idx(np.array([1, 2, 3], np.uint8)) == bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2, 3])
    assert encode_idx(np.array([[258]], np.int32)) == bytes(
        [0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 2]
    )
    # an array that is already big-endian, or not contiguous, is written the same way
    array = np.arange(6, dtype=np.int16).reshape(2, 3)
    assert encode_idx(array.astype(">i2")) == encode_idx(array)
    assert encode_idx(array.T) == encode_idx(np.ascontiguousarray(array.T))


def test_gzip_output_is_deterministic(tmp_path):
    array = np.arange(100, dtype=np.uint8)
    first = write_idx(tmp_path / "one.gz", array).read_bytes()
    second = write_idx(tmp_path / "two.gz", array).read_bytes()
    assert first == second
    assert first[4:8] == b"\x00\x00\x00\x00"  # the gzip header's mtime field


@pytest.mark.parametrize(
    "array, phrase",
    [
        (np.zeros(3, np.int64), "cannot store dtype int64"),
        (np.zeros(3, bool), "cannot store dtype bool"),
        (np.array(5, np.uint8), "1 to 255 dimensions"),
    ],
)
def test_write_refuses_what_idx_cannot_hold(tmp_path, array, phrase):
    with pytest.raises(ValueError, match=phrase):
        write_idx(tmp_path / "bad.gz", array)
    assert list(tmp_path.iterdir()) == []


# ----- corruption: every case raises IDXError naming the file and the problem ----------

VALID = encode_idx(np.arange(60, dtype=np.uint8).reshape(5, 4, 3))  # 16 header + 60 data


def header(code=0x08, ndim=1, sizes=(3,)):
    return bytes([0, 0, code, ndim]) + b"".join(s.to_bytes(4, "big") for s in sizes)


CORRUPT_RAW = {
    "empty": (b"", "file is empty"),
    "bad magic": (b"\x12\x34\x08\x01" + VALID[4:], "bad magic number 0x12340801"),
    "foreign file (PNG)": (b"\x89PNG\r\n\x1a\n" + bytes(40), "not an IDX file"),
    "unknown dtype code": (header(code=0x07) + bytes(3), "unknown data type code 0x07"),
    "zero dimensions": (bytes([0, 0, 8, 0]), "declares 0 dimensions"),
    "short header": (VALID[:3], "truncated header: 3 bytes"),
    "missing sizes": (VALID[:10], "truncated header: 3 dimensions need 16"),
    "size mismatch (extra bytes)": (VALID + b"\x00\x00", "size mismatch.*need 60 .* has 62"),
    "sizes larger than data": (header(sizes=(4,)) + bytes(3), "truncated data.*need 4 .* has 3"),
}


@pytest.mark.parametrize("case", CORRUPT_RAW, ids=str)
def test_corrupt_raw_files(tmp_path, case):
    data, phrase = CORRUPT_RAW[case]
    path = tmp_path / "damaged-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(IDXError, match=phrase) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("length", [16, 17, 40, len(VALID) - 1])
def test_truncated_data_at_several_lengths(tmp_path, length):
    path = tmp_path / "cut-idx3-ubyte"
    path.write_bytes(VALID[:length])
    with pytest.raises(IDXError, match=f"truncated data.*need 60 .* has {length - 16}"):
        read_idx(path)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_gzip_at_several_lengths(tmp_path, fraction):
    compressed = gzip.compress(VALID, mtime=0)
    path = tmp_path / "cut-idx3-ubyte.gz"
    path.write_bytes(compressed[: max(2, int(len(compressed) * fraction))])
    with pytest.raises(IDXError, match="damaged gzip stream") as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_damaged_gzip_body(tmp_path):
    compressed = bytearray(gzip.compress(VALID, mtime=0))
    compressed[-8] ^= 0xFF  # break the CRC-32 in the trailer
    path = tmp_path / "crc-idx3-ubyte.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(IDXError, match=f"{path}: damaged gzip stream"):
        read_idx(path)


@pytest.mark.parametrize(
    "data, phrase",
    [(VALID, "starts with bytes 00 00 08 03"), (b"", "it is empty")],
    ids=["raw IDX", "empty"],
)
def test_named_gz_but_not_gzip(tmp_path, data, phrase):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(data)
    with pytest.raises(IDXError, match="named .gz but is not gzip-compressed") as caught:
        read_idx(path)
    assert phrase in str(caught.value) and str(path) in str(caught.value)


def test_gzip_of_something_else(tmp_path):
    path = tmp_path / "page.gz"
    path.write_bytes(gzip.compress(b"<html>404 Not Found</html>"))
    with pytest.raises(IDXError, match="bad magic number 0x3c68746d"):
        read_idx(path)


def test_decode_names_its_source():
    with pytest.raises(IDXError, match="^bundled/x.gz: file is empty"):
        decode_idx(gzip.compress(b""), source="bundled/x.gz")


# ----- atomic writes -----------------------------------------------------------------


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    path = tmp_path / "data.gz"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(path) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["data.gz"]


def test_atomic_write_replaces_and_uses_normal_permissions(tmp_path):
    path = tmp_path / "data.idx"
    path.write_bytes(b"old")
    previous_umask = os.umask(0o022)
    try:
        write_idx(path, np.arange(3, dtype=np.uint8))
    finally:
        os.umask(previous_umask)
    np.testing.assert_array_equal(read_idx(path), [0, 1, 2])
    assert [entry.name for entry in tmp_path.iterdir()] == ["data.idx"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # like open(), not a private 0o600
