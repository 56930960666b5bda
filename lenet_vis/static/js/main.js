// Wiring: one state object; the draw pad, the network (2D or 3D), the inspector and the
// verdict are views updated from it. At most one request is in flight: when its answer comes,
// the newest drawing goes next if it changed. Predictions go over the live channel (live.js, a
// WebSocket) while it is open, else over HTTP (and always over HTTP while units are ablated, or
// with ?transport=http). Measurements are performance marks and measures ("pointer-to-repaint",
// "repaint", "hover-to-edges", "request" (detail: "live" or "http"), "ready").
import * as api from "./api.js";
import { decodePrediction, decodeWeights } from "./decode.js";
import { indexLayers, moveCell, flatIndex } from "./geometry.js";
import { movesCell, nextCell } from "./navigate.js";
import { describe } from "./describe.js";
import { cellLabel } from "./label.js";
import { legendGradient } from "./colour.js";
import { DrawPad } from "./drawpad.js";
import { WhereFrom } from "./wherefrom.js";
import { filterSection } from "./filterknowledge.js";
import { saveDrawing } from "./drawing.js";
import { TimeMachine } from "./timemachine.js";
import { NetworkView } from "./network.js";
import { Inspector } from "./inspector.js";
import { PredictionView } from "./probs.js";
import { Stage3D } from "./stage3d.js";
import { ExplainPanel } from "./explainpanel.js";
import { SideColumn } from "./sidecol.js";
import { LiveChannel, liveURL, inkFromRGBA, checkpointIndex, FLAG_FIELD } from "./live.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const state = {
  model: null, // GET /api/model
  byName: {},
  weights: {}, // layer -> {W, b} of the network the page reads with (the time machine swaps them)
  checkpoint: null, // that network's training checkpoint (its name), null for the final weights
  data: null, // the latest decoded prediction, null when the pad is empty
  selection: null, // {layer, c, y, x}
  pinned: false,
  normalise: "map", // or "layer"
  showPre: false, // the conv and dense columns show their values before ReLU
  view: "2d", // or "3d"
  sample: null, // {index, label} when a sample digit is on the pad
  ready: false,
  inFlight: false,
  linkNoteTimer: 0, // clears the "Link copied." note
  dirty: false,
  inputAt: null, // performance.now() of the oldest pointer event not yet shown
  codec: null, // the URL-state module, loaded once (a promise)
  // "live": predictions over the live channel when it is open; "http" (?transport=http): never
  transport: new URLSearchParams(location.search).get("transport") === "http" ? "http" : "live",
  checkpointNames: null, // GET /api/knowledge/checkpoints' names, in order (a promise), for the live channel
  hoverNone: null, // matchMedia("(hover: none)"), made once (showHint)
};
const views = {}; // pad, network, stage3d, inspector, prediction, explain, live: made once in main()

