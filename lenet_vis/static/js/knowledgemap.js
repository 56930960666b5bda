// The map of training digits, pure parts (no DOM): the label palette, the projection of map
// positions (the server's 2-D coordinates, y up) to canvas pixels (y down) and back, the point
// nearest a pointer, and where to write each digit's name.

/**
 * Ten colours for the ten labels, chosen (from Paul Tol's, Okabe and Ito's and Petroff's
 * colour-blind-aware sets) so that every pair stays at least 16 CIELAB units apart for normal
 * vision and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009), none is
 * orange (the page's accent marks your digit: at least 16 units from each in all four views),
 * and each is bright enough to read on the black map. Neighbouring clusters (0 2 3 5 8 in the
 * middle, 4 9 7 above, 6 below 5) get the most different hues. Index = digit.
 */
export const PALETTE = [
  "#3f90da", "#9e2a5e", "#bd1f01", "#228833", "#aa4499",
  "#cc79a7", "#832db6", "#dddddd", "#ddcc77", "#88ccee",
];

/** Your digit on the map: a ring in the page's accent colour (no label colour is orange). */
export const YOURS = "#e67d14";

/** "#rrggbb" -> [r, g, b]. */
export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * The view that fits bounds [[minX, minY], [maxX, maxY]] in a `width` x `height` canvas with
 * `margin` pixels on every side, one scale for both axes (distances on the map are honest),
 * centred. Returns {scale, cx, cy, width, height}: map point (cx, cy) is the canvas centre.
 */
export function fitView(bounds, width, height, margin = 8) {
  const [[x0, y0], [x1, y1]] = bounds;
  const spanX = Math.max(x1 - x0, 1e-9);
  const spanY = Math.max(y1 - y0, 1e-9);
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  return { scale, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, width, height };
}

/** Map position [x, y] (y up) -> canvas pixel [px, py] (y down) in the view. */
export function project(view, [x, y]) {
  return [view.width / 2 + (x - view.cx) * view.scale, view.height / 2 - (y - view.cy) * view.scale];
}

/** Canvas pixel -> map position (the inverse of project). */
export function unproject(view, [px, py]) {
  return [view.cx + (px - view.width / 2) / view.scale, view.cy - (py - view.height / 2) / view.scale];
}

/** Every position projected: {xs, ys} as Float32Arrays of canvas pixels. */
export function projectAll(view, positions) {
  const n = positions.length;
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) [xs[i], ys[i]] = project(view, positions[i]);
  return { xs, ys };
}

/** A point kept inside the canvas (less `inset` pixels): [px, py, wasOutside]. */
export function clampToView(view, [px, py], inset = 6) {
  const cx = Math.min(view.width - inset, Math.max(inset, px));
  const cy = Math.min(view.height - inset, Math.max(inset, py));
  return [cx, cy, cx !== px || cy !== py];
}

/**
 * The index of the projected point nearest (px, py) within `radius` pixels, or -1. Among equally
 * near points the later one wins (it is drawn on top). xs, ys: canvas pixels.
 */
export function nearestPoint(xs, ys, px, py, radius = Infinity) {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i] - px;
    const dy = ys[i] - py;
    const d = dx * dx + dy * dy;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * Where to write each digit's name: the median of its points' positions (a few strays do not
 * move it), or null for a digit with no points. positions: [[x, y]...], labels: digit per point.
 */
export function labelCentres(positions, labels, classes = 10) {
  const byClass = Array.from({ length: classes }, () => [[], []]);
  positions.forEach(([x, y], i) => {
    byClass[labels[i]]?.[0].push(x);
    byClass[labels[i]]?.[1].push(y);
  });
  const median = (v) => {
    const s = Float64Array.from(v).sort();
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return byClass.map(([xs, ys]) => (xs.length ? [median(xs), median(ys)] : null));
}

/**
 * RGBA pixels of the points, drawn as `size` x `size` squares on a transparent w x h buffer, in
 * the given order (later on top). xs, ys: device pixels (centres); colours: [r, g, b] per label.
 */
export function pointPixels(xs, ys, labels, w, h, size = 2, order = null) {
  const px = new Uint8ClampedArray(w * h * 4);
  const cols = PALETTE.map(rgb);
  const half = size / 2;
  const n = xs.length;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    const [r, g, b] = cols[labels[i]] ?? [255, 255, 255];
    const x0 = Math.max(0, Math.round(xs[i] - half));
    const y0 = Math.max(0, Math.round(ys[i] - half));
    const x1 = Math.min(w, x0 + size);
    const y1 = Math.min(h, y0 + size);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const o = (y * w + x) * 4;
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = b;
        px[o + 3] = 255;
      }
    }
  }
  return px;
}

/** A deterministic shuffle of 0..n-1 (so no digit's colour always lies on top). */
export function drawOrder(n, seed = 1) {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The words for a training digit: "labelled 4, read as 9" or "labelled 7". */
export function digitWords({ label, prediction }) {
  return prediction === label ? `labelled ${label}` : `labelled ${label}, read as ${prediction}`;
}

/**
 * Which digits' points surround `pos` on the map: the labels of the k nearest points (map
 * units), as [[label, count]...], most first (ties: the smaller digit first).
 */
export function surroundings(positions, labels, pos, k = 25) {
  const d = positions.map(([x, y], i) => [(x - pos[0]) ** 2 + (y - pos[1]) ** 2, i]);
  d.sort((a, b) => a[0] - b[0]);
  const counts = new Map();
  for (const [, i] of d.slice(0, k)) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}

/** Words for surroundings(): "among the 7s", "between the 4s and the 9s" or "among 3s, 5s and 8s". */
export function surroundingsWords(counts) {
  const total = counts.reduce((s, [, n]) => s + n, 0);
  if (!total) return "";
  const [[a, na], second, third] = counts;
  if (na >= 0.7 * total || !second) return `among the ${a}s`;
  if (na + second[1] >= 0.8 * total || !third) return `between the ${a}s and the ${second[0]}s`;
  return `among ${a}s, ${second[0]}s and ${third[0]}s`;
}
