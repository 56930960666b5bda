// The training time machine's pure pieces: labels, slider positions, the live channel's byte,
// the shared colour limit, the curve markers, and the checkpoint in the page link.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  percent, tickLabel, checkpointLabel, valueText, verdictNote, checkpointAt, positionOf,
  checkpointByte, nextPosition, sharedLimit, checkpointMarks, labelled, CHECKPOINT_NAME,
} from "../../lenet_vis/static/js/timemachine-format.js";
import { encodeState, decodeState, defaultState } from "../../lenet_vis/static/js/urlstate.js";

// as GET /api/knowledge/checkpoints lists them
const RECORDS = [
  { name: "init", epoch: 0, test_accuracy: 0.0844, fixture_accuracy: 0.0715 },
  { name: "epoch-1", epoch: 1, test_accuracy: 0.8919, fixture_accuracy: 0.8495 },
  { name: "epoch-3", epoch: 3, test_accuracy: 0.9562, fixture_accuracy: 0.939 },
  { name: "epoch-40", epoch: 40, test_accuracy: 0.9943, fixture_accuracy: 0.991 },
];

test("labels say the epoch and that checkpoint's test accuracy", () => {
  assert.equal(percent(0.9562), "95.6%");
  assert.equal(percent(1), "100.0%");
  assert.equal(percent(null), "?%");
  assert.deepEqual(RECORDS.map(tickLabel), ["init", "1", "3", "40"]);
  assert.equal(checkpointLabel(RECORDS[0]), "initialisation (untrained)");
  assert.equal(checkpointLabel(RECORDS[2]), "epoch 3");
  assert.equal(checkpointLabel(RECORDS[3], true), "epoch 40 (final)");
  assert.equal(valueText(RECORDS[2]), "epoch 3, 95.6% on test digits");
  assert.equal(valueText(RECORDS[0]), "initialisation, untrained, 8.4% on test digits");
  assert.equal(valueText(RECORDS[3], true), "epoch 40, the final weights, 99.4% on test digits");
  assert.equal(verdictNote(RECORDS[2]), "As the network read it after epoch 3");
  assert.equal(verdictNote(RECORDS[0]), "As the network read it before training");
});

test("the last slider position is the final weights (no ?checkpoint=), the others their names", () => {
  assert.deepEqual(RECORDS.map((_, i) => checkpointAt(RECORDS, i)), ["init", "epoch-1", "epoch-3", null]);
  assert.equal(checkpointAt(RECORDS, 7), null);
  assert.equal(checkpointAt([], 0), null);
  for (let i = 0; i < RECORDS.length; i++) assert.equal(positionOf(RECORDS, checkpointAt(RECORDS, i)), i);
  assert.equal(positionOf(RECORDS, "epoch-2"), -1);
  // the last record's own name is the final weights too
  assert.equal(positionOf(RECORDS, "epoch-40"), 3);
});

test("the live channel's byte: 0 for the final weights, else the 1-based index in the list", () => {
  assert.equal(checkpointByte(RECORDS, null), 0);
  assert.equal(checkpointByte(RECORDS, "init"), 1);
  assert.equal(checkpointByte(RECORDS, "epoch-3"), 3);
  assert.equal(checkpointByte(RECORDS, "nope"), 0);
});

test("playback steps through every checkpoint once and stops at the end", () => {
  const seen = [];
  for (let i = 0; i !== null; i = nextPosition(i, RECORDS.length)) seen.push(i);
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.equal(nextPosition(0, 1), null);
});

test("one colour limit per layer, over every checkpoint", () => {
  const a = Float32Array.from([0.1, -0.2]);
  const b = Float32Array.from([0.5, -1.5, 0]);
  assert.equal(sharedLimit([a, b]), 1.5);
  assert.equal(sharedLimit([]), 0);
});

test("crowded checkpoint labels are thinned, the final one always kept", () => {
  const eight = [0, 1, 2, 3, 5, 10, 20, 40].map((epoch) => ({ name: epoch ? `epoch-${epoch}` : "init", epoch }));
  assert.equal(labelled(eight).size, 8, "room enough: every one");
  assert.deepEqual([...labelled(eight, 10)], ["init", "epoch-1", "epoch-3", "epoch-5", "epoch-10", "epoch-20", "epoch-40"]);
  assert.deepEqual([...labelled(eight, 4)], ["init", "epoch-2", "epoch-5", "epoch-10", "epoch-20", "epoch-40"]);
  const late = [{ name: "init", epoch: 0 }, { name: "epoch-39", epoch: 39 }, { name: "epoch-40", epoch: 40 }];
  assert.deepEqual([...labelled(late, 5)], ["init", "epoch-40"], "the final label wins over its neighbour");
  const { shapes, annotations } = checkpointMarks(eight, { pxPerEpoch: 4 });
  assert.equal(shapes.length, 8, "every checkpoint keeps its line");
  assert.deepEqual(annotations.map((a) => a.text), ["init", "2", "5", "10", "20", "40"]);
});

test("the curves get a dotted line and a label at every checkpoint's epoch", () => {
  const { shapes, annotations } = checkpointMarks(RECORDS);
  assert.deepEqual(shapes.map((s) => s.x0), [0, 1, 3, 40]);
  assert.ok(shapes.every((s) => s.x0 === s.x1 && s.yref === "paper" && s.line.dash === "dot"));
  assert.deepEqual(annotations.map((a) => a.text), ["init", "1", "3", "40"]);
  assert.match(annotations[2].hovertext, /epoch-3: 95\.6% on test digits/);
});

test("the checkpoint round-trips through the page link; the final weights leave it out", () => {
  for (const name of ["init", "epoch-3", "epoch-40", "step_1.5"]) {
    const text = encodeState({ ...defaultState(), checkpoint: name });
    assert.equal(text, `t=${name}`);
    assert.deepEqual(decodeState(`#${text}`), { state: { ...defaultState(), checkpoint: name }, errors: [] });
  }
  assert.equal(encodeState({ ...defaultState(), checkpoint: null }), "");
  assert.equal(encodeState({ ...defaultState(), checkpoint: "a b" }), "", "an unwritable name is left out");
  for (const bad of ["", "-x", "a%20b", "<b>", "x".repeat(65)]) {
    const r = decodeState(`t=${bad}&v=3d`);
    assert.equal(r.state.checkpoint, null, bad);
    assert.equal(r.state.view, "3d");
    assert.equal(r.errors.length, 1, bad);
    assert.match(r.errors[0], /checkpoint/);
  }
  assert.ok(CHECKPOINT_NAME.test("epoch-20") && !CHECKPOINT_NAME.test("../x/"));
});
