// The page state as a short URL-safe string, so any view is a link. Pure: no DOM.
//
// Every field is one row of FIELDS (as TensorFlow Playground declares its state): a state
// name, a short key, a default and its codec. A later feature adds a row. encodeState leaves
// out fields at their default; decodeState never throws: a bad field keeps its default and
// adds a sentence to `errors`.
//
//   encodeState({strokes, sample, pinned, view, showPre, normalise}) -> "d=AQ...&p=conv2.3.4.2"
//   await encodeInk(grey) -> "AQCM..." or null; await decodeInk("AQCM...") -> grey (an image)
//   decodeState("#d=AQ...&p=conv2.3.4.2", byName?) -> {state, errors: string[]}
//
// The drawing ("d") is binary, then base64url: a version byte, the stroke count, and per
// stroke its brush size, its point count, the first point and then the moves between points,
// each a zigzag varint. Points are rounded to whole pad pixels (the pad is 280 a side; a
// stroke may run off it, up to a pad's width on every side); a drawing too long for the URL
// is simplified (Ramer-Douglas-Peucker) until it fits. A pad that rounds its points with
// padPoint gets back exactly the drawing it links to.
//
// An image opened from a file ("i") is the pad's ink: INK_SIDE x INK_SIDE grey bytes, deflated
// (CompressionStream "deflate-raw", raw or with each row as differences from the pixel on its
// left, whichever is shorter) behind a 3-byte header (version, side, method), then base64url.
// Deflating is asynchronous, so the state carries the encoded text: decodeState checks its
// header and size, and decodeInk inflates it (bounded) when the page opens the link.

import { CHECKPOINT_NAME } from "./timemachine-format.js";

export const PAD = 280; // the pad's side in its own coordinates
export const REACH = [-PAD, 2 * PAD]; // coordinates kept, off the pad included
export const LIMITS = {
  chars: 48_000, // longest state string decoded at all (an image and two drawings fit)
  fieldChars: 8192, // longest drawing field decoded
  imageChars: 24_000, // longest image field: an image that does not fit is left out of the link
  drawingChars: 1800, // the encoded drawing is simplified until it fits in this
  strokes: 64,
  pointsPerStroke: 2048,
  points: 8192,
  brush: [1, 100],
  sample: 1_000_000,
  layerName: /^[A-Za-z][A-Za-z0-9_]{0,31}$/,
  index: 100_000, // largest channel / row / column when no geometry is given
};
const VERSION = 1;

class FieldError extends Error {}
const fail = (msg) => {
  throw new FieldError(msg);
};

// ---------------------------------------------------------------- bytes, varints, base64url

function pushVarint(out, n) {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

const zigzag = (n) => (n < 0 ? -2 * n - 1 : 2 * n);
const unzigzag = (n) => (n % 2 ? -(n + 1) / 2 : n / 2);

/** A reader over bytes whose every read is bounded and checked. */
function reader(bytes) {
  let at = 0;
  return {
    varint(what, max) {
      let n = 0;
      for (let shift = 0, i = 0; ; shift += 7, i++) {
        if (at >= bytes.length) fail(`the drawing ends in the middle of ${what}`);
        if (i >= 4) fail(`${what} is too large`);
        const b = bytes[at++];
        n += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) break;
      }
      if (n > max) fail(`${what} is ${n}, more than ${max}`);
      return n;
    },
    /** Fail unless `n` more bytes could follow (a claimed count must be paid for). */
    need(n, what) {
      if (bytes.length - at < n) fail(`the drawing ends in the middle of ${what}`);
    },
    get done() {
      return at >= bytes.length;
    },
  };
}

