// Where every layer of the network goes on the stage, from the geometry of GET /api/model and
// the size of the stage. Pure: no DOM, no module state.
//
// A slot is one column (wide screens, the network flows left to right) or one row (phones,
// top to bottom) of the picture. A ReLU shares the slot of the conv or dense layer it follows:
// the page shows one of the two (the pre-activations toggle) in the same place.

const MAP_GAP = 4; // px between two maps of a layer
const PAD = 8; // px around the picture
const SLOT_GAP = 24; // least px between two slots (edges run through it)
const CAPTION_WIDE = 64; // px above each column for its caption (up to four short lines)
const CAPTION_TALL = 22; // px above each row for its caption (one line)
const OUTPUT_EXTRA = 78; // px beside the output nodes for their labels and probabilities
const OUTPUT_EXTRA_TALL = 34; // px under the output nodes for the same, on phones
const VECTOR_MIN = 56; // px: the least width of a column of nodes (room for its caption)

// Sizes relative to one another, in CSS px at scale 1: the side of one map, or of one node.
const WEIGHT = { input: 2.6, conv: 1, maxpool: 1, relu: 1, dense: 0.1, logits: 0.2, softmax: 0.24 };
const NODE_CAP = { dense: 16, logits: 26, softmax: 30 }; // nodes larger than this look like maps

/**
 * The layers of /api/model grouped into slots, in network order:
 * [{names: [layer names], kind, n, mh, mw, map: bool}] where n is the number of maps (or of
 * units for a vector layer) and mh x mw the size of one map (1x1 for a unit).
 */
export function slotsOf(layers) {
  const slots = [];
  for (const g of layers) {
    const prev = slots[slots.length - 1];
    if (g.kind === "relu" && prev && prev.names[prev.names.length - 1] === g.source && ["conv", "dense"].includes(prev.kind)) {
      prev.names.push(g.name);
      continue;
    }
    const s = g.output_shape;
    const map = s.length === 3;
    const last = g === layers[layers.length - 1];
    const kind = !map && !last && layers[layers.indexOf(g) + 1]?.kind === "softmax" ? "logits" : g.kind;
    slots.push({ names: [g.name], kind, n: s[0], mh: map ? s[1] : 1, mw: map ? s[2] : 1, map, output: last && !map });
  }
  return slots;
}

/** Rows and side of one slot's grid of c columns, for a target side, within `room` px. */
function fit(slot, c, target, room, gap) {
  const rows = Math.ceil(slot.n / c);
  const most = (room - (rows - 1) * gap) / rows; // the tallest a map (or node) can be
  return { c, rows, side: Math.max(1, Math.min(target, most)) };
}

/** Width of a slot's grid: c maps of `side` px tall (wide ones are wider). */
const across = (slot, g, gap) => g.c * g.side * (slot.mw / slot.mh) + (g.c - 1) * gap;

function weightOf(slot) {
  return WEIGHT[slot.kind] ?? 1;
}

/** Each slot's grid at scale lam, wide layout: the fewest columns that reach the target size. */
function gridsAt(slots, lam, room) {
  return slots.map((slot) => {
    const gap = slot.map ? MAP_GAP : 0;
    let target = weightOf(slot) * lam;
    if (!slot.map) target = Math.min(target, NODE_CAP[slot.kind] ?? 16);
    let best = null;
    // a long column of nodes wraps into more columns before it outgrows the maps beside it
    const height = slot.map || slot.n <= 10 ? room : room * 0.72;
    for (let c = 1; c <= slot.n; c++) {
      const g = fit(slot, c, target, height, gap);
      if (!best || g.side > best.side + 1e-9) best = g;
      if (g.side >= target - 1e-9) break;
    }
    return { ...best, gap };
  });
}

function slotWidth(slot, g) {
  const w = across(slot, g, g.gap) + (slot.output ? OUTPUT_EXTRA : 0);
  return slot.map ? w : Math.max(w, VECTOR_MIN);
}

/**
 * Place every slot in a stage of width x height px.
 * orientation: "wide" (columns left to right, everything fits the stage) or "tall" (rows top to
 * bottom at the stage width; the height is what it needs).
 * Returns {width, height, orientation, slots: [{...slot, x, y, w, h, caption: {x, y, w, h},
 * grid: {c, rows, side, gap, cellW, cellH}, maps: [{x, y, w, h}] (stage px)}]}.
 * A vector slot has one "map": the block of its nodes, c columns by `rows` rows.
 */
export function layoutNetwork(slots, width, height, orientation = "wide") {
  return orientation === "tall" ? tall(slots, width) : wide(slots, width, height);
}

