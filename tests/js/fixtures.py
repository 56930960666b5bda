"""The geometry fixture the JS tests hold geometry.js to, made from lenet_vis/model/geometry.py.

    python -m tests.js.fixtures     # rewrites tests/js/fixtures/geometry.json

tests/js/test_node.py fails when the committed file differs from what this makes, so the
Python and the JS geometry cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lenet_vis.model.geometry import model_summary, receptive_field, source_window

FIXTURE = Path(__file__).parent / "fixtures" / "geometry.json"
RANDOM_CELLS = 24  # per layer, besides the corners of the first and last map
MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1), (-3, 5), (7, -2), (0, 0)]


def dims(shape: list[int]) -> tuple[int, int, int]:
    """(channels, height, width); a vector of n units is (n, 1, 1)."""
    return tuple(shape) if len(shape) == 3 else (shape[0], 1, 1)


def cells_of(layer: dict, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    n, h, w = dims(layer["output_shape"])
    corners = {(c, y, x) for c in (0, n - 1) for y in (0, h - 1) for x in (0, w - 1)}
    picked = zip(
        rng.integers(0, n, RANDOM_CELLS),
        rng.integers(0, h, RANDOM_CELLS),
        rng.integers(0, w, RANDOM_CELLS),
        strict=True,
    )
    return sorted(corners | {(int(c), int(y), int(x)) for c, y, x in picked})


def moved(layer: dict, c: int, y: int, x: int, dy: int, dx: int) -> dict:
    """Where the keyboard takes a cell: clamped in its map; a vector's units move along."""
    n, h, w = dims(layer["output_shape"])
    if len(layer["output_shape"]) == 1:
        return {"c": min(n - 1, max(0, c + dx + dy)), "y": 0, "x": 0}
    return {"c": min(n - 1, c), "y": min(h - 1, max(0, y + dy)), "x": min(w - 1, max(0, x + dx))}


def geometry_fixture() -> dict:
    """{layers: the /api/model layer list, cells: [...], moves: [...]} (JSON-ready)."""
    rng = np.random.default_rng(0)
    layers = model_summary()
    cells, moves = [], []
    for layer in layers:
        name, shape = layer["name"], dims(layer["output_shape"])
        for c, y, x in cells_of(layer, rng):
            win = source_window(name, c, y, x)
            cells.append(
                {
                    "layer": name,
                    "c": c,
                    "y": y,
                    "x": x,
                    "flat": int(np.ravel_multi_index((c, y, x), shape)),
                    "source_window": win.as_dict() if win else None,
                    "receptive_field": receptive_field(name, y, x).as_dict(),
                }
            )
        n, h, w = shape
        for c, y, x in sorted({(0, 0, 0), (n - 1, h - 1, w - 1), (n // 2, h // 2, w // 2)}):
            for dy, dx in MOVES:
                to = moved(layer, c, y, x, dy, dx)
                cell = {"c": c, "y": y, "x": x}
                moves.append({"layer": name, "cell": cell, "dy": dy, "dx": dx, "to": to})
    return {"layers": layers, "cells": cells, "moves": moves}


def fixture_text() -> str:
    """The fixture as committed: one cell or move a line, so a diff reads."""
    fx = geometry_fixture()
    lines = ["{", f'"layers": {json.dumps(fx["layers"])},', '"cells": [']
    lines.append(",\n".join(json.dumps(c) for c in fx["cells"]))
    lines += ["],", '"moves": [', ",\n".join(json.dumps(m) for m in fx["moves"]), "]", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    FIXTURE.write_text(fixture_text())
