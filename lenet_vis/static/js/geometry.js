// Layer geometry from GET /api/model: which cells feed which. Pure: no DOM.
// A map layer's cell is {c, y, x}; a vector layer's cell is its unit index as c with y = x = 0.

/** Index the layers of /api/model by name. */
export function indexLayers(layers) {
  return Object.fromEntries(layers.map((l, i) => [l.name, { ...l, index: i }]));
}

/** [channels, height, width] of a layer's output; vectors become [n, 1, 1]. */
export function dims(layer) {
  const s = layer.output_shape;
  return s.length === 3 ? s : [s[0], 1, 1];
}

export const isMap = (layer) => layer.output_shape.length === 3;

/**
 * The block of the previous layer that cell (c, y, x) of `name` is computed from:
 * {layer, c0, depth, y, x, h, w}, or null for the input. Mirrors model/geometry.py.
 */
export function sourceWindow(byName, name, c, y = 0, x = 0) {
  const g = byName[name];
  if (!g || !g.source) return null;
  const [depth, h, w] = dims(byName[g.source]);
  switch (g.kind) {
    case "conv":
      return { layer: g.source, c0: 0, depth, y: y * g.stride, x: x * g.stride, h: g.kernel, w: g.kernel };
    case "maxpool":
      return { layer: g.source, c0: c, depth: 1, y: y * g.stride, x: x * g.stride, h: g.kernel, w: g.kernel };
    case "relu":
      return { layer: g.source, c0: c, depth: 1, y, x, h: 1, w: 1 };
    default: // dense and softmax read the whole previous layer
      return { layer: g.source, c0: 0, depth, y: 0, x: 0, h, w };
  }
}

/** The block of the network input that can affect cell (., y, x) of `name`. */
export function receptiveField(byName, name, y = 0, x = 0) {
  let g = byName[name];
  const input = Object.values(byName).find((l) => !l.source);
  const [, ih, iw] = dims(input);
  if (!isMap(g)) return { layer: input.name, c0: 0, depth: 1, y: 0, x: 0, h: ih, w: iw };
  let [y0, y1, x0, x1] = [y, y, x, x];
  while (g.source) {
    if (g.kernel) {
      const [k, s] = [g.kernel, g.stride];
      [y0, y1, x0, x1] = [y0 * s, y1 * s + k - 1, x0 * s, x1 * s + k - 1];
    }
    g = byName[g.source];
  }
  return { layer: g.name, c0: 0, depth: 1, y: y0, x: x0, h: y1 - y0 + 1, w: x1 - x0 + 1 };
}

/** Flat C-order index of a cell, and back. */
export function flatIndex(layer, c, y, x) {
  const [, h, w] = dims(layer);
  return (c * h + y) * w + x;
}

export function cellOf(layer, i) {
  const [, h, w] = dims(layer);
  return { c: Math.floor(i / (h * w)), y: Math.floor(i / w) % h, x: i % w };
}

/**
 * Move a cell by (dy, dx) within its map and by dc maps, clamped to the layer; a vector's
 * units are one line, so every step moves along it.
 */
export function moveCell(layer, cell, dy, dx, dc = 0) {
  const [n, h, w] = dims(layer);
  const clamp = (v, hi) => Math.min(hi, Math.max(0, v));
  if (!isMap(layer)) return { c: clamp(cell.c + dx + dy + dc, n - 1), y: 0, x: 0 };
  return { c: clamp(cell.c + dc, n - 1), y: clamp(cell.y + dy, h - 1), x: clamp(cell.x + dx, w - 1) };
}
