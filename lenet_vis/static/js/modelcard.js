// The model card: architecture, accuracy, confusion matrix, training curves, filters, mistakes.
import * as api from "./api.js";
import { decodeWeights } from "./decode.js";
import { paint, toRows, el } from "./learn/paint.js";
import { absMax } from "./colour.js";
import { filmCard } from "./timemachine-model.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const DARK = {
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#c9ccd1", size: 11 },
  margin: { l: 50, r: 10, t: 10, b: 40 }, height: 300,
};
const CONFIG = { displayModeBar: false, responsive: true };

function table(root, head, rows) {
  root.replaceChildren(el("tr", {}, ...head.map((h) => el("th", { textContent: h }))),
    ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", { textContent: v })))));
}

function filters(root, w, perRow) {
  const [f, c, k] = w.shape;
  const limit = absMax(w.W);
  const cells = [];
  for (let i = 0; i < f; i++) {
    const row = el("div", { className: "filter-row" });
    for (let j = 0; j < c; j++) {
      const off = (i * c + j) * k * k;
      const canvas = el("canvas", { className: "map-canvas" });
      paint(canvas, toRows(w.W.slice(off, off + k * k), k), true, perRow ? 7 : 10, limit);
      canvas.title = `filter ${i}, input map ${j}`;
      row.append(canvas);
    }
    cells.push(row);
  }
  root.replaceChildren(...cells);
}

async function main() {
  const [model, card, conv1, conv2] = await Promise.all([
    api.getModel(), api.getModelCard(), api.getWeights("conv1"), api.getWeights("conv2"),
  ]);
  $("card-accuracy").textContent = `${(100 * card.test_accuracy).toFixed(2)}%`;
  $("card-accuracy").dataset.value = card.test_accuracy;
  $("card-training").textContent = `${card.history.length} epochs in ${Math.round(card.training_seconds)} s on a 2-core CPU · seed ${card.seed} · ${card.train_size} training and ${card.validation_size} validation digits · weights SHA-256 ${card.weights_sha256.slice(0, 16)}…`;
  table($("card-architecture"), ["layer", "kind", "output", "kernel", "parameters"],
    [...model.layers.map((l) => [l.name, l.kind, l.output_shape.join("x"), l.kernel ? `${l.kernel}x${l.kernel} /${l.stride}` : "", l.parameters.toLocaleString("en")]),
     ["total", "", "", "", model.parameters.toLocaleString("en")]]);
  table($("card-per-class"), ["digit", "accuracy", "test digits"],
    card.per_class_accuracy.map((a, d) => [d, `${(100 * a).toFixed(2)}%`, card.confusion_matrix[d].reduce((s, v) => s + v, 0)]));
  const digits = [...Array(10).keys()].map(String);
  window.Plotly.newPlot($("card-confusion"), [{
    type: "heatmap", z: card.confusion_matrix.map((r) => r.map((v) => Math.log10(1 + v))), x: digits, y: digits,
    text: card.confusion_matrix, texttemplate: "%{text}", hovertemplate: "true %{y}, said %{x}: %{text}<extra></extra>",
    colorscale: [[0, "#000"], [1, "#e67d14"]], showscale: false,
  }], { ...DARK, height: 420, xaxis: { title: { text: "predicted" }, type: "category" },
        yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" } }, CONFIG);
  const epochs = card.history.map((h) => h.epoch);
  const line = (key, name, color) => ({ x: epochs, y: card.history.map((h) => h[key]), name, mode: "lines", line: { color } });
  window.Plotly.newPlot($("card-loss"), [line("train_loss", "train (augmented)", "#8a8f98"), line("val_loss", "validation", "#e67d14")],
    { ...DARK, margin: { ...DARK.margin, l: 64 }, xaxis: { title: { text: "epoch" }, gridcolor: "#333" }, yaxis: { gridcolor: "#333", type: "log", title: { text: "cross-entropy (log scale)" },
      tickvals: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2], ticktext: ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"] }, legend: { x: 0.5, y: 1 } }, CONFIG);
  window.Plotly.newPlot($("card-acc"), [line("train_accuracy", "train (augmented)", "#8a8f98"), line("val_accuracy", "validation", "#e67d14")],
    { ...DARK, margin: { ...DARK.margin, l: 64 }, xaxis: { title: { text: "epoch" }, gridcolor: "#333" }, yaxis: { gridcolor: "#333", range: [0.95, 1], tickformat: ".1%", title: { text: "digits read right" } }, legend: { x: 0.5, y: 0.2 } }, CONFIG);
  filters($("card-conv1"), decodeWeights(conv1), false);
  filters($("card-conv2"), decodeWeights(conv2), true);
  // the curves mark the checkpoints; the filters play from initialisation to the end
  const film = filmCard({ conv1: $("card-conv1"), conv2: $("card-conv2") },
    { loss: $("card-loss"), accuracy: $("card-acc") }, $("tm-filter-player"));
  $("card-mistakes").replaceChildren(...card.misclassified.map((m) => {
    const canvas = el("canvas");
    paint(canvas, m.image, false, 2, 255);
    const a = el("a", { href: `/?sample=${m.index}` }, canvas, el("span", { textContent: `${m.label} → ${m.prediction}` }));
    a.dataset.index = m.index;
    a.setAttribute("aria-label", `test digit ${m.index}: true ${m.label}, said ${m.prediction}; open in the visualizer`);
    return a;
  }));
  await film.catch((err) => {
    $("tm-filter-player").replaceChildren(el("p", { className: "error", textContent: `The training replay could not load: ${err.message}` }));
    $("tm-filter-player").hidden = false;
  });
  document.body.dataset.ready = "true";
}

main().catch((err) => {
  document.querySelector("main").prepend(el("p", { className: "error", textContent: `Could not load the model card: ${err.message}` }));
  throw err;
});
