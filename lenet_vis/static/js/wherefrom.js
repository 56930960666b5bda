// "Where from": the person's drawing among the training digits. The 8 nearest in the network's
// fc2 space (read alike) beside the 8 nearest in raw pixels (look alike), and the map of 10,000
// training digits with the drawing placed on it. One POST /api/knowledge/neighbours per answered
// prediction gives both (its answer carries the map position); at most one is in flight, and
// the newest drawing goes next. GET /api/knowledge/map once, GET /api/knowledge/digits/{row}
// once per hovered point.
import { grayCanvas, problem, filesMissing } from "./filterknowledge.js";
import {
  PALETTE, YOURS, fitView, project, projectAll, clampToView, nearestPoint, labelCentres, pointPixels,
  drawOrder, digitWords, surroundings, surroundingsWords,
} from "./knowledgemap.js";

const MARKER = "#ffffff";
const HIT_RADIUS = 9; // CSS px

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};
const tid = (e, id) => {
  e.dataset.testid = id;
  return e;
};

async function getJSON(url, init) {
  const r = await fetch(url, init);
  const body = await r.json();
  if (!r.ok) throw Object.assign(new Error(problem(body, r)), { status: r.status });
  return body;
}

export class WhereFrom {
  /**
   * body: the panel's (hidden) body; toggle: its button; opts.pad: the DrawPad;
   * opts.onPick(digit): a training digit was chosen (the page puts it on the pad).
   */
  constructor(body, toggle, { pad, onPick }) {
    this.body = body;
    this.toggle = toggle;
    this.pad = pad;
    this.onPick = onPick;
    this.open = false;
    this.busy = false;
    this.dirty = false;
    this.generation = 0; // bumped by a clear: answers for older drawings are dropped
    this.map = null; // GET /map, with the projected points
    this.mapLoading = null;
    this.position = null; // the drawing's map position
    this.digits = new Map(); // row -> Promise of GET /digits/{row}
    this.hovered = -1;
    this.cursor = null; // keyboard cursor, canvas CSS px
    this.build();
    toggle.addEventListener("click", () => this.setOpen(!this.open));
  }

