// geometry.js held to tests/js/fixtures/geometry.json, which lenet_vis/model/geometry.py makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  indexLayers, dims, isMap, sourceWindow, receptiveField, flatIndex, cellOf, moveCell,
} from "../../lenet_vis/static/js/geometry.js";

const fx = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));
const byName = indexLayers(fx.layers);

test("every layer of the fixture is indexed by name in network order", () => {
  assert.deepEqual(Object.keys(byName), fx.layers.map((l) => l.name));
  assert.deepEqual(dims(byName.fc1), [120, 1, 1]);
  assert.equal(isMap(byName.pool2), true);
  assert.equal(isMap(byName.softmax), false);
});

test("sourceWindow matches model/geometry.py for cells of every layer", () => {
  const layers = new Set(fx.cells.map((c) => c.layer));
  assert.equal(layers.size, fx.layers.length);
  for (const cell of fx.cells) {
    const got = sourceWindow(byName, cell.layer, cell.c, cell.y, cell.x);
    assert.deepEqual(got, cell.source_window, `${cell.layer} (${cell.c}, ${cell.y}, ${cell.x})`);
  }
});

test("receptiveField matches model/geometry.py for cells of every layer", () => {
  for (const cell of fx.cells) {
    const got = receptiveField(byName, cell.layer, cell.y, cell.x);
    assert.deepEqual(got, cell.receptive_field, `${cell.layer} (${cell.y}, ${cell.x})`);
  }
});

test("flatIndex is NumPy's C order and cellOf inverts it", () => {
  for (const cell of fx.cells) {
    const g = byName[cell.layer];
    assert.equal(flatIndex(g, cell.c, cell.y, cell.x), cell.flat);
    assert.deepEqual(cellOf(g, cell.flat), { c: cell.c, y: cell.y, x: cell.x });
  }
});

test("moveCell clamps inside a layer and walks along a vector's units", () => {
  assert.ok(fx.moves.length > 100);
  for (const m of fx.moves) {
    const got = moveCell(byName[m.layer], m.cell, m.dy, m.dx, m.dc);
    assert.deepEqual(got, m.to, `${m.layer} ${JSON.stringify(m.cell)} by (${m.dy}, ${m.dx}, ${m.dc})`);
    if (m.dc === 0) assert.deepEqual(moveCell(byName[m.layer], m.cell, m.dy, m.dx), m.to);
  }
});
