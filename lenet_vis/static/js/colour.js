// One colour language. Pure: no DOM.
// Activations: grayscale, black = 0, white = the map's (or layer's) maximum.
// Signed values: a diverging blue - neutral - orange scale (PuOr-like, colour-blind safe).

const NEG = [33, 102, 172]; // blue
const MID = [64, 64, 64]; // neutral grey on the dark stage
const POS = [230, 125, 20]; // orange

/**
 * Write the RGB of value v into out[o..o+2]: diverging around 0 with scale `limit` (|v| >= limit
 * saturates) when signed, else grayscale against `limit`. The one formula of both scales, in
 * place (fillPixels runs it for every value of every layer on each answer while drawing).
 */
function rgbInto(out, o, v, signed, limit) {
  if (signed) {
    const t = limit > 0 ? Math.max(-1, Math.min(1, v / limit)) : 0;
    const end = t < 0 ? NEG : POS;
    const u = Math.abs(t);
    out[o] = Math.round(MID[0] + (end[0] - MID[0]) * u);
    out[o + 1] = Math.round(MID[1] + (end[1] - MID[1]) * u);
    out[o + 2] = Math.round(MID[2] + (end[2] - MID[2]) * u);
  } else {
    out[o] = out[o + 1] = out[o + 2] = limit > 0 ? Math.round(255 * Math.max(0, Math.min(1, v / limit))) : 0;
  }
  return out;
}

/** RGB for a signed value v scaled by `limit` (|v| >= limit saturates). */
export function diverging(v, limit) {
  return rgbInto([0, 0, 0], 0, v, true, limit);
}

/** RGB for a non-negative value against a maximum. */
export function gray(v, max) {
  return rgbInto([0, 0, 0], 0, v, false, max);
}

export const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

/** Largest |value| in data[from, to). */
export function absMax(data, from = 0, to = data.length) {
  let m = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(data[i]);
    if (a > m) m = a;
  }
  return m;
}

/**
 * Fill RGBA pixels (Uint8ClampedArray, 4 per value) for data[from, from + n).
 * signed: diverging around 0 with scale `limit`; else grayscale against `limit`.
 * The same colours as diverging() and gray(), written in place: nothing is allocated.
 */
export function fillPixels(pixels, data, from, n, signed, limit) {
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    rgbInto(pixels, o, data[from + i], signed, limit);
    pixels[o + 3] = 255;
  }
  return pixels;
}

/** CSS gradient of the diverging scale, for the legend. */
export function legendGradient() {
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => css(diverging(t, 1)));
  return `linear-gradient(to right, ${stops.join(", ")})`;
}
