"""Every kind of bad input: a 4xx JSON error naming the field and the fault, then normal service."""

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image

from tests.app.helpers import data_url, png_bytes

GOOD = {"image": np.pad(np.full((12, 6), 255), 8).tolist(), "layers": []}


def post_raw(client, body: bytes, ctype="application/json", path="/api/predict"):
    return client.post(path, content=body, headers={"content-type": ctype})


def assert_error(r, status: int, loc_part, words: str):
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert any(loc_part in d["loc"] for d in detail), detail
    assert any(words.lower() in d["msg"].lower() for d in detail), detail


@pytest.fixture(autouse=True)
def still_serves(client):
    """After each bad request the next good one is served normally."""
    yield
    r = client.post("/api/predict", json=GOOD)
    assert r.status_code == 200 and r.json()["prediction"] == 1


def big_png(w, h) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


CASES = {
    "malformed JSON": (b'{"image": [[1, 2],', 422, "body", "JSON"),
    "wrong type": (b'{"image": "seven"}', 422, "image", "valid array"),
    "wrong element type": (b'{"image": [["a"]]}', 422, "image", "valid number"),
    "ragged rows": (
        b'{"image": ' + str([[0] * 10] * 9 + [[0] * 9]).encode() + b"}",
        422,
        "image",
        "ragged rows",
    ),
    "empty array": (b'{"image": []}', 422, "image", "at least 8"),
    "empty rows": (b'{"image": [[]]}', 422, "image", "at least 8"),
    "NaN": (
        b'{"image": ' + str([[0] * 10] * 9 + [[0] * 9 + ["NaN"]]).replace("'", "").encode() + b"}",
        422,
        "image",
        "finite number",
    ),
    "Infinity": (
        b'{"image": '
        + str([[0] * 10] * 9 + [[0] * 9 + ["-Infinity"]]).replace("'", "").encode()
        + b"}",
        422,
        "image",
        "finite number",
    ),
    "value over 255": (
        b'{"image": ' + str([[0] * 10] * 9 + [[0] * 9 + [256]]).encode() + b"}",
        422,
        "image",
        "less than or equal to 255",
    ),
    "negative value": (
        b'{"image": ' + str([[0] * 10] * 9 + [[0] * 9 + [-1]]).encode() + b"}",
        422,
        "image",
        "greater than or equal to 0",
    ),
    "too small": (
        b'{"image": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]}',
        422,
        "image",
        "at least 8",
    ),
    "too large": (
        b'{"image": ' + str([[0] * 1025] * 8).encode() + b"}",
        422,
        "image",
        "at most 1024",
    ),
    "neither image": (b'{"layers": []}', 422, "body", "exactly one"),
    "both images": (
        b'{"image": ' + str([[0] * 9] * 9).encode() + b', "image_base64": "xx"}',
        422,
        "body",
        "exactly one",
    ),
    "unknown field": (b'{"image": [[0]], "colour": 1}', 422, "colour", "extra"),
    "unknown layer": (
        b'{"image": ' + str([[0] * 9] * 9).encode() + b', "layers": ["conv9"]}',
        422,
        "layers",
        "input should be 'conv1'",
    ),
    "bad encoding": (b'{"image": [[0]], "encoding": "hex"}', 422, "encoding", "list"),
    "not base64": (b'{"image_base64": "###"}', 422, "image_base64", "not valid base64"),
    "bad data URL": (b'{"image_base64": "data:image/png,abc"}', 422, "image_base64", "data:"),
    "not an image": (
        b'{"image_base64": "' + base64.b64encode(b"hello world").decode().encode() + b'"}',
        422,
        "image_base64",
        "not a PNG or JPEG",
    ),
    "a GIF": (
        b'{"image_base64": "R0lGODlhAQABAAAAACw="}',
        422,
        "image_base64",
        "not a PNG or JPEG",
    ),
    "truncated PNG": (
        b'{"image_base64": "'
        + base64.b64encode(png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64))))[:300]
        + b'"}',
        422,
        "image_base64",
        "truncated",
    ),
    "decompression bomb": (
        b'{"image_base64": "' + base64.b64encode(big_png(5000, 5000)) + b'"}',
        422,
        "image_base64",
        "over the limit",
    ),
    "preprocess false, wrong size": (
        b'{"image": ' + str([[0] * 20] * 20).encode() + b', "preprocess": false}',
        422,
        "image",
        "28x28 or 32x32",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_json_body_gets_a_clear_4xx(client, case):
    body, status, loc, words = CASES[case]
    started = time.perf_counter()
    r = post_raw(client, body)
    assert time.perf_counter() - started < 5  # a generous bound: never a hang
    assert_error(r, status, loc, words)


def test_wrong_content_type_gets_415(client):
    assert_error(
        post_raw(client, b"image=1", "application/x-www-form-urlencoded"),
        415,
        "content-type",
        "application/json",
    )
    assert_error(
        post_raw(client, b"{}", "text/plain", "/api/predict/batch"),
        415,
        "content-type",
        "application/json",
    )


def test_a_body_over_the_limit_gets_413_before_parsing(client):
    body = b'{"image": [' + b"0," * 1_100_000 + b"0]}"
    r = post_raw(client, body)
    assert_error(r, 413, "body", "larger than 2000000 bytes")


def test_a_streamed_body_over_the_limit_gets_413(client):
    def chunks():
        for _ in range(300):
            yield b" " * 10_000

    r = client.post("/api/predict", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "body", "larger than")


def test_a_batch_that_is_too_large(client):
    images = [{"image": GOOD["image"]}] * 9
    assert_error(
        client.post("/api/predict/batch", json={"images": images}), 422, "images", "at most 8"
    )


def test_an_empty_batch(client):
    assert_error(
        client.post("/api/predict/batch", json={"images": []}), 422, "images", "at least 1"
    )


def test_a_bad_image_inside_a_batch_is_named_by_index(client):
    images = [{"image": GOOD["image"]}, {"image": [[0] * 9] * 8 + [[0] * 8]}]
    assert_error(client.post("/api/predict/batch", json={"images": images}), 422, 1, "ragged rows")


def test_upload_of_a_non_image(client):
    r = client.post("/api/predict/image", files={"file": ("x.png", b"GIF89a....", "image/png")})
    assert_error(r, 422, "file", "not a PNG or JPEG")


def test_upload_without_a_file(client):
    r = client.post("/api/predict/image", data={"x": "1"})
    assert_error(r, 422, "file", "required")


def test_upload_with_an_unknown_layer(client):
    files = {"file": ("x.png", png_bytes(np.zeros((28, 28))), "image/png")}
    assert_error(
        client.post("/api/predict/image?layers=pool9", files=files), 422, "layers", "unknown layer"
    )


def test_upload_of_an_empty_file(client):
    r = client.post("/api/predict/image", files={"file": ("x.png", b"", "image/png")})
    assert_error(r, 422, "file", "empty")


def test_weights_of_an_unknown_layer_or_one_without_weights_is_422(client):
    for layer in ("conv9", "relu1"):
        r = client.get(f"/api/weights/{layer}")
        assert_error(r, 422, "layer", "input should be 'conv1', 'conv2', 'fc1', 'fc2' or 'fc3'")


def test_a_tiny_image_file_is_refused(client):
    r = client.post("/api/predict", json={"image_base64": data_url(big_png(4, 4))})
    assert_error(r, 422, "image_base64", "at least 8")


def test_png_text_chunks_that_inflate_past_the_limit_are_refused(client):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = big_png(64, 64)
    text = zlib.compress(bytes(900_000), 9)  # 1 KB that inflates to 900 KB
    bomb = raw[:33] + b"".join(chunk(b"zTXt", b"C%d\0\0" % i + text) for i in range(60))
    r = client.post("/api/predict", json={"image_base64": data_url(bomb + raw[33:])})
    assert_error(r, 422, "image_base64", "not a PNG or JPEG")
