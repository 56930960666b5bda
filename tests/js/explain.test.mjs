// explain.js, formulas.js and label.js against hand-computed values on a tiny network, and
// describe() on the real geometry against naive loops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { indexLayers } from "../../lenet_vis/static/js/geometry.js";
import { explainConv, explainPool, explainDense, explainSoftmax, explainRelu } from "../../lenet_vis/static/js/explain.js";
import * as F from "../../lenet_vis/static/js/formulas.js";
import { cellLabel, cellName, sourceName } from "../../lenet_vis/static/js/label.js";
import { describe } from "../../lenet_vis/static/js/describe.js";
import { MINUS as M } from "../../lenet_vis/static/js/numbers.js";
import { seeded, byName as real, geometry } from "./helpers.mjs";

// input 2x6x6 -> conv1 (3x3) 2x4x4 -> relu1 -> pool1 (2x2) 2x2x2 -> fc1 3 -> relu2 -> fc2 4 -> softmax
const layer = (name, kind, output_shape, source, kernel = null, stride = null) =>
  ({ name, kind, output_shape, source, kernel, stride, parameters: 0 });
const tiny = indexLayers([
  layer("input", "input", [2, 6, 6], null),
  layer("conv1", "conv", [2, 4, 4], "input", 3, 1),
  layer("relu1", "relu", [2, 4, 4], "conv1"),
  layer("pool1", "maxpool", [2, 2, 2], "relu1", 2, 2),
  layer("fc1", "dense", [3], "pool1"),
  layer("relu2", "relu", [3], "fc1"),
  layer("fc2", "dense", [4], "relu2"),
  layer("softmax", "softmax", [4], "fc2"),
]);

/** Input: map 0 all ones, map 1 holds 10 * row + col. */
const input = Float32Array.from({ length: 72 }, (_, i) => (i < 36 ? 1 : 10 * Math.floor((i - 36) / 6) + (i % 6)));
/** conv1 filter for output map 1: 0.5 everywhere on map 0, only the centre (1) on map 1. */
const convW = new Float32Array(2 * 2 * 9);
convW.fill(0.5, 18, 27);
convW[27 + 4] = 1;
const zeros = (n) => new Float32Array(n);

test("conv: one partial sum per input map, then bias, z and what ReLU did", () => {
  const layers = { input, conv1: zeros(32), relu1: zeros(32) };
  layers.conv1[16 + 4] = 23.5; // map 1, row 1, col 0: what the server said
  layers.relu1[16 + 4] = 23.5;
  const ex = explainConv(tiny, layers, { W: convW, b: Float32Array.of(0, -2) }, "conv1", { c: 1, y: 1, x: 0 });
  // map 0: nine ones times 0.5; map 1: the centre of rows 1-3, cols 0-2 is (2, 1) = 21
  assert.deepEqual(ex.maps.map((m) => m.sum), [4.5, 21]);
  assert.deepEqual(ex.maps[1].patch, [10, 11, 12, 20, 21, 22, 30, 31, 32]);
  assert.deepEqual(ex.largest, [1, 0]);
  assert.equal(ex.z, 23.5);
  assert.equal(F.convIntro(ex), "z = Σ over the 2 maps of input of (3x3 patch × 3x3 filter) + bias");
  assert.equal(F.convMapText(ex.maps[0]), "map 0 · patch × filter = 4.50");
  assert.equal(F.convSumText(ex), `z = 4.50 + 21 ${M} 2 (bias) = 23.5`);
  assert.equal(F.nextText(ex), "then relu1: ReLU(z) = max(0, 23.5) = 23.5: kept");
  const neg = explainConv(tiny, layers, { W: convW, b: Float32Array.of(0, -30) }, "conv1", { c: 1, y: 1, x: 0 });
  assert.equal(neg.z, -4.5);
  assert.equal(F.reluText(neg.z), `ReLU(z) = max(0, ${M}4.50) = 0: zeroed (z was negative)`);
  assert.equal(F.reluText(0), "ReLU(z) = max(0, 0) = 0: z is 0");
  const one = { ...ex, maps: ex.maps.slice(0, 1) };
  assert.equal(F.convIntro(one), "z = (3x3 patch of input × 3x3 filter) + bias");
});

