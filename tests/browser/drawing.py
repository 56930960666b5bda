"""Strokes on the draw pad, in pad coordinates (0-280), made with the real mouse; the answers
the page receives."""

import base64
import itertools
import math
from urllib.parse import parse_qs, urlsplit

import numpy as np

from lenet_vis.app.live import read_answer

STROKES = {
    1: [[(140, 45), (138, 235)]],
    7: [[(80, 60), (200, 60)], [(200, 60), (115, 235)]],
    0: [
        [
            (140 + 60 * math.sin(t / 24 * 2 * math.pi), 140 - 90 * math.cos(t / 24 * 2 * math.pi))
            for t in range(25)
        ]
    ],
}


def draw(page, strokes, steps=6):
    box = page.get_by_test_id("draw-pad").bounding_box()
    k = box["width"] / 280

    def at(p):
        return box["x"] + p[0] * k, box["y"] + p[1] * k

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for a, b in itertools.pairwise(stroke):
            for i in range(1, steps + 1):
                t = i / steps
                page.mouse.move(*at((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))
        page.mouse.up()


def settle(page, timeout=10_000):
    """Wait until no request is in flight and nothing is waiting to be sent (aria-busy)."""
    page.wait_for_selector("[data-testid=network][aria-busy=false]", timeout=timeout)


def most_in_flight(page, measure: str = "request") -> int:
    """The most requests in flight at once, from the page's performance measures of that name
    ("request" for predictions, "explain-request" for the Explain panel)."""
    return page.evaluate(
        """(name) => {
        const ev = performance.getEntriesByName(name).flatMap(
          (e) => [[e.startTime, 1], [e.startTime + e.duration, -1]]);
        ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let open = 0, most = 0;
        for (const [, d] of ev) { open += d; most = Math.max(most, open); }
        return most;
      }""",
        measure,
    )


def hover_cell(page, layer, channel, y, x, click=False):
    """Move the mouse over cell (y, x) of map `channel` of `layer` (a unit's row and column in
    the block of nodes of a dense layer)."""
    canvas = page.locator(f'[data-testid=layer-{layer}] canvas[data-channel="{channel}"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    h, w = canvas.evaluate("c => [c.height, c.width]")
    px = box["x"] + (x + 0.5) * box["width"] / w
    py = box["y"] + (y + 0.5) * box["height"] / h
    page.mouse.move(px, py)
    if click:
        page.mouse.click(px, py)


def hover_unit(page, layer, unit, click=False):
    """Move the mouse over unit `unit` of a dense layer (its nodes are laid out row by row)."""
    canvas = page.locator(f"[data-testid=layer-{layer}] canvas")
    cols = canvas.evaluate("c => c.width")
    hover_cell(page, layer, 0, unit // cols, unit % cols, click=click)


def windows(page):
    """Every highlighted source window as (layer, channel, y, x, h, w)."""
    return sorted(
        tuple(int(v) if v.isdigit() else v for v in w)
        for w in page.locator("[data-testid=source-window]").evaluate_all(
            "els => els.map(e => [e.dataset.layer, e.dataset.channel, e.dataset.y, "
            "e.dataset.x, e.dataset.h, e.dataset.w])"
        )
    )


class Answers:
    """Every prediction answer a page receives, over the live channel (WebSocket frames) or
    HTTP (/api/predict, /api/explain/ablate), in order. Attach before the page loads."""

    def __init__(self, page) -> None:
        self.received: list = []  # ("live", bytes) or ("http", Response)
        page.on("websocket", self.watch)
        page.on("response", self.response)

    def watch(self, ws) -> None:
        if urlsplit(ws.url).path == "/api/live":
            ws.on("framereceived", lambda payload: self.received.append(("live", payload)))

    def response(self, r) -> None:
        if urlsplit(r.url).path in ("/api/predict", "/api/explain/ablate"):
            self.received.append(("http", r))

    def last(self) -> dict:
        """The newest answer: {over, checkpoint (its name, None for the final weights),
        prediction, probabilities, layers: {name: float32 array}}."""
        over, got = self.received[-1]
        if over == "live":
            frame = read_answer(got)
            layers = frame["layers"]
            return {
                "over": over,
                "checkpoint": frame["header"]["checkpoint"],
                "prediction": frame["prediction"],
                "probabilities": layers["softmax"].tolist(),
                "layers": layers,
            }
        body = got.json()
        layers = {
            lay["name"]: np.frombuffer(base64.b64decode(lay["data"]), "<f4").reshape(lay["shape"])
            for lay in body["layers"]
        }
        if isinstance(body.get("input"), str):  # the 32x32 network input, as the live frame has it
            layers["input"] = np.frombuffer(base64.b64decode(body["input"]), "<f4").reshape(
                1, 32, 32
            )
        return {
            "over": over,
            "checkpoint": parse_qs(urlsplit(got.url).query).get("checkpoint", [None])[0],
            "prediction": body["prediction"],
            "probabilities": body["probabilities"],
            "layers": layers,
        }
