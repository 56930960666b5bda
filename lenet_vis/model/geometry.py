"""The network's geometry as data: shapes, kernels, strides, and which cells feed which.

A cell of a map layer is (channel, y, x); a cell of a vector layer (fc1 ... softmax) is its
unit index, given as the channel with y = x = 0. The browser gets all of this through
`GET /api/model` and never hard-codes a size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

from lenet_vis.model.layers import Dense
from lenet_vis.model.lenet import INPUT_SHAPE, build_layers


@dataclass(frozen=True)
class LayerGeometry:
    name: str
    kind: str
    input_shape: tuple | None  # None for the input itself
    output_shape: tuple
    kernel: int | None  # window side for conv and pool; None elsewhere
    stride: int | None
    parameters: int
    source: str | None  # the layer this one reads


@dataclass(frozen=True)
class Window:
    """A block of cells in `layer`: channels [c0, c0 + depth), rows [y, y + h), cols [x, x + w)."""

    layer: str
    c0: int
    depth: int
    y: int
    x: int
    h: int
    w: int

    def as_dict(self) -> dict:
        return asdict(self)


@cache
def layer_geometry() -> tuple[LayerGeometry, ...]:
    """Every layer, input first, in network order."""
    out = [LayerGeometry("input", "input", None, INPUT_SHAPE, None, None, 0, None)]
    shape, prev = INPUT_SHAPE, "input"
    for name, layer in build_layers().items():
        in_shape = shape
        if isinstance(layer, Dense) and len(shape) == 3:
            shape = (shape[0] * shape[1] * shape[2],)
        shape = layer.output_shape(shape)
        kernel = getattr(layer, "kernel", None)
        stride = getattr(layer, "stride", None)
        params = sum(int(p.size) for p in layer.params.values())
        out.append(LayerGeometry(name, layer.kind, in_shape, shape, kernel, stride, params, prev))
        prev = name
    return tuple(out)


def geometry_by_name() -> dict[str, LayerGeometry]:
    return {g.name: g for g in layer_geometry()}


def _check_cell(g: LayerGeometry, c: int, y: int, x: int) -> None:
    shape = g.output_shape if len(g.output_shape) == 3 else (g.output_shape[0], 1, 1)
    if not (0 <= c < shape[0] and 0 <= y < shape[1] and 0 <= x < shape[2]):
        raise IndexError(f"cell ({c}, {y}, {x}) is outside {g.name} of shape {g.output_shape}")


def source_window(layer: str, c: int, y: int = 0, x: int = 0) -> Window | None:
    """The cells of the previous layer that cell (c, y, x) of `layer` is computed from.

    conv: a kernel x kernel window in every input channel; pool: that window in channel c
    only; relu and softmax: the same cell (softmax: every logit); dense: the whole previous
    layer. None for the input.
    """
    geo = geometry_by_name()
    if layer not in geo:
        raise KeyError(f"unknown layer {layer!r}")
    g = geo[layer]
    _check_cell(g, c, y, x)
    if g.source is None:
        return None
    src = geo[g.source].output_shape
    if g.kind == "conv":
        return Window(g.source, 0, src[0], y * g.stride, x * g.stride, g.kernel, g.kernel)
    if g.kind == "maxpool":
        return Window(g.source, c, 1, y * g.stride, x * g.stride, g.kernel, g.kernel)
    if g.kind == "relu":
        return Window(g.source, c, 1, y, x, 1, 1)
    if len(src) == 3:  # dense reading a stack of maps
        return Window(g.source, 0, src[0], 0, 0, src[1], src[2])
    return Window(g.source, 0, src[0], 0, 0, 1, 1)  # dense or softmax over a vector


def receptive_field(layer: str, y: int = 0, x: int = 0) -> Window:
    """The block of the 32x32 input that can affect cell (., y, x) of `layer`."""
    geo = geometry_by_name()
    if layer not in geo:
        raise KeyError(f"unknown layer {layer!r}")
    g = geo[layer]
    if len(g.output_shape) == 1:
        return Window("input", 0, 1, 0, 0, INPUT_SHAPE[1], INPUT_SHAPE[2])
    y0, y1, x0, x1 = y, y, x, x  # inclusive bounds
    while g.source is not None:
        if g.kernel is not None:
            k, s = g.kernel, g.stride
            y0, y1, x0, x1 = y0 * s, y1 * s + k - 1, x0 * s, x1 * s + k - 1
        g = geo[g.source]
    return Window("input", 0, 1, y0, x0, y1 - y0 + 1, x1 - x0 + 1)


def model_summary() -> list[dict]:
    """Layer geometry as plain dicts (shapes as lists), for JSON."""
    return [
        {
            **asdict(g),
            "input_shape": list(g.input_shape) if g.input_shape else None,
            "output_shape": list(g.output_shape),
        }
        for g in layer_geometry()
    ]
