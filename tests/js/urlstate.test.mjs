// The URL-state codec: round trips, size of realistic drawings, and junk that never throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeState, decodeState, defaultState, encodeStrokes, decodeStrokes, quantiseStrokes,
  toBase64url, padPoint, FIELDS, LIMITS, PAD, REACH, ABLATABLE,
} from "../../lenet_vis/static/js/urlstate.js";
import { seeded, byName } from "./helpers.mjs";

/** A stroke through `corners` as a mouse gives it: a point every `step` px, with a tremor. */
function traced(corners, { step = 2, tremor = 0.6, rand = seeded(1), size = 18 } = {}) {
  const points = [];
  for (let i = 1; i < corners.length; i++) {
    const [a, b] = [corners[i - 1], corners[i]];
    const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step));
    for (let k = i === 1 ? 0 : 1; k <= n; k++) {
      const t = k / n;
      points.push([a[0] + (b[0] - a[0]) * t + (rand() - 0.5) * tremor,
                   a[1] + (b[1] - a[1]) * t + (rand() - 0.5) * tremor]);
    }
  }
  return { size, points };
}

const loop = (cx, cy, rx, ry, turns = 1, n = 120) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = (i / n) * 2 * Math.PI * turns;
    return [cx + rx * Math.sin(a), cy - ry * Math.cos(a)];
  });

/** Digits drawn as people draw them with a mouse (points 1-2 px apart, a slight tremor). */
const DIGITS = {
  7: [traced([[80, 60], [200, 60]]), traced([[200, 60], [115, 235]])],
  1: [traced([[140, 45], [138, 235]], { step: 1 })],
  0: [traced(loop(140, 140, 60, 90), { step: 1 })],
  8: [traced([...loop(140, 95, 45, 45), ...loop(140, 185, 55, 50)], { step: 1 })],
  4: [traced([[170, 40], [70, 170], [210, 170]]), traced([[170, 90], [165, 250]])],
  2: [traced([...loop(140, 100, 55, 50, 0.4, 40), [80, 240], [210, 240]], { step: 1.5, tremor: 1.5 })],
  scribble: [traced(loop(140, 140, 100, 100, 6, 720), { step: 1, tremor: 3 })],
};

/** Distance from point p to the segment a-b. */
function toSegment(p, a, b) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const len2 = dx * dx + dy * dy;
  const t = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** The farthest any point of stroke a lies from the polyline of stroke b. */
const strokeDistance = (a, b) => Math.max(...a.points.map((p) => Math.min(
  ...b.points.map((q, i) => toSegment(p, b.points[Math.max(0, i - 1)], q)))));

test("fields are declared in one table with distinct keys and sane defaults", () => {
  assert.deepEqual(FIELDS.map((f) => f.name), ["strokes", "sample", "pinned", "view", "showPre", "normalise", "ablate", "compareA", "checkpoint", "image"]);
  assert.equal(new Set(FIELDS.map((f) => f.key)).size, FIELDS.length);
  assert.deepEqual(defaultState(), { strokes: [], sample: null, pinned: null, view: "2d", showPre: false, normalise: "map",
    ablate: { conv1: [], conv2: [], fc1: [], fc2: [] }, compareA: null, checkpoint: null, image: null });
  assert.equal(encodeState(defaultState()), "");
  assert.deepEqual(decodeState(""), { state: defaultState(), errors: [] });
});

test("the whole state round-trips through the URL", () => {
  const state = {
    strokes: DIGITS[7], sample: 12, pinned: { layer: "conv2", c: 3, y: 4, x: 2 },
    view: "3d", showPre: true, normalise: "layer", ablate: { conv1: [], conv2: [4, 11], fc1: [7], fc2: [] },
    compareA: DIGITS[7], checkpoint: "epoch-3", image: null,
  };
  const text = encodeState(state);
  assert.match(text, /^[A-Za-z0-9_\-.=&]+$/); // nothing to escape in a fragment or a query
  const { state: back, errors } = decodeState(`#${text}`, byName);
  assert.deepEqual(errors, []);
  assert.deepEqual(back, { ...state, strokes: back.strokes, compareA: back.compareA });
  assert.equal(back.strokes.length, 2);
  assert.deepEqual(back.compareA, back.strokes, "drawing A comes back as the same strokes");
  for (let i = 0; i < 2; i++) {
    assert.equal(back.strokes[i].size, 18);
    assert.ok(strokeDistance(state.strokes[i], back.strokes[i]) <= 1, "every point within 1 px");
  }
  assert.equal(encodeState(back), text, "decoding then encoding gives the same link");
});

