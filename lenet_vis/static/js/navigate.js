// Where a key moves the pinned cell. Pure: no DOM, no module state.
import { dims, moveCell } from "./geometry.js";

const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
const LAYER_STEP = { PageUp: -1, PageDown: 1 };
const CHANNEL_STEP = { "[": -1, "]": 1 };

/** Whether `key` moves the pinned cell at all. */
export const movesCell = (key) => key in MOVES || key in LAYER_STEP || key in CHANNEL_STEP;

/**
 * The cell `key` moves `cell` to: arrows within its map (along the units of a vector), [ and ]
 * to the previous or next channel (unit), Page Up / Page Down to the same place, scaled, in the
 * previous or next layer of `visible` (the layer names on screen, in order; `shownAs` names the
 * one drawn in the cell's place). Returns null when the key does not move it (an edge).
 * byName: indexLayers of /api/model; cell: {layer, c, y, x}.
 */
export function nextCell(byName, visible, shownAs, cell, key) {
  const g = byName[cell.layer];
  if (key in LAYER_STEP) {
    const i = visible.indexOf(shownAs) + LAYER_STEP[key];
    if (i < 0 || i >= visible.length) return null;
    const to = byName[visible[i]];
    const [, h0, w0] = dims(g);
    const [, h1, w1] = dims(to);
    const scaled = { c: cell.c, y: Math.floor(((cell.y + 0.5) * h1) / h0), x: Math.floor(((cell.x + 0.5) * w1) / w0) };
    return { layer: to.name, ...moveCell(to, scaled, 0, 0) };
  }
  if (key in CHANNEL_STEP) {
    const c = Math.min(dims(g)[0] - 1, Math.max(0, cell.c + CHANNEL_STEP[key]));
    return { ...cell, c };
  }
  if (key in MOVES) return { layer: cell.layer, ...moveCell(g, cell, ...MOVES[key]) };
  return null;
}
