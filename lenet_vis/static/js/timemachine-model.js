// The training time machine on the model card: the training curves mark the checkpoints, and
// the conv1 and conv2 filters play from initialisation to the end (one colour scale per layer,
// the same at every checkpoint, so the change shows).
//
//   await filmCard({conv1: gridEl, conv2: gridEl}, {loss: plotEl, accuracy: plotEl}, player);
// Hides the player, saying why, when the server kept no checkpoints (the grids then keep the
// final filters modelcard.js drew).
import * as api from "./api.js";
import { decodeFloat32 } from "./decode.js";
import { legendGradient } from "./colour.js";
import { paint, toRows, el } from "./learn/paint.js";
import { checkpointLabel, checkpointMarks, nextPosition, percent, sharedLimit, tickLabel, valueText } from "./timemachine-format.js";

const STEP_MS = 1100;
const q = (root, id) => root.querySelector(`[data-testid="${id}"]`);

/** One layer's filters at every checkpoint: {shape, frames: Float32Array[], limit}. */
async function layerFrames(layer) {
  const body = await api.getCheckpointWeights(layer);
  const frames = body.weights.map(decodeFloat32);
  return { shape: body.weights_shape, frames, limit: sharedLimit(frames) };
}

/** A grid of canvases, one row per filter, one canvas per input map. */
function buildGrid(root, [f, c, k], px) {
  const canvases = [];
  const rows = [];
  for (let i = 0; i < f; i++) {
    const row = el("div", { className: "filter-row" });
    for (let j = 0; j < c; j++) {
      const canvas = el("canvas", { className: "map-canvas", title: `filter ${i}, input map ${j}` });
      canvases.push(canvas);
      row.append(canvas);
    }
    rows.push(row);
  }
  root.replaceChildren(...rows);
  return (W, limit) => canvases.forEach((canvas, n) => paint(canvas, toRows(W.subarray(n * k * k, (n + 1) * k * k), k), true, px, limit));
}

function legend(layer, limit) {
  const scale = el("span", { className: "scale" });
  scale.style.background = legendGradient();
  const v = limit.toFixed(2);
  return el("span", { className: "tm-legend", title: "One colour scale for every checkpoint of this layer" },
    `${layer}: −${v} `, scale, ` +${v}`, el("span", { textContent: " (the same at every epoch)" }));
}

/**
 * grids: {conv1, conv2} the model card's filter grids; plots: {loss, accuracy} the curve plots
 * (x = epoch; the accuracy plot also gets each checkpoint's test accuracy as a point);
 * player: the player's container (slider, play button, label, legends).
 */
export async function filmCard(grids, plots, player) {
  let records = [];
  try {
    records = (await api.getCheckpoints()).checkpoints ?? [];
  } catch (err) {
    player.replaceChildren(el("p", { className: "readout", textContent: `The training replay is unavailable: ${err.message}` }));
    player.hidden = false;
    return;
  }
  if (records.length < 2) {
    player.replaceChildren(el("p", { className: "readout", textContent: "These weights were trained without keeping checkpoints, so the filters cannot be replayed." }));
    player.hidden = false;
    player.dataset.state = "off";
    return;
  }
  for (const plot of Object.values(plots)) markCheckpoints(plot, records);
  if (window.Plotly && plots.accuracy?.layout) {
    window.Plotly.addTraces(plots.accuracy, {
      x: records.map((r) => r.epoch), y: records.map((r) => r.test_accuracy), text: records.map((r) => r.name),
      name: "test, at checkpoints", mode: "markers", marker: { color: "#e6e7ea", size: 7, symbol: "diamond" },
      hovertemplate: "%{text}: %{y:.2%} on test digits<extra></extra>",
    });
  }
  const layers = Object.keys(grids);
  const data = Object.fromEntries(await Promise.all(layers.map(async (l) => [l, await layerFrames(l)])));
  const draw = Object.fromEntries(layers.map((l) => [l, buildGrid(grids[l], data[l].shape, data[l].shape[1] > 1 ? 7 : 10)]));
  const n = records.length;
  const slider = q(player, "tm-filter-slider");
  const label = q(player, "tm-filter-label");
  const play = q(player, "tm-filter-play");
  Object.assign(slider, { min: 0, max: n - 1, step: 1, value: n - 1, disabled: false });
  q(player, "tm-filter-legend").replaceChildren(...layers.map((l) => legend(l, data[l].limit)));
  q(player, "tm-filter-ticks").replaceChildren(...records.map((r, i) => {
    const b = el("button", { type: "button", tabIndex: -1, textContent: tickLabel(r), title: valueText(r, i === n - 1) });
    b.addEventListener("click", () => {
      stop();
      show(i);
    });
    return b;
  }));

  function show(i) {
    const r = records[i];
    slider.value = String(i);
    const last = i === n - 1;
    slider.setAttribute("aria-valuetext", valueText(r, last));
    label.value = `${checkpointLabel(r, last)} · ${percent(r.test_accuracy)} on test digits`;
    for (const l of layers) draw[l](data[l].frames[i], data[l].limit);
    for (const [k, b] of [...q(player, "tm-filter-ticks").children].entries()) b.classList.toggle("at", k === i);
    player.dataset.checkpoint = r.name;
  }

  let timer = 0;
  let playing = false;
  function stop() {
    clearTimeout(timer);
    playing = false;
    play.setAttribute("aria-pressed", "false");
    play.textContent = "▶ Play training";
  }
  function step(i) {
    show(i);
    const next = nextPosition(i, n);
    if (next === null) stop();
    else timer = setTimeout(() => step(next), STEP_MS);
  }
  play.addEventListener("click", () => {
    if (playing) {
      stop();
      return;
    }
    playing = true;
    play.setAttribute("aria-pressed", "true");
    play.textContent = "❚❚ Pause";
    const at = Number(slider.value);
    step(at >= n - 1 ? 0 : at);
  });
  slider.addEventListener("input", () => {
    stop();
    show(Number(slider.value));
  });
  player.hidden = false;
  show(n - 1);
}

/** Dotted lines and labels at every checkpoint's epoch on a Plotly plot (kept with its own). */
function markCheckpoints(plot, records) {
  const P = window.Plotly;
  if (!P || !plot?.layout) return;
  const size = plot._fullLayout?._size; // the plotting area, in pixels
  const epochs = Math.max(1, ...records.map((r) => r.epoch), ...(plot.data ?? []).flatMap((t) => t.x ?? []));
  const pxPerEpoch = size?.w ? size.w / epochs : Infinity;
  const { shapes, annotations } = checkpointMarks(records, { pxPerEpoch });
  P.relayout(plot, {
    shapes: [...(plot.layout.shapes ?? []), ...shapes],
    annotations: [...(plot.layout.annotations ?? []), ...annotations],
    "margin.t": 22,
  });
}
