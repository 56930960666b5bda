// live.js: the request and answer frames of the live channel, byte by byte, and the checkpoint
// byte. The frames here are written by hand from the documented layout (README, "The live
// channel"); tests/browser/test_live.py checks the same decoder against the real server.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  backoff, checkpointIndex, decodeFrame, decodeRequest, encodeRequest, FLAG_FIELD, inkFromRGBA, liveURL,
} from "../../lenet_vis/static/js/live.js";
import { seeded } from "./helpers.mjs";

const SHAPES = [
  ["input", [1, 32, 32]], ["conv1", [6, 28, 28]], ["relu1", [6, 28, 28]], ["pool1", [6, 14, 14]],
  ["conv2", [16, 10, 10]], ["relu2", [16, 10, 10]], ["pool2", [16, 5, 5]], ["fc1", [120]],
  ["relu3", [120]], ["fc2", [100]], ["relu4", [100]], ["fc3", [10]], ["softmax", [10]],
];
const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** An answer frame as the layout says: values[name] is a Float32Array (or given offsets). */
function frame({ seq, prediction, blank = false, checkpoint = null, values, header }) {
  let offsets = [];
  let text = "";
  // the offsets depend on the header's length, which depends on the offsets: settle it
  for (let guess = 0; guess < 3; guess++) {
    const h = header ?? { v: 1, checkpoint, layers: SHAPES.map(([n, s], i) => [n, s, offsets[i] ?? 0]) };
    text = JSON.stringify(h);
    text += " ".repeat((4 - ((8 + text.length) % 4)) % 4);
    let at = 8 + text.length;
    offsets = SHAPES.map(([, s]) => { const o = at; at += 4 * size(s); return o; });
  }
  const total = offsets.at(-1) + 4 * 10;
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  view.setUint32(0, seq, true);
  view.setUint8(4, prediction);
  view.setUint8(5, blank ? 1 : 0);
  view.setUint16(6, text.length, true);
  new Uint8Array(buf, 8, text.length).set(new TextEncoder().encode(text));
  SHAPES.forEach(([name, s], i) => {
    for (let k = 0; k < size(s); k++) view.setFloat32(offsets[i] + 4 * k, values[name][k], true);
  });
  return buf;
}

function randomValues(seed) {
  const rand = seeded(seed);
  const values = {};
  for (const [name, s] of SHAPES) values[name] = Float32Array.from({ length: size(s) }, () => rand() * 4 - 2);
  const p = Float32Array.from({ length: 10 }, () => rand());
  const sum = p.reduce((a, b) => a + b, 0);
  values.softmax = p.map((v) => v / sum);
  return values;
}

test("a request is seq, checkpoint, flags, side and the ink, little-endian", () => {
  const ink = Uint8Array.from({ length: 28 * 28 }, (_, i) => i % 256);
  const bytes = encodeRequest(0x01020304, 3, ink, 28);
  assert.equal(bytes.length, 8 + 784);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [4, 3, 2, 1, 3, 0, 28, 0]);
  assert.deepEqual(bytes.subarray(8), ink);
  const back = decodeRequest(bytes);
  assert.equal(back.seq, 0x01020304);
  assert.equal(back.checkpoint, 3);
  assert.equal(back.side, 28);
  assert.deepEqual(back.ink, ink);
  // 140 a side (the pad's export) and 256 (the most): the u16 side in little-endian
  assert.deepEqual(Array.from(encodeRequest(1, 0, new Uint8Array(140 * 140), 140).subarray(6, 8)), [140, 0]);
  assert.deepEqual(Array.from(encodeRequest(1, 0, new Uint8Array(256 * 256), 256).subarray(6, 8)), [0, 1]);
  assert.deepEqual(Array.from(encodeRequest(2 ** 32 + 5, 0, new Uint8Array(784), 28).subarray(0, 4)), [5, 0, 0, 0]);
  // flag 1: a sample digit sent as the network's own 28x28 field
  const field = encodeRequest(7, 0, ink, 28, FLAG_FIELD);
  assert.equal(field[5], 1);
  assert.equal(decodeRequest(field).flags, 1);
});

test("a request refuses a side, ink or checkpoint the server would refuse", () => {
  assert.throws(() => encodeRequest(1, 0, new Uint8Array(27 * 27), 27), /side/);
  assert.throws(() => encodeRequest(1, 0, new Uint8Array(257 * 257), 257), /side/);
  assert.throws(() => encodeRequest(1, 0, new Uint8Array(100), 28), /bytes/);
  assert.throws(() => encodeRequest(1, 256, new Uint8Array(784), 28), /checkpoint/);
  assert.throws(() => encodeRequest(1, -1, new Uint8Array(784), 28), /checkpoint/);
});

test("ink is PIL's luminance of the pixels: grey stays itself, colours weigh 299/587/114", () => {
  const rgba = Uint8ClampedArray.from([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 255, 0, 0, 255,
    0, 255, 0, 255, 0, 0, 255, 255, 10, 200, 30, 255]);
  // PIL: Image.frombytes("RGB", ...).convert("L") of the same pixels gives these
  assert.deepEqual(Array.from(inkFromRGBA(rgba)), [0, 255, 128, 76, 150, 29, 124]);
  for (let v = 0; v < 256; v++) assert.equal(inkFromRGBA(Uint8ClampedArray.from([v, v, v, 255]))[0], v);
  const out = new Uint8Array(7);
  assert.equal(inkFromRGBA(rgba, out), out, "reuses the buffer it is given");
});