test("a unit of a vector layer is written as layer.unit", () => {
  const text = encodeState({ ...defaultState(), pinned: { layer: "fc1", c: 17, y: 0, x: 0 } });
  assert.equal(text, "p=fc1.17");
  assert.deepEqual(decodeState(text, byName).state.pinned, { layer: "fc1", c: 17, y: 0, x: 0 });
  assert.deepEqual(decodeState("p=softmax.7", byName).state.pinned, { layer: "softmax", c: 7, y: 0, x: 0 });
});

test("a drawn digit fits in under 2 KB of URL, within a pixel of the drawing", () => {
  for (const [name, strokes] of Object.entries(DIGITS)) {
    const state = { ...defaultState(), strokes, pinned: { layer: "conv2", c: 15, y: 9, x: 9 }, view: "3d" };
    const url = `http://127.0.0.1:8000/#${encodeState(state)}`;
    assert.ok(url.length < 2048, `${name}: ${url.length} bytes`);
    const back = decodeState(new URL(url).hash, byName);
    assert.deepEqual(back.errors, []);
    const exact = quantiseStrokes(strokes);
    if (["7", "1", "4"].includes(name)) assert.deepEqual(back.state.strokes, exact, `${name}: every pixel kept`);
    back.state.strokes.forEach((s, i) => assert.ok(strokeDistance(exact[i], s) <= 3, `${name}: close`));
  }
});

test("a drawing far too long for a URL is simplified until it fits", () => {
  const rand = seeded(7);
  let [x, y] = [140, 140];
  const points = Array.from({ length: 6000 }, () => {
    x = Math.min(PAD, Math.max(0, x + (rand() - 0.5) * 12));
    y = Math.min(PAD, Math.max(0, y + (rand() - 0.5) * 12));
    return [x, y];
  });
  const strokes = Array.from({ length: 80 }, (_, i) => ({ size: 12, points: points.slice(i * 75, i * 75 + 75) }));
  const text = encodeState({ ...defaultState(), strokes });
  assert.ok(text.length <= LIMITS.drawingChars + 2, `${text.length}`);
  const back = decodeState(text, byName);
  assert.deepEqual(back.errors, []);
  assert.equal(back.state.strokes.length, LIMITS.strokes);
});

test("points are rounded to whole pad pixels, kept a pad's width off it, repeats dropped", () => {
  const strokes = [{ size: 17.6, points: [[-5, 300], [-900, 279.6], [10.2, 10.7], [10.4, 10.6], [NaN, 3]] }];
  assert.deepEqual(quantiseStrokes(strokes), [{ size: 18, points: [[-5, 300], [-280, 280], [10, 11], [0, 3]] }]);
  assert.deepEqual(decodeStrokes(encodeStrokes(strokes)), quantiseStrokes(strokes));
  assert.deepEqual(quantiseStrokes([{ size: 5, points: [] }]), []);
  assert.deepEqual(padPoint(12.5, -3.4), [13, -3]);
});

test("a pad that keeps padPoint points gets back exactly the drawing it linked", () => {
  for (const strokes of [DIGITS[7], DIGITS[1], DIGITS[4]]) {
    const snapped = strokes.map((s) => ({ size: s.size, points: s.points.map(([x, y]) => padPoint(x, y)) }));
    const back = decodeState(encodeState({ ...defaultState(), strokes: snapped })).state.strokes;
    // the same ink: repeated points are dropped, nothing else changes
    assert.deepEqual(back, quantiseStrokes(snapped));
    assert.deepEqual(back.map((s) => s.points), snapped.map((s) => s.points.filter((p, i, a) => i === 0 || p[0] !== a[i - 1][0] || p[1] !== a[i - 1][1])));
  }
});

