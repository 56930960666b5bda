// One colour language: the diverging scale for signed values, black-to-white for activations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diverging, gray, css, absMax, fillPixels, legendGradient } from "../../lenet_vis/static/js/colour.js";

const MID = [64, 64, 64];
const NEG = [33, 102, 172];
const POS = [230, 125, 20];

test("the diverging scale runs blue, neutral, orange and saturates at the limit", () => {
  assert.deepEqual(diverging(0, 1), MID);
  assert.deepEqual(diverging(-1, 1), NEG);
  assert.deepEqual(diverging(1, 1), POS);
  assert.deepEqual(diverging(-5, 2), NEG);
  assert.deepEqual(diverging(9, 2), POS);
  assert.deepEqual(diverging(0.5, 1), [147, 95, 42]); // half way from MID to POS, rounded
  assert.deepEqual(diverging(3, 0), MID, "a zero limit is neutral, not NaN");
  assert.deepEqual(diverging(-0.25, 1), [56, 74, 91]);
});

test("activations are black at 0 and white at the maximum", () => {
  assert.deepEqual(gray(0, 2), [0, 0, 0]);
  assert.deepEqual(gray(2, 2), [255, 255, 255]);
  assert.deepEqual(gray(1, 2), [128, 128, 128]);
  assert.deepEqual(gray(-1, 2), [0, 0, 0]);
  assert.deepEqual(gray(5, 2), [255, 255, 255]);
  assert.deepEqual(gray(1, 0), [0, 0, 0]);
});

test("absMax, pixels and the legend", () => {
  const data = Float32Array.of(0.5, -3, 2, 1);
  assert.equal(absMax(data), 3);
  assert.equal(absMax(data, 2, 4), 2);
  assert.equal(absMax([]), 0);
  const px = fillPixels(new Uint8ClampedArray(8), data, 2, 2, false, 2);
  assert.deepEqual(Array.from(px), [255, 255, 255, 255, 128, 128, 128, 255]);
  const signed = fillPixels(new Uint8ClampedArray(4), data, 1, 1, true, 3);
  assert.deepEqual(Array.from(signed), [...NEG, 255]);
  assert.equal(css([1, 2, 3]), "rgb(1,2,3)");
  assert.equal(legendGradient(), `linear-gradient(to right, ${css(NEG)}, rgb(49,83,118), ${css(MID)}, rgb(147,95,42), ${css(POS)})`);
});
