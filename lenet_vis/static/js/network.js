// The whole network as one picture: each layer's maps (or nodes) placed by layout.js in the
// room the stage has, the ten labelled outputs at the end, and on a selection its source
// windows, its receptive field and its edges. Render module: update(state), highlight(sel).
import { dims, isMap, indexLayers } from "./geometry.js";
import { absMax, fillPixels } from "./colour.js";
import { slotsOf, layoutNetwork, cellCentre } from "./layout.js";
import { EdgeLayer } from "./edges.js";

const SIGNED_KINDS = new Set(["conv", "dense"]); // pre-activations: diverging scale
const TALL_BELOW = 640; // stage px: narrower than this, the network flows top to bottom

/** Caption lines of a layer: [name, what it does..., shape]. Short and exact. */
export function caption(g, byName, layers) {
  const shape = g.output_shape.join("x");
  const size = (name) => byName[name].output_shape.reduce((a, b) => a * b, 1);
  const src = g.source ? byName[g.source] : null;
  const next = layers[layers.findIndex((l) => l.name === g.name) + 1];
  const beforeRelu = next?.kind === "relu";
  const filters = (c) => [`${c.output_shape[0]} filters ${c.kernel}x${c.kernel}`, `stride ${c.stride}`];
  switch (g.kind) {
    case "input":
      return ["input", "what the network sees", shape];
    case "conv":
      return [beforeRelu ? `${g.name} pre-ReLU` : g.name, ...filters(g), shape];
    case "relu":
      if (src.kind === "conv") return [`${src.name} + ReLU`, ...filters(src), shape];
      return [src.name, "+ ReLU", `${size(src.source)}→${size(src.name)}`];
    case "maxpool":
      return [g.name, `max ${g.kernel}x${g.kernel}`, `stride ${g.stride}`, shape];
    case "dense":
      return [g.name, beforeRelu ? "pre-ReLU" : "logits", `${size(g.source)}→${size(g.name)}`];
    case "softmax":
      return ["output", "softmax", "p(digit)"];
    default:
      return [g.name, "", shape];
  }
}

export class NetworkView {
  /** root: the stage element; model: GET /api/model; handlers: {hover(cell, e), pin(cell), leave()}. */
  constructor(root, model, handlers) {
    this.root = root;
    this.layers = model.layers;
    this.byName = indexLayers(model.layers);
    this.handlers = handlers;
    this.slots = slotsOf(model.layers);
    this.slotIndex = {};
    this.slots.forEach((s, i) => s.names.forEach((n) => { this.slotIndex[n] = i; }));
    this.views = {};
    this.layout = null;
    this.state = null;
    this.selection = null;
    this.diagram = Object.assign(document.createElement("div"), { className: "diagram" });
    const overlay = Object.assign(document.createElement("canvas"), { className: "edges" });
    overlay.setAttribute("aria-hidden", "true");
    this.edgeLayer = new EdgeLayer(overlay);
    this.diagram.append(overlay);
    for (const g of this.layers) this.build(g);
    root.append(this.diagram);
    this.observer = new ResizeObserver(() => this.relayout());
    this.observer.observe(root);
    this.relayout();
  }

  /** The layer shown in a slot: the ReLU, or its pre-activations when showPre. */
  shown(slot, showPre) {
    return slot.names.length > 1 && !showPre ? slot.names[1] : slot.names[0];
  }

  /** Names of the layers on screen, in network order. */
  visibleLayers(showPre) {
    return this.slots.map((s) => this.shown(s, showPre));
  }

  /** The slot a layer is drawn in. */
  slotOf(name) {
    return this.slots[this.slotIndex[name]];
  }

  build(g) {
    const section = document.createElement("section");
    section.className = `layer layer-${g.kind}`;
    section.dataset.testid = `layer-${g.name}`;
    section.dataset.layer = g.name;
    const lines = caption(g, this.byName, this.layers);
    const h = document.createElement("h3");
    h.title = lines.join(" · ");
    h.append(...lines.map((t, i) => Object.assign(document.createElement("span"), { textContent: t, className: i === 0 ? "name" : "" })));
    section.append(h);
    const [n, mh, mw] = dims(g);
    const view = { g, section, caption: h, maps: [], signed: SIGNED_KINDS.has(g.kind) };
    if (isMap(g)) {
      for (let c = 0; c < n; c++) view.maps.push(this.mapCanvas(g, c, mw, mh, section));
    } else {
      const m = this.mapCanvas(g, 0, 1, 1, section);
      m.wrap.classList.add("units");
      view.maps.push(m);
      if (g === this.layers[this.layers.length - 1]) view.outputs = this.outputLabels(section, n);
    }
    this.views[g.name] = view;
    this.diagram.append(section);
  }

