"""The precomputed knowledge: nearest training digits, the map, what each filter looks for."""

import json
import shutil

import numpy as np
import pytest

from lenet_vis.model import knowledge as kn
from lenet_vis.model.data import mnist_to_input
from lenet_vis.model.lenet import WeightsError
from tests.conftest import WEIGHTS


@pytest.fixture(scope="module")
def k(net):
    return kn.Knowledge.load(WEIGHTS, net.weights_sha256)


def test_the_files_are_small_checked_and_for_these_weights(k, net):
    path = kn.knowledge_path(WEIGHTS)
    assert path.stat().st_size < 5e6
    assert len(k) >= 10_000 and np.bincount(k.labels).tolist() == [len(k) // 10] * 10
    assert k.arrays["embedding"].dtype == np.float16
    assert k.meta["weights_sha256"] == net.weights_sha256
    preds = net.predict(mnist_to_input(k.arrays["images"])).argmax(axis=1)
    assert np.array_equal(preds, k.predictions)


def test_stale_or_tampered_files_are_one_line(tmp_path, net):
    for name in ("lenet.npz", "lenet.json", "knowledge.npz", "knowledge.json"):
        shutil.copy(WEIGHTS.with_name(name), tmp_path / name)
    with pytest.raises(WeightsError, match="computed for other weights"):
        kn.Knowledge.load(tmp_path / "lenet.npz", "0" * 64)
    meta = json.loads((tmp_path / "knowledge.json").read_text())
    meta["arrays_sha256"] = "f" * 64
    (tmp_path / "knowledge.json").write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match="do not match the hash"):
        kn.Knowledge.load(tmp_path / "lenet.npz")
    (tmp_path / "knowledge.npz").unlink()
    with pytest.raises(WeightsError, match=r"file is missing \(run `lenet-vis precompute`\)"):
        kn.Knowledge.load(tmp_path / "lenet.npz")


def test_fc2_neighbours_of_fixture_digits_share_their_label(k, net, digits):
    images, labels = digits
    emb = kn.relu4(net, mnist_to_input(images[:200]))
    agree = [
        (k.labels[k.nearest_fc2(e)[0]] == y).mean() for e, y in zip(emb, labels[:200], strict=True)
    ]
    assert np.mean(agree) >= 0.95, np.mean(agree)


def test_both_searches_agree_with_a_naive_scan(k, net, digits):
    x = mnist_to_input(digits[0][:3])
    emb = kn.relu4(net, x)
    stored = k.arrays["embedding"].astype(np.float64)
    for e, xi in zip(emb, x[:, 0], strict=True):
        _, sims = k.nearest_fc2(e)
        q = e @ k.arrays["basis"].T.astype(np.float64)
        naive = [float(s @ q / np.linalg.norm(s) / np.linalg.norm(q)) for s in stored]
        assert np.allclose(sims, sorted(naive, reverse=True)[:8], atol=1e-4)
        assert np.all(np.diff(sims) <= 0)
        _, dists = k.nearest_pixels(xi)
        flat = k.arrays["images"].reshape(len(k), -1) / 255.0
        naive = [float(np.sqrt(((f - xi[2:30, 2:30].ravel()) ** 2).sum())) for f in flat]
        assert np.allclose(dists, sorted(naive)[:8], atol=1e-3)


def test_a_stored_digit_is_its_own_nearest_and_lands_on_its_map_position(k, net):
    for row in (0, 1234, len(k) - 1):
        e = kn.relu4(net, mnist_to_input(k.arrays["images"][row : row + 1]))[0]
        rows, sims = k.nearest_fc2(e)
        assert rows[0] == row and sims[0] > 0.999
        assert np.allclose(k.place(e), k.arrays["map_positions"][row], atol=1e-4)
        assert (
            k.nearest_pixels(mnist_to_input(k.arrays["images"][row : row + 1])[0, 0])[0][0] == row
        )


