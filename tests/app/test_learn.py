"""The lesson endpoints compute with model/ code: checked against naive loops and NumPy."""

import json

import numpy as np
import pytest

from lenet_vis.model.layers import conv2d_naive, maxpool2d_naive, softmax_cross_entropy
from tests.app.test_bad_input import assert_error
from tests.conftest import WEIGHTS

RNG = np.random.default_rng(7)
IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_convolve_gives_the_tutorials_feature_map(client):
    body = client.post("/api/convolve", json={"image": IMAGE, "kernel": KERNEL}).json()
    assert body == {"output": [[4, 3, 4], [2, 4, 3], [2, 3, 4]], "shape": [3, 3]}


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (1, 2), (2, 1), (3, 0)])
def test_convolve_equals_a_naive_loop(client, stride, padding):
    image = RNG.integers(0, 256, (13, 13)).astype(float)
    kernel = RNG.normal(size=(4, 4)) if stride != 3 else RNG.normal(size=(1, 1))
    r = client.post(
        "/api/convolve",
        json={
            "image": image.tolist(),
            "kernel": kernel.tolist(),
            "stride": stride,
            "padding": padding,
        },
    )
    padded = np.pad(image, padding)[None, None]
    if (13 + 2 * padding - kernel.shape[0]) % stride:
        assert_error(r, 422, "body", "does not fit")
        return
    expected = conv2d_naive(padded, kernel[None, None], np.zeros(1), stride)[0, 0]
    assert np.allclose(r.json()["output"], expected)


@pytest.mark.parametrize("mode", ["max", "average", "sum"])
@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 1), (3, 2)])
def test_pool_equals_numpy(client, mode, size, stride):
    side = 9 if (9 - size) % stride == 0 else 10
    image = RNG.random((side, side)) * 5
    body = client.post(
        "/api/pool", json={"image": image.tolist(), "size": size, "stride": stride, "mode": mode}
    ).json()
    n = (side - size) // stride + 1
    windows = np.array(
        [
            [
                image[i * stride : i * stride + size, j * stride : j * stride + size]
                for j in range(n)
            ]
            for i in range(n)
        ]
    )
    reduce = {"max": np.max, "average": np.mean, "sum": np.sum}[mode]
    assert np.allclose(body["output"], reduce(windows, axis=(2, 3)))
    if mode == "max":
        assert body["winners"] == maxpool2d_naive(image[None, None], size, stride)[1][0, 0].tolist()


def test_feature_map_size_follows_the_formula_or_says_why_not(client):
    for w, f, s, p in [(32, 5, 1, 0), (7, 3, 2, 1), (227, 11, 4, 0), (5, 3, 1, 1), (28, 2, 2, 0)]:
        body = client.get(
            f"/api/feature-map-size?width={w}&filter_size={f}&stride={s}&padding={p}&depth=8"
        ).json()
        assert body["output_size"] == (w - f + 2 * p) // s + 1 and body["depth"] == 8
    body = client.get("/api/feature-map-size?width=32&filter_size=5&stride=2").json()
    assert body["fits"] is False and body["output_size"] is None
    assert "does not fit an input of 32" in body["reason"]
    assert client.get("/api/feature-map-size?width=3&filter_size=5").json()["fits"] is False
    assert_error(client.get("/api/feature-map-size?stride=0"), 422, "stride", "greater than")


def test_gradient_matches_numeric_differences(client, net, digits):
    # a little noise on the background breaks the exact ties of max pooling over blank areas,
    # where the gradient is one-sided and central differences cannot agree with it
    ink = np.pad(digits[0][0], 2) + RNG.uniform(0, 3, (32, 32))
    ink = np.clip(ink, 0, 255)
    body = client.post(
        "/api/gradient", json={"image": ink.tolist(), "target": 3, "preprocess": False}
    ).json()
    x = np.asarray(body["input"], np.float64)
    grad = np.asarray(body["gradient"])
    assert np.abs(grad).max() > 0 and body["target"] == 3 and body["prediction"] == 7

    def loss(xx):
        out = net.forward(xx[None, None])["fc3"].astype(np.float64)
        return softmax_cross_entropy(out, np.array([3]))[0]

    assert body["loss"] == pytest.approx(loss(x), rel=1e-5)
    for y, xx in [(10, 12), (16, 16), (20, 9)]:
        bumped = x.copy()
        bumped[y, xx] += 1e-6
        lowered = x.copy()
        lowered[y, xx] -= 1e-6
        numeric = (loss(bumped) - loss(lowered)) / 2e-6
        assert grad[y, xx] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize(
    ("path", "body", "loc", "words"),
    [
        ("/api/convolve", {"image": [[1, 2], [3]], "kernel": KERNEL}, "image", "ragged rows"),
        ("/api/convolve", {"image": [], "kernel": KERNEL}, "image", "at least 1"),
        ("/api/convolve", {"image": IMAGE, "kernel": [[1, 2, 3], [4, 5, 6]]}, "kernel", "square"),
        ("/api/convolve", {"image": IMAGE, "kernel": [[1] * 12] * 12}, "kernel", "at most 11"),
        ("/api/convolve", {"image": IMAGE, "kernel": KERNEL, "stride": 0}, "stride", "greater"),
        ("/api/convolve", {"image": IMAGE, "kernel": [[1] * 7] * 7}, "body", "does not fit"),
        ("/api/pool", {"image": IMAGE, "mode": "median"}, "mode", "max"),
        ("/api/pool", {"image": [[1e7]]}, "image", "less than or equal to 1000000"),
        ("/api/pool", {"image": IMAGE, "size": 6}, "body", "does not fit"),
        ("/api/gradient", {"image": [[0] * 9] * 9, "target": 10}, "target", "less than"),
        ("/api/gradient", {"image_base64": "###", "target": 1}, "image_base64", "base64"),
        ("/api/gradient", {"target": 1}, "body", "exactly one"),
    ],
)
def test_lesson_endpoints_refuse_bad_input_clearly(client, path, body, loc, words):
    assert_error(client.post(path, json=body), 422, loc, words)


def test_nan_in_a_lesson_matrix_is_refused(client):
    body = b'{"image": [[1, NaN]], "kernel": [[1]]}'
    r = client.post("/api/convolve", content=body, headers={"content-type": "application/json"})
    assert_error(r, 422, "image", "finite number")


def test_model_card_is_the_training_record_and_the_fixtures_mistakes(client, net, digits):
    card = client.get("/api/model/card").json()
    meta = json.loads(WEIGHTS.with_suffix(".json").read_text())
    for key in ("test_accuracy", "per_class_accuracy", "confusion_matrix", "history"):
        assert card[key] == meta[key]
    from lenet_vis.model.train import mnist_to_input

    pred = net.predict(mnist_to_input(digits[0])).argmax(axis=1)
    wrong = np.flatnonzero(pred != digits[1])
    assert [m["index"] for m in card["misclassified"]] == wrong.tolist()
    for m in card["misclassified"]:
        assert m["label"] == digits[1][m["index"]] != m["prediction"]


def test_lesson_matrices_are_bounded_in_size(client):
    r = client.post("/api/convolve", json={"image": [[0] * 300] * 300, "kernel": [[1] * 11] * 11})
    assert_error(r, 422, "image", "at most 256")