  /** The ten labels (0-9) with a bar and the probability beside each output node. */
  outputLabels(section, n) {
    const list = document.createElement("ol");
    list.className = "outputs";
    list.setAttribute("aria-label", "Probability of each digit");
    const rows = [];
    for (let i = 0; i < n; i++) {
      const li = document.createElement("li");
      const label = Object.assign(document.createElement("span"), { className: "label", textContent: i });
      label.dataset.testid = "output-label";
      const bar = Object.assign(document.createElement("span"), { className: "bar" });
      const pct = Object.assign(document.createElement("span"), { className: "pct" });
      li.append(label, bar, pct);
      list.append(li);
      rows.push({ li, bar, pct });
    }
    section.append(list);
    return { list, rows };
  }

  mapCanvas(g, c, w, h, section) {
    const wrap = document.createElement("div");
    wrap.className = "map";
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    canvas.dataset.layer = g.name;
    canvas.dataset.channel = c;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", isMap(g) ? `${g.name} map ${c}` : `${g.name} units`);
    wrap.append(canvas);
    section.append(wrap);
    canvas.addEventListener("pointermove", (e) => this.handlers.hover(this.cellAt(g, c, canvas, e), e));
    canvas.addEventListener("click", (e) => this.handlers.pin(this.cellAt(g, c, canvas, e)));
    canvas.addEventListener("pointerleave", () => this.handlers.leave());
    const ctx = canvas.getContext("2d");
    return { wrap, canvas, ctx, image: ctx.createImageData(w, h) };
  }

  /** The cell under a pointer event on map c of layer g. */
  cellAt(g, c, canvas, e) {
    const r = canvas.getBoundingClientRect();
    const col = Math.max(0, Math.min(canvas.width - 1, Math.floor(((e.clientX - r.left) / r.width) * canvas.width)));
    const row = Math.max(0, Math.min(canvas.height - 1, Math.floor(((e.clientY - r.top) / r.height) * canvas.height)));
    if (isMap(g)) return { layer: g.name, c, y: row, x: col };
    return { layer: g.name, c: Math.min(dims(g)[0] - 1, row * canvas.width + col), y: 0, x: 0 };
  }

  /** Place everything for the stage's present size. */
  relayout() {
    const width = this.root.clientWidth;
    if (!width) return;
    const tall = width < TALL_BELOW;
    const L = layoutNetwork(this.slots, width, this.root.clientHeight, tall ? "tall" : "wide");
    this.layout = L;
    this.root.classList.toggle("tall", tall);
    this.diagram.style.height = `${L.height}px`;
    if (tall) this.root.style.height = `${L.height}px`;
    else this.root.style.removeProperty("height");
    const px = (v) => `${Math.round(v * 10) / 10}px`;
    for (const slot of L.slots) {
      for (const name of slot.names) {
        const view = this.views[name];
        const cap = slot.caption;
        const left = Math.max(0, Math.min(cap.x, slot.x));
        const right = Math.min(width, Math.max(cap.x + cap.w, slot.x + slot.w));
        const top = cap.y;
        Object.assign(view.section.style, { left: px(left), top: px(top), width: px(right - left), height: px(slot.y + slot.h - top) });
        Object.assign(view.caption.style, { left: px(Math.max(0, cap.x) - left), top: "0px", width: px(Math.min(width, cap.x + cap.w) - Math.max(0, cap.x)), height: px(cap.h) });
        slot.maps.forEach((m, i) => {
          const map = view.maps[i];
          Object.assign(map.wrap.style, { left: px(m.x - left), top: px(m.y - top), width: px(m.w), height: px(m.h) });
        });
        if (!slot.map) {
          const m = view.maps[0];
          const { c, rows, side } = slot.grid;
          if (m.canvas.width !== c || m.canvas.height !== rows) {
            m.canvas.width = c;
            m.canvas.height = rows;
            m.image = m.ctx.createImageData(c, rows);
          }
          m.wrap.style.setProperty("--node", `${side}px`);
          if (view.outputs) this.placeOutputs(view, slot, left, top);
        }
      }
    }
    this.edgeLayer.resize(width, L.height);
    if (this.state) this.update(this.state);
    this.highlight(this.selection);
  }

  /** Labels beside the output nodes (wide) or under them (tall). */
  placeOutputs(view, slot, left, top) {
    const m = slot.maps[0];
    const list = view.outputs.list;
    const tall = this.layout.orientation === "tall";
    list.classList.toggle("across", tall);
    const side = slot.grid.side;
    Object.assign(list.style, tall
      ? { left: `${m.x - left}px`, top: `${m.y + m.h - top}px`, width: `${m.w}px`, height: "auto", "--row": `${side}px` }
      : { left: `${m.x + m.w - left + 4}px`, top: `${m.y - top}px`, width: `${slot.w - m.w - 4}px`, height: `${m.h}px`, "--row": `${side}px` });
    list.style.setProperty("--row", `${side}px`);
  }

