// layout.js: every layer placed inside the stage, nothing overlapping, sizes from the geometry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { geometry } from "./helpers.mjs";
import { slotsOf, layoutNetwork, cellCentre } from "../../lenet_vis/static/js/layout.js";

const slots = slotsOf(geometry.layers);
const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

test("a ReLU shares the slot of the conv or dense layer it follows, in network order", () => {
  assert.deepEqual(slots.map((s) => s.names), [
    ["input"], ["conv1", "relu1"], ["pool1"], ["conv2", "relu2"], ["pool2"],
    ["fc1", "relu3"], ["fc2", "relu4"], ["fc3"], ["softmax"],
  ]);
  assert.deepEqual(slots.map((s) => s.n), [1, 6, 6, 16, 16, 120, 100, 10, 10]);
  assert.equal(slots[8].output, true);
  assert.equal(slots[7].kind, "logits");
});

for (const [width, height] of [[980, 640], [1066, 690], [1180, 995], [700, 400], [2400, 1300]]) {
  test(`wide ${width}x${height}: every map inside the stage, left to right, none overlapping`, () => {
    const L = layoutNetwork(slots, width, height, "wide");
    const maps = L.slots.flatMap((s) => s.maps);
    for (const m of maps) {
      assert.ok(m.x >= 0 && m.y >= 0 && m.x + m.w <= width + 1e-6 && m.y + m.h <= height + 1e-6, JSON.stringify(m));
    }
    for (let i = 0; i < maps.length; i++) {
      for (let j = i + 1; j < maps.length; j++) assert.ok(!overlap(maps[i], maps[j]), `${i} and ${j} overlap`);
    }
    for (let i = 1; i < L.slots.length; i++) assert.ok(L.slots[i].x >= L.slots[i - 1].x + L.slots[i - 1].w);
    for (const s of L.slots) {
      assert.equal(s.maps.length, s.map ? s.n : 1);
      assert.ok(s.grid.c * s.grid.rows >= s.n);
      assert.ok(s.caption.y >= 0);
    }
    // the input is the largest map, and every map is square like its layer
    const input = L.slots[0].maps[0];
    assert.ok(input.w >= Math.max(...L.slots.slice(1).filter((s) => s.map).map((s) => s.maps[0].w)));
    for (const s of L.slots.filter((x) => x.map)) assert.ok(Math.abs(s.maps[0].w - s.maps[0].h) < 1e-6);
  });
}

test("tall (phone): rows top to bottom within the width, the height what it needs", () => {
  const L = layoutNetwork(slots, 366, 0, "tall");
  for (const s of L.slots) {
    for (const m of s.maps) assert.ok(m.x >= 0 && m.x + m.w <= 366 + 1e-6);
  }
  for (let i = 1; i < L.slots.length; i++) assert.ok(L.slots[i].y >= L.slots[i - 1].y + L.slots[i - 1].h);
  const last = L.slots[L.slots.length - 1];
  assert.ok(L.height >= last.y + last.h);
});

test("cellCentre finds map cells and units in their block of nodes", () => {
  const L = layoutNetwork(slots, 1000, 700, "wide");
  const pool2 = L.slots[4];
  const [x, y] = cellCentre(pool2, 3, 4, 0);
  const m = pool2.maps[3];
  assert.ok(Math.abs(x - (m.x + 0.5 * m.w / 5)) < 1e-9 && Math.abs(y - (m.y + 4.5 * m.h / 5)) < 1e-9);
  const fc1 = L.slots[5];
  const cols = fc1.grid.c;
  const [ux, uy] = cellCentre(fc1, cols + 1);
  const b = fc1.maps[0];
  assert.ok(Math.abs(ux - (b.x + 1.5 * fc1.grid.side)) < 1e-9 && Math.abs(uy - (b.y + 1.5 * fc1.grid.side)) < 1e-9);
});