function wide(slots, width, height) {
  const room = Math.max(40, height - CAPTION_WIDE - 2 * PAD);
  const free = Math.max(40, width - 2 * PAD - (slots.length - 1) * SLOT_GAP);
  const total = (grids) => slots.reduce((s, slot, i) => s + slotWidth(slot, grids[i]), 0);
  let lo = 1;
  let hi = 2000;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (total(gridsAt(slots, mid, room)) <= free) lo = mid;
    else hi = mid;
  }
  const grids = gridsAt(slots, lo, room);
  const used = total(grids);
  // what is left widens the gaps (edges need room), up to a limit; the rest centres the picture
  const gap = Math.min(SLOT_GAP + (free - used) / Math.max(1, slots.length - 1), 120);
  const span = used + gap * (slots.length - 1);
  let x = Math.max(PAD, (width - span) / 2);
  const placed = slots.map((slot, i) => {
    const g = grids[i];
    const w = slotWidth(slot, g);
    const content = across(slot, g, g.gap) + (slot.output ? OUTPUT_EXTRA : 0);
    const bodyH = g.rows * g.side + (g.rows - 1) * g.gap;
    const y = PAD + CAPTION_WIDE + Math.max(0, (room - bodyH) / 2);
    const out = place(slot, g, x + (w - content) / 2, y, w, bodyH); // a narrow column is centred
    out.x = x;
    out.caption = { x: x - gap / 2 + 2, y: y - CAPTION_WIDE, w: w + gap - 4, h: CAPTION_WIDE };
    x += w + gap;
    return out;
  });
  return { width, height, orientation: "wide", slots: placed };
}

function tall(slots, width) {
  const room = Math.max(60, width - 2 * PAD);
  let y = PAD;
  const placed = slots.map((slot) => {
    let g;
    if (slot.kind === "input") {
      g = { c: 1, rows: 1, side: Math.min(room * 0.5, 200), gap: 0 };
    } else if (slot.map) {
      const c = slot.n <= 8 ? slot.n : Math.ceil(slot.n / 2);
      g = { c, rows: Math.ceil(slot.n / c), side: Math.min(96, (room - (c - 1) * MAP_GAP) / c), gap: MAP_GAP };
    } else {
      const cap = NODE_CAP[slot.kind] ?? 16;
      const rows = Math.ceil(slot.n / Math.max(1, Math.floor(room / Math.min(cap, 18))));
      const c = Math.ceil(slot.n / rows);
      g = { c, rows, side: Math.min(cap, room / c), gap: 0 };
    }
    const w = across(slot, g, g.gap);
    const bodyH = g.rows * g.side + (g.rows - 1) * g.gap;
    const x = PAD + (room - w) / 2;
    const top = y + CAPTION_TALL;
    const out = place(slot, g, x, top, w, bodyH + (slot.output ? OUTPUT_EXTRA_TALL : 0));
    out.caption = { x: PAD, y, w: room, h: CAPTION_TALL };
    y = top + out.h + SLOT_GAP / 2;
    return out;
  });
  return { width, height: y - SLOT_GAP / 2 + PAD, orientation: "tall", slots: placed };
}

/** The slot's rectangle and its maps' rectangles in stage px. */
function place(slot, g, x, y, w, h) {
  const cellH = g.side / slot.mh;
  const cellW = cellH; // cells are square
  const mapW = slot.mw * cellW;
  const maps = [];
  if (slot.map) {
    for (let k = 0; k < slot.n; k++) {
      const r = Math.floor(k / g.c);
      const c = k % g.c;
      maps.push({ x: x + c * (mapW + g.gap), y: y + r * (g.side + g.gap), w: mapW, h: g.side });
    }
  } else {
    maps.push({ x, y, w: g.c * g.side, h: g.rows * g.side });
  }
  return { ...slot, x, y, w, h, grid: { ...g, cellW, cellH }, maps };
}

/**
 * Centre of cell (c, y, x) of a slot, in stage px. A vector slot's unit c sits at row
 * floor(c / columns), column c % columns of its block of nodes.
 */
export function cellCentre(slot, c, y = 0, x = 0) {
  const { cellW, cellH } = slot.grid;
  if (slot.map) {
    const m = slot.maps[c];
    return [m.x + (x + 0.5) * cellW, m.y + (y + 0.5) * cellH];
  }
  const m = slot.maps[0];
  const cols = slot.grid.c;
  return [m.x + ((c % cols) + 0.5) * cellW, m.y + (Math.floor(c / cols) + 0.5) * cellH];
}
