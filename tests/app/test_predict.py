"""POST /api/predict and friends: values equal the network's own, in every encoding."""

import numpy as np

from lenet_vis.model.preprocess import to_network_input
from lenet_vis.model.train import mnist_to_input
from tests.app.helpers import data_url, decode_f32, jpeg_bytes, png_bytes
from tests.model.test_lenet import NAMES as LAYER_NAMES

NAMES = LAYER_NAMES[1:]  # every layer after the input


def big_digit(digits, i=0):
    """An MNIST test digit drawn 8x larger on a 280x280 canvas, as a browser would send."""
    img = np.kron(digits[0][i], np.ones((8, 8), np.uint8))
    canvas = np.zeros((280, 280), np.uint8)
    canvas[30:254, 20:244] = img
    return canvas


def test_predict_returns_every_layer_equal_to_the_network(client, net, digits):
    ink = big_digit(digits, 0)
    r = client.post("/api/predict", json={"image": ink.tolist()})
    assert r.status_code == 200
    body = r.json()
    x = to_network_input(ink)
    expected = net.forward(x)
    assert body["prediction"] == int(digits[1][0]) == int(expected["softmax"].argmax())
    assert abs(sum(body["probabilities"]) - 1) < 1e-5
    assert [layer["name"] for layer in body["layers"]] == NAMES
    assert np.allclose(body["input"], x)
    for layer in body["layers"]:
        assert layer["shape"] == list(expected[layer["name"]].shape)
        assert np.allclose(layer["data"], expected[layer["name"]], atol=1e-6)
    assert body["blank"] is False
    assert body["model"]["weights_sha256"] == net.weights_sha256


def test_base64_encoding_is_little_endian_float32_in_c_order(client, net, digits):
    ink = big_digit(digits, 1)
    r = client.post(
        "/api/predict",
        json={
            "image_base64": data_url(png_bytes(ink)),
            "encoding": "base64",
            "layers": ["pool1", "conv2"],
        },
    )
    body = r.json()
    expected = net.forward(to_network_input(ink))
    assert [layer["name"] for layer in body["layers"]] == ["pool1", "conv2"]
    for layer in body["layers"]:
        assert np.array_equal(decode_f32(layer["data"], layer["shape"]), expected[layer["name"]])
    assert np.array_equal(decode_f32(body["input"], (32, 32)), to_network_input(ink))


def test_plain_base64_and_jpeg_are_accepted(client, digits):
    import base64

    ink = big_digit(digits, 2)
    for raw in (png_bytes(ink), jpeg_bytes(ink), png_bytes(ink, "RGB"), png_bytes(ink, "RGBA")):
        r = client.post(
            "/api/predict", json={"image_base64": base64.b64encode(raw).decode(), "layers": []}
        )
        assert r.status_code == 200, r.text
        assert r.json()["prediction"] == digits[1][2]


def test_an_empty_layer_list_returns_only_the_prediction(client, digits):
    body = client.post(
        "/api/predict", json={"image": big_digit(digits).tolist(), "layers": []}
    ).json()
    assert body["layers"] == [] and body["input"] is None
    assert body["prediction"] == digits[1][0] and len(body["probabilities"]) == 10


def test_preprocess_false_takes_the_network_input_itself(client, net, digits):
    for image in (digits[0][3], np.pad(digits[0][3], 2)):
        body = client.post(
            "/api/predict",
            json={"image": image.tolist(), "preprocess": False, "layers": ["softmax"]},
        ).json()
        expected = net.predict(mnist_to_input(digits[0][3:4]))[0]
        assert np.allclose(body["probabilities"], expected, atol=1e-6)


def test_a_blank_drawing_says_so(client):
    body = client.post("/api/predict", json={"image": np.zeros((280, 280)).tolist()}).json()
    assert body["blank"] is True
    assert np.all(np.asarray(body["input"]) == 0)


def test_upload_gives_the_same_answer_as_json(client, digits):
    ink = big_digit(digits, 4)
    files = {"file": ("digit.png", png_bytes(ink), "image/png")}
    up = client.post("/api/predict/image?encoding=base64&layers=fc3,softmax", files=files).json()
    js = client.post(
        "/api/predict",
        json={"image": ink.tolist(), "encoding": "base64", "layers": ["fc3", "softmax"]},
    ).json()
    assert up == js
    assert up["prediction"] == digits[1][4]


def test_batch_equals_one_at_a_time(client, digits):
    inks = [big_digit(digits, i) for i in range(5)]
    items = [{"image": ink.tolist()} for ink in inks[:3]]
    items += [{"image_base64": data_url(png_bytes(ink))} for ink in inks[3:]]
    body = client.post("/api/predict/batch", json={"images": items}).json()
    assert [r["prediction"] for r in body["results"]] == digits[1][:5].tolist()
    for ink, result in zip(inks, body["results"], strict=True):
        single = client.post("/api/predict", json={"image": ink.tolist(), "layers": []}).json()
        assert np.allclose(single["probabilities"], result["probabilities"], atol=1e-6)


def test_model_describes_every_layer(client, net):
    body = client.get("/api/model").json()
    assert [layer["name"] for layer in body["layers"]] == ["input", *NAMES]
    conv2 = body["layers"][4]
    assert conv2 == {
        "name": "conv2",
        "kind": "conv",
        "input_shape": [6, 14, 14],
        "output_shape": [16, 10, 10],
        "kernel": 5,
        "stride": 1,
        "parameters": 2416,
        "source": "pool1",
    }
    assert body["parameters"] == 63_802
    assert body["weights_sha256"] == net.weights_sha256
    assert body["metrics"]["test_accuracy"] == net.metadata["test_accuracy"]


def test_weights_in_both_encodings_equal_the_network(client, net):
    listed = client.get("/api/weights/conv2").json()
    assert listed["weights_shape"] == [16, 6, 5, 5] and listed["bias_shape"] == [16]
    assert np.array_equal(
        np.asarray(listed["weights"], np.float32), net.layers["conv2"].params["W"]
    )
    b64 = client.get("/api/weights/fc3?encoding=base64").json()
    assert np.array_equal(
        decode_f32(b64["weights"], b64["weights_shape"]), net.layers["fc3"].params["W"]
    )
    assert np.array_equal(decode_f32(b64["bias"], [10]), net.layers["fc3"].params["b"])


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}
