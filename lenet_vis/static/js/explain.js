// The arithmetic behind one cell, with the real numbers. Pure: no DOM.
import { dims, flatIndex, cellOf, sourceWindow } from "./geometry.js";

/** Values of `layer` (flat data) in window win of channel c, row-major. */
export function windowValues(layer, data, c, win) {
  const out = [];
  for (let i = 0; i < win.h; i++)
    for (let j = 0; j < win.w; j++) out.push(data[flatIndex(layer, c, win.y + i, win.x + j)]);
  return out;
}

/** Conv cell: per input map the patch, the filter and their dot product; bias; z; ReLU(z). */
export function explainConv(byName, layers, weights, name, cell) {
  const g = byName[name];
  const win = sourceWindow(byName, name, cell.c, cell.y, cell.x);
  const src = byName[win.layer];
  const k = g.kernel;
  const per = k * k;
  const maps = [];
  let z = weights.b[cell.c];
  for (let ch = 0; ch < win.depth; ch++) {
    const patch = windowValues(src, layers[win.layer], ch, win);
    const off = (cell.c * win.depth + ch) * per;
    const filter = Array.from(weights.W.slice(off, off + per));
    const sum = patch.reduce((s, v, i) => s + v * filter[i], 0);
    z += sum;
    maps.push({ channel: ch, patch, filter, sum });
  }
  return { kind: "conv", window: win, k, maps, bias: weights.b[cell.c], z, relu: Math.max(0, z),
           value: layers[name][flatIndex(g, cell.c, cell.y, cell.x)] };
}

/** Pool cell: the window's values and which one won (the first maximum, row-major). */
export function explainPool(byName, layers, name, cell) {
  const win = sourceWindow(byName, name, cell.c, cell.y, cell.x);
  const values = windowValues(byName[win.layer], layers[win.layer], cell.c, win);
  let winner = 0;
  values.forEach((v, i) => { if (v > values[winner]) winner = i; });
  return { kind: "maxpool", window: win, values, winner,
           winnerCell: { c: cell.c, y: win.y + Math.floor(winner / win.w), x: win.x + (winner % win.w) } };
}

/** Dense cell: the largest contributions w*x, their sum, the bias and z. */
export function explainDense(byName, layers, weights, name, cell, top = 8) {
  const g = byName[name];
  const src = byName[g.source];
  const x = layers[g.source];
  const n = x.length;
  const row = cell.c * n;
  const terms = [];
  let z = weights.b[cell.c];
  for (let j = 0; j < n; j++) {
    const w = weights.W[row + j];
    z += w * x[j];
    terms.push({ index: j, cell: cellOf(src, j), w, x: x[j], wx: w * x[j] });
  }
  terms.sort((a, b) => Math.abs(b.wx) - Math.abs(a.wx));
  return { kind: "dense", top: terms.slice(0, top), inputs: n, bias: weights.b[cell.c], z,
           value: layers[name][cell.c] };
}

/** Softmax cell: every logit, the exponentials and the probability. */
export function explainSoftmax(byName, layers, name, cell) {
  const logits = Array.from(layers[byName[name].source]);
  const m = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - m));
  const total = exps.reduce((s, v) => s + v, 0);
  return { kind: "softmax", logits, exps, total, index: cell.c, p: exps[cell.c] / total };
}

/** ReLU cell: the value before and after. */
export function explainRelu(byName, layers, name, cell) {
  const g = byName[name];
  const i = flatIndex(g, cell.c, cell.y, cell.x);
  return { kind: "relu", before: layers[g.source][i], after: layers[name][i] };
}

export { dims };