test("an answer frame decodes to views on its bytes in the shape decodePrediction gives", () => {
  const values = randomValues(7);
  const buf = frame({ seq: 42, prediction: 7, checkpoint: "epoch-3", values });
  const got = decodeFrame(buf);
  assert.equal(got.seq, 42);
  assert.equal(got.prediction, 7);
  assert.equal(got.blank, false);
  assert.equal(got.checkpoint, "epoch-3");
  assert.deepEqual(Object.keys(got.layers), SHAPES.map(([n]) => n));
  for (const [name, s] of SHAPES) {
    assert.ok(got.layers[name] instanceof Float32Array, name);
    assert.equal(got.layers[name].buffer, buf, `${name} is a view, not a copy`);
    assert.deepEqual(Array.from(got.layers[name]), Array.from(values[name]), name);
    assert.deepEqual(got.shapes[name], s);
  }
  assert.ok(Array.isArray(got.probabilities));
  assert.deepEqual(got.probabilities, Array.from(values.softmax));
  const blank = decodeFrame(frame({ seq: 1, prediction: 0, blank: true, values }));
  assert.equal(blank.blank, true);
  assert.equal(blank.checkpoint, null);
});

test("malformed frames are refused with a reason, never read out of bounds", () => {
  const values = randomValues(8);
  const good = frame({ seq: 1, prediction: 1, values });
  assert.throws(() => decodeFrame(new ArrayBuffer(5)), /shorter than its header/);
  assert.throws(() => decodeFrame(good.slice(0, good.byteLength - 4)), /do not fit/);
  const longHeader = good.slice(0);
  new DataView(longHeader).setUint16(6, 65535, true);
  assert.throws(() => decodeFrame(longHeader), /runs past/);
  const notJSON = good.slice(0);
  new Uint8Array(notJSON, 8, 1)[0] = 0x7b + 1;
  assert.throws(() => decodeFrame(notJSON), /not JSON/);
  const misaligned = frame({ seq: 1, prediction: 1, values, header: { v: 1, layers: [["softmax", [10], 10]] } });
  assert.throws(() => decodeFrame(misaligned), /do not fit/);
  const noSoftmax = frame({ seq: 1, prediction: 1, values, header: { v: 1, layers: [["fc3", [10], 128]] } });
  assert.throws(() => decodeFrame(noSoftmax), /softmax/);
  assert.throws(() => decodeFrame(frame({ seq: 1, prediction: 1, values, header: { v: 2, layers: [] } })), /version 1/);
  assert.throws(() => decodeFrame("text"), TypeError);
});

test("with a header cache, each frame decodes as without it; a changed header is read anew", () => {
  const cache = {};
  const a = randomValues(11);
  const b = randomValues(12);
  const frames = [
    frame({ seq: 1, prediction: 3, values: a }),
    frame({ seq: 2, prediction: 5, values: b }), // the same header: taken from the cache
    frame({ seq: 3, prediction: 5, checkpoint: "epoch-3", values: b }), // another header
    frame({ seq: 4, prediction: 3, values: a }),
  ];
  for (const buf of frames) {
    const cached = decodeFrame(buf, cache);
    const fresh = decodeFrame(buf);
    assert.equal(cached.seq, fresh.seq);
    assert.equal(cached.checkpoint, fresh.checkpoint);
    assert.equal(cached.prediction, fresh.prediction);
    assert.deepEqual(cached.probabilities, fresh.probabilities);
    assert.deepEqual(cached.shapes, fresh.shapes);
    for (const [name] of SHAPES) assert.deepEqual(Array.from(cached.layers[name]), Array.from(fresh.layers[name]), name);
  }
  assert.equal(decodeFrame(frames[2], cache).checkpoint, "epoch-3");
  // a cached header does not excuse a frame too short for it, nor one whose header changed to junk
  const good = frames[0];
  decodeFrame(good, cache);
  assert.throws(() => decodeFrame(good.slice(0, good.byteLength - 4), cache), /do not fit/);
  const notJSON = good.slice(0);
  new Uint8Array(notJSON, 8, 1)[0] = 0x7b + 1;
  assert.throws(() => decodeFrame(notJSON, cache), /not JSON/);
  assert.equal(decodeFrame(good, cache).seq, 1);
});

test("the checkpoint byte: 0 for the final weights, else the 1-based place in the list", () => {
  const names = ["init", "epoch-1", "epoch-3"];
  assert.equal(checkpointIndex(names, null), 0);
  assert.equal(checkpointIndex([], null), 0);
  assert.equal(checkpointIndex(names, "init"), 1);
  assert.equal(checkpointIndex(names, "epoch-3"), 3);
  assert.throws(() => checkpointIndex(names, "epoch-9"), /no checkpoint/);
});

test("the address follows the page's scheme; reconnects back off to 30 s", () => {
  assert.equal(liveURL({ protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/api/live");
  assert.equal(liveURL({ protocol: "https:", host: "example.org" }), "wss://example.org/api/live");
  assert.deepEqual([0, 1, 2, 3, 10].map(backoff), [500, 1000, 2000, 4000, 30000]);
});