async function main() {
  const stage = $("network");
  state.model = await api.getModel();
  state.byName = indexLayers(state.model.layers);
  const withWeights = state.model.layers.filter((l) => l.parameters > 0).map((l) => l.name);
  await Promise.all(withWeights.map(async (name) => {
    state.weights[name] = decodeWeights(await api.getWeights(name));
  }));
  $("stage-message").remove();
  const handlers = { hover, pin, leave };
  views.network = new NetworkView(stage, state.model, handlers);
  views.stage3d = new Stage3D($("stage-3d"), state.model, handlers);
  views.inspector = new Inspector($("inspector"), { extra: filterSection });
  views.prediction = new PredictionView($("prediction"), $("confidence"), $("probabilities"), matchMedia("(max-width: 899px)"));
  // the training time machine: state.checkpoint and state.weights, then the page reads again
  views.timemachine = new TimeMachine($("timemachine"), $("tm-note"), {
    state, layers: withWeights, onChange: () => { state.dirty = !views.pad.isEmpty; setBusy(); sendIfIdle(); render(); syncURL(); },
  });
  await views.timemachine.load();
  views.pad = new DrawPad($("draw-pad"), onDrawingChange);
  views.pad.onFile = openImage;
  views.wherefrom = new WhereFrom($("wherefrom-panel"), $("wherefrom"), { pad: views.pad, onPick: loadTraining });
  views.explain = new ExplainPanel($("explain-panel"), $("explain"), { state, pad: views.pad, stage, onLink: syncURL, onAblate: () => { state.dirty = !views.pad.isEmpty; setBusy(); sendIfIdle(); syncURL(); } });
  views.side = new SideColumn($("side-col"));
  startLive();
  $("legend-scale").style.background = legendGradient();
  showHint("2d");
  wireControls();
  views.network.update(state);
  views.prediction.update(null);
  await restore();
  // a link pasted into this tab changes only the fragment: read it as a fresh page would
  // (replaceState, which keeps the URL up to date, does not fire hashchange)
  addEventListener("hashchange", () => location.reload());
  state.ready = true;
  setBusy();
  performance.measure("ready", { start: 0, end: performance.now() });
  document.body.dataset.ready = "true";
}

function wireControls() {
  $("clear").addEventListener("click", () => { state.sample = null; views.pad.clear(); });
  $("undo").addEventListener("click", () => views.pad.undo());
  $("sample").addEventListener("click", () => loadSample());
  $("brush").addEventListener("input", (e) => { views.pad.brush = Number(e.target.value); });
  $("open-image").addEventListener("change", (e) => {
    const file = e.target.files?.[0];
    if (file) openImage(file);
    e.target.value = "";
  });
  $("normalise").addEventListener("change", (e) => {
    state.normalise = e.target.checked ? "layer" : "map";
    refresh();
  });
  $("show-pre").addEventListener("change", (e) => {
    state.showPre = e.target.checked;
    refresh();
  });
  $("view-3d").addEventListener("click", () => setView(state.view === "3d" ? "2d" : "3d"));
  $("copy-link").addEventListener("click", copyLink);
  $("unpin").addEventListener("click", release);
  // on a short screen an opened Explain panel scrolls up into the left column (sidecol.js)
  $("explain").addEventListener("click", () => requestAnimationFrame(() => {
    if (views.explain.open) views.side.reveal($("explain-panel"));
    else views.side.restore();
  }));
  document.addEventListener("keydown", onKey);
  // keyboard users reach the network too: focusing it pins a cell of the input
  const stage = $("network");
  stage.addEventListener("focus", () => {
    if (!stage.matches(":focus-visible")) return; // a click or tap pins its own cell
    if (!state.selection || !state.pinned) pin({ layer: state.model.layers[0].name, c: 0, y: 0, x: 0 });
  });
}

/** The toggles changed: repaint, and say so in the URL. */
function refresh() {
  views.network.update(state);
  views.stage3d.update(state);
  render();
  syncURL();
}

async function loadSample(index) {
  try {
    const s = await api.getSample(Number.isInteger(index) ? index : undefined);
    state.sample = { index: s.index, label: s.label };
    $("sample-label").textContent = `MNIST test digit #${s.index}, labelled ${s.label}`;
    views.pad.loadDigit(s.image);
  } catch (err) {
    showError(`Could not load a sample digit: ${err.message}`);
  }
}

/** A training digit chosen in Where from goes on the pad like a sample. */
function loadTraining(d) {
  state.sample = null;
  $("sample-label").textContent = `MNIST training digit #${d.index}, ${d.label === d.prediction ? `labelled ${d.label}` : `labelled ${d.label}, read as ${d.prediction}`}`;
  views.pad.loadDigit(d.image);
}

