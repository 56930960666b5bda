"""The visualizer in Chromium: first load, drawing latency, repaint, hover edges, frames/s.

Starts the real server, opens the visualizer in Debian's Chromium (Playwright) and reads the
page's own performance measures:
  ready               navigation start -> model and weights fetched, diagram drawn (first load)
  pointer-to-repaint  a pointer event on the pad -> the frame with the repainted layers
  repaint             repainting the whole diagram and the verdict from one answer
  hover-to-edges      a pointer event over a cell -> its edges, windows and ring drawn
  edges               the same, from the moment the page handles the event (its own work)
  request             each /api/predict in flight (the most at once must be 1)
It draws digits stroke by stroke with the mouse, counts animation frames while drawing, then
sweeps the mouse over cells of every layer.
Run: python bench/browser.py [--digits 12] [--loads 5]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--digits", type=int, default=12)
    parser.add_argument("--loads", type=int, default=5, help="fresh page loads timed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as p:
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

        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        page.evaluate(FRAME_COUNTER)
        seconds = 0.0
        frames = 0
        for i in range(args.digits):
            digit = [1, 7, 0][i % 3]
            print(f"\r  drawing digit {i + 1}/{args.digits}", end="", file=sys.stderr)
            t0 = page.evaluate("() => [performance.now(), window.__frames]")
            draw(page, STROKES[digit], steps=12)
            t1 = page.evaluate("() => [performance.now(), window.__frames]")
            seconds += (t1[0] - t0[0]) / 1000
            frames += t1[1] - t0[1]
            settle(page)
            if i < args.digits - 1:
                page.get_by_test_id("clear").click()
                settle(page)
        print(file=sys.stderr)
        latency = durations(page, "pointer-to-repaint")
        repaint = durations(page, "repaint")
        requests = len(durations(page, "request"))
        in_flight = most_in_flight(page)
        print("  hovering every layer", file=sys.stderr)
        sweep(page)
        hover = durations(page, "hover-to-edges")
        work = durations(page, "edges")
        browser.close()

    print(f"first load (model, weights, diagram drawn): {summary('', loads)[2:]}")
    print(f"requests sent: {requests}; most in flight at once: {in_flight}")
    print(summary("pointer event -> repainted layers", latency))
    print(summary("repaint of the whole diagram", repaint))
    print(summary("hover -> edges drawn", hover))
    print(summary("  of which the page's own work (describe, boxes, edges)", work))
    print(f"frames per second while drawing: {frames / seconds:.0f}")
    if in_flight > 1:
        sys.exit("more than one request was in flight")


if __name__ == "__main__":
    main()
