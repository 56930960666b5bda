// The map of training digits, pure parts: palette, projection, hit-testing, label places, pixels.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PALETTE, YOURS, rgb, fitView, project, unproject, projectAll, clampToView, nearestPoint, labelCentres,
  pointPixels, drawOrder, digitWords,
} from "../../lenet_vis/static/js/knowledgemap.js";

test("the palette has ten distinct colours, one a digit", () => {
  assert.equal(PALETTE.length, 10);
  assert.equal(new Set(PALETTE).size, 10);
  for (const c of PALETTE) assert.match(c, /^#[0-9a-f]{6}$/);
  assert.deepEqual(rgb("#3f90da"), [63, 144, 218]);
  // every colour stands out from the black map ground: luminance well above black
  for (const c of PALETTE) {
    const [r, g, b] = rgb(c);
    assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b > 60, c);
  }
});

// CIELAB of an sRGB colour, and the colour as seen with a dichromacy (Machado, Oliveira and
// Fernandes 2009, severity 1, on linear RGB)
const linear = (v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
const encode = (v) => {
  v = Math.min(1, Math.max(0, v));
  return 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
};
function lab([r8, g8, b8]) {
  const [r, g, b] = [r8, g8, b8].map(linear);
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}
const SIGHTS = {
  normal: null,
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
const seen = (hex, m) => {
  const c = rgb(hex);
  if (!m) return lab(c);
  const l = c.map(linear);
  return lab(m.map((row) => encode(row[0] * l[0] + row[1] * l[1] + row[2] * l[2])));
};
const deltaE = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

test("the ten colours and your digit's stay apart with each common colour-vision deficiency", () => {
  for (const [sight, m] of Object.entries(SIGHTS)) {
    const labs = PALETTE.map((c) => seen(c, m));
    for (let i = 0; i < 10; i++) {
      for (let j = i + 1; j < 10; j++) {
        const d = deltaE(labs[i], labs[j]);
        assert.ok(d >= 16, `${sight}: digits ${i} and ${j} only ${d.toFixed(1)} apart`);
      }
      const d = deltaE(labs[i], seen(YOURS, m));
      assert.ok(d >= 16, `${sight}: digit ${i} only ${d.toFixed(1)} from your digit's marker`);
    }
  }
  // the old palette's 1 and 6 (#ffa90e, #e76300) fail the same measure: it is a real test
  assert.ok(deltaE(seen("#ffa90e", SIGHTS.deuteranopia), seen(YOURS, SIGHTS.deuteranopia)) < 16);
});

test("the view fits the bounds with one scale for both axes, centred, y up", () => {
  const v = fitView([[-10, -5], [10, 5]], 220, 220, 10);
  assert.equal(v.scale, 10); // 200 px for 20 units across; 10 units tall fits easily
  assert.deepEqual(project(v, [-10, 0]), [10, 110]);
  assert.deepEqual(project(v, [10, 0]), [210, 110]);
  assert.deepEqual(project(v, [0, 5]), [110, 60], "map y up is canvas y down");
  assert.deepEqual(project(v, [0, -5]), [110, 160]);
  const tall = fitView([[0, 0], [1, 4]], 100, 200, 0);
  assert.equal(tall.scale, 50);
  assert.deepEqual(project(tall, [0, 4]), [25, 0]);
});

test("unproject undoes project", () => {
  const v = fitView([[-7.5, -4.7], [6.3, 5.1]], 337, 337, 10);
  for (const p of [[0, 0], [-7.5, 5.1], [3.25, -1.5]]) {
    const back = unproject(v, project(v, p));
    assert.ok(Math.abs(back[0] - p[0]) < 1e-9 && Math.abs(back[1] - p[1]) < 1e-9, String(back));
  }
  const { xs, ys } = projectAll(v, [[0, 0], [6.3, 5.1]]);
  assert.ok(xs instanceof Float32Array);
  assert.ok(Math.abs(xs[1] - project(v, [6.3, 5.1])[0]) < 1e-3);
  assert.ok(Math.abs(ys[1] - project(v, [6.3, 5.1])[1]) < 1e-3);
});

test("a point off the map is kept inside it, and says so", () => {
  const v = fitView([[0, 0], [10, 10]], 100, 100, 0);
  assert.deepEqual(clampToView(v, [50, 50]), [50, 50, false]);
  assert.deepEqual(clampToView(v, [-20, 120], 6), [6, 94, true]);
});

test("hit-testing finds the nearest point within the radius, the later one on a tie", () => {
  const xs = Float32Array.from([10, 20, 30, 20]);
  const ys = Float32Array.from([10, 20, 30, 20]);
  assert.equal(nearestPoint(xs, ys, 11, 11), 0);
  assert.equal(nearestPoint(xs, ys, 29, 28), 2);
  assert.equal(nearestPoint(xs, ys, 20, 20), 3, "drawn on top");
  assert.equal(nearestPoint(xs, ys, 100, 100, 8), -1);
  assert.equal(nearestPoint(xs, ys, 36, 30, 6), 2, "exactly at the radius");
  assert.equal(nearestPoint(new Float32Array(0), new Float32Array(0), 0, 0), -1);
});

test("each digit's name goes at the median of its points, strays ignored", () => {
  const positions = [[0, 0], [1, 1], [2, 2], [100, 100], [5, 5]];
  const labels = [3, 3, 3, 3, 1];
  const c = labelCentres(positions, labels);
  assert.deepEqual(c[3], [1.5, 1.5]);
  assert.deepEqual(c[1], [5, 5]);
  assert.equal(c[0], null);
  assert.equal(c.length, 10);
});

test("points become squares of their label's colour; later ones on top; off-canvas clipped", () => {
  const px = pointPixels(Float32Array.from([1, 1, 3.9]), Float32Array.from([1, 1, 0]), [0, 2, 1], 4, 3, 2);
  const at = (x, y) => [...px.slice((y * 4 + x) * 4, (y * 4 + x) * 4 + 4)];
  assert.deepEqual(at(0, 0), [...rgb(PALETTE[2]), 255], "the second point covers the first");
  assert.deepEqual(at(1, 1), [...rgb(PALETTE[2]), 255]);
  assert.deepEqual(at(2, 2), [0, 0, 0, 0], "transparent where no point is");
  assert.deepEqual(at(3, 0), [...rgb(PALETTE[1]), 255], "clipped at the right edge");
  const ordered = pointPixels(Float32Array.from([1, 1]), Float32Array.from([1, 1]), [0, 2], 2, 2, 2, [1, 0]);
  assert.deepEqual([...ordered.slice(0, 3)], rgb(PALETTE[0]), "the order decides which is on top");
});

test("the draw order is a fixed permutation", () => {
  const o = drawOrder(1000);
  assert.deepEqual([...o].sort((a, b) => a - b), [...Array(1000).keys()]);
  assert.deepEqual([...drawOrder(1000)], [...o], "deterministic");
  assert.notDeepEqual([...o.slice(0, 10)], [...Array(10).keys()], "shuffled");
});

test("a training digit's words say when the network reads it wrongly", () => {
  assert.equal(digitWords({ label: 7, prediction: 7 }), "labelled 7");
  assert.equal(digitWords({ label: 4, prediction: 9 }), "labelled 4, read as 9");
});

test("the digits round a place on the map, in words", async () => {
  const { surroundings, surroundingsWords } = await import("../../lenet_vis/static/js/knowledgemap.js");
  const positions = [[0, 0], [0.1, 0], [0.2, 0], [0.3, 0], [5, 5], [5.1, 5]];
  const labels = [7, 7, 7, 1, 4, 9];
  assert.deepEqual(surroundings(positions, labels, [0, 0], 4), [[7, 3], [1, 1]]);
  assert.deepEqual(surroundings(positions, labels, [5, 5], 2), [[4, 1], [9, 1]], "ties: smaller first");
  assert.equal(surroundingsWords([[7, 9], [1, 1]]), "among the 7s");
  assert.equal(surroundingsWords([[4, 5], [9, 4], [7, 1]]), "between the 4s and the 9s");
  assert.equal(surroundingsWords([[3, 4], [5, 3], [8, 3]]), "among 3s, 5s and 8s");
  assert.equal(surroundingsWords([[2, 1]]), "among the 2s");
  assert.equal(surroundingsWords([]), "");
});