test("pool: the window, the first largest value wins, and where it was", () => {
  const relu1 = zeros(32);
  relu1.set([0.5, 2], 16); // map 1 row 0: 0.5, 2
  relu1.set([2, 1], 20); // map 1 row 1: 2, 1
  const ex = explainPool(tiny, { relu1 }, "pool1", { c: 1, y: 0, x: 0 });
  assert.deepEqual(ex.values, [0.5, 2, 2, 1]);
  assert.equal(ex.winner, 1);
  assert.deepEqual(ex.winnerCell, { c: 1, y: 0, x: 1 });
  assert.equal(F.poolIntro(ex), "max of the 2x2 window of relu1 map 1, rows 0–1, cols 0–1");
  assert.equal(F.poolText(ex), "max(0.500, 2, 2, 1) = 2, from relu1 map 1 (0, 1)");
});

const fc1 = { W: new Float32Array(24), b: Float32Array.of(0, 0, 0.25) };
fc1.W.set([0.5, 0, -1, 0, 0, 0.25, 0, -0.125], 16); // unit 2
const pool1 = Float32Array.of(1, 2, 3, 0, 5, 6, 7, 8);

test("dense: the largest terms named by their source, one line for the rest, bias and z", () => {
  const layers = { pool1, fc1: Float32Array.of(0, 0, -1.75), relu2: zeros(3) };
  const ex = explainDense(tiny, layers, fc1, "fc1", { c: 2 }, 2);
  // w·x = [0.5, 0, -3, 0, 0, 1.5, 0, -1]
  assert.deepEqual(ex.top.map((t) => [t.source, t.wx]), [["pool1 map 0 (1, 0)", -3], ["pool1 map 1 (0, 1)", 1.5]]);
  assert.deepEqual(ex.rest, { count: 6, sum: -0.5, zeros: 1 });
  assert.equal(ex.z, -1.75);
  assert.equal(ex.top[0].wx + ex.top[1].wx + ex.rest.sum + ex.bias, ex.z, "the lines add up to z exactly");
  assert.equal(F.denseIntro(ex), "z = Σ w·x over the 8 values of pool1, + bias; the 2 largest terms by |w·x|:");
  assert.equal(F.denseRestText(ex), "the other 6 terms (1 with x = 0)");
  assert.equal(F.denseSumText(ex), `z = ${M}1.50 (2 largest) ${M} 0.500 (other 6) + 0.250 (bias) = ${M}1.75`);
  assert.equal(F.nextText(ex), `then relu2: ReLU(z) = max(0, ${M}1.75) = 0: zeroed (z was negative)`);
});

test("dense: vector sources are units, and the logits say softmax comes next", () => {
  const layers = { relu2: Float32Array.of(0, 2, 4), fc2: zeros(4) };
  const ex = explainDense(tiny, layers, { W: Float32Array.from({ length: 12 }, (_, i) => i / 4), b: zeros(4) }, "fc2", { c: 3 }, 1);
  assert.equal(ex.top[0].source, "relu2 unit 2");
  assert.equal(ex.next, null);
  assert.equal(F.nextText(ex), "then softmax turns this logit and the others into probabilities");
});

test("dense on 400 inputs: top terms, rest and bias add up to z and to a naive loop", () => {
  const rand = seeded(3);
  const src = real.pool2;
  const x = Float32Array.from({ length: 400 }, () => (rand() < 0.4 ? 0 : rand() * 3));
  const W = Float32Array.from({ length: 120 * 400 }, () => rand() - 0.5);
  const b = Float32Array.from({ length: 120 }, () => rand() - 0.5);
  for (const c of [0, 17, 119]) {
    const ex = explainDense(real, { pool2: x, fc1: zeros(120) }, { W, b }, "fc1", { c });
    let naive = b[c];
    for (let j = 0; j < 400; j++) naive += W[c * 400 + j] * x[j];
    assert.ok(Math.abs(ex.z - naive) < 1e-9, `${ex.z} vs ${naive}`);
    assert.equal(ex.top.reduce((s, t) => s + t.wx, 0) + ex.rest.sum + ex.bias, ex.z);
    assert.equal(ex.top.length + ex.rest.count, 400);
    const mags = ex.top.map((t) => Math.abs(t.wx));
    assert.deepEqual(mags, [...mags].sort((p, q) => q - p));
    for (const t of ex.top) {
      assert.equal(t.source, sourceName(src, t.cell));
      assert.equal(t.x, x[(t.cell.c * 5 + t.cell.y) * 5 + t.cell.x]);
    }
  }
});

