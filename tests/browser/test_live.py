"""The page's live channel (WebSocket /api/live) in a real Chromium against the real server:
the same answers as the HTTP path, stale answers dropped, one message in flight, and the
fallback to HTTP behind a proxy that strips the WebSocket upgrade (a real nginx)."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
import tempfile
from pathlib import Path

import httpx
import numpy as np
import pytest

from deploy.local import find_nginx, wait_healthy
from lenet_vis.app.live import read_answer
from tests.browser.conftest import screenshot
from tests.browser.drawing import STROKES, Answers, draw, most_in_flight, settle
from tests.server import free_port, stop

# Chromium's own line for a failed handshake (its network stack writes it; no page code can
# keep it out of the console): the only console error the fallback may show
HANDSHAKE_FAILED = re.compile(
    r"^WebSocket connection to 'ws://[^']+/api/live' failed: "
    r"Error during WebSocket handshake: Unexpected response code: \d{3}$"
)


class Sockets:
    """The WebSocket messages of one page as Playwright sees them, in order."""

    def __init__(self, page) -> None:
        self.sent: list[bytes] = []
        self.received: list[bytes] = []
        self.unanswered = self.most = 0
        self.urls: list[str] = []
        page.on("websocket", self.watch)

    def watch(self, ws) -> None:
        self.urls.append(ws.url)
        ws.on("framesent", self.on_sent)
        ws.on("framereceived", self.on_received)

    def on_sent(self, payload) -> None:
        self.sent.append(payload)
        self.unanswered += 1
        self.most = max(self.most, self.unanswered)

    def on_received(self, payload) -> None:
        self.received.append(payload)
        self.unanswered -= 1


def live_page(browser, url, width=1366, height=768, path="/"):
    """The visualizer with its messages watched, once its live channel is open."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.sockets = Sockets(page)
    page.answers = Answers(page)
    page.goto(url + path)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return page


def transport(page) -> tuple[str, str]:
    line = page.get_by_test_id("transport")
    return line.get_attribute("data-transport"), line.text_content()


def requests_over(page) -> list[str]:
    return page.evaluate("() => performance.getEntriesByName('request').map(e => e.detail)")


def layer_pixels(page, layer: str) -> list[list[int]]:
    """Every map canvas of a diagram layer, as RGBA bytes."""
    return page.locator(f"[data-testid=layer-{layer}] canvas").evaluate_all(
        "cs => cs.map(c => Array.from("
        "c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"
    )


def test_a_7_over_the_live_channel_is_the_http_answer_to_the_bit(browser, live_server):
    live = live_page(browser, live_server)
    http = live_page(browser, live_server, path="/?transport=http")
    bodies = []
    http.on("response", lambda r: r.url.endswith("/api/predict") and bodies.append(r))
    live.wait_for_selector("[data-testid=transport][data-transport=live]")
    assert transport(live) == ("live", "live")
    assert transport(http) == ("http", "HTTP (transport=http)")
    for page in (live, http):
        page.get_by_test_id("show-pre").check()  # the conv1 maps themselves, before ReLU
        draw(page, STROKES[7])
        settle(page)
        assert page.get_by_test_id("prediction").text_content() == "7"
    assert set(requests_over(live)) == {"live"} and set(requests_over(http)) == {"http"}
    assert http.sockets.urls == []  # ?transport=http opens no socket at all
    # the last answer each page drew: the frame's float32 and the JSON's base64 float32
    frame = read_answer(live.sockets.received[-1])
    body = bodies[-1].json()
    assert frame["prediction"] == body["prediction"] == 7
    assert frame["blank"] is False and body["blank"] is False
    for layer in body["layers"]:
        want = np.frombuffer(base64.b64decode(layer["data"]), "<f4").reshape(layer["shape"])
        got = frame["layers"][layer["name"]]
        assert got.shape == want.shape, layer["name"]
        assert np.array_equal(got, want), layer["name"]
    assert np.array_equal(frame["layers"]["softmax"], np.float32(body["probabilities"]))
    # and what the pages show: the same conv1 pixels, the same verdict
    assert layer_pixels(live, "conv1") == layer_pixels(http, "conv1")
    for testid in ("prediction", "confidence"):
        assert (
            live.get_by_test_id(testid).text_content() == http.get_by_test_id(testid).text_content()
        )
    # every message: seq counting up from 1, the final weights, flags 0, the pad's 140x140 ink
    heads = [struct.unpack_from("<IBBH", m) for m in live.sockets.sent]
    assert [h[0] for h in heads] == list(range(1, len(heads) + 1))
    assert {h[1:] for h in heads} == {(0, 0, 140)}
    assert all(len(m) == 8 + 140 * 140 for m in live.sockets.sent)
    for page in (live, http):
        assert page.console_errors == []
        page.close()


