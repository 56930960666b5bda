// The link's image field ("i"): an opened image's 140x140 grey ink, deflated, base64url.
// Round trips are exact; sizes are bounded; damaged or hostile fields give a clear sentence.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeInk, decodeInk, inkError, encodeState, decodeState, defaultState, toBase64url,
  fromBase64url, INK_SIDE, LIMITS,
} from "../../lenet_vis/static/js/urlstate.js";
import { seeded } from "./helpers.mjs";

const N = INK_SIDE * INK_SIDE;

/** A scanned-looking digit: a soft ring of ink, anti-aliased edges, faint paper noise. */
function scannedDigit(rand = seeded(3), noise = 6) {
  const grey = new Uint8Array(N);
  for (let y = 0; y < INK_SIDE; y++) {
    for (let x = 0; x < INK_SIDE; x++) {
      const r = Math.hypot((x - 70) / 30, (y - 70) / 45);
      const ink = Math.max(0, 1 - Math.abs(r - 1) * 6);
      grey[y * INK_SIDE + x] = Math.min(255, Math.round(ink * 240 + rand() * noise));
    }
  }
  return grey;
}

const rejects = async (text, pattern) => {
  await assert.rejects(decodeInk(text), (err) => {
    assert.match(inkError(err), pattern);
    assert.match(inkError(err), /^the image in the link was ignored: /);
    return true;
  });
};

test("an image's ink round-trips byte for byte, and through the whole link", async () => {
  for (const grey of [scannedDigit(), new Uint8Array(N), new Uint8Array(N).fill(255), scannedDigit(seeded(9), 40)]) {
    const text = await encodeInk(grey);
    assert.ok(text !== null && text.length <= LIMITS.imageChars, `${text?.length} characters`);
    assert.deepEqual(await decodeInk(text), grey);
    const link = encodeState({ ...defaultState(), image: text, strokes: [{ size: 18, points: [[10, 10], [50, 60]]}] });
    assert.match(link, /^[A-Za-z0-9_\-.=&]+$/);
    const { state, errors } = decodeState(`#${link}`);
    assert.deepEqual(errors, []);
    assert.equal(state.image, text);
    assert.equal(state.strokes.length, 1);
    assert.deepEqual(await decodeInk(state.image), grey);
  }
});

test("a clean digit takes a few KB of URL; a smooth gradient is kept small by the row filter", async () => {
  const clean = await encodeInk(scannedDigit(seeded(3), 0));
  assert.ok(clean.length < 3000, `${clean.length} characters`);
  const noisy = await encodeInk(scannedDigit(seeded(3), 6)); // paper noise on every pixel
  assert.ok(noisy.length <= LIMITS.imageChars, `${noisy.length} characters`);
  const gradient = new Uint8Array(N).map((_, i) => (i % INK_SIDE) + Math.floor(i / INK_SIDE));
  const g = await encodeInk(gradient);
  assert.ok(g.length < 1500, `${g.length} characters`);
  assert.equal(fromBase64url(g)[2], 1, "the left-difference filter was chosen");
  assert.deepEqual(await decodeInk(g), gradient);
});

test("an image too detailed for a link is left out (null), never cut", async () => {
  const rand = seeded(5);
  const noise = new Uint8Array(N).map(() => Math.floor(rand() * 256));
  assert.equal(await encodeInk(noise), null);
  assert.equal(encodeState({ ...defaultState(), image: null }), "");
  await assert.rejects(encodeInk(new Uint8Array(10)), RangeError);
  await assert.rejects(encodeInk([1, 2, 3]), RangeError);
});

test("a bad image field keeps the rest of the link and says what is wrong", async () => {
  const good = await encodeInk(scannedDigit());
  const cases = [
    ["i=AQ", /too short/],
    ["i=!!!!", /not base64url/],
    [`i=${toBase64url([2, INK_SIDE, 0, 1, 2])}`, /version is 2/],
    [`i=${toBase64url([1, 28, 0, 1, 2])}`, /side is 28, not 140/],
    [`i=${toBase64url([1, INK_SIDE, 7, 1, 2])}`, /row filter is 7/],
    [`i=${"A".repeat(LIMITS.imageChars + 4)}`, /characters long/],
  ];
  for (const [field, pattern] of cases) {
    const { state, errors } = decodeState(`v=3d&${field}`);
    assert.equal(state.image, null, field.slice(0, 20));
    assert.equal(state.view, "3d");
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^the image in the link was ignored: /);
    assert.match(errors[0], pattern);
  }
  // well-formed header, damaged body: only inflating finds it
  await rejects(good.slice(0, 40), /does not inflate|bytes, not 140x140/);
  await rejects(`${good.slice(0, 8)}${"_".repeat(60)}`, /does not inflate|bytes, not 140x140/);
});

test("inflating is bounded: a field that inflates past 140x140 is refused", async () => {
  const big = await encodeInk(new Uint8Array(N)); // all black: tiny
  const bytes = fromBase64url(big);
  // the same header over the deflate of 4x the bytes
  const cs = new CompressionStream("deflate-raw");
  const packed = new Uint8Array(await new Response(new Blob([new Uint8Array(4 * N)]).stream().pipeThrough(cs)).arrayBuffer());
  const bomb = toBase64url([...bytes.subarray(0, 3), ...packed]);
  await rejects(bomb, /inflates to more than 19600 bytes/);
  const short = new Uint8Array(await new Response(new Blob([new Uint8Array(100)]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer());
  await rejects(toBase64url([...bytes.subarray(0, 3), ...short]), /has 100 bytes, not 140x140/);
});

test("the state string may now hold an image, but not without bound", () => {
  assert.ok(LIMITS.chars >= LIMITS.imageChars + 2 * LIMITS.fieldChars);
  const r = decodeState(`i=${"A".repeat(LIMITS.chars)}`);
  assert.deepEqual(r.state, defaultState());
  assert.match(r.errors.join(), /characters long/);
});
