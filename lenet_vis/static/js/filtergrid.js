// /model: what each conv filter looks for. One card per filter of conv1 (6) and conv2 (16): its
// weights, the input made by gradient ascent to excite it, and the 9 training windows that
// excite it most. Its own module and container, beside the model card's.
import * as api from "./api.js";
import { decodeWeights } from "./decode.js";
import { absMax } from "./colour.js";
import { paint, toRows } from "./learn/paint.js";
import { FILTER_LAYERS, getFilters, patchGrid, ascentCanvas } from "./filterknowledge.js";

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

/** Filter i's weights: one k x k canvas per input map, on the layer's diverging scale. */
function weightCanvases(w, i, limit) {
  const [, c, k] = w.shape;
  const box = el("div", { className: "fk-weights" });
  box.dataset.testid = "filter-weights";
  const px = c === 1 ? 8 : 4;
  for (let j = 0; j < c; j++) {
    const off = (i * c + j) * k * k;
    const canvas = el("canvas");
    paint(canvas, toRows(w.W.slice(off, off + k * k), k), true, px, limit);
    canvas.title = c === 1 ? `filter ${i}'s weights` : `filter ${i}'s weights on input map ${j}`;
    box.append(canvas);
  }
  return box;
}

function card(layer, f, w, limit, rf) {
  const fig = el("figure", { className: "fk-card" });
  fig.dataset.testid = "filter-card";
  Object.assign(fig.dataset, { layer, filter: f.filter });
  const patchSide = layer === "conv1" ? 20 : 22;
  fig.append(
    el("figcaption", { textContent: `${layer} #${f.filter}` }),
    weightCanvases(w, f.filter, limit),
    el("div", { className: "fk-pair" }, ascentCanvas(f, 3 * patchSide + 4, layer), patchGrid(f, patchSide, layer)),
    el("p", { className: "fk-sub", textContent: "made to excite it · top 9" }),
  );
  return fig;
}

async function layerGrid(layer, root) {
  const [body, weights] = await Promise.all([getFilters(layer), api.getWeights(layer)]);
  const w = decodeWeights(weights);
  const limit = absMax(w.W);
  const rf = body.receptive_field;
  const title = document.querySelector(`[data-testid=filter-title-${layer}]`);
  if (title) title.textContent = `${layer}: ${body.filters.length} filters, each sees ${rf}×${rf} pixels of the input`;
  root.replaceChildren(...body.filters.map((f) => card(layer, f, w, limit, rf)));
  root.dataset.ready = "true";
}

async function main() {
  const box = document.querySelector("[data-testid=filter-knowledge-grid]");
  if (!box) return;
  const status = box.querySelector(".fk-status");
  const results = await Promise.allSettled(FILTER_LAYERS.map((layer) =>
    layerGrid(layer, box.querySelector(`[data-testid=filter-grid-${layer}]`))));
  const failed = results.find((r) => r.status === "rejected");
  status.textContent = failed ? `Could not load what the filters look for: ${failed.reason.message}` : "";
  box.dataset.ready = "true";
}

main();
