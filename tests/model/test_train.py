"""Training's by-products: checkpoints, drawing-like augmentation, metrics."""

import json
import shutil

import numpy as np
import pytest

from lenet_vis.model import augment as aug
from lenet_vis.model import checkpoints
from lenet_vis.model.data import mnist_to_input
from lenet_vis.model.lenet import LeNet, WeightsError
from lenet_vis.model.metrics import classification_report, misclassified
from tests.conftest import WEIGHTS

# ---------------------------------------------------------------- checkpoints


NO_CHECKPOINTS = "the committed weights were trained before checkpoints were kept; retrain"


@pytest.fixture(scope="module")
def all_checkpoints(net):
    if not checkpoints.listed(net.metadata):
        pytest.skip(NO_CHECKPOINTS)
    return checkpoints.load_all(WEIGHTS)


def test_the_checkpoints_are_init_the_chosen_epochs_and_the_last(net, all_checkpoints):
    records = checkpoints.listed(net.metadata)
    epochs = [r["epoch"] for r in records]
    last = len(net.metadata["history"])
    assert epochs == sorted(epochs) and epochs[0] == 0 and epochs[-1] == last
    assert {1, 2, 3, 5, 10, 20} <= set(epochs)
    assert list(all_checkpoints) == [r["name"] for r in records]
    assert all_checkpoints[records[-1]["name"]].weights_sha256 == net.weights_sha256
    for r in records:
        assert all_checkpoints[r["name"]].weights_sha256 == r["weights_sha256"]
        assert 0 <= r["test_accuracy"] <= 1 and 0 <= r["fixture_accuracy"] <= 1


def test_each_checkpoint_gives_its_recorded_fixture_accuracy(all_checkpoints, digits):
    images, labels = digits
    x = mnist_to_input(images)
    for name, net in all_checkpoints.items():
        got = (net.predict(x).argmax(axis=1) == labels).mean()
        assert abs(got - net.metadata["fixture_accuracy"]) <= 0.005, name


def test_accuracy_grows_from_chance_to_the_end(all_checkpoints):
    acc = [n.metadata["test_accuracy"] for n in all_checkpoints.values()]
    assert acc[0] < 0.3 and acc[-1] >= 0.99
    assert acc[-1] >= max(acc) - 0.002


def test_a_hard_fixture_digit_is_read_differently_at_init_and_at_the_end(all_checkpoints, digits):
    images, labels = digits
    nets = list(all_checkpoints.values())
    x = mnist_to_input(images)
    first, last = nets[0].predict(x), nets[-1].predict(x)
    changed = (first.argmax(axis=1) != labels) & (last.argmax(axis=1) == labels)
    assert changed.any()
    # the hardest of them: the one the final network reads right with least confidence
    hard = np.flatnonzero(changed)[np.argmin(last[changed].max(axis=1))]
    assert first[hard].argmax() != last[hard].argmax() == labels[hard]


def copy_weights(tmp_path):
    for name in ("lenet.npz", "lenet.json", "lenet-checkpoints.npz"):
        shutil.copy(WEIGHTS.with_name(name), tmp_path / name)
    return tmp_path / "lenet.npz"