  build() {
    const close = el("button", { type: "button", className: "wf-close", textContent: "×" });
    close.setAttribute("aria-label", "Close Where from");
    close.addEventListener("click", () => { this.setOpen(false); this.toggle.focus(); });
    const head = el("div", { className: "wf-head" }, el("h2", { textContent: "Where from: your digit among the training digits" }), close);
    this.status = tid(el("p", { className: "wf-status" }), "wherefrom-status");
    this.status.setAttribute("aria-live", "polite");
    this.rows = {};
    const rowBox = (key, title, what) => {
      const list = tid(el("ol", { className: "wf-digits" }), `neighbours-${key}`);
      this.rows[key] = list;
      return el("div", { className: "wf-row" }, el("h3", {}, el("span", { textContent: title }), el("span", { className: "wf-what", textContent: what })), list);
    };
    const explainer = el("p", { className: "wf-note", textContent:
      "Read alike: the training digits whose fc2 outputs (the network's last hidden layer) point the same way as yours, the ones it treats as the same. Look alike: the closest by raw pixels, ink on ink. Where the rows differ, the network goes by the strokes' shapes it learned, not by overlap." });
    const neighbours = el("section", { className: "wf-neighbours" },
      rowBox("fc2", "Read alike", " · nearest in the network's fc2 space (cosine)"),
      rowBox("pixels", "Look alike", " · nearest in raw pixels"),
      explainer);
    // the map: points on one canvas, the marker and hover ring on a second over it
    this.base = tid(el("canvas", { className: "wf-map-base" }), "knowledge-map");
    this.overlay = tid(el("canvas", { className: "wf-map-overlay", tabIndex: 0 }), "knowledge-map-overlay");
    this.overlay.setAttribute("role", "img");
    this.overlay.setAttribute("aria-label", "Map of 10,000 training digits, coloured by label. Arrow keys move a cursor to read the nearest digit; Enter puts it on the pad; Home goes to your digit.");
    this.tip = tid(el("div", { className: "wf-tip", hidden: true }), "map-tooltip");
    this.tip.setAttribute("aria-live", "polite");
    this.mapWrap = el("div", { className: "wf-map" }, this.base, this.overlay, this.tip);
    const legend = tid(el("ul", { className: "wf-legend" }), "map-legend");
    PALETTE.forEach((c, d) => {
      const sw = el("span", { className: "wf-swatch" });
      sw.style.background = c;
      legend.append(el("li", {}, sw, String(d)));
    });
    legend.append(el("li", { className: "wf-key-mistake" }, el("span", { className: "wf-ring" }), "read wrongly"),
      el("li", { className: "wf-key-you" }, el("span", { className: "wf-you" }), "your digit"));
    this.mapNote = el("p", { className: "wf-note" });
    const mapBox = el("section", { className: "wf-map-box" },
      el("h3", {}, el("span", { textContent: "The map" }), el("span", { className: "wf-what", textContent: " · 10,000 training digits as the network sees them" })),
      this.mapWrap, legend, this.mapNote);
    this.body.append(head, this.status, neighbours, mapBox);
    this.overlay.addEventListener("pointermove", (e) => this.onPointer(e, false));
    this.overlay.addEventListener("pointerdown", (e) => this.onPointer(e, e.pointerType !== "mouse"));
    this.overlay.addEventListener("pointerleave", (e) => { if (e.pointerType === "mouse" && !this.tipPinned) this.showTip(-1); });
    this.overlay.addEventListener("click", (e) => this.onPointer(e, true));
    this.overlay.addEventListener("keydown", (e) => this.onKey(e));
    this.overlay.addEventListener("blur", () => { if (!this.tipPinned) this.showTip(-1); });
    // Escape closes the drawer (the map's own Escape first hides its cursor)
    this.body.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      this.setOpen(false);
      this.toggle.focus();
    });
    this.resizer = new ResizeObserver(() => this.layoutMap());
    this.resizer.observe(this.mapWrap);
  }

  setOpen(open) {
    this.open = open;
    this.unavailable = false;
    this.toggle.setAttribute("aria-pressed", String(open));
    this.toggle.setAttribute("aria-expanded", String(open));
    this.body.hidden = !open;
    if (open) {
      this.loadMap();
      this.refresh();
    }
  }

  // ------------------------------------------------------------ requests

  /** A new prediction was shown (or the pad cleared): ask again for the newest drawing. */
  refresh() {
    if (this.pad.isEmpty) {
      this.generation++;
      this.dirty = false;
      this.clearResults();
      return;
    }
    if (!this.open) return; // opening asks
    if (this.unavailable) return;
    this.dirty = true;
    this.pump();
  }

  async pump() {
    if (this.busy || !this.dirty || !this.open) return;
    this.busy = true;
    this.dirty = false;
    this.body.setAttribute("aria-busy", "true");
    const generation = this.generation;
    const started = performance.now();
    try {
      const body = await getJSON("/api/knowledge/neighbours", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(this.pad.imageBody()),
      });
      if (generation === this.generation && !this.pad.isEmpty) this.show(body);
    } catch (err) {
      this.status.textContent = `The server said: ${err.message}`;
      // the precomputed files are missing: not asked again until the panel is opened again
      if (filesMissing(err)) this.unavailable = true;
    } finally {
      performance.measure("wherefrom-request", { start: started, end: performance.now() });
      this.busy = false;
      this.body.setAttribute("aria-busy", String(this.dirty));
    }
    this.pump();
  }

  loadMap() {
    const asked = performance.now();
    this.mapLoading ??= getJSON("/api/knowledge/map").then((m) => {
      performance.measure("knowledge-map-fetch", { start: asked, end: performance.now() });
      this.map = { ...m, order: drawOrder(m.count), centres: labelCentres(m.positions, m.labels), isMistake: new Set(m.mistakes) };
      this.layoutMap();
      if (this.shown && this.position) this.say(this.shown);
    }).catch((err) => {
      this.mapLoading = null;
      this.mapNote.textContent = `The map could not be loaded: ${err.message}`;
    });
    return this.mapLoading;
  }

  digit(row) {
    if (!this.digits.has(row)) {
      const p = getJSON(`/api/knowledge/digits/${row}`);
      p.catch(() => this.digits.delete(row));
      this.digits.set(row, p);
    }
    return this.digits.get(row);
  }

  // ------------------------------------------------------------ the neighbours

  clearResults() {
    for (const list of Object.values(this.rows)) list.replaceChildren();
    this.position = null;
    this.shown = null;
    this.status.textContent = this.open ? "Draw a digit to see the training digits it is close to." : "";
    delete this.body.dataset.prediction;
    this.drawOverlay();
  }

  /** The status line for an answer (again when the map arrives after it: where it falls). */
  say(body) {
    this.shown = body;
    const same = body.fc2.filter((d) => d.label === body.prediction).length;
    const m = this.map;
    const where = m ? surroundingsWords(surroundings(m.positions, m.labels, body.position)) : "";
    this.status.textContent = `The trained network reads ${body.prediction}; ${same} of the 8 training digits it reads most alike are ${body.prediction}s${where ? `, and on the map it falls ${where}` : ""}.`;
  }

  show(body) {
    if (body.blank) {
      this.clearResults();
      return;
    }
    for (const key of ["fc2", "pixels"]) {
      this.rows[key].replaceChildren(...body[key].map((d) => this.neighbourItem(d, key)));
    }
    this.say(body);
    this.body.dataset.prediction = String(body.prediction);
    this.position = body.position;
    this.drawOverlay();
  }

  neighbourItem(d, key) {
    const img = grayCanvas(d.image, 32, "neighbour-image");
    const wrong = d.prediction !== d.label;
    const caption = el("span", { className: "wf-label" }, String(d.label));
    if (wrong) caption.append(el("span", { className: "wf-read", textContent: ` read ${d.prediction}` }));
    const how = key === "fc2" ? `cosine ${d.similarity.toFixed(3)}` : `distance ${d.distance.toFixed(2)}`;
    const b = el("button", { type: "button", className: "wf-digit" }, img, caption);
    b.title = `Training digit #${d.index}, ${digitWords(d)} (${how}). Click to put it on the pad.`;
    b.setAttribute("aria-label", `Training digit ${digitWords(d)}, ${how}; put it on the pad`);
    Object.assign(b.dataset, { label: d.label, prediction: d.prediction, row: d.row });
    b.addEventListener("click", () => this.onPick?.(d));
    return el("li", {}, b);
  }

  // ------------------------------------------------------------ the map

  /** Size both canvases to the box (device pixels) and draw the points once. */
  layoutMap() {
    const side = Math.floor(this.mapWrap.clientWidth);
    if (!side || !this.map) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const m = this.map;
    if (m.view?.width === side && m.dpr === dpr) return;
    const t0 = performance.now();
    m.dpr = dpr;
    m.view = fitView(m.bounds, side, side, 10);
    Object.assign(m, projectAll(m.view, m.positions));
    for (const c of [this.base, this.overlay]) {
      c.width = c.height = Math.round(side * dpr);
      c.style.width = c.style.height = `${side}px`;
    }
    this.overlay.dataset.view = JSON.stringify(m.view);
    const w = this.base.width;
    const size = Math.max(2, Math.round(2 * dpr));
    const xs = m.xs.map((v) => v * dpr);
    const ys = m.ys.map((v) => v * dpr);
    const ctx = this.base.getContext("2d");
    ctx.putImageData(new ImageData(pointPixels(xs, ys, m.labels, w, w, size, m.order), w, w), 0, 0);
    // the mistakes: a white ring each
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = dpr;
    ctx.beginPath();
    for (const i of m.mistakes) {
      ctx.moveTo(xs[i] + 4 * dpr, ys[i]);
      ctx.arc(xs[i], ys[i], 4 * dpr, 0, 2 * Math.PI);
    }
    ctx.stroke();
    // each digit's name at the middle of its points
    ctx.font = `700 ${Math.round(14 * dpr)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3 * dpr;
    ctx.strokeStyle = "#000";
    m.centres.forEach((c, d) => {
      if (!c) return;
      const [x, y] = project(m.view, c);
      ctx.strokeText(String(d), x * dpr, y * dpr);
      ctx.fillStyle = "#fff";
      ctx.fillText(String(d), x * dpr, y * dpr);
    });
    this.base.dataset.ready = "true";
    performance.measure("knowledge-map-draw", { start: t0, end: performance.now() });
    const method = m.method.replace(/\brelu4\b/g, "fc2 + ReLU").replace(/\s*\(2-D\)\s*$/, "");
    this.mapNote.textContent = `Each dot is a training digit, placed by its fc2 outputs through one fixed 2-D projection, ${method}: digits the network reads alike lie together. Yours goes through the same projection on the server. Hover, tap or use the arrow keys to see a digit.`;
    this.drawOverlay();
  }

  /** The drawing's marker and the hovered point's ring. */
  drawOverlay() {
    const m = this.map;
    const c = this.overlay;
    const ctx = c.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, c.width, c.height);
    if (!m?.view) return;
    const dpr = m.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.hovered >= 0) {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(m.xs[this.hovered], m.ys[this.hovered], 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (this.cursor) {
      const [x, y] = this.cursor;
      ctx.strokeStyle = "rgba(255,255,255,.6)";
      ctx.lineWidth = 1;
      ctx.strokeRect(x - HIT_RADIUS, y - HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS);
    }
    delete c.dataset.markerX;
    delete c.dataset.markerY;
    if (!this.position) {
      this.mapNote.dataset.outside = "false";
      return;
    }
    const [x, y, outside] = clampToView(m.view, project(m.view, this.position), 9);
    // a reticle: a ring in the accent colour (no label's colour) with four ticks, round a white
    // dot, outlined in black: a shape no point or mistake ring has, seen on any colour
    const reticle = () => {
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        ctx.moveTo(x + 8 * dx, y + 8 * dy);
        ctx.lineTo(x + 14 * dx, y + 14 * dy);
      }
    };
    ctx.lineCap = "round";
    ctx.lineWidth = 5;
    ctx.strokeStyle = "#000";
    reticle();
    ctx.stroke();
    ctx.lineWidth = 3;
    ctx.strokeStyle = YOURS;
    ctx.stroke();
    ctx.lineCap = "butt";
    ctx.fillStyle = MARKER;
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fill();
    // a digit's name the marker covers (a drawn 7 lands on the 7s' middle) goes up and right of it
    ctx.font = "700 14px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#000";
    ctx.fillStyle = "#fff";
    m.centres?.forEach((centre, d) => {
      if (!centre) return;
      const [cx, cy] = project(m.view, centre);
      if (Math.hypot(cx - x, cy - y) > 13) return;
      ctx.strokeText(String(d), x + 17, y - 13);
      ctx.fillText(String(d), x + 17, y - 13);
    });
    c.dataset.markerX = x.toFixed(2);
    c.dataset.markerY = y.toFixed(2);
    this.mapNote.dataset.outside = String(outside);
  }

  onPointer(e, pin) {
    const m = this.map;
    if (!m?.xs) return;
    const r = this.overlay.getBoundingClientRect();
    const [px, py] = [e.clientX - r.left, e.clientY - r.top];
    const i = nearestPoint(m.xs, m.ys, px, py, HIT_RADIUS);
    if (e.type === "pointermove" && this.tipPinned) {
      // a pinned tooltip stays while the pointer is near its point (on the way to its button)
      const h = this.hovered;
      if (e.pointerType !== "mouse" || (h >= 0 && Math.hypot(m.xs[h] - px, m.ys[h] - py) < 40)) return;
      pin = false;
    }
    this.cursor = null;
    this.tipPinned = pin && i >= 0;
    this.showTip(i);
  }

  onKey(e) {
    const m = this.map;
    if (!m?.xs) return;
    const step = e.shiftKey ? 24 : 6;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (e.key === "Escape" && (this.cursor || this.tipPinned)) {
      e.preventDefault();
      this.cursor = null;
      this.tipPinned = false;
      this.showTip(-1);
      return;
    }
    if (e.key === "Enter" && this.hovered >= 0) {
      e.preventDefault();
      this.digit(this.hovered).then((d) => this.onPick?.(d));
      return;
    }
    let next = null;
    if (e.key === "Home") {
      next = this.position ? clampToView(m.view, project(m.view, this.position), 0) : [m.view.width / 2, m.view.height / 2];
    } else if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      const [x, y] = this.cursor ?? (this.hovered >= 0 ? [m.xs[this.hovered], m.ys[this.hovered]] : [m.view.width / 2, m.view.height / 2]);
      next = [Math.min(m.view.width, Math.max(0, x + dx)), Math.min(m.view.height, Math.max(0, y + dy))];
    }
    if (!next) return;
    e.preventDefault();
    this.cursor = next.slice(0, 2);
    this.tipPinned = true;
    this.showTip(nearestPoint(m.xs, m.ys, this.cursor[0], this.cursor[1], HIT_RADIUS));
  }

  /** The tooltip for point i (-1 hides it), beside the point, inside the map. */
  async showTip(i) {
    this.hovered = i;
    this.drawOverlay();
    const tip = this.tip;
    tip.classList.toggle("pinned", Boolean(this.tipPinned));
    if (i < 0) {
      tip.hidden = true;
      delete tip.dataset.row;
      return;
    }
    const m = this.map;
    tip.dataset.row = String(i);
    const words = digitWords({ label: m.labels[i], prediction: m.predictions[i] });
    if (tip.hidden || tip.dataset.shown !== String(i)) {
      tip.replaceChildren(el("span", { className: "wf-tip-text", textContent: words }));
      tip.hidden = false;
      this.placeTip(i);
    }
    let d;
    try {
      d = await this.digit(i);
    } catch (err) {
      tip.replaceChildren(el("span", { textContent: `${words} (image not loaded: ${err.message})` }));
      return;
    }
    if (this.hovered !== i) return; // the pointer moved on
    const text = el("span", { className: "wf-tip-text" }, el("b", { textContent: `${d.label}` }),
      el("span", { textContent: ` training digit #${d.index}, ${digitWords(d)}` }));
    const parts = [grayCanvas(d.image, 56, "map-tooltip-image"), text];
    if (this.tipPinned && this.onPick) {
      const use = el("button", { type: "button", textContent: "Put it on the pad" });
      use.addEventListener("click", () => this.onPick(d));
      text.append(use);
    }
    tip.replaceChildren(...parts);
    Object.assign(tip.dataset, { label: d.label, prediction: d.prediction, shown: String(i) });
    this.placeTip(i);
  }

  placeTip(i) {
    const m = this.map;
    const tip = this.tip;
    tip.style.left = tip.style.top = "0px"; // measured at full width, then placed
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const [x, y] = [m.xs[i], m.ys[i]];
    const right = x + 12 + w <= m.view.width;
    const left = right ? x + 12 : Math.max(0, Math.min(x - 12 - w, m.view.width - w));
    const top = Math.max(0, Math.min(y - h / 2, m.view.height - h));
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }
}
