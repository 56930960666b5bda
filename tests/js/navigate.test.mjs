// navigate.js: arrows, [ ], Page Up / Page Down on the geometry fixture.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byName } from "./helpers.mjs";
import { movesCell, nextCell } from "../../lenet_vis/static/js/navigate.js";

// the page's default view: each ReLU drawn in the place of its conv or dense layer
const visible = ["input", "relu1", "pool1", "relu2", "pool2", "relu3", "relu4", "fc3", "softmax"];

test("only arrows, [ ], Page Up and Page Down move the cell", () => {
  for (const k of ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "[", "]", "PageUp", "PageDown"]) assert.ok(movesCell(k), k);
  for (const k of ["a", "Enter", "Escape", " ", "Tab"]) assert.ok(!movesCell(k), k);
});

test("arrows move within a map and stop at its edges", () => {
  const cell = { layer: "pool2", c: 3, y: 0, x: 4 };
  assert.deepEqual(nextCell(byName, visible, "pool2", cell, "ArrowDown"), { layer: "pool2", c: 3, y: 1, x: 4 });
  assert.deepEqual(nextCell(byName, visible, "pool2", cell, "ArrowRight"), cell);
  assert.deepEqual(nextCell(byName, visible, "pool2", cell, "ArrowUp"), cell);
  const unit = { layer: "relu3", c: 119, y: 0, x: 0 };
  assert.deepEqual(nextCell(byName, visible, "relu3", unit, "ArrowLeft"), { layer: "relu3", c: 118, y: 0, x: 0 });
  assert.deepEqual(nextCell(byName, visible, "relu3", unit, "ArrowRight"), unit);
});

test("[ and ] change channel within the layer's channels", () => {
  const cell = { layer: "relu2", c: 0, y: 2, x: 7 };
  let at = cell;
  for (let i = 0; i < 3; i++) at = nextCell(byName, visible, "relu2", at, "]");
  assert.deepEqual(at, { layer: "relu2", c: 3, y: 2, x: 7 });
  assert.deepEqual(nextCell(byName, visible, "relu2", cell, "["), cell);
  assert.equal(nextCell(byName, visible, "relu2", { ...cell, c: 15 }, "]").c, 15);
});

test("Page Up / Page Down keep the place, scaled, in the layer on screen before or after", () => {
  const input = { layer: "input", c: 0, y: 31, x: 16 };
  assert.deepEqual(nextCell(byName, visible, "input", input, "PageDown"), { layer: "relu1", c: 0, y: 27, x: 14 });
  assert.equal(nextCell(byName, visible, "input", input, "PageUp"), null);
  const pool1 = { layer: "pool1", c: 5, y: 13, x: 0 };
  assert.deepEqual(nextCell(byName, visible, "pool1", pool1, "PageDown"), { layer: "relu2", c: 5, y: 9, x: 0 });
  // the hidden pre-activation layer steps from the place it is drawn in
  const conv2 = { layer: "conv2", c: 2, y: 4, x: 4 };
  assert.deepEqual(nextCell(byName, visible, "relu2", conv2, "PageDown"), { layer: "pool2", c: 2, y: 2, x: 2 });
  const pool2 = { layer: "pool2", c: 7, y: 4, x: 4 };
  assert.deepEqual(nextCell(byName, visible, "pool2", pool2, "PageDown"), { layer: "relu3", c: 7, y: 0, x: 0 });
  const out = { layer: "softmax", c: 3, y: 0, x: 0 };
  assert.equal(nextCell(byName, visible, "softmax", out, "PageDown"), null);
});
