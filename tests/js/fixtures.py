"""Fixtures the JS tests read, made by the Python they must agree with.

    python -m tests.js.fixtures     # rewrites tests/js/fixtures/*.json

geometry.json comes from lenet_vis/model/geometry.py (geometry.js is held to it); decode.json
is a predict body written by the app's own encoder and JSON writer (decode.js is held to it).
tests/js/test_node.py fails when a committed file differs from what this makes, so the two
sides cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson

from lenet_vis.app.codec import encode
from lenet_vis.model.geometry import model_summary, receptive_field, source_window

FIXTURES = Path(__file__).parent / "fixtures"
RANDOM_CELLS = 24  # per layer, besides the corners of the first and last map
MOVES = [
    (-1, 0, 0),
    (1, 0, 0),
    (0, -1, 0),
    (0, 1, 0),
    (-3, 5, 0),
    (7, -2, 0),
    (0, 0, 0),
    (0, 0, 1),
    (0, 0, -1),
    (1, 1, 40),
]


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


def moved(layer: dict, c: int, y: int, x: int, dy: int, dx: int, dc: int) -> dict:
    """Where the keyboard takes a cell: clamped in its layer; a vector's units move along."""
    n, h, w = dims(layer["output_shape"])
    if len(layer["output_shape"]) == 1:
        return {"c": min(n - 1, max(0, c + dx + dy + dc)), "y": 0, "x": 0}
    return {
        "c": min(n - 1, max(0, c + dc)),
        "y": min(h - 1, max(0, y + dy)),
        "x": min(w - 1, max(0, x + dx)),
    }


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
            for dy, dx, dc in MOVES:
                to = moved(layer, c, y, x, dy, dx, dc)
                cell = {"c": c, "y": y, "x": x}
                moves.append({"layer": name, "cell": cell, "dy": dy, "dx": dx, "dc": dc, "to": to})
    return {"layers": layers, "cells": cells, "moves": moves}


def geometry_text() -> str:
    """The geometry fixture as committed: one cell or move a line, so a diff reads."""
    fx = geometry_fixture()
    lines = ["{", f'"layers": {json.dumps(fx["layers"])},', '"cells": [']
    lines.append(",\n".join(json.dumps(c) for c in fx["cells"]))
    lines += ["],", '"moves": [', ",\n".join(json.dumps(m) for m in fx["moves"]), "]", "}"]
    return "\n".join(lines) + "\n"


def decode_text() -> str:
    """{body: a predict body as the app writes it, expected: {layer: flat float32 values}}."""
    special = [0.0, -0.0, 1.0, -1.5, 3.4e38, -1e-45, 1e-7, 0.1, 255.0, -2.5e-3]
    rng = np.random.default_rng(1)
    maps = np.concatenate([special, rng.normal(0, 3, 2 * 3 * 4 - len(special))])
    maps = maps.astype(np.float32).reshape(2, 3, 4)
    vector = rng.normal(0, 1, 7).astype(np.float32)
    image = rng.random((4, 4)).astype(np.float32)
    body = {
        "prediction": 3,
        "probabilities": [0.1] * 10,
        "blank": False,
        "input": encode(image, "base64"),
        "layers": [
            {"name": "conv1", "kind": "conv", "shape": [2, 3, 4], "data": encode(maps, "base64")},
            {"name": "fc1", "kind": "dense", "shape": [7], "data": encode(vector, "list")},
            {"name": "relu1", "kind": "relu", "shape": [2, 3, 4], "data": encode(maps, "list")},
        ],
        "weights": {
            "weights": encode(maps, "list"),
            "bias": encode(vector, "base64"),
            "weights_shape": [2, 3, 4],
        },
    }
    expected = {
        name: [float(v) for v in a.ravel()]
        for name, a in (("input", image), ("conv1", maps), ("fc1", vector), ("relu1", maps))
    }
    doc = {"body": orjson.loads(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))}
    doc["expected"] = expected
    return json.dumps(doc) + "\n"


FILES = {"geometry.json": geometry_text, "decode.json": decode_text}

if __name__ == "__main__":
    for name, make in FILES.items():
        (FIXTURES / name).write_text(make())