def test_drawing_fast_keeps_one_message_in_flight_and_every_answer_is_drawn(browser, live_server):
    page = live_page(browser, live_server)
    page.wait_for_selector("[data-testid=transport][data-transport=live]")
    for digit in (0, 7, 1):
        draw(page, STROKES[digit], steps=40)  # as fast as the mouse can be moved
    settle(page)
    s = page.sockets
    assert len(s.sent) > 50
    assert s.most == 1, f"{s.most} messages were unanswered at once"
    assert most_in_flight(page) == 1
    assert len(s.received) == len(s.sent)
    assert set(requests_over(page)) == {"live"}
    assert page.console_errors == []
    page.close()


# every confidence the verdict shows, in order
SHOWN = """() => { const el = document.querySelector('[data-testid=confidence]');
  window.__shown = [];
  new MutationObserver(() => window.__shown.push(el.textContent))
    .observe(el, {childList: true, characterData: true, subtree: true}); }"""


def test_stale_answers_are_dropped_by_seq(browser, live_server):
    """A proxy in the page (Playwright's WebSocket route) passes every message to the real
    server and, before each answer, delivers a forged one: the seq before it, every probability
    0.1. The page draws none of them and stays on the live channel."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    forged = []
    seqs = []

    def route(ws) -> None:
        server = ws.connect_to_server()

        def from_page(message) -> None:
            seqs.append(struct.unpack_from("<I", message)[0])
            server.send(message)

        def from_server(message) -> None:
            stale = bytearray(message)
            seq = struct.unpack_from("<I", stale)[0]
            struct.pack_into("<I", stale, 0, seq - 1)
            answer = read_answer(bytes(stale))
            offset = next(o for name, _, o in answer["header"]["layers"] if name == "softmax")
            stale[offset : offset + 40] = np.full(10, 0.1, "<f4").tobytes()
            stale[4] = 3
            forged.append(seq - 1)
            ws.send(bytes(stale))
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/api/live$"), route)
    page.goto(live_server)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=transport][data-transport=live]")
    # every confidence the verdict ever shows
    page.evaluate(SHOWN)
    draw(page, STROKES[7])
    settle(page)
    assert len(forged) == len(seqs) > 10
    assert seqs == list(range(1, len(seqs) + 1))
    shown = page.evaluate("window.__shown")
    assert shown and "10.0% sure" not in shown, shown
    assert page.get_by_test_id("prediction").text_content() == "7"
    assert set(requests_over(page)) == {"live"}  # every answer came over the channel
    assert transport(page)[0] == "live"
    assert errors == []
    page.close()


def test_an_answer_that_never_comes_falls_back_to_http_then_the_channel_returns(
    browser, live_server
):
    """The route swallows the answer to the third drawing: after the page's timeout (3 s) it
    closes the socket, asks over HTTP instead, and reopens the channel after a backoff."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sockets = []

    def route(ws) -> None:
        server = ws.connect_to_server()
        sockets.append(ws)
        first = len(sockets) == 1
        answered = []

        def from_server(message) -> None:
            answered.append(message)
            if not (first and len(answered) == 3):
                ws.send(message)

        ws.on_message(server.send)
        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/api/live$"), route)
    page.goto(live_server)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=transport][data-transport=live]")
    draw(page, STROKES[7])
    page.wait_for_selector("[data-testid=transport][data-transport=fallback]", timeout=10_000)
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    page.wait_for_selector("[data-testid=transport][data-transport=live]", timeout=10_000)
    assert len(sockets) == 2
    draw(page, [[(60, 200), (62, 230)]])
    settle(page)
    over = requests_over(page)
    assert over[:2] == ["live", "live"] and "http" in over and over[-1] == "live", over
    assert page.get_by_test_id("error").text_content() == ""
    assert errors == []
    page.close()


def test_a_checkpoint_goes_as_its_byte_and_answers_as_http_does(browser, live_server):
    """The time machine's checkpoint (state.checkpoint, set with its slider) is sent as its
    1-based place in /api/knowledge/checkpoints; the answer is HTTP's at that checkpoint."""
    listed = httpx.get(f"{live_server}/api/knowledge/checkpoints").json()["checkpoints"]
    if not listed:
        pytest.skip("the served weights kept no checkpoints (GET /api/knowledge/checkpoints)")
    pages = [
        live_page(browser, live_server),
        live_page(browser, live_server, path="/?transport=http"),
    ]
    if pages[0].get_by_test_id("tm-slider").count() == 0:
        pytest.skip("this page has no time machine to choose a checkpoint with")
    pages[0].wait_for_selector("[data-testid=transport][data-transport=live]")
    for page in pages:
        page.get_by_test_id("tm-slider").fill("0")  # the first checkpoint kept
        settle(page)
        draw(page, STROKES[7])
        settle(page)
        draw(page, [[(60, 200), (62, 230)]])  # a second drawing: the list is known by now
        settle(page)
    live, http = (page.answers.last() for page in pages)
    assert (live["over"], http["over"]) == ("live", "http")
    assert requests_over(pages[0])[-1] == "live"
    last = pages[0].sockets.sent[-1]
    assert struct.unpack_from("<IBBH", last)[1] == 1
    assert read_answer(pages[0].sockets.received[-1])["header"]["checkpoint"] == listed[0]["name"]
    assert live["prediction"] == http["prediction"]
    for name, want in http["layers"].items():
        assert np.array_equal(live["layers"][name], want), name
    for page in pages:
        assert page.console_errors == []
        page.close()


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            # no Upgrade and Connection passed on: the WebSocket handshake cannot get through
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def stripping_proxy(live_server):
    """Debian's nginx in front of the real server, stripping the WebSocket upgrade."""
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install --no-install-recommends nginx)")
    prefix = Path(tempfile.mkdtemp(prefix="lenet-vis-strip-"))
    port = free_port()
    conf = prefix / "nginx.conf"
    upstream = live_server.removeprefix("http://")
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, upstream=upstream))
    proc = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf), "-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, "nginx", timeout=30)
        yield url
    finally:
        stop(proc)