export function toBase64url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) fail("it is not base64url (A-Z, a-z, 0-9, - and _)");
  if (text.length % 4 === 1) fail("its base64url has a stray last character");
  let bin;
  try {
    bin = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    fail("its base64url does not decode");
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// ---------------------------------------------------------------- the drawing

const [LO, HI] = REACH;
const clampPad = (v) => Math.min(HI, Math.max(LO, Math.round(Number.isFinite(v) ? v : 0)));

/** A pad point as the link keeps it: whole pad pixels. The pad should store its points so. */
export function padPoint(x, y) {
  return [clampPad(x), clampPad(y)];
}

/** Round points to whole pad pixels and drop repeats; keeps at least one point a stroke. */
export function quantiseStrokes(strokes) {
  const out = [];
  for (const s of strokes) {
    const pts = [];
    for (const p of s.points ?? []) {
      const q = padPoint(p[0], p[1]);
      const last = pts[pts.length - 1];
      if (!last || last[0] !== q[0] || last[1] !== q[1]) pts.push(q);
    }
    if (!pts.length) continue;
    const [lo, hi] = LIMITS.brush;
    const size = Math.min(hi, Math.max(lo, Math.round(Number.isFinite(s.size) ? s.size : 18)));
    out.push({ size, points: pts });
  }
  return out;
}

/** Ramer-Douglas-Peucker: the points of `pts` within `tol` pixels of the polyline kept. */
export function simplify(pts, tol) {
  if (pts.length < 3 || tol <= 0) return pts;
  const keep = new Uint8Array(pts.length);
  keep[0] = keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = pts[a];
    const [bx, by] = pts[b];
    const len = Math.hypot(bx - ax, by - ay);
    let far = -1;
    let dist = tol;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = pts[i];
      const d = len === 0 ? Math.hypot(px - ax, py - ay)
        : Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len;
      if (d > dist) [far, dist] = [i, d];
    }
    if (far >= 0) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return pts.filter((_, i) => keep[i]);
}

function packStrokes(strokes) {
  const out = [VERSION];
  pushVarint(out, strokes.length);
  for (const s of strokes) {
    pushVarint(out, s.size);
    pushVarint(out, s.points.length);
    let [px, py] = s.points[0];
    pushVarint(out, px - LO);
    pushVarint(out, py - LO);
    for (const [x, y] of s.points.slice(1)) {
      pushVarint(out, zigzag(x - px));
      pushVarint(out, zigzag(y - py));
      [px, py] = [x, y];
    }
  }
  return toBase64url(out);
}

/** strokes [{size, points: [[x, y], ...]}] -> base64url, at most LIMITS.drawingChars long. */
export function encodeStrokes(strokes) {
  let q = quantiseStrokes(Array.isArray(strokes) ? strokes : []).slice(0, LIMITS.strokes);
  q = q.map((s) => ({ ...s, points: thin(s.points, LIMITS.pointsPerStroke) }));
  let text = packStrokes(q);
  for (let tol = 0.5; text.length > LIMITS.drawingChars; tol *= 1.5) {
    text = packStrokes(q.map((s) => ({ ...s, points: simplify(s.points, tol) })));
  }
  return text;
}

function thin(pts, max) {
  for (let tol = 0.5; pts.length > max; tol *= 1.5) pts = simplify(pts, tol);
  return pts;
}

/** base64url -> strokes; throws FieldError with the reason. */
export function decodeStrokes(text) {
  if (text.length > LIMITS.fieldChars) fail(`it is ${text.length} characters long`);
  const r = reader(fromBase64url(text));
  const version = r.varint("the version", 255);
  if (version !== VERSION) fail(`its version is ${version}, not ${VERSION}`);
  const n = r.varint("the stroke count", LIMITS.strokes);
  const strokes = [];
  let total = 0;
  for (let s = 0; s < n; s++) {
    const size = r.varint("a brush size", LIMITS.brush[1]);
    if (size < LIMITS.brush[0]) fail(`a brush size is ${size}, less than ${LIMITS.brush[0]}`);
    const m = r.varint("a point count", LIMITS.pointsPerStroke);
    if (m < 1) fail("a stroke has no points");
    total += m;
    if (total > LIMITS.points) fail(`it has more than ${LIMITS.points} points`);
    r.need(2 * m, "a stroke"); // each point takes two bytes at least
    let x = r.varint("a coordinate", HI - LO) + LO;
    let y = r.varint("a coordinate", HI - LO) + LO;
    const points = [[x, y]];
    for (let i = 1; i < m; i++) {
      x += unzigzag(r.varint("a move", 2 * (HI - LO) + 1));
      y += unzigzag(r.varint("a move", 2 * (HI - LO) + 1));
      if (x < LO || x > HI || y < LO || y > HI) fail(`a point (${x}, ${y}) is too far off the pad`);
      points.push([x, y]);
    }
    strokes.push({ size, points });
  }
  if (!r.done) fail("it has bytes after its last stroke");
  return strokes;
}

