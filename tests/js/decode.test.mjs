// decode.js against a predict body written by the app's own encoder (fixtures/decode.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeFloat32, toFlat, decodePrediction, decodeWeights } from "../../lenet_vis/static/js/decode.js";

const fx = JSON.parse(readFileSync(new URL("./fixtures/decode.json", import.meta.url)));

test("base64 and nested lists decode to the same float32 values, in C order", () => {
  const got = decodePrediction(fx.body);
  assert.equal(got.prediction, 3);
  assert.equal(got.blank, false);
  assert.deepEqual(Object.keys(got.layers), ["input", "conv1", "fc1", "relu1"]);
  for (const [name, values] of Object.entries(fx.expected)) {
    assert.ok(got.layers[name] instanceof Float32Array, name);
    assert.deepEqual(Array.from(got.layers[name]), values, name);
  }
  assert.ok(Object.is(got.layers.conv1[1], -0), "-0 survives");
  assert.equal(got.layers.conv1[4], fx.expected.conv1[4]); // 3.4e38, near float32's largest
});

test("weights decode to flat W and b with their shape", () => {
  const w = decodeWeights(fx.body.weights);
  assert.deepEqual(Array.from(w.W), fx.expected.conv1);
  assert.deepEqual(Array.from(w.b), fx.expected.fc1);
  assert.deepEqual(w.shape, [2, 3, 4]);
});

test("small cases: empty data and a one-value base64", () => {
  assert.deepEqual(Array.from(toFlat([])), []);
  assert.deepEqual(Array.from(toFlat([[1, 2], [3, 4]])), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(decodeFloat32("AACAPw==")), [1]); // 1.0f little-endian
  assert.deepEqual(Array.from(decodeFloat32("")), []);
});