def test_the_map_is_deterministic_and_marks_the_mistakes(k):
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    emb = rng.random((200, 100)).astype(np.float32)
    emb[:, :10] += 3 * np.eye(10, dtype=np.float32)[labels]  # each digit raised on its own axis
    a = kn.fit_map(emb, labels)
    b = kn.fit_map(emb.copy(), labels)
    assert np.array_equal(a[1], b[1]) and np.all(a[1].sum(axis=1) > 0)
    pos = (emb - a[0]) @ a[1].T
    within = np.mean([pos[labels == d].std(axis=0) for d in range(10)], axis=0)
    assert np.allclose(within, 1, atol=0.2)  # units of the within-digit spread
    means = np.array([pos[labels == d].mean(axis=0) for d in range(10)])
    assert means.std(axis=0).min() > 3 * within.max()  # the digits' means stand apart
    assert k.meta["subset"]["mistakes"] == int((k.labels != k.predictions).sum())


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_top_patches_are_the_recorded_windows_and_activations(k, net, layer):
    a = k.arrays
    field = kn.FILTER_LAYERS[layer][1]
    patches = a[f"{layer}_patches"]
    f = patches.shape[0]
    assert patches.shape == (f, 9, field, field)
    x = mnist_to_input(a["images"])
    for fi in (0, f - 1):
        for j in (0, 8):
            row = a[f"{layer}_patch_digit"][fi, j]
            y, xx = a[f"{layer}_patch_at"][fi, j]
            s = kn.FILTER_LAYERS[layer][2]
            window = x[row, 0, y * s : y * s + field, xx * s : xx * s + field]
            assert np.array_equal(np.round(window * 255).astype(np.uint8), patches[fi, j])
            act = net.forward(x[row, 0])[kn.FILTER_LAYERS[layer][0]][fi, y, xx]
            assert act == pytest.approx(a[f"{layer}_patch_activation"][fi, j], rel=1e-4)
    acts = a[f"{layer}_patch_activation"]
    assert np.all(np.diff(acts, axis=1) <= 0)  # best first
    others = kn.filter_maps(net, x[:300], layer).reshape(300, f, -1).max(axis=2)
    assert np.all(others.max(axis=0) <= acts[:, 0] + 1e-5)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_gradient_ascent_beats_the_top_patches_or_says_it_did_not(k, net, layer):
    figures = k.meta["filters"][layer]
    ascent = k.arrays[f"{layer}_ascent"].astype(np.float32) / 255
    maps = kn.filter_maps(net, ascent[:, None], layer)
    f = len(ascent)
    own = maps[np.arange(f), np.arange(f)].reshape(f, -1).max(axis=1)
    top = k.arrays[f"{layer}_patch_activation"].max(axis=1)
    assert np.allclose(own, figures["ascent_best_activation"], atol=0.05)  # uint8 storage
    for i in range(f):
        assert (
            figures["ascent_beats_top_patches"][i] == bool(own[i] > top[i])
            or abs(own[i] - top[i]) < 0.05
        )


def test_the_ascent_gradient_matches_numeric_differences(net):
    rng = np.random.default_rng(0)
    x = rng.random((6, 1, 32, 32))
    _, grad = kn.mean_activation_and_grad(net, x, "conv1")
    for i, (y, xx) in enumerate([(3, 4), (10, 20), (16, 16)]):
        d = np.zeros_like(x)
        d[i, 0, y, xx] = 1e-4
        up, _ = kn.mean_activation_and_grad(net, x + d, "conv1")
        down, _ = kn.mean_activation_and_grad(net, x - d, "conv1")
        assert (up[i] - down[i]) / 2e-4 == pytest.approx(grad[i, 0, y, xx], rel=1e-3, abs=1e-7)
    _, g = kn.smoothness(x)
    d = np.zeros_like(x)
    d[0, 0, 5, 5] = 1e-5
    numeric = (kn.smoothness(x + d)[0][0] - kn.smoothness(x - d)[0][0]) / 2e-5
    assert numeric == pytest.approx(g[0, 0, 5, 5], rel=1e-4)