// ---------------------------------------------------------------- an opened image

export const INK_SIDE = 140; // the pad's export side (DrawPad.exportSize)
const INK_VERSION = 1;
const INK_METHODS = ["raw", "left"]; // the row filter before deflating

async function pipe(bytes, stream, max) {
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const chunks = [];
  let total = 0;
  const r = stream.readable.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      r.cancel().catch(() => {});
      fail(`its image inflates to more than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function filterRows(grey, side, method) {
  if (method === 0) return grey;
  const out = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) out[i] = i % side ? (grey[i] - grey[i - 1]) & 255 : grey[i];
  return out;
}

function unfilterRows(bytes, side, method) {
  if (method === 0) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = i % side ? (bytes[i] + out[i - 1]) & 255 : bytes[i];
  return out;
}

/**
 * grey (Uint8Array of INK_SIDE^2, row-major) -> the "i" field's text, the shortest lossless
 * form; null when even that is longer than LIMITS.imageChars (the image is left out).
 */
export async function encodeInk(grey) {
  const side = INK_SIDE;
  if (!(grey instanceof Uint8Array) || grey.length !== side * side) {
    throw new RangeError(`the ink must be ${side}x${side} bytes`);
  }
  let best = null;
  for (let method = 0; method < INK_METHODS.length; method++) {
    const packed = await pipe(filterRows(grey, side, method), new CompressionStream("deflate-raw"), Infinity);
    const bytes = new Uint8Array(3 + packed.length);
    bytes.set([INK_VERSION, side, method]);
    bytes.set(packed, 3);
    const text = toBase64url(bytes);
    if (best === null || text.length < best.length) best = text;
  }
  return best.length <= LIMITS.imageChars ? best : null;
}

/** The "i" field's text, checked without inflating it (decodeState is synchronous). */
function checkInkText(text) {
  if (text.length > LIMITS.imageChars) fail(`it is ${text.length} characters long (at most ${LIMITS.imageChars})`);
  const bytes = fromBase64url(text);
  if (bytes.length < 4) fail("it is too short to hold an image");
  if (bytes[0] !== INK_VERSION) fail(`its version is ${bytes[0]}, not ${INK_VERSION}`);
  if (bytes[1] !== INK_SIDE) fail(`its side is ${bytes[1]}, not ${INK_SIDE}`);
  if (bytes[2] >= INK_METHODS.length) fail(`its row filter is ${bytes[2]}, not 0 or 1`);
  return { text, bytes };
}

/**
 * The "i" field's text -> grey (Uint8Array of INK_SIDE^2); rejects with a FieldError whose
 * message says what is wrong (errors() below phrases it as the other fields' errors are).
 */
export async function decodeInk(text) {
  const { bytes } = checkInkText(String(text));
  const n = INK_SIDE * INK_SIDE;
  let raw;
  try {
    raw = await pipe(bytes.subarray(3), new DecompressionStream("deflate-raw"), n);
  } catch (err) {
    if (err instanceof FieldError) throw err;
    fail("its image data does not inflate (it is damaged)");
  }
  if (raw.length !== n) fail(`its image has ${raw.length} bytes, not ${INK_SIDE}x${INK_SIDE}`);
  return unfilterRows(raw, INK_SIDE, bytes[2]);
}

/** A rejection of decodeInk as a sentence, like decodeState's errors. */
export function inkError(err) {
  const why = err instanceof FieldError ? err.message : "it could not be read";
  return `the image in the link was ignored: ${why}`;
}

// ---------------------------------------------------------------- the other fields

function intText(text, what, max) {
  if (!/^\d{1,9}$/.test(text)) fail(`${what} "${clip(text)}" is not a whole number`);
  const n = Number(text);
  if (n > max) fail(`${what} ${n} is more than ${max}`);
  return n;
}

const clip = (text) => (text.length > 24 ? `${text.slice(0, 24)}…` : text);

function encodePinned(p) {
  if (!p || !LIMITS.layerName.test(p.layer)) fail("no layer");
  const nums = [p.c, p.y ?? 0, p.x ?? 0].map((v) => (Number.isInteger(v) && v >= 0 ? v : fail("bad cell")));
  // a vector layer's cell is its unit: y = x = 0 are left out
  return [p.layer, ...(nums[1] || nums[2] ? nums : nums.slice(0, 1))].join(".");
}

function decodePinned(text, byName) {
  const parts = text.split(".");
  const [layer, ...rest] = parts;
  if (!LIMITS.layerName.test(layer)) fail(`"${clip(layer)}" is not a layer name`);
  if (rest.length !== 1 && rest.length !== 3) fail(`"${clip(text)}" is not layer.unit or layer.map.row.col`);
  const [c, y = 0, x = 0] = rest.map((t, i) => intText(t, ["the map", "the row", "the column"][i], LIMITS.index));
  if (byName) {
    if (!Object.hasOwn(byName, layer)) fail(`there is no layer "${layer}"`);
    const s = byName[layer].output_shape;
    const [n, h, w] = s.length === 3 ? s : [s[0], 1, 1];
    if (c >= n || y >= h || x >= w) fail(`cell (${c}, ${y}, ${x}) is outside ${layer} (${s.join("x")})`);
  }
  return { layer, c, y, x };
}

const oneOf = (values) => ({
  encode: (v) => (values.includes(v) ? v : fail(`not one of ${values.join(", ")}`)),
  decode: (t) => (values.includes(t) ? t : fail(`"${clip(t)}" is not one of ${values.join(", ")}`)),
});

const bool = {
  encode: (v) => (typeof v === "boolean" ? (v ? "1" : "0") : fail("not true or false")),
  decode: (t) => (t === "1" ? true : t === "0" ? false : fail(`"${clip(t)}" is not 0 or 1`)),
};

/** Units that can be switched off, and how many each layer has (POST /api/explain/ablate). */
export const ABLATABLE = { conv1: 6, conv2: 16, fc1: 120, fc2: 100 };
export const emptyAblation = () => Object.fromEntries(Object.keys(ABLATABLE).map((k) => [k, []]));

/** {conv1: [0, 3], conv2: [11]} -> "conv1.0.3-conv2.11" (layers in network order, sorted). */
function encodeAblation(v) {
  const groups = [];
  for (const [layer, size] of Object.entries(ABLATABLE)) {
    const ids = [...new Set(v[layer] ?? [])].sort((a, b) => a - b);
    for (const i of ids) if (!Number.isInteger(i) || i < 0 || i >= size) fail(`bad ${layer} unit`);
    if (ids.length) groups.push([layer, ...ids].join("."));
  }
  for (const k of Object.keys(v)) if (!Object.hasOwn(ABLATABLE, k)) fail(`no layer ${k}`);
  return groups.join("-");
}

function decodeAblation(text) {
  const out = emptyAblation();
  if (text === "") return out;
  const groups = text.split("-");
  if (groups.length > Object.keys(ABLATABLE).length) fail("it names more layers than can be switched off");
  for (const g of groups) {
    const [layer, ...ids] = g.split(".");
    if (!Object.hasOwn(ABLATABLE, layer)) {
      fail(`"${clip(layer)}" is not one of ${Object.keys(ABLATABLE).join(", ")}`);
    }
    if (out[layer].length) fail(`${layer} is given twice`);
    if (!ids.length) fail(`${layer} names no unit`);
    const size = ABLATABLE[layer];
    if (ids.length > size) fail(`${layer} names more than its ${size} units`);
    const set = new Set(ids.map((t) => intText(t, `a ${layer} unit`, size - 1)));
    out[layer] = [...set].sort((a, b) => a - b);
  }
  return out;
}

/** A checkpoint's name as the link carries it ("init", "epoch-3"): letters, digits, - _ . */
function checkpointText(v) {
  if (typeof v !== "string" || !CHECKPOINT_NAME.test(v)) fail(`"${clip(String(v))}" is not a checkpoint name`);
  return v;
}

/** The state, one row per field: name in the state, key in the URL, default, codec. */
export const FIELDS = [
  { name: "strokes", key: "d", default: () => [], encode: encodeStrokes, decode: decodeStrokes },
  {
    name: "sample", key: "s", default: () => null,
    encode: (v) => String(intText(String(v), "the sample", LIMITS.sample)),
    decode: (t) => intText(t, "the sample", LIMITS.sample),
  },
  { name: "pinned", key: "p", default: () => null, encode: encodePinned, decode: decodePinned },
  { name: "view", key: "v", default: () => "2d", ...oneOf(["2d", "3d"]) },
  { name: "showPre", key: "pre", default: () => false, ...bool }, // the page hides them at first
  { name: "normalise", key: "n", default: () => "map", ...oneOf(["map", "layer"]) },
  // units switched off (Explain mode): at most every unit of conv1, conv2, fc1 and fc2
  { name: "ablate", key: "x", default: emptyAblation, encode: encodeAblation, decode: decodeAblation },
  // compare (Explain mode): drawing A, kept while B is drawn on the pad; as the drawing is kept
  { name: "compareA", key: "a", default: () => null, encode: encodeStrokes, decode: decodeStrokes },
  // the training time machine: a checkpoint's name (GET /api/knowledge/checkpoints); the page
  // checks it against the server's list. Left out: the final weights.
  { name: "checkpoint", key: "t", default: () => null, encode: checkpointText, decode: checkpointText },
  // an image opened from a file, as encodeInk wrote it (the page inflates it with decodeInk)
  {
    name: "image", key: "i", default: () => null,
    encode: (v) => checkInkText(typeof v === "string" ? v : fail("not text")).text,
    decode: (t) => checkInkText(t).text,
  },
];

/** Every field at its default. */
export function defaultState() {
  return Object.fromEntries(FIELDS.map((f) => [f.name, f.default()]));
}

/** state -> "key=value&..." (URL-safe; fields at their default, or unencodable, left out). */
export function encodeState(state) {
  const parts = [];
  for (const f of FIELDS) {
    const v = state?.[f.name];
    if (v === undefined || v === null) continue;
    try {
      const text = f.encode(v);
      if (text !== "" && text !== safeEncode(f, f.default())) parts.push(`${f.key}=${text}`);
    } catch {
      // a field that cannot be written is left at its default in the link
    }
  }
  return parts.join("&");
}

function safeEncode(f, v) {
  try {
    return v === null ? null : f.encode(v);
  } catch {
    return null;
  }
}

/**
 * "#key=value&..." (or "?...", or bare) -> {state, errors}. byName (layers of /api/model by
 * name) lets the pinned cell be checked against the real layers. Never throws.
 */
export function decodeState(text, byName = null) {
  const state = defaultState();
  const errors = [];
  try {
    if (typeof text !== "string") return { state, errors: text == null ? [] : ["the link's state is not text"] };
    const body = text.replace(/^[#?]/, "");
    if (body.length > LIMITS.chars) {
      return { state, errors: [`the link's state is ${body.length} characters long (at most ${LIMITS.chars}); ignored`] };
    }
    const byKey = new Map(FIELDS.map((f) => [f.key, f]));
    const seen = new Set();
    for (const part of body.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      const key = eq < 0 ? part : part.slice(0, eq);
      let value = eq < 0 ? "" : part.slice(eq + 1);
      const f = byKey.get(key);
      if (!f) {
        errors.push(`unknown field "${clip(key)}" in the link; ignored`);
        continue;
      }
      if (seen.has(key)) {
        errors.push(`the ${f.name} is given twice in the link; the first is kept`);
        continue;
      }
      seen.add(key);
      try {
        try {
          value = decodeURIComponent(value);
        } catch {
          fail("it has a broken %-escape");
        }
        state[f.name] = f.decode(value, byName);
      } catch (err) {
        const why = err instanceof FieldError ? err.message : "it could not be read";
        errors.push(`the ${f.name} in the link was ignored: ${why}`);
      }
    }
  } catch {
    return { state: defaultState(), errors: ["the link's state could not be read; ignored"] };
  }
  return { state, errors };
}
