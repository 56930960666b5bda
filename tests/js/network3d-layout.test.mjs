// network3d-layout.js (where the 3D view puts each layer) on the model geometry fixture.
import { test } from "node:test";
import assert from "node:assert/strict";
import { geometry } from "./helpers.mjs";
import { dims } from "../../lenet_vis/static/js/geometry.js";
import {
  layout3d, shown, cellCentre, cellAtUV, blockRect, slabFor, placeOf,
} from "../../lenet_vis/static/js/network3d-layout.js";

const layers = geometry.layers;
const near = (a, b) => Math.abs(a - b) < 1e-9;

for (const showPre of [true, false]) {
  test(`showPre=${showPre}: the shown layers are stacked bottom to top in network order`, () => {
    const { slabs, box } = layout3d(layers, showPre);
    assert.deepEqual(slabs.map((s) => s.name), layers.filter((g) => shown(g, showPre, layers)).map((g) => g.name));
    for (let i = 1; i < slabs.length; i++) {
      assert.ok(slabs[i].y > slabs[i - 1].y);
      // seen from 32 degrees above, a slab's far edge stays below the next slab's near edge
      const reach = ((slabs[i - 1].depth + slabs[i].depth) / 2) * Math.tan((32 * Math.PI) / 180);
      assert.ok(slabs[i].y - slabs[i - 1].y >= reach, `${slabs[i].name} hides ${slabs[i - 1].name}`);
    }
    for (const s of slabs) {
      assert.ok(-s.width / 2 >= box.min[0] && s.width / 2 <= box.max[0]);
      assert.ok(-s.depth / 2 >= box.min[2] && s.depth / 2 <= box.max[2]);
    }
  });
}

test("a slab holds one map per channel (one grid per vector), inside it and apart", () => {
  for (const s of layout3d(layers).slabs) {
    const [n] = dims(layers.find((g) => g.name === s.name));
    assert.equal(s.maps.length, s.map ? n : 1);
    if (!s.map) assert.ok(s.w * s.h >= n && s.w * (s.h - 1) < n, `${s.name}: ${n} units in ${s.h}x${s.w}`);
    const rects = s.maps.map((m, c) => blockRect(s, s.map ? c : 0, 0, 0, s.h, s.w));
    for (const [x0, z0, x1, z1] of rects) {
      assert.ok(x0 >= -s.width / 2 - 1e-9 && x1 <= s.width / 2 + 1e-9, s.name);
      assert.ok(z0 >= -s.depth / 2 - 1e-9 && z1 <= s.depth / 2 + 1e-9, s.name);
    }
    rects.forEach((a, i) => rects.slice(i + 1).forEach((b) => {
      const apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
      assert.ok(apart, `${s.name}: two maps overlap`);
    }));
  }
});

test("the cell picked at a cell's centre is that cell, for the fixture's cells of every layer", () => {
  for (const showPre of [true, false]) {
    const layout = layout3d(layers, showPre);
    for (const cell of geometry.cells) {
      const slab = layout.byName[cell.layer];
      if (!slab) continue;
      const [x, y, z] = cellCentre(slab, cell);
      assert.equal(y, slab.y);
      const { map } = placeOf(slab, cell);
      const m = slab.maps[map];
      const u = (x - m.x0) / (slab.w * slab.cell);
      const v = (z - m.z0) / (slab.h * slab.cell);
      const want = { layer: cell.layer, c: cell.c, y: cell.y, x: cell.x };
      assert.deepEqual(cellAtUV(slab, map, u, v), want);
    }
  }
});

test("map rows run from the back (-z) and columns from the left (-x): a map reads upright", () => {
  const input = layout3d(layers).byName.input;
  const [x00, , z00] = cellCentre(input, { c: 0, y: 0, x: 0 });
  const [x01, , z01] = cellCentre(input, { c: 0, y: 0, x: 1 });
  const [x10, , z10] = cellCentre(input, { c: 0, y: 1, x: 0 });
  assert.ok(x01 > x00 && near(z01, z00));
  assert.ok(z10 > z00 && near(x10, x00));
});

test("the grid cells past the last unit of a vector pick nothing", () => {
  const slab = Object.values(layout3d(layers).byName).find((s) => !s.map && s.w * s.h > s.n);
  if (!slab) return; // every vector fills its grid exactly
  assert.equal(cellAtUV(slab, 0, 0.999, 0.999), null);
});

test("without pre-activations a conv or dense layer is drawn on the ReLU that reads it", () => {
  const layout = layout3d(layers, false);
  const hidden = layers.filter((l) => !shown(l, false, layers));
  assert.ok(hidden.length > 0);
  for (const g of hidden) {
    assert.ok(["conv", "dense"].includes(g.kind));
    const relu = layers.find((l) => l.source === g.name && l.kind === "relu");
    assert.equal(slabFor(layout, layers, g.name), layout.byName[relu.name]);
  }
  // a layer no ReLU reads (the logits before softmax) stays, as in the 2D view
  for (const g of layers.filter((l) => !layers.some((r) => r.kind === "relu" && r.source === l.name))) {
    assert.ok(layout.byName[g.name], g.name);
  }
  assert.equal(slabFor(layout, layers, "pool1"), layout.byName.pool1);
});
