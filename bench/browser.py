"""The visualizer in Chromium: first load, drawing latency live vs HTTP, repaint, hover edges.

Starts the real server (or uses --url), opens the visualizer in Debian's Chromium
(Playwright) twice - once as it opens by default (predictions over the live channel, the
WebSocket /api/live) and once with ?transport=http (POST /api/predict) - and draws the same
digits on both, alternating page by page, so both paths are measured in one run against the
same server. It reads the page's own performance measures:
  ready               navigation start -> model and weights fetched, diagram drawn (first load)
  pointer-to-repaint  a pointer event on the pad -> the frame with the repainted layers
  repaint             repainting the whole diagram and the verdict from one answer
  request             each prediction in flight (detail: "live" or "http"; most at once: 1)
  hover-to-edges      a pointer event over a cell -> its edges, windows and ring drawn
  edges               the same, from the moment the page handles the event (its own work)
and counts animation frames while drawing, and the WebSocket messages the live page sends
and receives (Playwright's view of the socket): the most sent and not yet answered at once.
Run: python bench/browser.py [--digits 12] [--loads 5] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw, most_in_flight, settle  # noqa: E402
from tests.server import running_server  # noqa: E402

FRAME_COUNTER = """() => { window.__frames = 0; const tick = () => { window.__frames++;
  requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""

# a few cells of every kind of slot, as (layer, fraction across, fraction down)
HOVER_LAYERS = ["input", "relu1", "pool1", "relu2", "pool2", "relu3", "relu4", "fc3", "softmax"]
TRANSPORTS = ("live", "http")


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def durations(page, name):
    return page.evaluate(f"() => performance.getEntriesByName('{name}').map(e => e.duration)")


def summary(label, values):
    return (
        f"{label}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
        f"max {max(values):.1f} ms (n={len(values)})"
    )


def sweep(page):
    """Move the mouse across every layer's maps, cell by cell."""
    for name in HOVER_LAYERS:
        for canvas in page.locator(f"[data-testid=layer-{name}] canvas").all()[:4]:
            box = canvas.bounding_box()
            for i in range(12):
                t = (i + 0.5) / 12
                page.mouse.move(box["x"] + t * box["width"], box["y"] + (1 - t) * box["height"])


class SocketCount:
    """WebSocket messages of one page, in the order Playwright sees them: the most sent and
    not yet answered at once."""

    def __init__(self, page) -> None:
        self.sent = self.received = self.most = 0
        page.on("websocket", self.watch)

    def watch(self, ws) -> None:
        ws.on("framesent", self.on_sent)
        ws.on("framereceived", self.on_received)

    def on_sent(self, _payload) -> None:
        self.sent += 1
        self.most = max(self.most, self.sent - self.received)

    def on_received(self, _payload) -> None:
        self.received += 1


def open_visualizer(browser, url: str, transport: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.sockets = SocketCount(page)
    page.goto(url if transport == "live" else f"{url}/?transport=http")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    # the live page draws only once its channel is open (it would use HTTP until then)
    page.wait_for_selector(f"[data-testid=transport][data-transport={transport}]", timeout=20_000)
    page.evaluate(FRAME_COUNTER)
    page.seconds = 0.0
    page.frames_drawn = 0
    return page


def draw_digit(page, digit: int, clear: bool) -> None:
    t0 = page.evaluate("() => [performance.now(), window.__frames]")
    draw(page, STROKES[digit], steps=12)
    t1 = page.evaluate("() => [performance.now(), window.__frames]")
    page.seconds += (t1[0] - t0[0]) / 1000
    page.frames_drawn += t1[1] - t0[1]
    settle(page)
    if clear:
        page.get_by_test_id("clear").click()
        settle(page)


def row(label: str, live: float, http: float, unit: str = " ms") -> str:
    ratio = f"{live / http:.2f}" if http else "-"
    return f"  {label:<34} {live:>8.1f}{unit:<3} {http:>8.1f}{unit:<3} {ratio:>9}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--digits", type=int, default=12, help="digits drawn on each page")
    parser.add_argument("--loads", type=int, default=5, help="fresh page loads timed")
    parser.add_argument("--url", help="a server already running (default: start one)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = contextlib.nullcontext(args.url.rstrip("/")) if args.url else running_server()
    with server as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        loads = []
        for i in range(args.loads):
            print(f"\r  first load {i + 1}/{args.loads}", end="", file=sys.stderr)
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=20_000)
            loads.append(durations(page, "ready")[0])
            context.close()
        print(file=sys.stderr)

        pages = {t: open_visualizer(browser, url, t) for t in TRANSPORTS}
        for i in range(args.digits):
            digit = [1, 7, 0][i % 3]
            # alternate which path goes first, so neither always follows the other's load
            for t in TRANSPORTS if i % 2 == 0 else TRANSPORTS[::-1]:
                print(f"\r  drawing digit {i + 1}/{args.digits} ({t})  ", end="", file=sys.stderr)
                draw_digit(pages[t], digit, clear=i < args.digits - 1)
        print(file=sys.stderr)
        got = {}
        for t, page in pages.items():
            got[t] = {
                "latency": durations(page, "pointer-to-repaint"),
                "repaint": durations(page, "repaint"),
                "request": durations(page, "request"),
                "fps": page.frames_drawn / page.seconds,
                "in_flight": most_in_flight(page),
                "over": page.evaluate(
                    "() => performance.getEntriesByName('request').map(e => e.detail)"
                ),
            }
        sockets = pages["live"].sockets
        print("  hovering every layer", file=sys.stderr)
        sweep(pages["live"])
        hover = durations(pages["live"], "hover-to-edges")
        work = durations(pages["live"], "edges")
        browser.close()

    live, http = got["live"], got["http"]
    print(f"first load (model, weights, diagram drawn): {summary('', loads)[2:]}")
    print(f"{args.digits} digits drawn on each page, alternating; same server, same strokes")
    print(f"  {'':<34} {'live':>11} {'http':>11} {'live/http':>9}")
    labels = {
        "latency": "pointer -> repainted layers",
        "request": "request (sent -> answer read)",
        "repaint": "repaint of the diagram",
    }
    for name, label in labels.items():
        for q, qname in ((0.5, "p50"), (0.95, "p95")):
            a, b = percentile(live[name], q), percentile(http[name], q)
            print(row(f"{label} {qname}", a, b))
    for limit in (17, 20):
        share = [
            100 * sum(v <= limit for v in got[t]["latency"]) / max(1, len(got[t]["latency"]))
            for t in TRANSPORTS
        ]
        print(row(f"pointer -> repainted within {limit} ms", *share, " %"))
    print(row("frames per second while drawing", live["fps"], http["fps"], " /s"))
    print(
        f"  answers drawn: live page {len(live['latency'])} "
        f"(requests {live['over'].count('live')} live, {live['over'].count('http')} http), "
        f"http page {len(http['latency'])} (requests {http['over'].count('http')} http)"
    )
    print(
        f"  most requests in flight at once: live page {live['in_flight']}, "
        f"http page {http['in_flight']}; WebSocket messages sent {sockets.sent}, "
        f"answered {sockets.received}, most unanswered at once {sockets.most}"
    )
    print(summary("hover -> edges drawn (live page)", hover))
    print(summary("  of which the page's own work (describe, boxes, edges)", work))
    if max(live["in_flight"], http["in_flight"], sockets.most) > 1:
        sys.exit("more than one request was in flight")


if __name__ == "__main__":
    main()
