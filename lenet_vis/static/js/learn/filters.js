// Lesson 3: classic filters, then the network's own conv1 filters, applied to the drawing.
import * as api from "../api.js";
import { numGrid } from "../numgrid.js";
import { paint, toRows, el } from "./paint.js";

const b = 1 / 9;
const g = 1 / 16;
export const FILTERS = [
  ["identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]],
  ["edges (diagonal)", [[1, 0, -1], [0, 0, 0], [-1, 0, 1]]],
  ["edges (outline)", [[0, 1, 0], [1, -4, 1], [0, 1, 0]]],
  ["edges (all)", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]],
  ["sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]],
  ["box blur", [[b, b, b], [b, b, b], [b, b, b]]],
  ["Gaussian blur", [[g, 2 * g, g], [2 * g, 4 * g, 2 * g], [g, 2 * g, g]]],
];

function card(name, kernel, out, signed) {
  const canvas = el("canvas", { className: "map-canvas" });
  paint(canvas, out, signed, 4);
  const k = kernel.length;
  return el("figure", { className: "filter-card" }, canvas,
    numGrid(kernel.flat(), k, true, `${name} kernel`), el("figcaption", { textContent: name }));
}

export class FiltersLesson {
  constructor(root, netRoot) {
    this.root = root;
    this.netRoot = netRoot;
  }

  /** pixels: 28x28 rows 0-255; input: 32x32 rows 0-1; conv1: {W, shape} of the network. */
  async update(pixels, input, conv1) {
    const classic = await Promise.all(FILTERS.map(([, k]) => api.convolve(pixels, k, 1, 1)));
    this.root.replaceChildren(...FILTERS.map(([name, k], i) => card(name, k, classic[i].output, i > 0)));
    const [f, , kh, kw] = conv1.shape;
    const kernels = [...Array(f).keys()].map((i) => toRows(conv1.W.slice(i * kh * kw, (i + 1) * kh * kw), kw));
    const outs = await Promise.all(kernels.map((k) => api.convolve(input, k)));
    this.netRoot.replaceChildren(...kernels.map((k, i) => card(`conv1 filter ${i}`, k.map((r) => r.map((v) => Number(v.toFixed(2)))), outs[i].output, true)));
  }
}