async function openImage(file) {
  if (!/^image\/(png|jpeg)$/.test(file.type)) {
    showError(`Only PNG or JPEG images can be read; "${file.name}" is ${file.type || "of an unknown type"}.`);
    return;
  }
  try {
    state.sample = null;
    await views.pad.loadImage(file);
    const unlinked = views.pad.imageLink === null ? " (too detailed to go in a link)" : "";
    $("sample-label").textContent = `Your image: ${file.name}${unlinked}`;
  } catch {
    showError(`"${file.name}" could not be read as an image.`);
  }
}

function showError(text) {
  $("error").textContent = text;
}

function onDrawingChange(reason, event) {
  // the lessons work on this drawing; stored when a stroke ends, not on every move
  if (reason !== "draw") saveDrawing(views.pad.isEmpty ? null : views.pad.toPNG());
  if (reason === "draw" || reason === "stroke") {
    // from the event's own time stamp (when the system saw it), not from when it was handled
    const at = event?.timeStamp > 0 ? Math.min(event.timeStamp, performance.now()) : performance.now();
    if (state.inputAt === null) state.inputAt = at;
  }
  if (reason === "clear") $("sample-label").textContent = "";
  if ($("pad-prompt").hidden === views.pad.isEmpty) $("pad-prompt").hidden = !views.pad.isEmpty;
  if (reason !== "draw") syncURL();
  if (reason !== "draw") views.explain.drawingChanged();
  if (views.pad.isEmpty) {
    state.data = null;
    state.dirty = false;
    state.inputAt = null;
    showResult();
    setBusy();
    return;
  }
  state.dirty = true;
  setBusy();
  sendIfIdle();
}

/** aria-busy on the stage: an answer is pending (or the model is loading). */
function setBusy() {
  const busy = String(!state.ready || state.inFlight || state.dirty);
  const stage = $("network");
  if (stage.getAttribute("aria-busy") !== busy) stage.setAttribute("aria-busy", busy);
}

async function sendIfIdle() {
  if (state.inFlight || !state.dirty) return;
  state.inFlight = true;
  state.dirty = false;
  const started = state.inputAt;
  const checkpoint = state.checkpoint;
  state.inputAt = null;
  const sent = performance.now();
  const how = { transport: "http" };
  let answer;
  try {
    answer = await predictPad(how);
    if ($("error").textContent.startsWith("The server said")) showError("");
  } catch (err) {
    showError(`The server said: ${err.message}`);
    return;
  } finally {
    performance.measure("request", { start: sent, end: performance.now(), detail: how.transport });
    state.inFlight = false;
    setBusy();
  }
  // an answer read by weights the page no longer shows is dropped (the newest drawing goes out)
  if (checkpoint !== state.checkpoint) return void sendIfIdle();
  sendIfIdle(); // the newest drawing goes out while this answer is drawn
  if (!views.pad.isEmpty) state.data = how.transport === "live" ? answer : decodePrediction(answer);
  showResult();
  if (started !== null) {
    // from the pointer event to the frame with the repainted layers
    requestAnimationFrame(() => performance.measure("pointer-to-repaint", { start: started, end: performance.now() }));
  }
}

/**
 * The pad's prediction: over the live channel when it is open and no unit is ablated (decoded;
 * how.transport = "live"), else, or when the channel fails meanwhile, over HTTP (the JSON body).
 */
async function predictPad(how) {
  const live = views.live;
  const checkpoint = live?.isOpen && !views.explain.ablating ? liveCheckpoint() : null;
  if (checkpoint !== null) {
    try {
      const rows = views.pad.field; // a sample digit as it is (flag 1), else the drawn ink
      const frame = rows
        ? await live.request(Uint8Array.from(rows.flat()), rows.length, checkpoint, FLAG_FIELD)
        : await live.request(inkFromRGBA(views.pad.toPixels()), views.pad.exportSize, checkpoint);
      if (frame) {
        how.transport = "live";
        views.explain.original = null; // as its predict() does: nothing is switched off
        return frame;
      }
    } catch {
      // the channel closed or the answer timed out (the status line says so): HTTP below
    }
  }
  live?.wake(); // closed while idle: open again for the next drawing
  return views.explain.predict(views.pad.imageBody());
}

