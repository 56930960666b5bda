"""Strokes on the draw pad, in pad coordinates (0-280), made with the real mouse."""

import itertools
import math

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
    """Wait until no request is in flight and nothing is waiting to be sent."""
    page.wait_for_function(
        "() => window.lenetState && !window.lenetState.inFlight && !window.lenetState.dirty",
        timeout=timeout,
    )


def hover_cell(page, layer, channel, y, x, click=False):
    """Move the mouse over cell (y, x) of map `channel` of `layer`."""
    canvas = page.locator(f'[data-testid=layer-{layer}] canvas[data-channel="{channel}"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    h, w = canvas.evaluate("c => [c.height, c.width]")
    px = box["x"] + (x + 0.5) * box["width"] / w
    py = box["y"] + (y + 0.5) * box["height"] / h
    page.mouse.move(px, py)
    if click:
        page.mouse.click(px, py)