def test_checkpoint_faults_are_one_line(tmp_path, all_checkpoints):
    weights = copy_weights(tmp_path)
    with pytest.raises(WeightsError, match=r"no checkpoint 'epoch-999'; checkpoints are \['init'"):
        checkpoints.load_checkpoint(weights, "epoch-999")
    with np.load(tmp_path / "lenet-checkpoints.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["epoch-1/conv1.W"] = arrays["epoch-1/conv1.W"] + np.float32(1e-3)
    np.savez_compressed(tmp_path / "lenet-checkpoints.npz", **arrays)
    with pytest.raises(WeightsError, match=r"\[epoch-1\]: weights hash .* does not match"):
        checkpoints.load_checkpoint(weights, "epoch-1")
    checkpoints.load_checkpoint(weights, "init")  # the others still load
    del arrays["epoch-2/fc3.b"]
    np.savez_compressed(tmp_path / "lenet-checkpoints.npz", **arrays)
    with pytest.raises(WeightsError, match=r"missing arrays \['fc3.b'\]"):
        checkpoints.load_checkpoint(weights, "epoch-2")
    (tmp_path / "lenet-checkpoints.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(WeightsError, match=r"not a \.npz|not a readable"):
        checkpoints.load_checkpoint(weights, "init")
    (tmp_path / "lenet-checkpoints.npz").unlink()
    with pytest.raises(WeightsError, match="file is missing"):
        checkpoints.load_checkpoint(weights, "init")
    meta = json.loads((tmp_path / "lenet.json").read_text())
    del meta["checkpoints"]
    (tmp_path / "lenet.json").write_text(json.dumps(meta))
    with pytest.raises(WeightsError, match=r"checkpoints are none \(retrain\)"):
        checkpoints.load_checkpoint(weights, "init")


def test_checkpoints_round_trip(tmp_path):
    a, b = LeNet(seed=1), LeNet(seed=2)
    saved = checkpoints.save_checkpoints(tmp_path / "c.npz", {"init": a.state(), "x": b.state()})
    meta = {"checkpoints": {"file": "c.npz", "list": saved}}
    (tmp_path / "w.json").write_text(json.dumps(meta))
    got = checkpoints.load_checkpoint(tmp_path / "w.npz", "x")
    assert got.weights_sha256 == b.weights_sha256
    assert checkpoints.checkpoints_path(WEIGHTS).name == "lenet-checkpoints.npz"
    assert [checkpoints.checkpoint_name(e) for e in (0, 3)] == ["init", "epoch-3"]


# ---------------------------------------------------------------- augmentation


def centre_and_box(x: np.ndarray):
    """x: (N, 32, 32) -> centres of mass (N, 2) and the longer side of the ink box (N,)."""
    ys = np.arange(32)
    mass = x.sum(axis=(1, 2))
    cy = x.sum(axis=2) @ ys / mass
    cx = x.sum(axis=1) @ ys / mass
    mask = x > 0.1 * x.max(axis=(1, 2), keepdims=True)
    side = []
    for m in mask:
        r, c = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
        side.append(max(r[-1] - r[0], c[-1] - c[0]) + 1)
    return np.stack([cy, cx], axis=1), np.array(side)


def test_augmented_digits_are_placed_as_preprocessing_places_a_drawing(digits):
    x = mnist_to_input(digits[0][:256])[:, 0]
    placed = aug.augment(x, np.random.default_rng(0), slack=0.5, zoom=(1, 1))
    centres, side = centre_and_box(placed)
    assert np.abs(centres - 16).max() <= 1.0  # 16 +- the preprocessing's rounding, +- blur
    assert np.isin(side, (19, 20, 21, 22)).mean() >= 0.95
    out = aug.augment(x, np.random.default_rng(0))  # with slack: 2 px, scale 0.85-1.15
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0 and np.allclose(out.max(axis=(1, 2)), 1)
    centres, side = centre_and_box(out)
    assert np.abs(centres - 16).max() <= 2.5 and 0.5 < np.abs(centres - 16).mean() < 1.5
    assert np.all((side >= 16) & (side <= 25))
    assert not np.allclose(out, aug.augment(x, np.random.default_rng(1)))
    assert np.array_equal(out, aug.augment(x, np.random.default_rng(0)))


def test_placing_without_a_warp_changes_an_mnist_digit_little(digits):
    x = mnist_to_input(digits[0][:64])[:, 0]
    placed = aug.distort_and_place(x, np.tile(np.eye(2), (64, 1, 1)))
    assert np.abs(placed - x).mean() < 0.05


def test_identity_warp_is_the_image(digits):
    x = mnist_to_input(digits[0][:4])[:, 0]
    same = aug.affine_warp(x, np.tile(np.eye(2), (4, 1, 1)), np.zeros((4, 2)))
    assert np.allclose(same, x, atol=1e-6)
    # a whole-pixel shift by the naive loop
    moved = aug.affine_warp(x, np.tile(np.eye(2), (4, 1, 1)), np.tile([1.0, -2.0], (4, 1)))
    naive = np.zeros_like(x)
    for i in range(32):
        for j in range(32):
            if 0 <= i + 1 < 32 and 0 <= j - 2 < 32:
                naive[:, i, j] = x[:, i + 1, j - 2]
    assert np.allclose(moved, naive, atol=1e-6)


def test_stroke_width_adds_or_removes_ink_as_asked(digits):
    x = mnist_to_input(digits[0][:8])[:, 0]
    ink = [aug.change_stroke_width(x, np.full(8, a)).sum(axis=(1, 2)) for a in (-0.8, 0, 0.5, 1.5)]
    assert np.all(ink[0] < ink[1]) and np.all(ink[1] < ink[2]) and np.all(ink[2] < ink[3])
    assert np.array_equal(aug.change_stroke_width(x, np.zeros(8)), x)
    # a whole step is the plus-shaped max over each pixel's neighbours
    one = aug.change_stroke_width(x[:1], np.ones(1))[0]
    p = np.pad(x[0], 1)
    naive = np.max([p[1:-1, 1:-1], p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]], axis=0)
    assert np.allclose(one, naive)


def test_the_elastic_field_is_smooth_and_scaled():
    field = aug.elastic_field(64, 32, np.random.default_rng(0), np.full(64, 1.0))
    assert field.shape == (64, 2, 32, 32)
    assert 0.3 < field.std() < 1.5
    assert np.abs(np.diff(field, axis=-1)).max() < 0.5 * np.abs(field).max()


# ---------------------------------------------------------------- metrics


def test_classification_report_by_hand():
    probs = np.array([[0.9, 0.1] + [0] * 8, [0.2, 0.8] + [0] * 8, [0.6, 0.4] + [0] * 8])
    r = classification_report(probs, np.array([0, 1, 1]))
    assert r["accuracy"] == pytest.approx(2 / 3)
    assert r["loss"] == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3)
    assert r["confusion_matrix"][1][:2] == [1, 1] and r["per_class_accuracy"][1] == 0.5


