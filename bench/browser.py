"""Drawing latency in Chromium: from a pointer event to the repainted layers, and frames/s.

Starts the real server, opens the visualizer in Debian's Chromium (Playwright), draws digits
stroke by stroke with the mouse, and reads the page's own measurements (performance.now() at
the pointer event to the animation frame after the layers were repainted). Also counts
animation frames while drawing, and checks that never more than one request was in flight.
Run: python bench/browser.py [--digits 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw, settle  # noqa: E402
from tests.server import running_server  # noqa: E402

FRAME_COUNTER = """() => { window.__frames = 0; const tick = () => { window.__frames++;
  requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"""


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--digits", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as p:
        if True:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=20_000)
            page.evaluate(FRAME_COUNTER)
            seconds = 0.0
            for i in range(args.digits):
                digit = [1, 7, 0][i % 3]
                print(f"\r  drawing digit {i + 1}/{args.digits}", end="", file=sys.stderr)
                t0 = page.evaluate("() => [performance.now(), window.__frames]")
                draw(page, STROKES[digit], steps=12)
                t1 = page.evaluate("() => [performance.now(), window.__frames]")
                seconds += (t1[0] - t0[0]) / 1000
                frames = t1[1] - t0[1]
                settle(page)
                page.get_by_test_id("clear").click()
                settle(page)
                page.evaluate(
                    f"() => {{ window.__frameTotal = (window.__frameTotal || 0) + {frames}; }}"
                )
            print(file=sys.stderr)
            stats = page.evaluate("() => window.lenetStats")
            frames = page.evaluate("() => window.__frameTotal")
            renders = page.evaluate(
                "() => performance.getEntriesByName('render').map(e => e.duration)"
            )
            browser.close()

    lat = stats["latencies"]
    print(f"requests sent: {stats['requests']}; most in flight at once: {stats['inFlightMax']}")
    print(
        f"pointer event -> repainted layers: p50 {statistics.median(lat):.1f} ms, "
        f"p95 {percentile(lat, 0.95):.1f} ms, max {max(lat):.1f} ms (n={len(lat)})"
    )
    print(
        f"repaint of every layer alone: p50 {statistics.median(renders):.1f} ms, "
        f"p95 {percentile(renders, 0.95):.1f} ms"
    )
    print(f"frames per second while drawing: {frames / seconds:.0f}")
    if stats["inFlightMax"] > 1:
        sys.exit("more than one request was in flight")


if __name__ == "__main__":
    main()
