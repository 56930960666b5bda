"""MNIST loading: the restricted unpickler, IDX files, and the hash checks (no network)."""

import gzip
import pickle
import zipfile

import numpy as np
import pytest

from lenet_vis.model import data


def test_unpickler_admits_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int64))
    out = data.load_array_pickle(pickle.dumps(arrays, protocol=4))
    assert np.array_equal(out[0], arrays[0]) and out[1].dtype == np.int64


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_unpickler_refuses_anything_else():
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        data.load_array_pickle(pickle.dumps(Evil()))


def test_pickle_values_become_exact_uint8():
    images = np.array([[k / 256 for k in range(0, 784)]], dtype=np.float32) % 1
    u8 = data._to_uint8(images)
    assert u8.dtype == np.uint8 and u8.shape == (1, 28, 28)
    assert np.array_equal(u8.ravel(), np.arange(784) % 256)


def write_idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_reads_the_four_original_idx_files(tmp_path, digits):
    images, labels = digits
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images[:50])
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels[:50])
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images[50:80])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[50:80])
    m = data.mnist_from_idx(tmp_path)
    assert np.array_equal(m.train_images, images[:50])
    assert np.array_equal(m.test_labels, labels[50:80])


def test_a_missing_idx_file_is_named(tmp_path):
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte"):
        data.mnist_from_idx(tmp_path)


def test_a_wheel_with_the_wrong_hash_stops_with_what_to_do(tmp_path):
    wheel = tmp_path / data.WHEEL_FILE
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(data.PICKLE_MEMBER, b"not mnist")
    with pytest.raises(data.DataError, match=r"is not the expected .*delete it and retry"):
        data.read_wheel_pickle(wheel)


def test_the_cache_directory_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_VIS_CACHE_DIR", str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c"
