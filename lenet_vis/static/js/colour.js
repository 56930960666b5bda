// One colour language. Pure: no DOM.
// Activations: grayscale, black = 0, white = the map's (or layer's) maximum.
// Signed values: a diverging blue - neutral - orange scale (PuOr-like, colour-blind safe).

const NEG = [33, 102, 172]; // blue
const MID = [64, 64, 64]; // neutral grey on the dark stage
const POS = [230, 125, 20]; // orange

const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

/** RGB for a signed value v scaled by `limit` (|v| >= limit saturates). */
export function diverging(v, limit) {
  const t = limit > 0 ? Math.max(-1, Math.min(1, v / limit)) : 0;
  return t < 0 ? mix(MID, NEG, -t) : mix(MID, POS, t);
}

/** RGB for a non-negative value against a maximum. */
export function gray(v, max) {
  const g = max > 0 ? Math.round(255 * Math.max(0, Math.min(1, v / max))) : 0;
  return [g, g, g];
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
 */
export function fillPixels(pixels, data, from, n, signed, limit) {
  for (let i = 0; i < n; i++) {
    const rgb = signed ? diverging(data[from + i], limit) : gray(data[from + i], limit);
    pixels[4 * i] = rgb[0];
    pixels[4 * i + 1] = rgb[1];
    pixels[4 * i + 2] = rgb[2];
    pixels[4 * i + 3] = 255;
  }
  return pixels;
}

/** CSS gradient of the diverging scale, for the legend. */
export function legendGradient() {
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => css(diverging(t, 1)));
  return `linear-gradient(to right, ${stops.join(", ")})`;
}