test("softmax: the real formula with the real numbers, the max subtracted and named", () => {
  const logits = Float32Array.of(1, 2, 3, 0);
  const ex = explainSoftmax(tiny, { fc2: logits, softmax: zeros(4) }, "softmax", { c: 0 });
  const e = [Math.exp(-2), Math.exp(-1), 1, Math.exp(-3)];
  const total = e[0] + e[1] + e[2] + e[3]; // 1.5530
  assert.equal(ex.argmax, 2);
  assert.equal(ex.max, 3);
  assert.deepEqual(ex.shifted, [-2, -1, 0, -3]);
  assert.ok(Math.abs(ex.total - total) < 1e-15);
  assert.ok(Math.abs(ex.p - Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3) + 1)) < 1e-15);
  assert.ok(Math.abs(ex.probs.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  assert.deepEqual(F.softmaxLines(ex), [
    `p(0) = e^(z0 ${M} max) / Σj e^(zj ${M} max)`,
    "max = z2 = 3, the largest logit (subtracting it keeps every e^ at most 1; p is unchanged)",
    `p(0) = e^(1 ${M} 3) / 1.55 = e^(${M}2) / 1.55 = 0.135 / 1.55 = 0.0871`,
  ]);
  assert.equal(F.softmaxTotalText(ex), "Σj e^(zj − max) = 0.135 + 0.368 + 1 + 0.0498 = 1.55");
});

test("relu: before and after, with the conv or dense arithmetic it came from", () => {
  const layers = { pool1, fc1: Float32Array.of(0, 0, -1.75), relu2: zeros(3) };
  const ex = explainRelu(tiny, layers, "relu2", { c: 2, y: 0, x: 0 }, fc1);
  assert.equal(ex.before, -1.75);
  assert.equal(ex.after, 0);
  assert.equal(ex.kept, false);
  assert.equal(ex.inner.kind, "dense");
  assert.equal(ex.inner.z, -1.75);
  assert.equal(explainRelu(tiny, layers, "relu2", { c: 2, y: 0, x: 0 }).inner, null);
});

test("cells are named in words: maps by map, row and col; dense by unit; outputs by digit", () => {
  assert.equal(cellLabel(real, { layer: "conv2", c: 3, y: 4, x: 2 }, 1.2345), "conv2 · map 3 · row 4, col 2 · value 1.23");
  assert.equal(cellLabel(real, { layer: "fc1", c: 17, y: 0, x: 0 }, -0.03821), `fc1 · unit 17 · value ${M}0.0382`);
  assert.equal(cellName(real, { layer: "relu3", c: 5, y: 0, x: 0 }), "relu3 · unit 5");
  assert.equal(cellLabel(real, { layer: "fc3", c: 7, y: 0, x: 0 }, 3.2), "fc3 · unit 7 (digit 7) · value 3.20");
  assert.equal(cellLabel(real, { layer: "softmax", c: 7, y: 0, x: 0 }, 0.9123), "softmax · digit 7 · probability 0.912");
  assert.equal(cellLabel(real, { layer: "input", c: 0, y: 0, x: 31 }, 0), "input · row 0, col 31 · value 0");
  assert.equal(cellLabel(real, { layer: "pool2", c: 10, y: 4, x: 2 }), "pool2 · map 10 · row 4, col 2");
  assert.equal(sourceName(real.pool2, { c: 10, y: 4, x: 2 }), "pool2 map 10 (4, 2)");
  assert.equal(sourceName(real.relu3, { c: 17, y: 0, x: 0 }), "relu3 unit 17");
});

