// Wiring: one state object; the draw pad, the network, the inspector and the prediction
// are views updated from it. At most one request is in flight: when its answer comes, the
// newest drawing goes next if it changed.
import * as api from "./api.js";
import { decodePrediction, decodeWeights } from "./decode.js";
import { indexLayers, moveCell } from "./geometry.js";
import { describe } from "./describe.js";
import { legendGradient } from "./colour.js";
import { DrawPad } from "./drawpad.js";
import { saveDrawing } from "./drawing.js";
import { NetworkView } from "./network.js";
import { Inspector } from "./inspector.js";
import { PredictionView } from "./probs.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = {
  model: null, // GET /api/model
  byName: {},
  weights: {}, // layer -> {W, b}, fetched once
  data: null, // the latest decoded prediction
  selection: null, // {layer, c, y, x}
  pinned: false,
  normalise: "map", // or "layer"
  showPre: true,
  inFlight: false,
  dirty: false,
  inputAt: null, // performance.now() of the newest pointer event not yet shown
  sample: null, // {index, label} when a sample digit is on the pad
};
window.lenetStats = { latencies: [], open: 0, inFlightMax: 0, requests: 0 };
window.lenetState = state; // read by the browser tests and the benchmark

let pad, network, inspector, prediction;

async function main() {
  state.model = await api.getModel();
  state.byName = indexLayers(state.model.layers);
  const withWeights = state.model.layers.filter((l) => l.parameters > 0).map((l) => l.name);
  await Promise.all(withWeights.map(async (name) => {
    state.weights[name] = decodeWeights(await api.getWeights(name));
  }));
  network = new NetworkView($("network"), state.model, { hover, pin, leave });
  inspector = new Inspector($("inspector"));
  prediction = new PredictionView($("prediction"), $("confidence"), $("probabilities"));
  pad = new DrawPad($("draw-pad"), onDrawingChange);
  $("legend-scale").style.background = legendGradient();
  wireControls();
  network.update(state);
  const asked = new URLSearchParams(location.search).get("sample");
  if (asked !== null) await loadSample(Number(asked));
  document.body.dataset.ready = "true";
}

function wireControls() {
  $("clear").addEventListener("click", () => { state.sample = null; pad.clear(); });
  $("undo").addEventListener("click", () => pad.undo());
  $("sample").addEventListener("click", () => loadSample());
  $("brush").addEventListener("input", (e) => { pad.brush = Number(e.target.value); });
  $("normalise").addEventListener("change", (e) => {
    state.normalise = e.target.checked ? "layer" : "map";
    network.update(state);
  });
  $("show-pre").addEventListener("change", (e) => {
    state.showPre = e.target.checked;
    network.update(state);
    render();
  });
  document.addEventListener("keydown", onKey);
  // keyboard users reach the network too: focusing it pins its first cell
  const stage = $("network");
  stage.tabIndex = 0;
  stage.setAttribute("aria-label", "The network. Arrow keys move the pinned cell, Page Up and Page Down change layer, Escape releases.");
  stage.addEventListener("focus", () => {
    if (!state.selection) pin({ layer: state.model.layers[0].name, c: 0, y: 0, x: 0 });
  });
}

async function loadSample(index) {
  const s = await api.getSample(Number.isInteger(index) ? index : undefined);
  state.sample = { index: s.index, label: s.label };
  $("sample-label").textContent = `MNIST test digit #${s.index}, labelled ${s.label}`;
  pad.loadDigit(s.image);
}

function onDrawingChange(reason) {
  if (reason === "stroke") prediction.scheduleChart();
  // the lessons work on this drawing; stored when a stroke ends, not on every move
  if (reason !== "draw") saveDrawing(pad.isEmpty ? null : pad.toPNG());
  if (reason === "draw" || reason === "stroke") {
    if (state.inputAt === null) state.inputAt = performance.now();
    if (reason === "draw" && state.sample && !pad.base) state.sample = null;
  }
  if (reason === "clear") $("sample-label").textContent = "";
  if (pad.isEmpty) {
    state.data = null;
    state.dirty = false;
    showResult();
    return;
  }
  state.dirty = true;
  sendIfIdle();
}

async function sendIfIdle() {
  if (state.inFlight || !state.dirty) return;
  state.inFlight = true;
  state.dirty = false;
  const started = state.inputAt;
  state.inputAt = null;
  const stats = window.lenetStats;
  stats.requests += 1;
  stats.open += 1; // counted around the fetch itself, so the benchmark can check the rule
  stats.inFlightMax = Math.max(stats.inFlightMax, stats.open);
  let body;
  try {
    body = await api.predict(pad.toPNG());
    $("error").textContent = "";
  } catch (err) {
    $("error").textContent = `The server said: ${err.message}`;
    return;
  } finally {
    stats.open -= 1;
    state.inFlight = false;
  }
  sendIfIdle(); // the newest drawing goes out while this answer is drawn
  if (!pad.isEmpty) state.data = decodePrediction(body);
  showResult();
  if (started !== null) {
    // time from the pointer event to the frame with the repainted layers
    requestAnimationFrame(() => stats.latencies.push(performance.now() - started));
  }
}

function showResult() {
  performance.mark("render-start");
  network.update(state);
  prediction.update(state.data, pad.active !== null);
  const d = state.data;
  $("announce").textContent = !d ? "" : d.blank ? "No ink." : `Prediction: ${d.prediction}`;
  render();
  performance.measure("render", "render-start");
}

// ---------------------------------------------------------------- selection and hover

function hover(cell) {
  if (state.pinned) return;
  state.selection = cell;
  render();
}

function pin(cell) {
  state.selection = cell;
  state.pinned = true;
  render();
}

function leave() {
  if (state.pinned) return;
  state.selection = null;
  render();
}

function onKey(e) {
  if (!state.selection) return;
  if (e.key === "Escape") {
    state.pinned = false;
    state.selection = null;
    render();
    return;
  }
  const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const layerStep = { PageUp: -1, PageDown: 1 }[e.key];
  if (!state.pinned || (!moves[e.key] && !layerStep) || e.target.closest?.("input, button")) return;
  e.preventDefault();
  let g = state.byName[state.selection.layer];
  if (layerStep) { // the same place, as near as it fits, in the previous or next visible layer
    const visible = state.model.layers.filter((l) => state.showPre || !["conv", "dense"].includes(l.kind));
    const i = visible.findIndex((l) => l.name === g.name) + layerStep;
    if (i < 0 || i >= visible.length) return;
    g = state.byName[visible[i].name];
    const cell = moveCell(g, state.selection, 0, 0);
    state.selection = { layer: g.name, ...cell };
  } else {
    state.selection = { layer: g.name, ...moveCell(g, state.selection, ...moves[e.key]) };
  }
  render();
}

function render() {
  if (!state.selection) {
    network.highlight(null);
    inspector.update(null);
    return;
  }
  const sel = describe({ ...state, layers: state.data?.layers }, state.selection);
  network.highlight(sel);
  inspector.update(sel.explanation ? sel : null);
}

main().catch((err) => {
  const e = $("error");
  if (e) e.textContent = `Could not start: ${err.message}`;
  throw err;
});