/** The live channel's checkpoint byte for state.checkpoint; null: not known yet, use HTTP. */
function liveCheckpoint() {
  const name = state.checkpoint ?? null;
  if (name === null) return 0;
  if (!state.checkpointNames) {
    state.checkpointNames = fetch("/api/knowledge/checkpoints")
      .then((r) => (r.ok ? r.json() : { checkpoints: [] }))
      .then((b) => (state.checkpointNames = b.checkpoints.map((c) => c.name)))
      .catch(() => (state.checkpointNames = []));
    return null;
  }
  if (!Array.isArray(state.checkpointNames)) return null; // still loading
  try {
    return checkpointIndex(state.checkpointNames, name);
  } catch {
    return null; // unknown here: HTTP answers with the reason
  }
}

/** Open the live channel (unless ?transport=http) and keep the status line by the verdict. */
function startLive() {
  const line = $("transport");
  const show = (mode, text, title) => {
    if (line.dataset.transport === mode && line.textContent === text) return; // no layout while drawing
    line.dataset.transport = mode;
    line.textContent = text;
    line.title = title;
  };
  if (state.transport === "http") {
    show("http", "HTTP (transport=http)", "Predictions go over HTTP (POST /api/predict): the page was opened with ?transport=http");
    return;
  }
  const over = "Predictions go over a WebSocket (/api/live): each drawing as raw ink, every layer back in one binary frame";
  views.live = new LiveChannel(liveURL(location), {
    onStatus: (status, detail) => {
      if (status === "open" || status === "idle") show("live", "live", over);
      else if (status === "down") {
        show("fallback", "Live channel unavailable – using HTTP", `Predictions go over HTTP (POST /api/predict): the WebSocket /api/live ${detail}`);
      } else if (line.dataset.transport !== "fallback") show("connecting", "", "");
    },
  });
  views.live.connect();
}

function showResult() {
  const t0 = performance.now();
  views.network.update(state);
  views.prediction.update(state.data);
  performance.measure("repaint", { start: t0, end: performance.now() });
  showHint(state.view);
  views.stage3d.update(state);
  const d = state.data;
  const said = !d ? "" : d.blank ? "No ink." : `Prediction: ${d.prediction}`;
  const announce = $("announce");
  if (announce.textContent !== said) announce.textContent = said; // no layout while drawing
  // a selection reads the new values; with none, the highlight and inspector are already empty
  if (state.selection) render();
  views.wherefrom.refresh();
}

// ---------------------------------------------------------------- selection and hover

const sameCell = (a, b) => a && b && a.layer === b.layer && a.c === b.c && a.y === b.y && a.x === b.x;

function hover(cell, e) {
  if (state.pinned || sameCell(cell, state.selection)) return;
  state.selection = cell;
  render(e, performance.now());
}

function pin(cell) {
  state.selection = cell;
  state.pinned = true;
  render()?.scrollIntoView({ block: "nearest", inline: "nearest" });
  views.side.reveal($("vis").querySelector(".inspector-panel"));
  announceCell();
  syncURL();
}

function leave() {
  if (state.pinned) return;
  state.selection = null;
  render();
}

function release() {
  state.pinned = false;
  state.selection = null;
  render();
  views.side.restore();
  announceCell();
  syncURL();
}

/**
 * What a cell is made of. A ReLU drawn in the place of its conv or dense layer reads, through
 * that layer, the layer before: its edges and arithmetic are those of the cell before ReLU
 * (whose explanation ends with ReLU(z)).
 */
function describeCell(cell) {
  const g = state.byName[cell.layer];
  const slot = views.network.slotOf(cell.layer);
  const through = g.kind === "relu" && slot.names[0] === g.source ? { ...cell, layer: g.source } : cell;
  const layers = state.data?.layers ?? null;
  return describe({ byName: state.byName, weights: state.weights, layers, pinned: state.pinned }, through);
}

