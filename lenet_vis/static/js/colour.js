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
 * The same colours as diverging() and gray(), computed in place: this runs for every value of
 * every layer on each answer while drawing, so it allocates nothing.
 */
export function fillPixels(pixels, data, from, n, signed, limit) {
  const [m0, m1, m2] = MID;
  const [p0, p1, p2] = POS;
  const [n0, n1, n2] = NEG;
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const v = data[from + i];
    if (signed) {
      const t = limit > 0 ? Math.max(-1, Math.min(1, v / limit)) : 0;
      if (t < 0) {
        const u = -t;
        pixels[o] = Math.round(m0 + (n0 - m0) * u);
        pixels[o + 1] = Math.round(m1 + (n1 - m1) * u);
        pixels[o + 2] = Math.round(m2 + (n2 - m2) * u);
      } else {
        pixels[o] = Math.round(m0 + (p0 - m0) * t);
        pixels[o + 1] = Math.round(m1 + (p1 - m1) * t);
        pixels[o + 2] = Math.round(m2 + (p2 - m2) * t);
      }
    } else {
      const g = limit > 0 ? Math.round(255 * Math.max(0, Math.min(1, v / limit))) : 0;
      pixels[o] = pixels[o + 1] = pixels[o + 2] = g;
    }
    pixels[o + 3] = 255;
  }
  return pixels;
}

/** CSS gradient of the diverging scale, for the legend. */
export function legendGradient() {
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => css(diverging(t, 1)));
  return `linear-gradient(to right, ${stops.join(", ")})`;
}
