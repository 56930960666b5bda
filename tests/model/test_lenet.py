"""The network: order of layers, both paths agree, whole-net gradients, weights on disk."""

import json
import shutil

import numpy as np
import pytest

from lenet_vis.model.layers import ShapeError, softmax_cross_entropy
from lenet_vis.model.lenet import LeNet, WeightsError
from lenet_vis.model.train import mnist_to_input
from tests.conftest import WEIGHTS

NAMES = [
    "input",
    "conv1",
    "relu1",
    "pool1",
    "conv2",
    "relu2",
    "pool2",
    "fc1",
    "relu3",
    "fc2",
    "relu4",
    "fc3",
    "softmax",
]
SHAPES = [
    (1, 32, 32),
    (6, 28, 28),
    (6, 28, 28),
    (6, 14, 14),
    (16, 10, 10),
    (16, 10, 10),
    (16, 5, 5),
    (120,),
    (120,),
    (100,),
    (100,),
    (10,),
    (10,),
]


def test_forward_returns_every_layer_in_network_order(net, digits):
    x = mnist_to_input(digits[0][:1])[0, 0]
    outputs = net.forward(x)
    assert list(outputs) == NAMES
    assert [v.shape for v in outputs.values()] == SHAPES
    batch = net.forward(mnist_to_input(digits[0][:3]))
    assert [v.shape for v in batch.values()] == [(3, *s) for s in SHAPES]
    assert np.isclose(outputs["softmax"].sum(), 1, atol=1e-6)


def test_each_layer_follows_from_the_one_before(net, digits):
    out = net.forward(mnist_to_input(digits[0][:1])[0, 0])
    assert np.allclose(out["relu1"], np.maximum(out["conv1"], 0))
    assert np.allclose(out["pool1"], out["relu1"].reshape(6, 14, 2, 14, 2).max(axis=(2, 4)))
    w, b = net.layers["fc1"].params["W"], net.layers["fc1"].params["b"]
    assert np.allclose(out["fc1"], w @ out["pool2"].ravel() + b, atol=1e-5)


def test_predict_equals_the_softmax_of_forward(net, digits):
    x = mnist_to_input(digits[0][:600])
    assert np.allclose(net.predict(x), net.forward(x)["softmax"], atol=1e-6)
    assert net.predict(x[0, 0]).shape == (10,)


def test_predict_gives_the_same_rows_on_one_thread_or_several(net, digits):
    x = mnist_to_input(digits[0][:203])  # not a whole number of chunks
    one = net.predict(x, threads=1)
    assert np.array_equal(net.predict(x, threads=2), one)
    assert np.array_equal(net.predict(x, threads=3), one)
    assert np.allclose(one, net.forward(x)["softmax"], atol=1e-6)


def test_committed_weights_reach_98_5_percent_on_the_fixture(net, digits):
    images, labels = digits
    accuracy = (net.predict(mnist_to_input(images)).argmax(axis=1) == labels).mean()
    assert accuracy >= 0.985, accuracy


def test_parameter_count_is_63802(net):
    assert net.parameter_count == 63_802


def test_whole_network_gradient_matches_numeric_differences():
    net = LeNet(seed=3)
    rng = np.random.default_rng(0)
    for layer in net.layers.values():
        for k in layer.params:
            layer.params[k] = layer.params[k].astype(np.float64) + 0.01 * rng.random(
                layer.params[k].shape
            )
    x = rng.random((2, 1, 32, 32))
    y = np.array([3, 8])

    def loss():
        return softmax_cross_entropy(net.forward_with_caches(x)[0]["fc3"], y)[0]

    outputs, caches = net.forward_with_caches(x)
    _, d = softmax_cross_entropy(outputs["fc3"], y)
    grads, dx = net.backward(d, caches)
    eps = 1e-6
    for name in ["conv1", "conv2", "fc1", "fc2", "fc3"]:
        w = net.layers[name].params["W"]
        for _ in range(4):
            i = tuple(rng.integers(0, s) for s in w.shape)
            old = w[i]
            w[i] = old + eps
            hi = loss()
            w[i] = old - eps
            lo = loss()
            w[i] = old
            num = (hi - lo) / (2 * eps)
            assert abs(num - grads[name]["W"][i]) <= 1e-6 * max(1e-3, abs(num)), (name, i)
    for _ in range(4):
        i = (0, 0, *rng.integers(4, 28, 2))
        old = x[i]
        x[i] = old + eps
        hi = loss()
        x[i] = old - eps
        lo = loss()
        x[i] = old
        assert abs((hi - lo) / (2 * eps) - dx[i]) <= 1e-6 * max(1e-3, abs(dx[i]))


def test_forward_rejects_a_wrong_shape(net):
    with pytest.raises(ShapeError, match="32, 32"):
        net.forward(np.zeros((28, 28)))


def test_save_then_load_gives_the_same_network(tmp_path, net, digits):
    net.save(tmp_path / "copy.npz", dict(net.metadata))
    again = LeNet.load(tmp_path / "copy.npz")
    x = mnist_to_input(digits[0][:10])
    assert np.array_equal(again.predict(x), net.predict(x))
    assert again.weights_sha256 == net.weights_sha256 == net.metadata["weights_sha256"]


@pytest.fixture
def weights_copy(tmp_path):
    shutil.copy(WEIGHTS, tmp_path / "lenet.npz")
    shutil.copy(WEIGHTS.with_suffix(".json"), tmp_path / "lenet.json")
    return tmp_path / "lenet.npz"


def test_load_names_a_missing_file(tmp_path):
    with pytest.raises(WeightsError, match=r"nothere\.npz: file is missing"):
        LeNet.load(tmp_path / "nothere.npz")


def test_load_names_a_truncated_file(weights_copy):
    data = weights_copy.read_bytes()
    weights_copy.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match=r"lenet\.npz: not a \.npz \(zip\) file, or truncated"):
        LeNet.load(weights_copy)


def test_load_names_a_misshaped_array(weights_copy):
    with np.load(weights_copy) as z:
        arrays = dict(z)
    arrays["fc1.W"] = arrays["fc1.W"][:, :300]
    np.savez(weights_copy, **arrays)
    with pytest.raises(WeightsError, match=r"fc1\.W is float32\(120, 300\), expected"):
        LeNet.load(weights_copy)


def test_load_refuses_weights_that_do_not_match_their_hash(weights_copy):
    with np.load(weights_copy) as z:
        arrays = dict(z)
    arrays["conv1.b"] = arrays["conv1.b"] + np.float32(0.01)
    np.savez(weights_copy, **arrays)
    with pytest.raises(WeightsError, match="does not match"):
        LeNet.load(weights_copy)


def test_load_refuses_a_pickled_object_array(weights_copy):
    with np.load(weights_copy) as z:
        arrays = dict(z)
    arrays["conv1.b"] = np.array([object()] * 6, dtype=object)
    np.savez(weights_copy, **arrays)
    with pytest.raises(WeightsError, match="not a readable"):
        LeNet.load(weights_copy)


def test_metadata_holds_the_training_record():
    meta = json.loads(WEIGHTS.with_suffix(".json").read_text())
    for key in [
        "test_accuracy",
        "per_class_accuracy",
        "confusion_matrix",
        "history",
        "training_seconds",
        "seed",
        "data_sha256",
        "weights_sha256",
    ]:
        assert key in meta
    assert np.array(meta["confusion_matrix"]).sum() == 10_000
    assert np.isclose(np.trace(meta["confusion_matrix"]) / 10_000, meta["test_accuracy"])