/** Random layer data and weights of the real network's shapes. */
function realNetwork(seed) {
  const rand = seeded(seed);
  const size = (l) => l.output_shape.reduce((a, b) => a * b, 1);
  const layers = Object.fromEntries(geometry.layers.map((l) => [l.name, Float32Array.from({ length: size(l) }, () => rand() * 2 - 0.5)]));
  const weights = {};
  for (const l of geometry.layers) {
    const out = l.output_shape[0];
    const perOut = l.kind === "conv" ? l.input_shape[0] * l.kernel ** 2 : l.kind === "dense" ? size({ output_shape: l.input_shape }) : 0;
    if (!perOut) continue;
    weights[l.name] = { W: Float32Array.from({ length: out * perOut }, () => rand() - 0.5),
                        b: Float32Array.from({ length: out }, () => rand() - 0.5) };
    assert.equal(out * perOut + out, l.parameters); // the shapes are the real ones
  }
  return { layers, weights };
}

test("describe keeps its windows and edges: conv 5x5 in every map, all 400 fc1 inputs", () => {
  const { layers, weights } = realNetwork(5);
  const ctx = { byName: real, weights, layers, pinned: true };
  const conv = describe(ctx, { layer: "conv2", c: 9, y: 3, x: 4 });
  assert.equal(conv.windows.length, 6);
  assert.equal(conv.edges.length, 150);
  assert.ok(Math.abs(conv.edges.reduce((s, e) => s + e.contribution, 0) + weights.conv2.b[9] - conv.explanation.z) < 1e-9);
  assert.ok(conv.explanation.label.startsWith("conv2 · map 9 · row 3, col 4 · value "));
  const fc = describe(ctx, { layer: "fc1", c: 17, y: 0, x: 0 });
  assert.equal(fc.edges.length, 400);
  assert.equal(fc.windows.length, 8);
  assert.ok(fc.explanation.label.startsWith("fc1 · unit 17 · value "));
  const pool = describe(ctx, { layer: "pool2", c: 3, y: 1, x: 2 });
  assert.deepEqual(pool.windows.map((w) => [w.layer, w.c, w.y, w.x, w.h, w.w]), [["relu2", 3, 2, 4, 2, 2]]);
  assert.equal(pool.edges.filter((e) => e.winner).length, 1);
  const relu = describe(ctx, { layer: "relu3", c: 4, y: 0, x: 0 });
  assert.equal(relu.explanation.inner.kind, "dense");
  assert.equal(relu.explanation.label.split(" · value")[0], "relu3 · unit 4");
  const soft = describe(ctx, { layer: "softmax", c: 7, y: 0, x: 0 });
  assert.equal(soft.edges.length, 10);
  assert.equal(describe({ ...ctx, layers: null }, { layer: "conv2", c: 0, y: 0, x: 0 }).explanation, null);
});

test("every fixture cell of every layer is explained, and z is the naive loop's", () => {
  const { layers, weights } = realNetwork(11);
  const ctx = { byName: real, weights, layers, pinned: false };
  for (const cell of geometry.cells) {
    const sel = describe(ctx, cell);
    const ex = sel.explanation;
    const g = real[cell.layer];
    assert.ok(ex.label.startsWith(cell.layer), ex.label);
    assert.doesNotMatch(ex.label, /channel/);
    if (g.kind === "conv") {
      const [cin, h, w] = real[g.source].output_shape;
      let z = weights[g.name].b[cell.c];
      for (let ch = 0; ch < cin; ch++)
        for (let i = 0; i < g.kernel; i++)
          for (let j = 0; j < g.kernel; j++)
            z += weights[g.name].W[((cell.c * cin + ch) * g.kernel + i) * g.kernel + j] *
              layers[g.source][(ch * h + cell.y + i) * w + cell.x + j];
      assert.ok(Math.abs(ex.z - z) < 1e-9, `${cell.layer} ${ex.z} ${z}`);
      assert.match(F.convSumText(ex), /^z = .* \(bias\) = /);
    } else if (g.kind === "dense") {
      assert.equal(ex.top.reduce((s, t) => s + t.wx, 0) + ex.rest.sum + ex.bias, ex.z);
      assert.doesNotMatch(F.denseSumText(ex), /\+ [-−]/);
    } else if (g.kind === "softmax") {
      assert.ok(Math.abs(ex.probs.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      assert.equal(F.softmaxLines(ex).length, 3);
    } else if (g.kind === "maxpool") {
      assert.equal(ex.max, Math.max(...ex.values));
    }
  }
});
