// The explanations of explain.js as the lines the inspector prints. Pure: no DOM.
import { fmt, sumText, difference } from "./numbers.js";

const s = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "ReLU(z) = max(0, 1.23) = 1.23: kept" or "... = 0: zeroed (z was negative)". */
export function reluText(z, value = Math.max(0, z)) {
  const head = `ReLU(z) = max(0, ${fmt(z)}) = ${fmt(value)}`;
  if (z > 0) return `${head}: kept`;
  return `${head}: ${z < 0 ? "zeroed (z was negative)" : "z is 0"}`;
}

// ---------------------------------------------------------------- conv

/** "z = Σ over the 6 maps of pool1 of (5x5 patch × 5x5 filter) + bias" */
export function convIntro(ex) {
  const n = ex.maps.length;
  const k = `${ex.k}x${ex.k}`;
  if (n === 1) return `z = (${k} patch of ${ex.source} × ${k} filter) + bias`;
  return `z = Σ over the ${n} maps of ${ex.source} of (${k} patch × ${k} filter) + bias`;
}

/** {map: "map 3" ("" for the input's one map), what: "patch × filter", sum: "−0.412"} */
export function convMapParts(m) {
  const map = m.source.includes(" map ") ? m.source.split(" ").slice(1).join(" ") : "";
  return { map, what: "patch × filter", sum: fmt(m.sum) };
}

/** "map 3 · patch × filter = −0.412" (the input's one map: "patch × filter = ..."). */
export function convMapText(m) {
  const p = convMapParts(m);
  return `${p.map ? `${p.map} · ` : ""}${p.what} = ${p.sum}`;
}

/** "z = 0.412 − 0.130 + … + 0.0500 (bias) = 1.23": every partial sum, the bias, z. */
export function convSumText(ex) {
  const terms = [...ex.maps.map((m) => m.sum), { value: ex.bias, text: `${fmt(Math.abs(ex.bias))} (bias)` }];
  return `z = ${sumText(terms)} = ${fmt(ex.z)}`;
}

// ---------------------------------------------------------------- dense

/** "z = Σ w·x over the 400 values of pool2, + bias; the 8 largest terms by |w·x|:" */
export function denseIntro(ex) {
  return `z = Σ w·x over the ${ex.inputs} values of ${ex.source}, + bias; the ${ex.top.length} largest terms by |w·x|:`;
}

/** "the other 392 terms (130 with x = 0)" */
export function denseRestText(ex) {
  const zeros = ex.rest.zeros ? ` (${ex.rest.zeros} with x = 0)` : "";
  return `the other ${s(ex.rest.count, "term")}${zeros}`;
}

/** "z = 2.10 (8 largest) − 0.321 (other 392) + 0.0500 (bias) = 1.83": adds up to z. */
export function denseSumText(ex) {
  const top = ex.top.reduce((acc, t) => acc + t.wx, 0);
  const terms = [
    { value: top, text: `${fmt(Math.abs(top))} (${ex.top.length} largest)` },
    ...(ex.rest.count ? [{ value: ex.rest.sum, text: `${fmt(Math.abs(ex.rest.sum))} (other ${ex.rest.count})` }] : []),
    { value: ex.bias, text: `${fmt(Math.abs(ex.bias))} (bias)` },
  ];
  return `z = ${sumText(terms)} = ${fmt(ex.z)}`;
}

/** What the next layer does with z: its ReLU, or softmax for the logits; "" if nothing. */
export function nextText(ex) {
  if (ex.next) return `then ${ex.next.layer}: ${reluText(ex.z, ex.next.value)}`;
  if (ex.feedsSoftmax) return "then softmax turns this logit and the others into probabilities";
  return "";
}

// ---------------------------------------------------------------- softmax

/**
 * Three lines: the formula, the max named, and the formula with the real numbers:
 *   p(7) = e^(z7 − max) / Σj e^(zj − max)
 *   max = z3 = 12.3, the largest logit (subtracting it keeps every e^ at most 1; p is unchanged)
 *   p(7) = e^(4.56 − 12.3) / 1.02 = e^(−7.78) / 1.02 = 0.000419 / 1.02 = 0.000411
 */
export function softmaxLines(ex) {
  const i = ex.index;
  return [
    `p(${i}) = e^(z${i} − max) / Σj e^(zj − max)`,
    `max = z${ex.argmax} = ${fmt(ex.max)}, the largest logit (subtracting it keeps every e^ at most 1; p is unchanged)`,
    `p(${i}) = e^(${difference(ex.logits[i], ex.max)}) / ${fmt(ex.total)} = e^(${fmt(ex.shifted[i])}) / ${fmt(ex.total)}` +
      ` = ${fmt(ex.exps[i])} / ${fmt(ex.total)} = ${fmt(ex.p)}`,
  ];
}

/** "Σj e^(zj − max) = 1 + 0.0300 + … = 1.02" (every term, so the sum can be checked). */
export function softmaxTotalText(ex) {
  return `Σj e^(zj − max) = ${sumText(ex.exps)} = ${fmt(ex.total)}`;
}

// ---------------------------------------------------------------- pool and the rest

/** "max of the 2x2 window of relu2 map 3, rows 4–5, cols 6–7" */
export function poolIntro(ex) {
  const w = ex.window;
  return `max of the ${w.h}x${w.w} window of ${ex.map}, rows ${w.y}–${w.y + w.h - 1}, cols ${w.x}–${w.x + w.w - 1}`;
}

/** "max(0.1, 1.23, 0, 0.5) = 1.23, from relu2 map 3 (4, 7)" */
export function poolText(ex) {
  return `max(${ex.values.map((v) => fmt(v)).join(", ")}) = ${fmt(ex.max)}, from ${ex.winnerName}`;
}

/** "A pixel of the network input: ink 0.500 (0 is black, 1 is white)." */
export function inputText(value) {
  return `A pixel of the network input: ink ${fmt(value)} (0 is black, 1 is white).`;
}
