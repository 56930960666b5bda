// The explanations' pure helpers: scales, overlays, ink, words and the blend chart's points.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  robustLimit, overlayPixels, inkPixels, decodeAttribution, completenessText, rankingLabels,
  pathPoints, channelPixels,
} from "../../lenet_vis/static/js/explainmaps.js";
import { diverging } from "../../lenet_vis/static/js/colour.js";

const f32b64 = (values) => Buffer.from(new Float32Array(values).buffer).toString("base64");

test("the robust limit ignores the top 1% and falls back to the maximum", () => {
  const values = Array.from({ length: 1000 }, (_, i) => (i % 2 ? -1 : 1) * (i < 995 ? 0.5 : 100));
  assert.equal(robustLimit(values), 0.5);
  assert.equal(robustLimit([0, 0, 0, 3]), 3, "mostly zeros: the maximum");
  assert.equal(robustLimit([]), 0);
});

test("an overlay is the input where the map is zero and the scale's colour where it saturates", () => {
  const input = [0, 0.5, 1, 1];
  const map = [0, 0, 2, -2];
  const px = overlayPixels(input, map, 1, 1);
  assert.deepEqual([...px.slice(0, 4)], [0, 0, 0, 255]);
  assert.deepEqual([...px.slice(4, 8)], [128, 128, 128, 255]);
  assert.deepEqual([...px.slice(8, 11)], diverging(1, 1));
  assert.deepEqual([...px.slice(12, 15)], diverging(-1, 1));
  const half = overlayPixels([1], [0.5], 1, 1);
  // colour diverging(0.5, 1) = [147, 95, 42], mixed half way over white
  assert.deepEqual([...half.slice(0, 3)], [201, 175, 149]);
  assert.deepEqual([...overlayPixels([1], [3], 0, 1).slice(0, 3)], [255, 255, 255]);
});

test("ink added is orange, ink removed blue, unchanged pixels the new input", () => {
  const px = inkPixels([1, 0, 0.5], [1, 0, 0], [0, 1, 0]);
  assert.deepEqual([...px.slice(0, 3)], diverging(1, 1));
  assert.deepEqual([...px.slice(4, 7)], diverging(-1, 1));
  assert.deepEqual([...px.slice(8, 11)], [128, 128, 128]);
});

test("attribution bodies decode in either encoding", () => {
  const listBody = { target: 7, input: [[0, 1]], maps: { gradient: [[0.5, -2]] } };
  const b64Body = { target: 7, input: f32b64([0, 1]), maps: { gradient: f32b64([0.5, -2]) } };
  for (const body of [listBody, b64Body]) {
    const a = decodeAttribution(body);
    assert.deepEqual([...a.input], [0, 1]);
    assert.deepEqual([...a.maps.gradient], [0.5, -2]);
    assert.equal(a.target, 7);
  }
});

test("completeness and ranking read as short sentences", () => {
  const c = { steps: 64, attribution_sum: 18.49, logit_difference: 18.57, relative_error: 0.0043 };
  assert.equal(completenessText(c),
    "sum 18.49 vs logit(input) − logit(black) 18.57 (0.43% apart, 64 steps)");
  assert.equal(completenessText(null), "");
  const ranking = [
    { layer: "conv2", index: 11, drop: 9.171 },
    { layer: "conv1", index: 0, drop: -0.5 },
  ];
  assert.deepEqual(rankingLabels(ranking, 5), ["conv2 #11 · −9.17", "conv1 #0 · +0.50"]);
  assert.deepEqual(rankingLabels(ranking, 1), ["conv2 #11 · −9.17"]);
});

test("the blend chart puts probability 1 at the top and alpha 1 at the right", () => {
  const path = { alphas: [0, 0.5, 1], probabilities: [[1, 0], [0.5, 0.5], [0, 1]] };
  assert.deepEqual(pathPoints(path, 0, 200, 100), [[0, 0], [100, 50], [200, 100]]);
  assert.deepEqual(pathPoints(path, 1, 200, 100), [[0, 100], [100, 50], [200, 0]]);
});

test("a layer's difference splits into one diverging map per channel with one limit", () => {
  // shape [2, 1, 2]: channel 0 = [0, 2], channel 1 = [-4, 1]; the layer's limit is 4
  const { limit, maps } = channelPixels(Float32Array.from([0, 2, -4, 1]), [2, 1, 2]);
  assert.equal(limit, 4);
  assert.equal(maps.length, 2);
  assert.deepEqual(maps.map((m) => [m.width, m.height]), [[2, 1], [2, 1]]);
  // 0 -> neutral [64, 64, 64]; 2/4 -> half way to orange: 64 + (230 - 64) / 2 = 147,
  // 64 + (125 - 64) / 2 = 94.5 -> 95, 64 + (20 - 64) / 2 = 42
  assert.deepEqual([...maps[0].pixels], [64, 64, 64, 255, 147, 95, 42, 255]);
  // -4/4 -> blue [33, 102, 172]; 1/4 -> 64 + 166/4 = 105.5 -> 106, 64 + 61/4 = 79.25 -> 79,
  // 64 - 44/4 = 53
  assert.deepEqual([...maps[1].pixels], [33, 102, 172, 255, 106, 79, 53, 255]);
});

test("a vector layer's difference is one 1 x N strip; all zeros stay neutral", () => {
  const { limit, maps } = channelPixels(Float32Array.from([0, 0, 0]), [3]);
  assert.equal(limit, 0);
  assert.equal(maps.length, 1);
  assert.deepEqual([maps[0].width, maps[0].height], [3, 1]);
  assert.deepEqual([...maps[0].pixels], [64, 64, 64, 255, 64, 64, 64, 255, 64, 64, 64, 255]);
});
