// The network, layer by layer: feature maps as pixel grids, dense layers as rows of cells,
// highlighted source windows and Harley-style lines. Render module: update(state).
import { dims, isMap, flatIndex } from "./geometry.js";
import { absMax, fillPixels } from "./colour.js";

const SIGNED_KINDS = new Set(["conv", "dense"]); // pre-activations: diverging scale
const PRE_ACTIVATION = SIGNED_KINDS;
const MAP_TARGET_PX = 84; // a feature map is drawn about this many CSS pixels high
const CELL_PX = 12; // a dense unit's cell

/** Columns of the grid a vector of n units is wrapped into. */
export function gridColumns(n) {
  return n <= 10 ? n : Math.ceil(Math.sqrt(n * 5));
}

function caption(g) {
  const shape = g.output_shape.join("x");
  switch (g.kind) {
    case "input":
      return `input · the network's view of your drawing · ${shape}`;
    case "conv":
      return `${g.name} · ${g.output_shape[0]} filters ${g.kernel}x${g.kernel} · stride ${g.stride} · ${shape}`;
    case "relu":
      return `${g.name} · ReLU max(0, z) · ${shape}`;
    case "maxpool":
      return `${g.name} · max pool ${g.kernel}x${g.kernel} · stride ${g.stride} · ${shape}`;
    case "dense":
      return `${g.name} · fully connected · ${g.input_shape.reduce((a, b) => a * b, 1)} → ${shape}`;
    case "softmax":
      return `${g.name} · probabilities · ${shape}`;
    default:
      return `${g.name} · ${shape}`;
  }
}

export class NetworkView {
  /** root: the stage element; model: GET /api/model; handlers: {hover, pin, leave}. */
  constructor(root, model, handlers) {
    this.root = root;
    this.layers = model.layers;
    this.handlers = handlers;
    this.views = {};
    this.content = document.createElement("div");
    this.content.className = "stage-content";
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.svg.classList.add("edges");
    this.svg.setAttribute("aria-hidden", "true");
    root.append(this.content);
    this.content.append(this.svg);
    for (const g of this.layers) this.build(g);
  }

  build(g) {
    const section = document.createElement("section");
    section.className = `layer layer-${g.kind}`;
    section.dataset.testid = `layer-${g.name}`;
    section.dataset.layer = g.name;
    if (PRE_ACTIVATION.has(g.kind)) section.classList.add("pre-activation");
    const h = document.createElement("h3");
    h.textContent = caption(g);
    const maps = document.createElement("div");
    maps.className = "maps";
    section.append(h, maps);
    const [n, mh, mw] = dims(g);
    const view = { g, section, maps: [], signed: SIGNED_KINDS.has(g.kind) };
    if (isMap(g)) {
      const scale = Math.max(2, Math.round(MAP_TARGET_PX / mh));
      for (let c = 0; c < n; c++) view.maps.push(this.mapCanvas(g, c, mw, mh, mw * scale, mh * scale, maps));
    } else {
      const cols = gridColumns(n);
      const rows = Math.ceil(n / cols);
      view.cols = cols;
      const m = this.mapCanvas(g, 0, cols, rows, cols * CELL_PX, rows * CELL_PX, maps);
      m.wrap.classList.add("units");
      if (n <= 10) {
        const labels = document.createElement("div");
        labels.className = "unit-labels";
        labels.style.width = `${cols * CELL_PX * 2}px`;
        for (let i = 0; i < n; i++) labels.append(Object.assign(document.createElement("span"), { textContent: i }));
        m.canvas.style.width = `${cols * CELL_PX * 2}px`;
        m.canvas.style.height = `${CELL_PX * 2}px`;
        m.wrap.append(labels);
      }
      view.maps.push(m);
    }
    this.views[g.name] = view;
    this.content.append(section);
  }

