"""The IDX file format (the format MNIST is published in), read and written.

An IDX file is a header followed by the array, big-endian, in C order::

    bytes 0-1   0x00 0x00                    magic: two zero bytes
    byte  2     type code                    0x08 uint8, 0x09 int8, 0x0B int16,
                                             0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d       (MNIST: 3 for images, 1 for labels)
    4 * d       the size of each dimension   unsigned 32-bit big-endian integers
    ...         the data                     prod(sizes) * itemsize bytes, nothing more

Files are often gzip-compressed (``train-images-idx3-ubyte.gz``). ``read_idx`` decides
by the gzip magic bytes (0x1f 0x8b), not by the file name; a file named ``.gz`` that is
not gzip is refused, since it is a sign of a damaged or mislabelled download.
``write_idx`` compresses when the name ends in ``.gz`` and writes atomically.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from leannet.atomic import atomic_write

GZIP_MAGIC = b"\x1f\x8b"

# type code -> big-endian dtype of the stored data
DTYPE_BY_CODE = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODE_BY_DTYPE = {dtype.newbyteorder("="): code for code, dtype in DTYPE_BY_CODE.items()}


class IDXError(ValueError):
    """An IDX file is damaged, truncated or not an IDX file at all."""


def _describe_codes():
    return ", ".join(f"0x{code:02X} {dtype.name}" for code, dtype in DTYPE_BY_CODE.items())


def read_idx(path):
    """Read an IDX file (gzip-compressed or raw) into a NumPy array in native byte order."""
    path = Path(path)
    return decode_idx(path.read_bytes(), source=str(path))


def decode_idx(raw, source="<bytes>"):
    """Decode the bytes of an IDX file (gzip-compressed or raw); ``source`` names it in errors."""
    if raw[:2] == GZIP_MAGIC:
        raw = _gunzip(raw, source)
    elif str(source).endswith(".gz"):
        found = "it is empty" if not raw else f"it starts with bytes {raw[:4].hex(' ')}"
        raise IDXError(f"{source}: named .gz but is not gzip-compressed ({found})")
    return _parse(raw, source)


def _gunzip(raw, source):
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise IDXError(f"{source}: damaged gzip stream ({err})") from err


def _parse(raw, source):
    if len(raw) == 0:
        raise IDXError(f"{source}: file is empty (0 bytes), expected an IDX header")
    if len(raw) < 4:
        raise IDXError(f"{source}: truncated header: {len(raw)} bytes, an IDX header needs 4")
    if raw[0] != 0 or raw[1] != 0:
        raise IDXError(
            f"{source}: not an IDX file: bad magic number 0x{raw[:4].hex()} "
            "(an IDX file starts with two zero bytes, a type code and a dimension count)"
        )
    code, ndim = raw[2], raw[3]
    if code not in DTYPE_BY_CODE:
        known = _describe_codes()
        raise IDXError(f"{source}: unknown data type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise IDXError(f"{source}: header declares 0 dimensions, an IDX array needs at least 1")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IDXError(
            f"{source}: truncated header: {ndim} dimensions need {header_size} header bytes, "
            f"the file has {len(raw)}"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    return _array_from_body(raw, header_size, shape, DTYPE_BY_CODE[code], source)


def _array_from_body(raw, header_size, shape, dtype, source):
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "truncated data" if found < expected else "size mismatch"
        raise IDXError(
            f"{source}: {problem}: dimensions {shape} of {dtype.name} need {expected} data "
            f"bytes, the file has {found}"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def encode_idx(array):
    """The bytes of ``array`` as an uncompressed IDX file."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in CODE_BY_DTYPE:
        raise ValueError(
            f"write_idx: IDX cannot store dtype {array.dtype}; supported: {_describe_codes()} "
            "(convert first, e.g. labels.astype(np.uint8))"
        )
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: IDX stores 1 to 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"write_idx: IDX dimension sizes must be below 2**32, got {array.shape}")
    code = CODE_BY_DTYPE[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=DTYPE_BY_CODE[code]).tobytes()
    return header + body


def write_idx(path, array, compresslevel=6):
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``.

    The gzip header carries no time stamp (mtime=0), so the same array gives the same
    bytes. The file is written to a temporary name in the same directory, synced and
    renamed into place: a crash never leaves a half-written file under ``path``.
    """
    path = Path(path)
    data = encode_idx(array)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=compresslevel, mtime=0)
    with atomic_write(path) as stream:
        stream.write(data)
    return path
