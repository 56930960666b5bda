// The explanations' pictures as pixels and words. Pure: no DOM (tests/js/explainmaps.test.mjs).
import { absMax, diverging, fillPixels, gray } from "./colour.js";
import { toFlat } from "./decode.js";

export const SIDE = 32;
export const METHOD_TITLES = {
  gradient: "gradient of the logit",
  gradient_x_input: "gradient × input",
  integrated_gradients: "integrated gradients",
  occlusion: "occlusion: drop in probability",
};

/** The |value| below which `q` of the values lie (a scale one hot pixel cannot wash out). */
export function robustLimit(values, q = 0.99) {
  const a = Float32Array.from(values, Math.abs).sort();
  if (!a.length) return 0;
  const v = a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))];
  return v > 0 ? v : a[a.length - 1];
}

/**
 * RGBA pixels (4 per cell) of a signed map over the input: the input in gray, the map's
 * diverging colour mixed over it with weight `alpha` times its strength (|v| / limit).
 * input, map: flat, SIDE*SIDE; limit: the scale (|v| >= limit saturates).
 */
export function overlayPixels(input, map, limit, alpha = 0.85) {
  const n = map.length;
  const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    const base = gray(input ? input[i] : 0, 1);
    const rgb = diverging(map[i], limit);
    const t = limit > 0 ? alpha * Math.min(1, Math.abs(map[i]) / limit) : 0;
    for (let k = 0; k < 3; k++) out[4 * i + k] = Math.round(base[k] + (rgb[k] - base[k]) * t);
    out[4 * i + 3] = 255;
  }
  return out;
}

/** RGBA pixels of a counterfactual: the new input in gray, ink added orange, removed blue. */
export function inkPixels(input, added, removed) {
  const signed = Float32Array.from(added, (a, i) => a - removed[i]);
  return overlayPixels(input, signed, 1, 1);
}

/** An attribution response -> {target, maps: {method: Float32Array}, input, completeness...}. */
export function decodeAttribution(body) {
  const maps = {};
  for (const [m, v] of Object.entries(body.maps)) maps[m] = toFlat(v);
  return { ...body, input: toFlat(body.input), maps };
}

/** "sum 18.49 vs logit difference 18.57 (0.43% apart, 64 steps)", or "" without IG. */
export function completenessText(c) {
  if (!c) return "";
  const pct = (100 * c.relative_error).toFixed(2);
  return `sum ${c.attribution_sum.toFixed(2)} vs logit(input) − logit(black) ` +
    `${c.logit_difference.toFixed(2)} (${pct}% apart, ${c.steps} steps)`;
}

/** The first n rows of an ablation ranking as short labels: "conv2 #11 · −9.17". */
export function rankingLabels(ranking, n = 5) {
  return ranking.slice(0, n).map(
    (e) => `${e.layer} #${e.index} · ${e.drop >= 0 ? "−" : "+"}${Math.abs(e.drop).toFixed(2)}`,
  );
}

/** Polyline points (x, y in [0, w] x [0, h]) of digit d's probability along a blend path. */
export function pathPoints(path, digit, w, h) {
  return path.alphas.map((a, i) => [a * w, (1 - path.probabilities[i][digit]) * h]);
}

/**
 * One layer's B − A as per-channel pixel buffers in the diverging scale, one limit per layer.
 * data: flat C-order values; shape: [C, H, W] (a map layer) or [N] (a vector layer: one
 * 1 x N strip). Returns {limit, maps: [{width, height, pixels}]}, pixels RGBA (4 per value);
 * limit is the layer's largest |value|, so the strongest change in the layer saturates.
 */
export function channelPixels(data, shape) {
  const [c, h, w] = shape.length >= 3 ? shape.slice(-3) : [1, 1, shape.at(-1) ?? data.length];
  const limit = absMax(data);
  const maps = [];
  for (let k = 0; k < c; k++) {
    const pixels = new Uint8ClampedArray(4 * h * w);
    fillPixels(pixels, data, k * h * w, h * w, true, limit);
    maps.push({ width: w, height: h, pixels });
  }
  return { limit, maps };
}