def test_behind_a_proxy_that_strips_the_upgrade_the_page_predicts_over_http(
    browser, stripping_proxy
):
    page = live_page(browser, stripping_proxy)
    page.wait_for_selector("[data-testid=transport][data-transport=fallback]", timeout=10_000)
    assert transport(page) == ("fallback", "Live channel unavailable – using HTTP")
    draw(page, STROKES[7])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    assert page.get_by_test_id("error").text_content() == ""
    assert set(requests_over(page)) == {"http"}
    assert page.sockets.sent == []
    # the line is quiet: small, muted, one line under the verdict
    style = page.get_by_test_id("transport").evaluate(
        "e => [parseFloat(getComputedStyle(e).fontSize), e.getBoundingClientRect().height]"
    )
    assert style[0] <= 12 and style[1] <= 20
    screenshot(page, "live-fallback-1366x768")
    # the channel is tried a few times, then left: only Chromium's own handshake lines
    page.wait_for_timeout(2500)
    assert 1 <= len(page.sockets.urls) <= 3
    assert len(page.console_errors) == len(page.sockets.urls)
    assert all(HANDSHAKE_FAILED.match(e) for e in page.console_errors), page.console_errors
    page.close()


def test_phone_draws_over_the_live_channel(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(live_server)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("[data-testid=transport][data-transport=live]")
    draw(page, STROKES[7])
    settle(page)
    assert page.get_by_test_id("prediction").text_content() == "7"
    assert set(requests_over(page)) == {"live"}
    line = page.get_by_test_id("transport")
    assert line.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    box = line.bounding_box()
    assert box["x"] + box["width"] <= 390
    screenshot(page, "live-phone-390x844")
    assert errors == []
    context.close()


def test_http_fallback_keeps_the_page_working_while_units_are_ablated(page):
    """Ablation has no live form: while a unit is off the page asks /api/explain/ablate."""
    page.wait_for_selector("[data-testid=transport][data-transport=live]")
    draw(page, STROKES[7])
    settle(page)
    assert set(requests_over(page)) == {"live"}
    page.get_by_test_id("explain").click()
    canvas = page.locator('[data-testid=layer-relu1] canvas[data-channel="0"]')
    box = canvas.bounding_box()
    page.keyboard.down("Alt")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.up("Alt")
    page.wait_for_selector("[data-testid=ablated] .explain-chip")
    settle(page)
    assert requests_over(page)[-1] == "http"
    page.get_by_test_id("ablate-none").click()
    settle(page)
    draw(page, [[(150, 150), (152, 180)]])
    settle(page)
    assert requests_over(page)[-1] == "live"


def test_the_channel_sends_the_newest_drawing_and_never_two_at_once(page):
    """LiveChannel on its own against the real server: three drawings asked at once go as two
    messages (the second, replaced by the third before it could go, resolves null)."""
    got = page.evaluate(
        """async () => {
      const { LiveChannel, liveURL } = await import('/static/js/live.js');
      const ch = new LiveChannel(liveURL(location));
      ch.connect();
      while (!ch.isOpen) await new Promise((r) => setTimeout(r, 20));
      const ink = (v) => { const a = new Uint8Array(28 * 28); a.fill(v, 300, 480); return a; };
      const asked = [ch.request(ink(255), 28), ch.request(ink(0), 28), ch.request(ink(200), 28)];
      const answers = await Promise.all(asked);
      const out = { stats: { ...ch.stats }, answers: answers.map((a) => a && [a.seq, a.blank]) };
      ch.close();
      let refused = null;
      await ch.request(ink(255), 28).catch((e) => { refused = e.message; });
      return { ...out, refused };
    }"""
    )
    assert got["answers"] == [[1, False], None, [2, False]]
    assert got["stats"] == {"sent": 2, "answered": 2, "dropped": 0}
    assert got["refused"] == "the live channel is not open"


def test_the_live_channel_page_reads_on_a_phone_without_sideways_scrolling(browser, live_server):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{live_server}/docs/live")
        widths = page.evaluate(
            "[...document.querySelectorAll('pre, table')].map(e => [e.scrollWidth, e.clientWidth])"
        )
        assert len(widths) == 5  # two layouts, the header example, close codes, Python
        assert all(scroll <= client for scroll, client in widths), widths
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        # the header example is the server's, wrapped, not cut
        assert '["softmax",[10],' in page.locator("pre").first.text_content()
    finally:
        page.close()
