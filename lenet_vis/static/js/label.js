// Cells named in words, for headings, screen readers and the inspector's terms. Pure: no DOM.
import { dims, isMap } from "./geometry.js";
import { fmt } from "./numbers.js";

/** The layer that reads `name` (its consumer), or undefined for the last. */
export function nextLayer(byName, name) {
  return Object.values(byName).find((l) => l.source === name);
}

/** True when the units of `name` stand for the ten digits: softmax and the logits it reads. */
export function isDigitLayer(byName, name) {
  const g = byName[name];
  return g.kind === "softmax" || nextLayer(byName, name)?.kind === "softmax";
}

/** "conv2 · map 3 · row 4, col 2"; "input · row 4, col 2"; "fc1 · unit 17"; "softmax · digit 7". */
export function cellName(byName, cell) {
  const g = byName[cell.layer];
  if (!isMap(g)) {
    if (g.kind === "softmax") return `${g.name} · digit ${cell.c}`;
    return `${g.name} · unit ${cell.c}${isDigitLayer(byName, g.name) ? ` (digit ${cell.c})` : ""}`;
  }
  const where = `row ${cell.y}, col ${cell.x}`;
  return dims(g)[0] === 1 ? `${g.name} · ${where}` : `${g.name} · map ${cell.c} · ${where}`;
}

/** cellName and its value: "conv2 · map 3 · row 4, col 2 · value 1.23" (softmax: probability). */
export function cellLabel(byName, cell, value) {
  const name = cellName(byName, cell);
  if (value === undefined || value === null) return name;
  const what = byName[cell.layer].kind === "softmax" ? "probability" : "value";
  return `${name} · ${what} ${fmt(value)}`;
}

/** A map of a layer: "pool1 map 3"; the input's one map is "input". */
export function channelName(layer, c) {
  return dims(layer)[0] === 1 ? layer.name : `${layer.name} map ${c}`;
}

/** A source cell named short, as a term of a sum: "pool2 map 10 (4, 2)", "relu3 unit 17". */
export function sourceName(layer, cell) {
  if (!isMap(layer)) return `${layer.name} unit ${cell.c}`;
  const at = `(${cell.y}, ${cell.x})`;
  return dims(layer)[0] === 1 ? `${layer.name} ${at}` : `${layer.name} map ${cell.c} ${at}`;
}
