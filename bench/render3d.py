"""Frame time of the 3D view in Chromium with software WebGL (--disable-gpu: SwiftShader).

Starts the real server, draws a 7, switches to 3D and measures:
  - frame: one repaint while turning, from the start of the animation frame that draws it to
    the rasterised picture (a 1-pixel readPixels waits until the rasteriser is done),
  - turn: a drag step on the canvas to that finished frame (so with the wait for the frame),
  - hover: the mouse onto a cell to the finished frame with its ring, edges and windows,
  - 3d-render: the page's own performance measure around renderer.render (CPU side only).
Optionally saves a picture of the 3D view with a pinned conv2 cell (for the README).
Run: python bench/render3d.py [--steps 60] [--screenshot docs/3d.png]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.browser.drawing import STROKES, draw  # noqa: E402
from tests.server import running_server  # noqa: E402

CANVAS = "[data-testid=stage-3d] canvas"
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
RENDERER = """() => { const gl = document.createElement('canvas').getContext('webgl2');
  const d = gl.getExtension('WEBGL_debug_renderer_info');
  return d ? gl.getParameter(d.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER); }"""

# One drag step (synthetic pointer events on the canvas), then the frame it asks for, then
# a readPixels that returns only when the software rasteriser has finished that frame.
TURN = """async ([steps, x, y]) => {
  const canvas = document.querySelector('[data-testid=stage-3d] canvas');
  const gl = canvas.getContext('webgl2');
  const px = new Uint8Array(4);
  const frame = () => new Promise(requestAnimationFrame);
  const ev = (type, cx) => canvas.dispatchEvent(new PointerEvent(type, { pointerId: 7,
    pointerType: 'mouse', button: 0, buttons: 1, clientX: cx, clientY: y, bubbles: true }));
  ev('pointerdown', x);
  const turns = [];
  const frames = [];
  for (let i = 1; i <= steps; i++) {
    await frame();
    let start = 0;
    requestAnimationFrame(() => { start = performance.now(); }); // runs just before the view's
    const t0 = performance.now();
    ev('pointermove', x + 8 * i);
    await new Promise((done) => requestAnimationFrame(() => {  // runs just after the view's
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      const end = performance.now();
      turns.push(end - t0);
      frames.push(end - start);
      done();
    }));
  }
  ev('pointerup', x + 8 * steps);
  return [turns, frames];
}"""

HOVER = """async ([x, y]) => {
  const canvas = document.querySelector('[data-testid=stage-3d] canvas');
  const gl = canvas.getContext('webgl2');
  const px = new Uint8Array(4);
  const t0 = performance.now();
  canvas.dispatchEvent(new PointerEvent('pointermove', {
    pointerId: 9, pointerType: 'mouse', clientX: x, clientY: y, bubbles: true }));
  await new Promise(requestAnimationFrame);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
  return performance.now() - t0;
}"""


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def summary(name, values):
    p50, p95, top = statistics.median(values), percentile(values, 0.95), max(values)
    print(f"{name:>10}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {top:6.1f} ms  (n={len(values)})")


def project(page, cell):
    p = page.locator(CANVAS).evaluate("(c, cell) => c.projectCell(cell)", cell)
    return p["x"], p["y"]


def save_picture(page, path: Path, width: int) -> None:
    """The 3D stage as a small palette PNG."""
    from PIL import Image

    shot = Image.open(io.BytesIO(page.get_by_test_id("stage-3d").screenshot())).convert("RGB")
    if shot.width > width:
        shot = shot.resize((width, round(shot.height * width / shot.width)), Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    shot.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"saved {path} ({shot.width}x{shot.height}, {path.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the 3D view here")
    parser.add_argument("--picture-width", type=int, default=760)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        draw(page, STROKES[7])
        page.wait_for_selector("[data-testid=network][aria-busy=false]", timeout=15_000)
        page.get_by_test_id("view-3d").click()
        page.wait_for_selector(CANVAS)
        page.evaluate(TWO_FRAMES)
        renderer = page.evaluate(RENDERER)
        size = page.locator(CANVAS).evaluate("c => [c.width, c.height]")
        print(f"WebGL renderer: {renderer}; canvas {size[0]}x{size[1]} px")

        pre = page.get_by_test_id("show-pre").is_checked()
        dense, conv = ("fc1", "conv2") if pre else ("relu3", "relu2")
        if args.screenshot:  # before turning: the view a person first sees, a conv2 cell pinned
            page.mouse.click(*project(page, {"layer": conv, "c": 5, "y": 4, "x": 4}))
            page.evaluate(TWO_FRAMES)
            save_picture(page, args.screenshot, args.picture_width)
            page.keyboard.press("Escape")

        hovers = []
        cells = [{"layer": "pool2", "c": c % 16, "y": c % 5, "x": (c * 3) % 5} for c in range(20)]
        cells += [{"layer": dense, "c": c, "y": 0, "x": 0} for c in range(0, 120, 6)]
        for cell in cells:
            hovers.append(page.evaluate(HOVER, list(project(page, cell))))
        box = page.locator(CANVAS).bounding_box()
        start = [args.steps, box["x"] + 40, box["y"] + box["height"] / 2]
        turns, frames = page.evaluate(TURN, start)
        cpu = page.evaluate("() => performance.getEntriesByName('3d-render').map(e => e.duration)")
        summary("frame", frames)
        summary("turn", turns)
        summary("hover", hovers)
        summary("3d-render", cpu[2:])  # the first frames compile the shaders
        browser.close()


if __name__ == "__main__":
    main()
