// Where each layer of the 3D view sits: the layers as horizontal slabs stacked upwards, the
// input at the bottom and the outputs on top (as Harley's 3D page), every size read from
// /api/model. Pure: no DOM, no three.js. World units; +y is up, +z points at the viewer.
// In a slab, map row 0 lies at the back (-z) and column 0 at the left (-x), so a map reads
// upright from the front.
import { dims, isMap } from "./geometry.js";

const ROW = 240; // a slab spans at most this wide
const MAX_MAP_CELL = 3.2; // the largest cell of a feature map (the input gets it)
const MAX_UNIT_CELL = 9; // the largest cell of a dense unit (the ten outputs get it)
const MAP_GAP = 0.3; // between the maps of a slab, as a fraction of a map's width
const LEAST_GAP = 16; // the least vertical distance between two slabs
const SEEN_FROM = (32 * Math.PI) / 180; // slabs are spaced so none hides the next from this elevation

/** The ReLU layer that reads layer `name`, if any. */
const reluOf = (layers, name) => layers.find((g) => g.source === name && g.kind === "relu");

/**
 * Whether a layer is drawn: a conv or dense layer that a ReLU follows only when showPre (else
 * its ReLU stands in its place, as in 2D); every other layer (the logits too) always.
 */
export const shown = (g, showPre, layers) =>
  showPre || !(g.kind === "conv" || g.kind === "dense") || !reluOf(layers, g.name);

/** Whether a layer's values are signed pre-activations (diverging scale) or activations. */
export const signedLayer = (g) => g.kind === "conv" || g.kind === "dense";

/** Columns of the grid a vector of n units is laid out in: rows of at most 40. */
export function unitColumns(n) {
  return Math.ceil(n / Math.ceil(n / 40));
}

/** Maps per row of a slab of n maps: rows of at most 8. */
export function mapColumns(n) {
  return Math.ceil(n / Math.ceil(n / 8));
}

/**
 * One slab: {name, kind, signed, map (bool), n (maps or units), h, w (cells of one map, or
 * rows and columns of the unit grid), cell (world size of a cell), maps: [{x0, z0}] (back-left
 * corner of each map; one for a vector), width, depth, y}.
 */
function slabOf(g) {
  const [n, h, w] = dims(g);
  if (isMap(g)) {
    const gap = Math.max(1, Math.round(w * MAP_GAP));
    const cols = mapColumns(n);
    const rows = Math.ceil(n / cols);
    const cell = Math.min(MAX_MAP_CELL, ROW / (cols * w + (cols - 1) * gap));
    const width = cell * (cols * w + (cols - 1) * gap);
    const depth = cell * (rows * h + (rows - 1) * gap);
    const maps = Array.from({ length: n }, (_, c) => ({
      x0: -width / 2 + (c % cols) * (w + gap) * cell,
      z0: -depth / 2 + Math.floor(c / cols) * (h + gap) * cell,
    }));
    return { name: g.name, kind: g.kind, signed: signedLayer(g), map: true, n, h, w, cell, maps, width, depth };
  }
  const cols = unitColumns(n);
  const rows = Math.ceil(n / cols);
  const cell = Math.min(MAX_UNIT_CELL, ROW / cols);
  const [width, depth] = [cols * cell, rows * cell];
  return {
    name: g.name, kind: g.kind, signed: signedLayer(g), map: false, n, h: rows, w: cols, cell,
    maps: [{ x0: -width / 2, z0: -depth / 2 }], width, depth,
  };
}

/**
 * The 3D layout of the layers of /api/model (in order) that are shown:
 * {slabs: [slab...] bottom to top, byName: {name: slab}, box: {min: [x,y,z], max: [x,y,z]}}.
 */
export function layout3d(layers, showPre = true) {
  const slabs = layers.filter((g) => shown(g, showPre, layers)).map(slabOf);
  const tilt = Math.tan(SEEN_FROM);
  let y = 0;
  slabs.forEach((s, i) => {
    if (i > 0) y += Math.max(LEAST_GAP, ((slabs[i - 1].depth + s.depth) / 2) * tilt + 8);
    s.y = y;
  });
  const halfW = Math.max(...slabs.map((s) => s.width)) / 2 + 4;
  const halfD = Math.max(...slabs.map((s) => s.depth)) / 2 + 4;
  return {
    slabs,
    byName: Object.fromEntries(slabs.map((s) => [s.name, s])),
    box: { min: [-halfW, -2, -halfD], max: [halfW, y + 12, halfD] },
  };
}

/**
 * The slab a layer's cells are drawn on: its own, or where it is hidden (a pre-activation
 * layer with showPre off) the ReLU layer that reads it, whose cells sit at the same places.
 * undefined if neither is shown.
 */
export function slabFor(layout, layers, name) {
  if (layout.byName[name]) return layout.byName[name];
  const relu = reluOf(layers, name);
  return relu && layout.byName[relu.name];
}

/** Which map of a slab holds a cell {c, y, x}, and the cell's row and column in it. */
export function placeOf(slab, cell) {
  if (slab.map) return { map: cell.c, row: cell.y, col: cell.x };
  return { map: 0, row: Math.floor(cell.c / slab.w), col: cell.c % slab.w };
}

/** World centre [x, y, z] of a cell {c, y, x} of a slab. */
export function cellCentre(slab, cell) {
  const { map, row, col } = placeOf(slab, cell);
  const m = slab.maps[map];
  return [m.x0 + (col + 0.5) * slab.cell, slab.y, m.z0 + (row + 0.5) * slab.cell];
}

/**
 * World rectangle [x0, z0, x1, z1] of a block of cells (rows y..y+h, columns x..x+w) of map c;
 * for a vector, of the one unit c.
 */
export function blockRect(slab, c, y, x, h, w) {
  const { map, row, col } = placeOf(slab, { c, y, x });
  const m = slab.maps[map];
  const [bh, bw] = slab.map ? [h, w] : [1, 1];
  const s = slab.cell;
  return [m.x0 + col * s, m.z0 + row * s, m.x0 + (col + bw) * s, m.z0 + (row + bh) * s];
}

/**
 * The cell of a slab at texture coordinates (u, v) of map `index` (v = 0 at the back row),
 * as {layer, c, y, x}; null past the last unit of a vector.
 */
export function cellAtUV(slab, index, u, v) {
  const col = Math.min(slab.w - 1, Math.max(0, Math.floor(u * slab.w)));
  const row = Math.min(slab.h - 1, Math.max(0, Math.floor(v * slab.h)));
  if (slab.map) return { layer: slab.name, c: index, y: row, x: col };
  const unit = row * slab.w + col;
  return unit < slab.n ? { layer: slab.name, c: unit, y: 0, x: 0 } : null;
}
