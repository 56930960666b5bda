// What each conv filter looks for (GET /api/knowledge/filters/{layer}, fetched once per layer
// and cached): the 9 training windows that excite it most and an input made by gradient ascent.
// Render helpers shared by the inspector's "this filter responds to..." and /model's grid.
import { paint } from "./learn/paint.js";

export const FILTER_LAYERS = ["conv1", "conv2"];
/** The diagram layer -> the conv layer whose filter made its maps (a ReLU shows its conv). */
export const FILTER_OF = { conv1: "conv1", relu1: "conv1", conv2: "conv2", relu2: "conv2" };

const cache = new Map(); // layer -> Promise of the answer

/** An error answer's words: each detail's message, after its location when it has one. */
export function problem(body, response) {
  const d = body?.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d) && d.length) return d.map((x) => (x.loc?.length ? `${x.loc.join(".")}: ${x.msg}` : x.msg)).join("; ");
  return response.statusText || `HTTP ${response.status}`;
}

/** The server answered that the precomputed files are missing or stale (not "at capacity"). */
export const filesMissing = (err) => err?.status === 503 && !/capacity/i.test(err.message);

/** The layer's filters (a promise, made once per page). */
export function getFilters(layer) {
  if (!cache.has(layer)) {
    const p = fetch(`/api/knowledge/filters/${layer}`).then(async (r) => {
      const body = await r.json();
      if (!r.ok) throw Object.assign(new Error(problem(body, r)), { status: r.status });
      return body;
    });
    // a network failure may pass: asked again next time; the files missing (503) stay missing
    p.catch((err) => { if (!filesMissing(err)) cache.delete(layer); });
    cache.set(layer, p);
  }
  return cache.get(layer);
}

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

/** A uint8 image (rows, 255 = ink) on a canvas `side` CSS px wide. */
export function grayCanvas(rows, side, testid) {
  const c = el("canvas", { className: "fk-img" });
  paint(c, rows, false, side / rows.length, 255);
  if (testid) c.dataset.testid = testid;
  return c;
}

/** The 9 top patches in a 3 x 3 grid, each `side` CSS px, titled with their digit's label. */
export function patchGrid(f, side, layer) {
  const grid = el("div", { className: "fk-patches" });
  grid.dataset.testid = "filter-patches";
  f.patches.forEach((p, i) => {
    const c = grayCanvas(p, side, "filter-patch");
    c.title = `from a training ${f.patch_labels[i]} (activation ${f.patch_activations[i].toFixed(2)})`;
    c.setAttribute("role", "img");
    c.setAttribute("aria-label", `${layer} filter ${f.filter}: top window ${i + 1}, from a ${f.patch_labels[i]}`);
    grid.append(c);
  });
  return grid;
}

/** The gradient-ascent input (32 x 32), `side` CSS px. */
export function ascentCanvas(f, side, layer) {
  const c = grayCanvas(f.ascent, side, "filter-ascent");
  c.title = f.ascent_beats_top_patches
    ? "made by gradient ascent: it excites the filter more than any training window"
    : "made by gradient ascent (it excites the filter less than the best training window)";
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", `${layer} filter ${f.filter}: input made by gradient ascent`);
  return c;
}

/**
 * The inspector's section for a pinned cell: its filter's top patches and ascent image, filled
 * in when the layer's answer arrives (cached after). null for a layer with no such filters.
 */
export function filterSection(cell) {
  const layer = FILTER_OF[cell?.layer];
  if (!layer) return null;
  const box = el("section", { className: "fk-section" });
  box.dataset.testid = "filter-knowledge";
  box.dataset.layer = layer;
  box.dataset.filter = cell.c;
  const title = el("strong", { textContent: `This filter (${layer} #${cell.c}, final weights) responds to… ` });
  const words = el("span", { textContent: "Loading…" });
  const note = el("p", { className: "muted fk-caption" }, title, words);
  const pair = el("div", { className: "fk-pair" }, note);
  box.append(pair);
  getFilters(layer).then((body) => {
    const f = body.filters[cell.c];
    if (!f) {
      words.textContent = `No figures for filter ${cell.c}.`;
      return;
    }
    const rf = body.receptive_field;
    words.textContent = `Left: an input made by gradient ascent to excite it; right: the 9 windows of training digits (${rf}×${rf} pixels) that excite it most.`;
    pair.append(ascentCanvas(f, 70, layer), patchGrid(f, 22, layer));
    box.dataset.ready = "true";
  }, (err) => {
    words.textContent = `Could not load what this filter looks for: ${err.message}`;
  });
  return box;
}