  /** Repaint every layer from state.data.layers (blank when there is none). */
  update(state) {
    this.state = state;
    const data = state.data && !state.data.blank ? state.data.layers : null;
    for (const g of this.layers) {
      const view = this.views[g.name];
      const slot = this.slotOf(g.name);
      const hidden = this.shown(slot, state.showPre) !== g.name;
      if (view.section.hidden !== hidden) view.section.hidden = hidden;
      if (hidden && !view.painted) continue;
      const values = data?.[g.name];
      const [n, h, w] = dims(g);
      if (isMap(g)) {
        const per = h * w;
        const layerMax = values && state.normalise === "layer" ? absMax(values) : 0;
        view.maps.forEach((m, c) => {
          if (values) fillPixels(m.image.data, values, c * per, per, view.signed, layerMax || absMax(values, c * per, (c + 1) * per));
          else blank(m.image.data);
          m.ctx.putImageData(m.image, 0, 0);
        });
      } else {
        const m = view.maps[0];
        blank(m.image.data);
        if (values) fillPixels(m.image.data, values, 0, n, view.signed, absMax(values));
        for (let i = n; i < m.canvas.width * m.canvas.height; i++) m.image.data[4 * i + 3] = 0;
        m.ctx.putImageData(m.image, 0, 0);
        if (view.outputs) this.updateOutputs(view, values, state.data);
      }
      view.painted = !!values;
    }
  }

  /** The ten output rows; only what changed is written (this runs on every answer while drawing). */
  updateOutputs(view, values, data) {
    const best = values ? data.prediction : -1;
    view.outputs.rows.forEach((r, i) => {
      const p = values ? values[i] : 0;
      const width = p.toFixed(4);
      const text = values ? `${Math.round(100 * p)}%` : "";
      if (r.width !== width) r.bar.style.setProperty("--p", (r.width = width));
      if (r.text !== text) r.pct.textContent = r.text = text;
      if (r.best !== (i === best)) r.li.classList.toggle("best", (r.best = i === best));
    });
  }

  /** Box over a block of cells of one map of the slot that shows `layerName`; returns it. */
  box(layerName, c, y, x, h, w, cls, attrs = {}) {
    const slot = this.slotOf(layerName);
    const name = this.shown(slot, this.state?.showPre ?? false);
    const view = this.views[name];
    const g = view.g;
    const map = view.maps[isMap(g) ? c : 0];
    let [mh, mw, top, left] = [dims(g)[1], dims(g)[2], y, x];
    if (!isMap(g)) { // a unit in the grid of nodes
      mw = map.canvas.width;
      mh = map.canvas.height;
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
    this.diagram.querySelectorAll(".box").forEach((b) => b.remove());
    this.edgeLayer.clear();
    delete this.root.dataset.edgeCount;
    delete this.root.dataset.edgeSources;
  }

  /**
   * Show a selection (see describe.js): a ring on the cell, its source windows (the winner of a
   * max pool marked), its receptive field on the input, and an edge to every cell it reads.
   * The stage says what it drew: data-edge-count and data-edge-sources ("layer:count").
   */
  highlight(sel) {
    this.selection = sel;
    this.clearHighlight();
    if (!sel || !this.layout) return null;
    const { cell } = sel;
    const ring = this.box(cell.layer, cell.c, cell.y, cell.x, 1, 1, sel.pinned ? "cell pinned" : "cell");
    for (const w of sel.windows) {
      this.box(w.layer, w.c, w.y, w.x, w.h, w.w, "source", {
        testid: "source-window", layer: w.layer, channel: w.c, y: w.y, x: w.x, h: w.h, w: w.w,
      });
      if (w.winner) this.box(w.layer, w.c, w.winner.y, w.winner.x, 1, 1, "winner");
    }
    if (sel.field && isMap(this.byName[cell.layer]) && this.byName[cell.layer].source) {
      const f = sel.field;
      this.box(f.layer, 0, f.y, f.x, f.h, f.w, "field");
    }
    const target = cellCentre(this.layout.slots[this.slotIndex[cell.layer]], cell.c, cell.y, cell.x);
    const counts = {};
    const edges = sel.edges.map((e) => {
      counts[e.layer] = (counts[e.layer] || 0) + 1;
      return { ...e, from: cellCentre(this.layout.slots[this.slotIndex[e.layer]], e.c, e.y, e.x) };
    });
    this.edgeLayer.draw(target, edges);
    this.root.dataset.edgeCount = edges.length;
    this.root.dataset.edgeSources = Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(" ");
    return ring;
  }
}

function blank(pixels) {
  pixels.fill(0);
  for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
}
