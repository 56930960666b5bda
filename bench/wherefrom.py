"""Where from in Chromium: the panel's requests while a person draws, and the map's first draw.

Starts the real server, opens the visualizer in Debian's Chromium (Playwright), opens Where
from, draws digits stroke by stroke with the mouse and reads the page's performance measures:
  wherefrom-request    each POST /api/knowledge/neighbours in flight (the most at once must be 1)
  request              the page's predictions (to count neighbours requests per prediction)
  knowledge-map-fetch  GET /api/knowledge/map, from asking to the parsed answer
  knowledge-map-draw   projecting and drawing the 10,000 points, rings and names
and the bytes of each answer. Prints; never fails on a time.
Run: python bench/wherefrom.py [--digits 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser import durations, summary  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw, most_in_flight, settle  # noqa: E402
from tests.server import running_server  # noqa: E402

IDLE = (
    "() => document.querySelector('[data-testid=wherefrom-panel]')"
    ".getAttribute('aria-busy') === 'false'"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--digits", type=int, default=9)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        sizes: dict[str, list[int]] = {}

        def size(r):
            if "/api/knowledge/" in r.url:
                key = r.url.split("/api/knowledge/")[1].split("/")[0]
                sizes.setdefault(key, []).append(len(r.body()))

        page.on("response", size)
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.get_by_test_id("wherefrom").click()
        page.wait_for_selector("[data-testid=knowledge-map][data-ready=true]", timeout=30_000)
        digits = list(STROKES)
        for i in range(args.digits):
            print(f"digit {i + 1}/{args.digits}", end="\r", file=sys.stderr, flush=True)
            page.get_by_test_id("clear").click()
            draw(page, STROKES[digits[i % len(digits)]])
            settle(page)
            page.wait_for_function(IDLE, timeout=30_000)
        print(file=sys.stderr)
        asked = durations(page, "wherefrom-request")
        predictions = durations(page, "request")
        print(summary("neighbours request (in flight)", asked))
        print(
            f"neighbours requests per prediction: {len(asked) / len(predictions):.2f} "
            f"({len(asked)} for {len(predictions)})"
        )
        print(
            "most neighbours requests in flight at once:",
            most_in_flight(page, "wherefrom-request"),
        )
        for name in ("knowledge-map-fetch", "knowledge-map-draw"):
            print(summary(name, durations(page, name)))
        for key, values in sorted(sizes.items()):
            print(
                f"{key}: {statistics.median(values) / 1024:.1f} KiB a response, median",
                f"(n={len(values)})",
            )
        browser.close()


if __name__ == "__main__":
    main()
