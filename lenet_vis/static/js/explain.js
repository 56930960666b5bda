// The arithmetic behind one cell, with the real numbers: what each part adds, in the order
// the inspector reads it out. Pure: no DOM. Layers are flat Float32Arrays in C order; weights
// are {W, b} flat in C order ((out, in, k, k) for conv, (out, in) for dense).
import { dims, flatIndex, cellOf, sourceWindow } from "./geometry.js";
import { channelName, nextLayer, sourceName } from "./label.js";

/** Values of `layer` (flat data) in window win of channel c, row-major: (win.h * win.w,). */
export function windowValues(layer, data, c, win) {
  const out = [];
  for (let i = 0; i < win.h; i++)
    for (let j = 0; j < win.w; j++) out.push(data[flatIndex(layer, c, win.y + i, win.x + j)]);
  return out;
}

/** What the ReLU after `name` (if any) makes of unit/cell i: {layer, z, value, kept} or null. */
function reluAfter(byName, layers, name, i, z) {
  const next = nextLayer(byName, name);
  if (!next || next.kind !== "relu") return null;
  const value = layers[next.name] ? layers[next.name][i] : Math.max(0, z);
  return { layer: next.name, z, value, kept: z > 0 };
}

/** Channels ordered by |partial sum|, largest first. */
const byMagnitude = (maps) => maps.map((m, i) => i).sort((a, b) => Math.abs(maps[b].sum) - Math.abs(maps[a].sum));

/**
 * Conv cell: per input map the k*k patch, the k*k filter and their dot product (the partial
 * sum); then z = Σ partial sums + bias and what the following ReLU does with it.
 */
export function explainConv(byName, layers, weights, name, cell) {
  const g = byName[name];
  const win = sourceWindow(byName, name, cell.c, cell.y, cell.x);
  const src = byName[win.layer];
  const k = g.kernel;
  const per = k * k;
  const maps = [];
  for (let ch = 0; ch < win.depth; ch++) {
    const patch = windowValues(src, layers[win.layer], ch, win);
    const off = (cell.c * win.depth + ch) * per;
    const filter = Array.from(weights.W.slice(off, off + per));
    const sum = patch.reduce((s, v, i) => s + v * filter[i], 0);
    maps.push({ channel: ch, source: channelName(src, ch), patch, filter, sum });
  }
  const bias = weights.b[cell.c];
  const z = maps.reduce((s, m) => s + m.sum, 0) + bias;
  const i = flatIndex(g, cell.c, cell.y, cell.x);
  return {
    kind: "conv", window: win, source: src.name, k, maps, largest: byMagnitude(maps), bias, z,
    relu: Math.max(0, z), next: reluAfter(byName, layers, name, i, z), value: layers[name][i],
  };
}

/** Pool cell: the window's values, which one won (the first maximum, row-major) and where. */
export function explainPool(byName, layers, name, cell) {
  const win = sourceWindow(byName, name, cell.c, cell.y, cell.x);
  const src = byName[win.layer];
  const values = windowValues(src, layers[win.layer], cell.c, win);
  let winner = 0;
  values.forEach((v, i) => {
    if (v > values[winner]) winner = i;
  });
  const winnerCell = { c: cell.c, y: win.y + Math.floor(winner / win.w), x: win.x + (winner % win.w) };
  return { kind: "maxpool", window: win, source: src.name, map: channelName(src, cell.c), values, winner, winnerCell,
           winnerName: sourceName(src, winnerCell), max: values[winner] };
}

/**
 * Dense cell: z = Σ_j W[c, j] x_j + b. The `top` terms largest in |w·x| each named by their
 * source cell, then the remaining terms as one sum (rest), so top + rest + bias is z exactly
 * (z is added up in that order).
 */
export function explainDense(byName, layers, weights, name, cell, top = 8) {
  const g = byName[name];
  const src = byName[g.source];
  const x = layers[g.source];
  const n = x.length;
  const row = cell.c * n;
  const terms = [];
  for (let j = 0; j < n; j++) {
    const w = weights.W[row + j];
    const at = cellOf(src, j);
    terms.push({ index: j, cell: at, source: sourceName(src, at), w, x: x[j], wx: w * x[j] });
  }
  terms.sort((a, b) => Math.abs(b.wx) - Math.abs(a.wx) || a.index - b.index);
  const shown = terms.slice(0, top);
  const others = terms.slice(top);
  const rest = { count: others.length, sum: others.reduce((s, t) => s + t.wx, 0),
                 zeros: others.filter((t) => t.x === 0).length };
  const bias = weights.b[cell.c];
  const z = shown.reduce((s, t) => s + t.wx, 0) + rest.sum + bias;
  return { kind: "dense", source: src.name, top: shown, rest, inputs: n, bias, z,
           next: reluAfter(byName, layers, name, cell.c, z), value: layers[name][cell.c],
           feedsSoftmax: nextLayer(byName, name)?.kind === "softmax" };
}

/**
 * Softmax cell: p_i = e^(z_i - max) / Σ_j e^(z_j - max). Subtracting the largest logit keeps
 * every exponential at most 1 (no overflow) and leaves p unchanged.
 */
export function explainSoftmax(byName, layers, name, cell) {
  const g = byName[name];
  const logits = Array.from(layers[g.source]);
  let argmax = 0;
  logits.forEach((v, i) => {
    if (v > logits[argmax]) argmax = i;
  });
  const max = logits[argmax];
  const shifted = logits.map((v) => v - max);
  const exps = shifted.map(Math.exp);
  const total = exps.reduce((s, v) => s + v, 0);
  const probs = exps.map((e) => e / total);
  return { kind: "softmax", source: g.source, logits, argmax, max, shifted, exps, total, probs,
           index: cell.c, p: probs[cell.c], value: layers[name][cell.c] };
}

/**
 * ReLU cell: the value before and after, and (given the source layer's weights) the
 * arithmetic of the conv or dense cell it reads, so the whole computation is in one place.
 */
export function explainRelu(byName, layers, name, cell, sourceWeights = null) {
  const g = byName[name];
  const i = flatIndex(g, cell.c, cell.y, cell.x);
  const before = layers[g.source][i];
  const src = byName[g.source];
  let inner = null;
  if (sourceWeights && src.kind === "conv") inner = explainConv(byName, layers, sourceWeights, src.name, { ...cell, layer: src.name });
  if (sourceWeights && src.kind === "dense") inner = explainDense(byName, layers, sourceWeights, src.name, { ...cell, layer: src.name });
  return { kind: "relu", source: src.name, before, after: layers[name][i], kept: before > 0, inner };
}

export { dims };