/**
 * Draw the selection everywhere. e: the pointer event that moved it, handled from `started`:
 * measured as "hover-to-edges" (from the event) and "edges" (the page's own work).
 */
function render(e, started) {
  const sel = state.selection ? describeCell(state.selection) : null;
  const ring = views.network.highlight(sel);
  if (e) {
    const end = performance.now();
    performance.measure("hover-to-edges", { start: e.timeStamp, end });
    performance.measure("edges", { start: started, end });
  }
  views.stage3d.highlight(sel);
  views.inspector.update(sel?.explanation ? sel : null);
  $("vis").classList.toggle("has-pin", state.pinned);
  return ring;
}

/** The aria-live line that reads the pinned cell. */
function announceCell() {
  const s = state.selection;
  if (!state.pinned || !s) {
    $("announce-cell").textContent = "";
    return;
  }
  const g = state.byName[s.layer];
  const values = state.data?.layers?.[s.layer];
  const v = values ? values[flatIndex(g, s.c, s.y, s.x)] : null;
  $("announce-cell").textContent = cellLabel(state.byName, s, v);
}

function onKey(e) {
  if (!state.selection || !state.pinned) return;
  if (e.target.closest?.("input, button, textarea, select")) return;
  if (e.key === "Escape") {
    release();
    return;
  }
  if (!movesCell(e.key)) return;
  e.preventDefault();
  const net = views.network;
  const shownAs = net.shown(net.slotOf(state.selection.layer), state.showPre);
  const next = nextCell(state.byName, net.visibleLayers(state.showPre), shownAs, state.selection, e.key);
  if (!next) return;
  state.selection = next;
  const ring = render();
  ring?.scrollIntoView({ block: "nearest", inline: "nearest" });
  announceCell();
  syncURL();
}

// ---------------------------------------------------------------- 2D / 3D

/** The line under the toolbar: how to use the view that is shown, on this kind of screen. */
function showHint(view) {
  state.hoverNone ??= matchMedia("(hover: none)"); // one query, read on every answer
  const touch = state.hoverNone.matches;
  const empty = !state.data || state.data.blank;
  const hints = {
    empty: touch
      ? "Draw a digit on the pad and every layer below fills in; then tap any cell to pin it."
      : "Draw a digit on the pad and every layer fills in; then hover any cell to see every input it reads.",
    "2d": touch
      ? "Tap any cell to pin it: its inputs light up and the inspector shows the arithmetic."
      : "Hover any cell to see every input it reads; click to pin; arrows, [ ] and Page Up/Down move it.",
    "3d": touch
      ? "Drag to turn the network, pinch to zoom; tap a cell to pin it."
      : "Drag to turn the network (or Tab to it: arrows turn, + − zoom), scroll to zoom; hover a cell to see its inputs, click to pin.",
  };
  const text = hints[view === "2d" && empty ? "empty" : view];
  if ($("hint").textContent !== text) $("hint").textContent = text; // no layout while drawing
}

async function setView(view) {
  const button = $("view-3d");
  if (view === "3d") {
    const why = await views.stage3d.show(state);
    if (why) {
      button.textContent = why;
      button.disabled = true;
      view = "2d";
    } else {
      views.stage3d.highlight(state.selection ? describeCell(state.selection) : null);
    }
  } else {
    views.stage3d.hide();
  }
  state.view = view;
  showHint(view);
  button.setAttribute("aria-pressed", String(view === "3d"));
  $("network").hidden = view === "3d";
  syncURL();
}

// ---------------------------------------------------------------- the view is a link

function codec() {
  state.codec ??= import("./urlstate.js").catch(() => null);
  return state.codec;
}