test("bad fields keep their defaults and say why; good fields are kept", () => {
  const cases = {
    "p=conv9.1.2.3": /no layer "conv9"/,
    "p=conv2.16.0.0": /outside conv2/,
    "p=conv2.1.10.0": /outside conv2/,
    "p=__proto__.0": /not a layer name/,
    "p=toString.0": /no layer "toString"/,
    "p=constructor.0.0.0": /no layer/,
    "p=conv2.-1.0.0": /not a whole number/,
    "p=conv2.1.2": /layer.unit or layer.map.row.col/,
    "p=fc1.1e3": /not a whole number/,
    "p=fc1.99999999999": /not a whole number/,
    "p=<script>.1": /not a layer name/,
    "s=-3": /not a whole number/,
    "s=1.5": /not a whole number/,
    "s=99999999": /more than/,
    "v=4d": /not one of 2d, 3d/,
    "pre=yes": /not 0 or 1/,
    "n=global": /not one of map, layer/,
    "d=!!!": /not base64url/,
    "d=A": /stray last character/,
    "d=AQ": /ends in the middle/,
    "d=Ag": /version is 2/,
    "d=AUE": /stroke count is 65/,
    "d=%zz": /broken %-escape/,
    "zz=1": /unknown field "zz"/,
  };
  for (const [text, why] of Object.entries(cases)) {
    const [good, kept] = text.startsWith("v=") ? ["n=layer", { normalise: "layer" }] : ["v=3d", { view: "3d" }];
    const { state, errors } = decodeState(`${text}&${good}`, byName);
    assert.equal(errors.length, 1, `${text}: ${errors.join(" / ")}`);
    assert.match(errors[0], why, text);
    assert.deepEqual(state, { ...defaultState(), ...kept }, text);
  }
});

test("drawings whose numbers are out of bounds are refused", () => {
  const bytes = (...b) => `d=${toBase64url(b)}`;
  const cases = [
    [bytes(1, 1, 0, 1, 5, 5), /brush size is 0/],
    [bytes(1, 1, 101, 1, 5, 5), /brush size is 101/],
    [bytes(1, 1, 18, 0), /no points/],
    [bytes(1, 1, 18, 0x81, 0x10), /point count is 2049/],
    [bytes(1, 1, 18, 1, 0xc9, 0x06, 5), /coordinate is 841/],
    [bytes(1, 1, 18, 2, 5, 5, 11, 0), /too far off the pad/],
    [bytes(1, 1, 18, 1, 5, 5, 0), /bytes after its last stroke/],
    [bytes(1, 1, 18, 1, 0xff, 0xff, 0xff, 0xff, 0x7f), /too large/],
  ];
  for (const [text, why] of cases) {
    const { state, errors } = decodeState(text);
    assert.deepEqual(state.strokes, [], text);
    assert.match(errors.join(), why, text);
  }
});

test("counts that add up past the bounds are refused before any work", () => {
  const out = [1, 64];
  for (let s = 0; s < 64; s++) out.push(18, 0x80, 0x10, 0, 0); // 2048 points claimed, none given
  const { errors } = decodeState(`d=${toBase64url(out)}`);
  assert.match(errors.join(), /ends in the middle/);
  const long = "d=" + "A".repeat(LIMITS.chars);
  const r = decodeState(long);
  assert.deepEqual(r.state, defaultState());
  assert.match(r.errors.join(), /characters long/);
});

