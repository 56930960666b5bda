"""The inspector's cost per hover and the size of a view's link, in Chromium.

Starts the real server, draws a 7 on the visualizer, then in the page times describe() and
Inspector.update() (and the layout they force) for 300 cells of conv2, pool2, fc1, fc3 and
softmax, on the real layers and weights fetched from the API. Then prints the length of the
URL-state fragment for the drawn digits (mouse moves 1-2 px apart).
Run: python bench/inspector.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw, settle  # noqa: E402
from tests.server import running_server  # noqa: E402

TIMING = """async () => {
  const { indexLayers } = await import('/static/js/geometry.js');
  const { decodePrediction, decodeWeights } = await import('/static/js/decode.js');
  const { describe } = await import('/static/js/describe.js');
  const { Inspector } = await import('/static/js/inspector.js');
  const get = (url, init) => fetch(url, init).then((r) => r.json());
  const model = await get('/api/model');
  const byName = indexLayers(model.layers);
  const weights = {};
  for (const l of model.layers.filter((l) => l.parameters > 0)) {
    weights[l.name] = decodeWeights(await get(`/api/weights/${l.name}?encoding=base64`));
  }
  const png = document.querySelector('[data-testid=draw-pad]').toDataURL('image/png');
  const body = await get('/api/predict', { method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ image_base64: png, encoding: 'base64' }) });
  const layers = decodePrediction(body).layers;
  const root = Object.assign(document.createElement('div'), { className: 'inspector' });
  document.querySelector('[data-testid=inspector]').after(root);
  const inspector = new Inspector(root);
  const out = {};
  for (const name of ['conv2', 'pool2', 'fc1', 'fc3', 'softmax']) {
    const s = byName[name].output_shape;
    const [n, h, w] = s.length === 3 ? s : [s[0], 1, 1];
    const times = [[], [], []];
    for (let i = 0; i < 300; i++) {
      const cell = { layer: name, c: i % n, y: Math.floor(i / n) % h, x: (i * 7) % w };
      const t0 = performance.now();
      const sel = describe({ byName, weights, layers, pinned: true }, cell);
      const t1 = performance.now();
      inspector.update(sel);
      const t2 = performance.now();
      void root.offsetHeight;
      const t3 = performance.now();
      times[0].push(t1 - t0); times[1].push(t2 - t1); times[2].push(t3 - t2);
    }
    out[name] = times.map((t) => t.sort((a, b) => a - b)).map((t) => [t[150], t[285]]);
  }
  root.remove();
  return out;
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        draw(page, STROKES[7])
        settle(page)
        print("per hover, ms (p50 / p95 of 300 cells): describe | inspector.update | layout")
        for name, parts in page.evaluate(TIMING).items():
            cols = " | ".join(f"{a:5.2f} / {b:5.2f}" for a, b in parts)
            print(f"  {name:8s} {cols}")
        print("URL of the view (the page's own link), drawn with mouse moves 1-2 px apart:")
        for digit in (7, 1, 0):
            pg = browser.new_page(viewport={"width": 1366, "height": 768})
            pg.goto(url + "/")
            pg.wait_for_selector("body[data-ready=true]", timeout=20_000)
            draw(pg, STROKES[digit], steps=80)
            settle(pg)
            pg.wait_for_timeout(300)
            link = pg.url
            if "#" not in link:
                print("  (this page does not write its state to the URL yet)")
                break
            print(f"  digit {digit}: {len(link.encode())} bytes of URL ({link[:60]}...)")
            pg.close()
        browser.close()


if __name__ == "__main__":
    main()
