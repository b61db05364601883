"""Tiny IDX (MNIST-style) reader/writer. Handles plain and gzip files.

IDX layout: 2 zero bytes, 1 byte dtype code, 1 byte ndim, then ndim
big-endian uint32 dims, then the row-major payload (big-endian).
"""
import gzip
import io
import os
import struct

import numpy as np

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {(v.kind, v.itemsize): k for k, v in _DTYPES.items()}

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"


def _open(path):
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_idx(path):
    """Return the IDX array as a native-endian numpy array."""
    with _open(path) as f:
        data = f.read()
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic {data[:4]!r})")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    dt = _DTYPES[code]
    n = int(np.prod(dims)) if ndim else 1
    off = 4 + 4 * ndim
    if len(data) != off + n * dt.itemsize:
        raise ValueError(f"{path}: size mismatch ({len(data)} bytes for dims {dims})")
    arr = np.frombuffer(data, dtype=dt, count=n, offset=off).reshape(dims)
    return arr.astype(dt.newbyteorder("="))


def idx_bytes(arr):
    arr = np.asarray(arr)
    code = _CODES[(arr.dtype.kind, arr.dtype.itemsize)]
    be = arr.dtype.newbyteorder(">")
    head = struct.pack(">HBB", 0, code, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    return head + np.ascontiguousarray(arr, dtype=be).tobytes()


def write_idx_gz(path, arr):
    """Write an IDX file gzip-compressed, byte-reproducibly (mtime=0, no name)."""
    raw = idx_bytes(arr)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def load_fmnist(kind, data_dir=DEFAULT_DIR):
    """kind: 'train' or 't10k'. Returns (images uint8 [N,28,28], labels uint8 [N])."""
    images = read_idx(os.path.join(data_dir, f"{kind}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{kind}-labels-idx1-ubyte.gz"))
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    return images, labels


CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
