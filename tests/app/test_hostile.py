"""The attacks of issue 9 against the real server (`lenet-vis serve`, its uvicorn limits on):
each is refused or survived, and a normal request succeeds right after."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import socket
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.app.serving import rss_bytes, serving

GOOD = {"image": np.pad(np.full((12, 6), 255), 8).tolist(), "layers": []}
HANG_GUARD = 60  # seconds: only to stop a broken server from hanging the suite


@pytest.fixture(scope="module")
def server():
    with serving(
        body_idle_timeout=1,
        body_timeout=4,
        keep_alive_timeout=1,
        max_header_bytes=8192,
    ) as (url, proc):
        yield url, proc


@pytest.fixture
def url(server):
    """The base URL; after each test a normal request is served normally."""
    yield server[0]
    r = httpx.post(f"{server[0]}/api/predict", json=GOOD, timeout=HANG_GUARD)
    assert r.status_code == 200 and r.json()["prediction"] == 1


def post(url: str, path: str, body: bytes) -> httpx.Response:
    return httpx.post(
        url + path,
        content=body,
        headers={"content-type": "application/json"},
        timeout=HANG_GUARD,
    )


def transparent_png(side: int) -> str:
    """A large, fully transparent RGBA PNG with one faint stroke (compresses to a few KB)."""
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    img.paste((255, 255, 255, 255), (side // 3, side // 4, side // 3 + 8, 3 * side // 4))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_a_huge_flat_list_in_the_image_field_is_refused_small(url):
    for path, field in [("/api/predict", "image"), ("/api/predict/batch", "images")]:
        body = b'{"%s": [' % field.encode() + b"0," * 900_000 + b"0]}"  # 1.8 MB, within limits
        r = post(url, path, body)
        assert r.status_code == 422, r.text
        assert len(r.content) < 2000 and len(r.json()["detail"]) <= 20


def test_rows_of_strings_give_one_short_error(url):
    row = "[" + ",".join(['"x"'] * 1024) + "]"
    body = ('{"image": [' + ",".join([row] * 300) + "]}").encode()  # 1.2 MB, 307,200 strings
    r = post(url, "/api/predict", body)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": ["body", "image", 0, 0],
            "msg": "Input should be a valid number",
            "type": "float_type",
        }
    ]


def test_a_body_over_its_route_limit_is_413(url):
    r = post(url, "/api/predict", b'{"image": [' + b"0," * 1_100_000 + b"0]}")
    assert r.status_code == 413 and "larger than" in r.json()["detail"][0]["msg"]


def test_64_large_transparent_pngs_are_refused_by_the_pixel_budget_before_decoding(url):
    png = transparent_png(1900)  # 3.6 Mpx each, under the single-image limit
    r = httpx.post(
        f"{url}/api/predict/batch",
        json={"images": [{"image_base64": png}] * 64},
        timeout=HANG_GUARD,
    )
    assert r.status_code == 422, r.text
    assert "over the batch limit of 8000000" in r.json()["detail"][0]["msg"]


def test_healthz_answers_while_heavy_requests_run(url):
    """Two clients loop on the heaviest batch within the limits; /healthz still answers, and
    answers while a heavy request is in flight (the work is off the event loop)."""
    body = {"images": [{"image_base64": transparent_png(1000)}] * 8}  # 8 Mpx, the budget
    in_flight, stop, statuses = [0], threading.Event(), []
    lock = threading.Lock()

    def heavy():
        with httpx.Client(timeout=HANG_GUARD) as c:
            while not stop.is_set():
                with lock:
                    in_flight[0] += 1
                r = c.post(f"{url}/api/predict/batch", json=body)
                with lock:
                    in_flight[0] -= 1
                statuses.append(r.status_code)

    threads = [threading.Thread(target=heavy) for _ in range(2)]
    for t in threads:
        t.start()
    answered_during_heavy = 0
    try:
        with httpx.Client(timeout=HANG_GUARD) as c:
            for _ in range(100):
                busy_before = in_flight[0] > 0
                assert c.get(f"{url}/healthz").status_code == 200
                if busy_before and in_flight[0] > 0:
                    answered_during_heavy += 1
                time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert set(statuses) == {200}
    assert answered_during_heavy > 0


def test_a_body_that_stalls_gets_408_and_the_connection_closed(url):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD) as s:
        s.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b'{"image": [[0, 0'
        )
        data = read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 408") and b"connection: close" in data.lower()


def test_a_body_that_trickles_gets_408(url):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD) as s:
        s.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        s.settimeout(0.5)
        data = b""
        for _ in range(int(HANG_GUARD / 0.5)):  # a byte every half second, never idle for 1 s
            try:
                s.sendall(b" ")
                data += s.recv(65536)
                if data:
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        s.settimeout(HANG_GUARD)
        data += read_until_closed(s)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]


def read_until_closed(s: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def stall_bodies(host: str, port: int, n: int) -> list[bytes]:
    """n connections each send 1.5 MB of a 2 MB body and stall; their answers once closed."""
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=HANG_GUARD)
        s.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2000000\r\n\r\n" + b" " * 1_500_000
        )
        socks.append(s)
    answers = [read_until_closed(s) for s in socks]
    for s in socks:
        s.close()
    return answers


def test_sixty_stalled_bodies_are_closed_and_memory_stays_flat(server, url):
    """Three times, 60 connections each send 1.5 MB of a 2 MB body, then stall: each gets 408
    and is closed, and the server's memory stays within what one round's bodies take (90 MB):
    a round leaves nothing behind for the next to add to."""
    host, port = url.removeprefix("http://").split(":")
    pid = server[1].pid  # with one worker the CLI process is the server
    before = rss_bytes(pid)
    growth = []
    for _ in range(3):
        assert all(a.startswith(b"HTTP/1.1 408") for a in stall_bodies(host, int(port), 60))
        growth.append(rss_bytes(pid) - before)
    assert max(growth) < 160 * 2**20, growth


def test_headers_over_the_limit_are_refused_and_closed(url):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD) as s:
        # the server may close while the header is still being sent
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
            )
        data = read_until_closed(s)
    assert data == b"" or data.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), data[:100]


def test_an_idle_keep_alive_connection_is_closed(url):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HANG_GUARD) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""  # the whole answer (its head and body may come in separate segments)
        while not first.endswith(b'{"status":"ok"}') and (chunk := s.recv(65536)):
            first += chunk
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b'{"status":"ok"}')
        assert read_until_closed(s) == b""  # closed by the server after keep_alive_timeout


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/predict", {**GOOD, "preprocess": 0}, "preprocess"),
        ("/api/predict", {**GOOD, "preprocess": "false"}, "preprocess"),
        ("/api/gradient", {"image": GOOD["image"], "target": "3"}, "target"),
        ("/api/gradient", {"image": GOOD["image"], "target": True}, "target"),
        ("/api/gradient", {"image": GOOD["image"], "target": 3.0}, "target"),
        ("/api/convolve", {"image": [[1]], "kernel": [[1]], "stride": True}, "stride"),
        ("/api/convolve", {"image": [["1"]], "kernel": [[1]]}, "image"),
        ("/api/predict", {"image_base64": "data:image/gif;base64,R0lGODlh"}, "image_base64"),
        ("/api/predict", {"image_base64": "data:text/html;base64,PGI+"}, "image_base64"),
    ],
)
def test_types_are_strict(url, path, body, field):
    r = post(url, path, json.dumps(body).encode())
    assert r.status_code == 422, r.text
    assert any(field in d["loc"] for d in r.json()["detail"]), r.text


def test_past_limit_concurrency_uvicorn_answers_503_then_recovers():
    """Idle connections count against limit_concurrency: past it, new requests get 503 at once
    instead of waiting; once they close, requests are served again."""
    with serving(limit_concurrency=4, keep_alive_timeout=30) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=HANG_GUARD) for _ in range(4)]
        try:
            time.sleep(0.2)  # let the server accept them
            r = httpx.get(f"{base}/healthz", timeout=HANG_GUARD)
            assert r.status_code == 503
        finally:
            for s in idle:
                s.close()
        for _ in range(100):  # the server notices the closed sockets
            if httpx.get(f"{base}/healthz", timeout=HANG_GUARD).status_code == 200:
                break
            time.sleep(0.05)
        assert httpx.post(f"{base}/api/predict", json=GOOD, timeout=HANG_GUARD).status_code == 200
