"""The training time machine in Chromium: how long a move of the slider takes to show.

Starts the real server, opens the visualizer in Debian's Chromium (Playwright), draws a 7 and
moves the slider to every checkpoint in turn, twice: the first pass fetches each checkpoint's
weights (and the server reads that checkpoint from its .npz), the second finds them cached.
Each figure runs from the slider's input event to the first frame in which the page reads
with that checkpoint and no prediction is pending (the maps, verdict and inspector redrawn).
Never fails on a time; skips when the served weights kept no checkpoints.
Run: python bench/timemachine.py [--passes 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw, settle  # noqa: E402
from tests.server import running_server  # noqa: E402

MOVE = """async ([i, want]) => {
  const slider = document.querySelector('[data-testid=tm-slider]');
  const tm = document.querySelector('[data-testid=timemachine]');
  const net = document.querySelector('[data-testid=network]');
  const t0 = performance.now();
  slider.value = String(i);
  slider.dispatchEvent(new Event('input'));
  await new Promise((done) => {
    const check = () => (tm.dataset.checkpoint === want && tm.getAttribute('aria-busy') === 'false'
      && net.getAttribute('aria-busy') === 'false') ? done() : requestAnimationFrame(check);
    requestAnimationFrame(check);
  });
  return performance.now() - t0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="passes over the checkpoints")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url:
        records = httpx.get(f"{url}/api/knowledge/checkpoints").json()["checkpoints"]
        if len(records) < 2:
            print("the served weights kept no checkpoints: nothing to measure")
            return
        names = [r["name"] for r in records[:-1]] + ["final"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            draw(page, STROKES[7])
            settle(page)
            passes = []
            for n in range(args.passes):
                times = []
                # from the last checkpoint back to init, as a person drags back in time
                for i in reversed(range(len(records))):
                    if n == 0 and i == len(records) - 1:
                        continue  # already there
                    times.append(page.evaluate(MOVE, [i, names[i]]))
                passes.append(times)
                print(f"pass {n + 1}/{args.passes}: {len(times)} moves", file=sys.stderr)
            browser.close()
    print(f"{len(records)} checkpoints: {', '.join(r['name'] for r in records)}")
    for n, times in enumerate(passes):
        kind = "first visit (weights fetched)" if n == 0 else "cached weights"
        print(
            f"pass {n + 1}, {kind}: median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms over {len(times)} moves"
        )


if __name__ == "__main__":
    main()