test("junk never throws and always yields a well-formed state", () => {
  const rand = seeded(42);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=&.#?%+/ \u2212\u00e9\ud83d\ude00\u0000";
  const good = encodeState({ strokes: DIGITS[8], sample: 3, pinned: { layer: "fc2", c: 5, y: 0, x: 0 }, view: "3d", showPre: true, normalise: "layer" });
  const inputs = [undefined, null, 42, {}, [], "&&&", "=", "d", "d=", "p=", "#", "?"];
  for (let i = 0; i < 3000; i++) {
    const kind = i % 4;
    if (kind === 0) {
      inputs.push(Array.from({ length: Math.floor(rand() * 80) }, () => pick(alphabet)).join(""));
    } else if (kind === 1) {
      const bytes = Array.from({ length: Math.floor(rand() * 60) }, () => Math.floor(rand() * 256));
      if (rand() < 0.7) bytes[0] = 1;
      inputs.push(`d=${toBase64url(bytes)}`);
    } else if (kind === 2) {
      const chars = good.split("");
      for (let k = 0; k < 1 + rand() * 4; k++) chars[Math.floor(rand() * chars.length)] = pick(alphabet);
      inputs.push(chars.join(""));
    } else {
      inputs.push(good.slice(0, Math.floor(rand() * good.length)));
    }
  }
  for (const text of inputs) {
    for (const geo of [byName, null]) {
      const { state, errors } = decodeState(text, geo);
      assert.ok(Array.isArray(errors) && errors.every((e) => typeof e === "string"));
      assert.deepEqual(Object.keys(state), FIELDS.map((f) => f.name));
      assert.ok(Array.isArray(state.strokes) && state.strokes.length <= LIMITS.strokes);
      for (const s of state.strokes) {
        assert.ok(Number.isInteger(s.size) && s.size >= 1 && s.size <= 100);
        assert.ok(s.points.length >= 1 && s.points.length <= LIMITS.pointsPerStroke);
        for (const p of s.points) assert.ok(p.every((v) => Number.isInteger(v) && v >= REACH[0] && v <= REACH[1]));
      }
      assert.ok(state.sample === null || (Number.isInteger(state.sample) && state.sample >= 0));
      assert.ok(["2d", "3d"].includes(state.view) && ["map", "layer"].includes(state.normalise));
      assert.equal(typeof state.showPre, "boolean");
      if (state.pinned && geo) assert.ok(Object.hasOwn(geo, state.pinned.layer));
      encodeState(state); // and whatever came out can be written again
    }
  }
});

test("encodeState leaves out fields it cannot write instead of throwing", () => {
  const text = encodeState({ strokes: "no", sample: -1, pinned: { layer: "a b", c: 1 }, view: "4d", showPre: "x", normalise: 3 });
  assert.equal(text, "");
  assert.equal(encodeState({ showPre: true, view: "3d" }), "v=3d&pre=1");
  assert.equal(encodeState({ showPre: false, view: "3d" }), "v=3d");
  assert.equal(encodeState(null), "");
  assert.equal(encodeState({ strokes: [{ size: 18, points: [[1, 2]] }] }), "d=AQESAZkCmgI");
});

test("the ablated units round-trip through the link, sorted, and stay within each layer", () => {
  const ablate = { conv1: [3, 0], conv2: [11], fc1: [], fc2: [99, 0, 99] };
  const text = encodeState({ ...defaultState(), ablate });
  assert.equal(text, "x=conv1.0.3-conv2.11-fc2.0.99");
  assert.deepEqual(decodeState(text), {
    state: { ...defaultState(), ablate: { conv1: [0, 3], conv2: [11], fc1: [], fc2: [0, 99] } }, errors: [],
  });
  // every unit of every layer off still fits in a link and comes back
  const all = Object.fromEntries(Object.entries(ABLATABLE).map(([k, n]) => [k, [...Array(n).keys()]]));
  assert.deepEqual(decodeState(encodeState({ ...defaultState(), ablate: all })).state.ablate, all);
  // out of bounds, unknown layers, repeats and junk keep the default and say why
  for (const [bad, why] of [
    ["conv1.6", "more than 5"], ["conv2.16", "more than 15"], ["fc1.120", "more than 119"],
    ["fc2.100", "more than 99"], ["fc3.1", "not one of"], ["conv1.1-conv1.2", "given twice"],
    ["conv1", "names no unit"], ["conv1.-1", "not a whole number"], ["conv1.1.x", "not a whole number"],
    ["a-b-c-d-e", "more layers"],
  ]) {
    const r = decodeState(`x=${bad}`);
    assert.deepEqual(r.state.ablate, defaultState().ablate, bad);
    assert.equal(r.errors.length, 1, bad);
    assert.match(r.errors[0], new RegExp(why), bad);
  }
  // an encoder given units out of range writes no field at all rather than a wrong link
  assert.equal(encodeState({ ...defaultState(), ablate: { conv1: [6] } }), "");
});