/** The page state as the URL-state codec takes it. */
function linkState() {
  const pad = views.pad;
  return {
    strokes: pad.strokes.map((s) => ({ size: s.size, points: s.points })),
    sample: state.sample ? state.sample.index : null,
    pinned: state.pinned && state.selection ? { ...state.selection } : null,
    view: state.view,
    showPre: state.showPre,
    normalise: state.normalise,
    ablate: state.ablate,
    compareA: state.compareA,
    checkpoint: state.checkpoint,
    image: pad.imageLink ?? null, // an opened image's ink (urlstate.js encodeInk)
  };
}

/** Put the state in the URL fragment, replacing the entry (no history spam). */
async function syncURL() {
  if (!state.ready) return;
  const mod = await codec();
  if (!mod) return;
  const fragment = mod.encodeState(linkState());
  history.replaceState(history.state, "", `${location.pathname}${location.search}#${fragment}`);
}

async function restore() {
  const fragment = location.hash.slice(1);
  const asked = new URLSearchParams(location.search).get("sample");
  if (!fragment) {
    if (asked !== null) await loadSample(Number(asked));
    return;
  }
  const mod = await codec();
  if (!mod) {
    showError("This link's view could not be read: the page's link reader did not load.");
    return;
  }
  let decoded;
  try {
    decoded = mod.decodeState(fragment, state.byName);
  } catch (err) {
    showError(`This link's view could not be read (${err.message}); it was ignored.`);
    return;
  }
  const s = decoded.state ?? {};
  if (decoded.errors?.length) showError(`Parts of this link were ignored: ${decoded.errors.join("; ")}`);
  if (typeof s.showPre === "boolean") {
    state.showPre = s.showPre;
    $("show-pre").checked = s.showPre;
  }
  if (s.normalise === "map" || s.normalise === "layer") {
    state.normalise = s.normalise;
    $("normalise").checked = s.normalise === "layer";
  }
  views.explain.restore(s);
  const lost = await views.timemachine.restore(s.checkpoint);
  if (lost) showError(`Parts of this link were ignored: ${lost}`);
  views.network.update(state);
  if (Number.isInteger(s.sample)) await loadSample(s.sample);
  if (s.image) {
    try {
      await views.pad.loadInk(await mod.decodeInk(s.image), s.image);
      $("sample-label").textContent = "Your image (from the link)";
    } catch (err) {
      showError(`Parts of this link were ignored: ${mod.inkError(err)}`);
    }
  }
  const keepBase = state.sample !== null || views.pad.imageLink !== undefined;
  if (s.strokes?.length) views.pad.setStrokes(s.strokes, { keepBase });
  if (s.pinned && state.byName[s.pinned.layer]) {
    const g = state.byName[s.pinned.layer];
    state.selection = { layer: g.name, ...moveCell(g, s.pinned, 0, 0) };
    state.pinned = true;
    render();
    views.side.reveal($("vis").querySelector(".inspector-panel")); // a shared pin: its arithmetic in view
    announceCell();
  }
  if (s.view === "3d") await setView("3d");
}

async function copyLink() {
  if (state.ready) await syncURL();
  const note = $("link-note");
  if (!(await codec())) {
    note.textContent = "Links are not available: the link writer did not load.";
    return;
  }
  // an image too detailed for a link is left out of it: say so, never a silently other view
  const without = views.pad.imageLink === null ? ", without your image: it is too detailed for a link" : "";
  try {
    await navigator.clipboard.writeText(location.href);
    note.textContent = `Link copied${without}.`;
  } catch {
    note.textContent = `Copy the address bar: it holds this view${without}.`;
  }
  clearTimeout(state.linkNoteTimer);
  state.linkNoteTimer = setTimeout(() => (note.textContent = ""), 4000); // a note, not a state
}

main().catch((err) => {
  const msg = $("stage-message");
  if (msg) msg.textContent = `Could not load the model: ${err.message}`;
  showError(`Could not start: ${err.message}`);
});