def test_misclassified_lists_the_fixture_mistakes(net, digits):
    images, labels = digits
    wrong = misclassified(net, images, labels)
    pred = net.predict(mnist_to_input(images)).argmax(axis=1)
    assert [i for i, _ in wrong] == np.flatnonzero(pred != labels).tolist()
    if "fixture_accuracy" in net.metadata:
        assert len(wrong) / len(labels) == pytest.approx(1 - net.metadata["fixture_accuracy"])


def test_drawn_training_copies_are_the_drawing_style_pipeline_quantised(digits):
    from lenet_vis.model.evaluate import drawing_style_inputs
    from lenet_vis.model.train import _draw_chunk

    images = digits[0][:20]
    got = _draw_chunk((images, 1234))
    want = drawing_style_inputs(images, seed=1234)[:, 0]
    assert got.dtype == np.uint8 and got.shape == (20, 32, 32)
    assert np.abs(got / 255 - want).max() <= 0.5 / 255 + 1e-6


def test_mixing_swaps_the_asked_share_of_a_batch_for_drawn_copies_of_the_same_digits(digits):
    from lenet_vis.model.train import _mix_drawn

    x = mnist_to_input(digits[0][:64])
    drawn = np.random.default_rng(0).integers(0, 256, (2, 64, 32, 32), dtype=np.uint8)
    idx = np.arange(64)[::-1].copy()
    xb = x[idx]
    assert _mix_drawn(xb, drawn, idx, 0.0, np.random.default_rng(1)) is xb
    all_drawn = _mix_drawn(xb, drawn, idx, 1.0, np.random.default_rng(1))
    for row, i in enumerate(idx):  # each row is one of the two drawn copies of its own digit
        assert any(np.allclose(all_drawn[row, 0], drawn[v, i] / 255) for v in (0, 1))
    half = _mix_drawn(xb, drawn, idx, 0.5, np.random.default_rng(2))
    kept = np.all(half == xb, axis=(1, 2, 3))
    assert 16 <= kept.sum() <= 48 and np.array_equal(xb, x[idx])  # the batch is not modified
