"""WebSocket /api/live against the real server (`lenet-vis serve` under uvicorn, with the
websocket limits of the settings): the frame layout, equality with POST /api/predict, stale
drawings dropped, checkpoints, every malformed frame's close code, Origin, rate, idle,
size and connection limits, and the server still answering afterwards."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import struct
import tempfile
import time

import httpx
import numpy as np
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from lenet_vis.app.live import MAX_MESSAGE, drawing_message, read_answer
from tests.app.live_clients import close_of, drive, pad_grids, ws_url
from tests.app.serving import rss_bytes, serving
from tests.model.test_lenet import NAMES as LAYERS  # every layer, in network order

IDLE = 5.0  # the main server's idle timeout, seconds
ALLOWED = "https://allowed.example"


@pytest.fixture(scope="module")
def server():
    with (
        tempfile.TemporaryFile() as log,
        serving(log=log, live_idle_timeout=IDLE, live_origins=json.dumps([ALLOWED])) as (url, proc),
    ):
        yield url, proc, log


@pytest.fixture(scope="module")
def url(server):
    return server[0]


def live(base: str, **kwargs):
    return connect(ws_url(base), compression=None, max_size=1 << 20, open_timeout=20, **kwargs)


def ask(ws, message: bytes) -> dict:
    ws.send(message)
    return read_answer(ws.recv(timeout=20))


def png_data_url(grid: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(grid).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def predict_layers(base: str, grid: np.ndarray, checkpoint: str | None = None) -> dict:
    """POST /api/predict with the grid as a PNG -> {prediction, blank, layers {name: array}}."""
    params = {} if checkpoint is None else {"checkpoint": checkpoint}
    r = httpx.post(
        f"{base}/api/predict",
        params=params,
        json={"image_base64": png_data_url(grid), "encoding": "base64"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    layers = {
        layer["name"]: np.frombuffer(base64.b64decode(layer["data"]), "<f4")
        for layer in body["layers"]
    }
    layers["input"] = np.frombuffer(base64.b64decode(body["input"]), "<f4")
    return {"prediction": body["prediction"], "blank": body["blank"], "layers": layers}


def closed_with(ws, message: bytes | str | None) -> tuple[int | None, str]:
    """Send `message` (None: nothing) and read until the server closes; its code and reason."""
    if message is not None:
        ws.send(message)
    try:
        while True:
            ws.recv(timeout=20)
    except ConnectionClosed as exc:
        return close_of(exc)
    except TimeoutError:
        return None, "no close"


def checkpoint_names(base: str) -> list[str]:
    body = httpx.get(f"{base}/api/knowledge/checkpoints", timeout=10).json()
    return [c["name"] for c in body["checkpoints"]]


# ---------------------------------------------------------------------------- the frame


def test_a_fixture_digit_matches_api_predict_layer_by_layer(url):
    grid = pad_grids(1)[0]
    seq = 0xFEDCBA98  # all 32 bits come back
    with live(url) as ws:
        raw = ws.send(drawing_message(seq, grid)) or ws.recv(timeout=20)
    answer = read_answer(raw)
    expected = predict_layers(url, grid)
    assert answer["seq"] == seq
    assert answer["prediction"] == expected["prediction"] == 7
    assert answer["blank"] is expected["blank"] is False
    header = answer["header"]
    assert header["v"] == 1 and header["checkpoint"] is None
    assert [name for name, _, _ in header["layers"]] == LAYERS
    # the header's length, padding and offsets as the layout says
    (length,) = struct.unpack_from("<H", raw, 6)
    assert (8 + length) % 4 == 0
    assert raw[8 : 8 + length].decode().rstrip(" ") == json.dumps(header, separators=(",", ":"))
    at = 8 + length
    for name, shape, offset in header["layers"]:
        assert offset == at, name
        at += 4 * int(np.prod(shape))
    assert at == len(raw)
    shapes = {name: shape for name, shape, _ in header["layers"]}
    assert shapes["input"] == [1, 32, 32] and shapes["conv1"] == [6, 28, 28]
    assert shapes["pool2"] == [16, 5, 5] and shapes["softmax"] == [10]
    for name in LAYERS:
        np.testing.assert_allclose(
            answer["layers"][name].ravel(), expected["layers"][name], rtol=0, atol=1e-6
        )
    assert abs(float(answer["layers"]["softmax"].sum()) - 1) < 1e-5


def test_a_digit_sent_as_the_networks_field_is_read_as_it_is(url, digits):
    """Flag 1: a 28x28 MNIST digit read without preprocessing, as POST /api/predict with
    preprocess false reads it (the page sends its sample digits so)."""
    images, labels = digits
    for i in (0, 320):
        with live(url) as ws:
            answer = ask(ws, drawing_message(i, images[i], 0, 1))
        r = httpx.post(
            f"{url}/api/predict",
            json={"image": images[i].tolist(), "preprocess": False, "encoding": "base64"},
            timeout=30,
        )
        body = r.json()
        assert answer["prediction"] == body["prediction"]
        np.testing.assert_array_equal(
            answer["layers"]["input"].ravel(), np.frombuffer(base64.b64decode(body["input"]), "<f4")
        )
        for layer in body["layers"]:
            np.testing.assert_allclose(
                answer["layers"][layer["name"]].ravel(),
                np.frombuffer(base64.b64decode(layer["data"]), "<f4"),
                rtol=0,
                atol=1e-6,
            )
        if i == 0:
            assert answer["prediction"] == labels[0]


def test_every_side_and_a_blank_grid_match_api_predict(url):
    digit = pad_grids(3, side=28)[2]
    with live(url) as ws:
        for seq, side in enumerate((28, 64, 256)):
            grid = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.NEAREST))
            answer = ask(ws, drawing_message(seq, grid))
            expected = predict_layers(url, grid)
            assert answer["seq"] == seq and answer["prediction"] == expected["prediction"]
            for name in ("input", "pool2", "softmax"):
                np.testing.assert_allclose(
                    answer["layers"][name].ravel(), expected["layers"][name], atol=1e-6
                )
        blank = np.zeros((140, 140), np.uint8)
        blank[3, 3] = 15  # under the blank rule's 16
        answer = ask(ws, drawing_message(9, blank))
    expected = predict_layers(url, blank)
    assert answer["blank"] is expected["blank"] is True
    assert not answer["layers"]["input"].any()
    assert answer["prediction"] == expected["prediction"]


def test_only_the_newest_of_waiting_drawings_is_answered(url):
    grids = pad_grids(50)
    with live(url) as ws:
        for seq, grid in enumerate(grids, start=1):  # 50: within the burst of 60
            ws.send(drawing_message(seq, grid))
        seqs = []
        while not seqs or seqs[-1] != len(grids):
            seqs.append(read_answer(ws.recv(timeout=20))["seq"])
        assert seqs == sorted(set(seqs)), "answers out of order or repeated"
        assert len(seqs) < len(grids), "every stale drawing was answered"
        time.sleep(0.2)  # the bucket refills
        answer = ask(ws, drawing_message(99, grids[0]))  # and it goes on answering
        assert answer["seq"] == 99


def test_the_checkpoint_byte_chooses_the_weights(url):
    names = checkpoint_names(url)
    if not names:
        pytest.skip("the served weights keep no checkpoints")
    grid = pad_grids(1)[0]
    with live(url) as ws:
        final = ask(ws, drawing_message(1, grid))
        for index, name in enumerate(names, start=1):
            answer = ask(ws, drawing_message(index + 1, grid, checkpoint=index))
            assert answer["header"]["checkpoint"] == name
            expected = predict_layers(url, grid, checkpoint=name)
            assert answer["prediction"] == expected["prediction"]
            np.testing.assert_allclose(
                answer["layers"]["fc3"].ravel(), expected["layers"]["fc3"], atol=1e-5
            )
        first = ask(ws, drawing_message(50, grid, checkpoint=1))
        assert not np.array_equal(first["layers"]["fc3"], final["layers"]["fc3"])
        code, reason = closed_with(ws, drawing_message(51, grid, checkpoint=len(names) + 1))
    assert code == 1008 and f"no checkpoint {len(names) + 1}" in reason


def test_an_unknown_checkpoint_is_closed_1008(url):
    count = len(checkpoint_names(url))
    with live(url) as ws:
        code, reason = closed_with(ws, drawing_message(1, pad_grids(1)[0], checkpoint=count + 1))
    assert code == 1008 and "checkpoint" in reason


# ---------------------------------------------------------------------------- bad frames


def header(seq=1, checkpoint=0, flags=0, side=140) -> bytes:
    return struct.pack("<IBBH", seq, checkpoint, flags, side)


BAD_FRAMES = {
    "text": ("a drawing as text", 1003, "text"),
    "text of invalid UTF-8": (b"\xff\xfe drawing", 1007, "UTF-8"),
    "empty": (b"", 1007, "shorter"),
    "short header": (b"\x01\x00\x00", 1007, "shorter"),
    "unknown flag": (header(flags=2) + bytes(140 * 140), 1007, "flags"),
    "field flag on a 140 grid": (header(flags=1) + bytes(140 * 140), 1007, "side 28 or 32"),
    "side 27": (header(side=27) + bytes(27 * 27), 1007, "side 27"),
    "side 257": (header(side=257) + bytes(100), 1007, "side 257"),
    "side 0": (header(side=0), 1007, "side 0"),
    "too few pixels": (header() + bytes(140 * 140 - 1), 1007, "needs"),
    "too many pixels": (header() + bytes(140 * 140 + 1), 1007, "needs"),
    "header only": (header(), 1007, "needs"),
    "over the size limit": (header(side=256) + bytes(MAX_MESSAGE), 1009, ""),
}


@pytest.mark.parametrize("case", list(BAD_FRAMES))
def test_a_malformed_frame_is_closed_with_its_code_and_a_reason(url, case):
    message, code, words = BAD_FRAMES[case]
    with live(url) as ws:
        ask(ws, drawing_message(1, pad_grids(1)[0]))  # a good one first: then the bad
        if case == "text of invalid UTF-8":
            ws.send(message, text=True)
            message = None
        got, reason = closed_with(ws, message)
    assert got == code, (case, got, reason)
    assert reason, case
    assert words in reason, (case, reason)


# ---------------------------------------------------------------------------- limits


def test_another_sites_origin_is_refused_before_the_handshake(url):
    port = url.rsplit(":", 1)[1]
    for origin in ("http://evil.example", f"http://127.0.0.1.evil.example:{port}", "null"):
        with pytest.raises(InvalidStatus) as info, live(url, origin=origin):
            pass
        assert info.value.response.status_code == 403, origin
        assert b"origin" in info.value.response.body
    # the server's own origin, a configured one, and a program without Origin are let in
    for origin in (f"http://127.0.0.1:{port}", ALLOWED, None):
        with live(url, origin=origin) as ws:
            assert ask(ws, drawing_message(5, pad_grids(1)[0]))["seq"] == 5


def test_more_than_the_rate_is_closed_1008(url):
    grid = pad_grids(1)[0]
    with live(url) as ws:
        try:
            for seq in range(400):  # far past 120/s with a burst of 60
                ws.send(drawing_message(seq, grid))
        except ConnectionClosed:
            pass
        code, reason = closed_with(ws, None)
    assert code == 1008 and "too many messages" in reason


def test_an_idle_connection_is_closed_with_a_reason(url):
    with live(url) as ws:
        ask(ws, drawing_message(1, pad_grids(1)[0]))
        code, reason = closed_with(ws, None)  # waits past IDLE seconds
    assert code == 1000 and "idle" in reason


def test_past_the_connection_limit_a_connection_is_told_to_try_later():
    grid = pad_grids(1)[0]
    with serving(live_max_connections=2) as (url, _), contextlib.ExitStack() as stack:
        first = stack.enter_context(live(url))
        second = stack.enter_context(live(url))
        assert ask(first, drawing_message(1, grid))["seq"] == 1
        assert ask(second, drawing_message(2, grid))["seq"] == 2
        with live(url) as third:
            code, reason = closed_with(third, None)
        assert code == 1013 and "try again later" in reason
        first.close()
        for _ in range(50):  # the server counts the closed one out as its handler ends
            with live(url) as again:
                try:
                    if ask(again, drawing_message(3, grid))["seq"] == 3:
                        break
                except ConnectionClosed:
                    time.sleep(0.1)
        else:
            pytest.fail("a freed slot was never given again")
        assert ask(second, drawing_message(4, grid))["seq"] == 4


def test_fifty_connections_drawing_for_two_seconds_all_answered(server):
    url, proc, _ = server
    before = rss_bytes(proc.pid)
    load = drive(url, connections=50, seconds=2.0)
    assert load.errors == []
    assert len(load.answers) == 50 and min(load.answers) >= 1
    # memory: the 50 connections' buffers are freed, give or take the allocator
    assert rss_bytes(proc.pid) < before + 64 * 1024 * 1024


def test_the_server_still_answers_and_logged_no_exception(server):
    url, _, log = server
    with live(url) as ws:
        assert ask(ws, drawing_message(77, pad_grids(1)[0]))["seq"] == 77
    assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    log.seek(0)
    text = log.read().decode(errors="replace")
    assert "Traceback" not in text and "Exception" not in text, text[-3000:]


def test_docs_live_states_the_layout_and_the_openapi_description_links_it(url):
    page = httpx.get(f"{url}/docs/live", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    with live(url) as ws:
        header = ask(ws, drawing_message(1, pad_grids(1)[0]))["header"]
    for name, shape, offset in header["layers"]:  # the offsets this server really sends
        assert (
            f"[&quot;{name}&quot;,{json.dumps(shape, separators=(',', ':'))},{offset}]" in page.text
        )
    spec = httpx.get(f"{url}/openapi.json", timeout=10).json()
    assert "/docs/live" in spec["info"]["description"]


# ---------------------------------------------------------------------------- dispatch


def test_only_the_live_path_takes_the_lean_dispatch(url):
    """LiveDispatch sends WebSocket /api/live to the channel and everything else to the app:
    a WebSocket elsewhere is refused by the app's router, HTTP on /api/live is not found."""
    with pytest.raises(InvalidStatus) as info, connect(ws_url(url) + "x", open_timeout=20):
        pass
    assert info.value.response.status_code == 403
    assert httpx.get(f"{url}/api/live", timeout=10).status_code == 404
    with live(url) as ws:
        assert ask(ws, drawing_message(3, pad_grids(1)[0]))["seq"] == 3


def test_the_route_path_drops_the_root_path():
    from lenet_vis.app.routes.live import route_path

    assert route_path({"path": "/api/live"}) == "/api/live"
    assert route_path({"path": "/lenet/api/live", "root_path": "/lenet"}) == "/api/live"
    assert route_path({"path": "/lenetx/api/live", "root_path": "/lenet"}) == "/lenetx/api/live"