  mapCanvas(g, c, w, h, cssW, cssH, parent) {
    const wrap = document.createElement("div");
    wrap.className = "map";
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH}px`;
    canvas.dataset.layer = g.name;
    canvas.dataset.channel = c;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", isMap(g) ? `${g.name} map ${c}` : `${g.name} units`);
    wrap.append(canvas);
    parent.append(wrap);
    canvas.addEventListener("pointermove", (e) => this.handlers.hover(this.cellAt(g, c, canvas, e)));
    canvas.addEventListener("click", (e) => this.handlers.pin(this.cellAt(g, c, canvas, e)));
    canvas.addEventListener("pointerleave", () => this.handlers.leave());
    return { wrap, canvas, image: canvas.getContext("2d").createImageData(w, h) };
  }

  /** The cell under a pointer event on map c of layer g. */
  cellAt(g, c, canvas, e) {
    const r = canvas.getBoundingClientRect();
    const col = Math.min(canvas.width - 1, Math.floor(((e.clientX - r.left) / r.width) * canvas.width));
    const row = Math.min(canvas.height - 1, Math.floor(((e.clientY - r.top) / r.height) * canvas.height));
    if (isMap(g)) return { layer: g.name, c, y: Math.max(0, row), x: Math.max(0, col) };
    const i = Math.min(dims(g)[0] - 1, Math.max(0, row) * canvas.width + Math.max(0, col));
    return { layer: g.name, c: i, y: 0, x: 0 };
  }

  /** Repaint every layer from state.data.layers; normalise "map" or "layer". */
  update(state) {
    const data = state.data?.layers;
    for (const g of this.layers) {
      const view = this.views[g.name];
      view.section.hidden = !state.showPre && PRE_ACTIVATION.has(g.kind);
      if (!data || !data[g.name]) continue;
      const values = data[g.name];
      const [n, h, w] = dims(g);
      if (isMap(g)) {
        const per = h * w;
        const layerMax = state.normalise === "layer" ? absMax(values) : 0;
        view.maps.forEach((m, c) => {
          const limit = layerMax || absMax(values, c * per, (c + 1) * per);
          fillPixels(m.image.data, values, c * per, per, view.signed, limit);
          m.canvas.getContext("2d").putImageData(m.image, 0, 0);
        });
      } else {
        const m = view.maps[0];
        m.image.data.fill(0);
        fillPixels(m.image.data, values, 0, n, view.signed, absMax(values));
        for (let i = n; i < m.canvas.width * m.canvas.height; i++) m.image.data[4 * i + 3] = 0;
        m.canvas.getContext("2d").putImageData(m.image, 0, 0);
      }
    }
  }

  /** Box over a block of cells of one map; returns the element. */
  box(layerName, c, y, x, h, w, cls, attrs = {}) {
    const view = this.views[layerName];
    const g = view.g;
    let map = view.maps[isMap(g) ? c : 0];
    let [mh, mw, top, left] = [dims(g)[1], dims(g)[2], y, x];
    if (!isMap(g)) { // a unit in the wrapped grid
      mw = view.cols;
      mh = Math.ceil(dims(g)[0] / mw);
      top = Math.floor(c / mw);
      left = c % mw;
      [h, w] = [1, 1];
    }
    const el = document.createElement("div");
    el.className = `box ${cls}`;
    Object.assign(el.style, {
      left: `${(left / mw) * 100}%`, top: `${(top / mh) * 100}%`,
      width: `${(w / mw) * 100}%`, height: `${(h / mh) * 100}%`,
    });
    for (const [k, v] of Object.entries(attrs)) el.dataset[k] = v;
    map.wrap.append(el);
    return el;
  }

  clearHighlight() {
    this.content.querySelectorAll(".box").forEach((b) => b.remove());
    this.svg.replaceChildren();
  }

  /**
   * Highlight a selection: sel = {cell, windows: [{layer, c, y, x, h, w, winner?}],
   * field: {y, x, h, w} in the input, pinned}.
   */
  highlight(sel) {
    this.clearHighlight();
    if (!sel) return;
    const { cell } = sel;
    const target = this.box(cell.layer, cell.c, cell.y, cell.x, 1, 1, sel.pinned ? "cell pinned" : "cell");
    const boxes = [];
    for (const w of sel.windows) {
      if (this.views[w.layer].section.hidden) continue;
      const el = this.box(w.layer, w.c, w.y, w.x, w.h, w.w, "source", {
        testid: "source-window", layer: w.layer, channel: w.c, y: w.y, x: w.x, h: w.h, w: w.w,
      });
      boxes.push(el);
      if (w.winner) this.box(w.layer, w.c, w.winner.y, w.winner.x, 1, 1, "winner");
    }
    if (sel.field && !this.views[sel.field.layer].section.hidden) {
      const f = sel.field;
      this.box(f.layer, 0, f.y, f.x, f.h, f.w, "field");
    }
    this.edges(target, boxes);
  }

  /** Lines from the cell to the corners of each source window, as Harley draws edges. */
  edges(target, boxes) {
    const base = this.content.getBoundingClientRect();
    this.svg.setAttribute("width", this.content.scrollWidth);
    this.svg.setAttribute("height", this.content.scrollHeight);
    const t = target.getBoundingClientRect();
    const [tx, ty] = [t.left + t.width / 2 - base.left, t.top + t.height / 2 - base.top];
    for (const el of boxes.slice(0, 16)) {
      const r = el.getBoundingClientRect();
      const corners = [[r.left, r.top], [r.right, r.top], [r.left, r.bottom], [r.right, r.bottom]];
      for (const [cx, cy] of corners) {
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", tx);
        line.setAttribute("y1", ty);
        line.setAttribute("x2", cx - base.left);
        line.setAttribute("y2", cy - base.top);
        this.svg.append(line);
      }
    }
  }

  flatIndex(layerName, c, y, x) {
    return flatIndex(this.views[layerName].g, c, y, x);
  }
}
