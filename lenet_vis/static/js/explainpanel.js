// Explain mode on the person's own drawing: attribution maps and occlusion for a target digit,
// the ablation ranking of the 22 conv filters (click one to switch it off and on), "make it
// a N" (the counterfactual) and compare A/B. The pictures are drawn by ExplainView; this module
// holds the controls, the requests and the ablated set.
//
// At most one explain request is in flight: asks made meanwhile are merged and go next. While
// any unit is off, the page's predictions come from POST /api/explain/ablate (predict()).
import { predict as plainPredict } from "./api.js";
import { toFlat } from "./decode.js";
import { DrawPad } from "./drawpad.js";
import { ExplainView } from "./explainview.js";
import { ABLATABLE, emptyAblation } from "./urlstate.js";
import { overlayPixels, SIDE } from "./explainmaps.js";

const MIDDLE_WIDTHS = "(min-width: 900px) and (max-width: 1599px)";

const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "testid") e.dataset.testid = v;
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
};

async function post(path, body) {
  const r = await fetch(`/api/explain/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await r.json();
  if (!r.ok) {
    const msg = Array.isArray(json.detail)
      ? json.detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ") : json.detail || r.statusText;
    throw new Error(msg);
  }
  return json;
}

/** A probability as a percentage with enough digits to tell 99.9999% from 99.99%. */
export function fine(p) {
  const pct = 100 * p;
  return pct > 99.9 && pct < 100 ? `(100 − ${(100 - pct).toPrecision(2)})%` : `${pct.toFixed(1)}%`;
}

const digitOptions = (select, first) => {
  if (first) select.append(el("option", { value: "" }, first));
  for (let d = 0; d < 10; d++) select.append(el("option", { value: String(d) }, String(d)));
};

/** The ablatable layer a diagram layer stands for (conv1 drawn as relu1, fc1 as relu3...). */
const UNIT_OF = { conv1: "conv1", relu1: "conv1", conv2: "conv2", relu2: "conv2", fc1: "fc1", relu3: "fc1",
                  fc2: "fc2", relu4: "fc2" };

export class ExplainPanel {
  /**
   * body: the panel's (hidden) body; toggle: the Explain button.
   * opts.state: the page's state (state.ablate is kept here); opts.pad: the DrawPad;
   * opts.onAblate(): the ablated set changed (the page predicts again and updates its link);
   * opts.stage: the 2D network (Alt+click on a conv map switches its filter off);
   * opts.onLink(): drawing A changed (the page updates its link; state.compareA holds it).
   */
  constructor(body, toggle, { state, pad, onAblate, stage, onLink }) {
    this.body = body;
    this.toggle = toggle;
    this.state = state;
    this.pad = pad;
    this.onAblate = onAblate;
    this.onLink = onLink;
    state.ablate ??= emptyAblation();
    state.compareA ??= null; // drawing A's strokes, for the link
    this.open = false;
    this.busy = false;
    this.wanted = new Set(); // "explain", "counterfactual", "compare"
    this.data = {}; // ExplainView's parts
    this.original = null; // the verdict with nothing off (from /ablate)
    this.a = null; // compare: drawing A as a PNG data URL
    this.build();
    toggle.addEventListener("click", () => this.setOpen(!this.open));
    stage?.addEventListener("click", (e) => this.onStageClick(e), true);
    this.middle = matchMedia(MIDDLE_WIDTHS);
    this.middle.addEventListener("change", () => this.place());
  }

  /**
   * Where the open body goes. Wide screens (1600 px and more): a drawer on the right (CSS).
   * Between 900 and 1599 px: the inspector column's top, so the network keeps its width (a
   * drawer there squeezed the diagram until its labels overlapped). Phones: under the button.
   */
  place() {
    const col = document.querySelector(".inspector-col");
    const target = this.open && this.middle.matches && col ? col : this.toggle.parentElement;
    if (this.body.parentElement === target) return;
    if (target === col) col.prepend(this.body);
    else this.toggle.after(this.body);
  }

  build() {
    const head = el("div", { class: "explain-controls" });
    const target = el("select", { testid: "explain-target", "aria-label": "Digit to explain" });
    digitOptions(target, "the prediction");
    target.addEventListener("change", () => this.ask("explain"));
    const cf = el("select", { testid: "cf-target", "aria-label": "Digit to change it into" });
    digitOptions(cf);
    cf.value = "1";
    const make = el("button", { type: "button", testid: "make-it" }, "Make it a 1");
    cf.addEventListener("change", () => { make.textContent = `Make it a ${cf.value}`; });
    make.addEventListener("click", () => this.ask("counterfactual"));
    const keepA = el("button", { type: "button", testid: "keep-a" }, "Keep as A");
    keepA.addEventListener("click", () => this.keepA());
    const explainLabel = el("label", {}, "Pixels for ");
    explainLabel.append(target);
    const cfLabel = el("label", {}, "New digit ");
    cfLabel.append(cf);
    const offPinned = el("button", { type: "button", testid: "ablate-pinned" }, "Switch off the pinned unit");
    offPinned.addEventListener("click", () => this.togglePinned());
    const sanity = el("button", { type: "button", testid: "sanity" }, "Sanity check");
    sanity.title = "The same maps from the network with its weights randomised layer by layer from the top";
    sanity.addEventListener("click", () => this.ask("randomisation"));
    head.append(explainLabel, cfLabel, make, keepA, offPinned, sanity);
    this.ablatedBox = el("div", { class: "explain-ablated", testid: "ablated", "aria-live": "polite" });
    this.status = el("p", { class: "explain-status", testid: "explain-status", "aria-live": "polite" });
    this.cfVerdict = el("p", { class: "explain-cf-verdict", testid: "cf-verdict" });
    this.viewRoot = el("div", { class: "explain-view", testid: "explain-view" });
    this.view = new ExplainView(this.viewRoot);
    this.viewRoot.addEventListener("click", (e) => this.onRankingClick(e));
    this.viewRoot.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") this.onRankingClick(e);
    });
    // the maps' settings, within the API's bounds (steps 1-256, patch 1-16, stride 1-16)
    const settings = el("div", { class: "explain-controls explain-settings" });
    this.options = {};
    for (const [name, label, values, chosen] of [
      ["steps", "IG steps", [16, 32, 64, 128, 256], 64],
      ["patch", "occlusion patch", [2, 4, 6, 8], 4],
      ["stride", "stride", [1, 2, 4], 2],
      ["fill", "fill", ["grey", "black"], "grey"],
    ]) {
      const select = el("select", { testid: `explain-${name}`, "aria-label": label });
      for (const v of values) select.append(el("option", { value: String(v) }, String(v)));
      select.value = String(chosen);
      select.addEventListener("change", () => this.ask("explain"));
      const wrap = el("label", {}, `${label} `);
      wrap.append(select);
      settings.append(wrap);
      this.options[name] = select;
    }
    const hint = el("p", { class: "explain-note" },
      "Click a filter in the ranking, or Alt+click a conv map or fc unit in the diagram, to switch it off.");
    // a title and a close button, as Where from's panel has: the drawer (1600 px and up) and the
    // inspector column's top (900-1599 px) are far from the Explain button
    const close = el("button", { type: "button", class: "explain-close", testid: "explain-close", "aria-label": "Close Explain" }, "×");
    close.addEventListener("click", () => {
      this.toggle.click();
      this.toggle.focus();
    });
    const title = el("div", { class: "explain-head" });
    title.append(el("h2", {}, "Explain: what in your drawing made the verdict"), close);
    this.body.append(title, head, settings, hint, this.ablatedBox, this.status, this.cfVerdict, this.viewRoot);
    this.targetSelect = target;
    this.cfSelect = cf;
    this.keepAButton = keepA;
    this.showAblated();
  }

  setOpen(open) {
    this.open = open;
    this.toggle.setAttribute("aria-pressed", String(open));
    this.toggle.setAttribute("aria-expanded", String(open));
    this.body.hidden = !open;
    this.place();
    if (open) this.ask("explain");
    if (open && this.a) this.ask("compare");
  }

  // ------------------------------------------------------------ the page's predictions

  get ablating() {
    return Object.values(this.state.ablate).some((v) => v.length);
  }

  /**
   * The page's prediction request: /api/predict (at the time machine's state.checkpoint), or
   * /api/explain/ablate while units are off (the final weights only).
   */
  async predict(image) {
    if (!this.ablating || this.state.checkpoint) {
      this.original = null;
      return plainPredict(image, this.state.checkpoint);
    }
    const body = await post("ablate", { ...image, encoding: "base64", ablate: this.state.ablate });
    this.original = body.original;
    this.now = { prediction: body.prediction, probabilities: body.probabilities };
    this.showAblated();
    return body;
  }

  /** The drawing changed (a stroke ended, undo, clear, a sample...): explain it again. */
  drawingChanged() {
    delete this.data.counterfactual;
    delete this.data.randomisation;
    this.cfVerdict.textContent = "";
    if (this.a) this.ask("compare");
    this.ask("explain");
  }

  // ------------------------------------------------------------ ablation

  isOff(layer, index) {
    return this.state.ablate[layer]?.includes(index) ?? false;
  }

  toggleUnit(layer, index) {
    if (!Object.hasOwn(ABLATABLE, layer) || !(index >= 0 && index < ABLATABLE[layer])) return;
    const set = new Set(this.state.ablate[layer]);
    if (set.has(index)) set.delete(index);
    else set.add(index);
    this.state.ablate = { ...this.state.ablate, [layer]: [...set].sort((a, b) => a - b) };
    this.showAblated();
    this.markRanking();
    this.onAblate?.();
    this.ask("explain");
  }

  /** The pinned cell's conv filter or fc unit (a touch screen has no Alt+click). */
  togglePinned() {
    const sel = this.state.pinned ? this.state.selection : null;
    const layer = UNIT_OF[sel?.layer];
    if (!layer) {
      this.status.textContent = "Pin a cell of conv1, conv2, fc1 or fc2 (tap or click it) first.";
      return;
    }
    this.status.textContent = "";
    this.toggleUnit(layer, sel.c);
  }

  /** The link's state (already checked by urlstate.js): the ablated set and drawing A. */
  restore(s) {
    if (s?.ablate) {
      this.state.ablate = { ...emptyAblation(), ...s.ablate };
      this.showAblated();
      if (this.ablating) this.setOpen(true); // units off are never hidden in a closed panel
    }
    if (s?.compareA?.length) {
      // drawing A is drawn on a pad of its own, off the page, to become a PNG like the pad's
      const offscreen = new DrawPad(document.createElement("canvas"), () => {});
      offscreen.setStrokes(s.compareA);
      this.setA(offscreen.toPNG(), s.compareA);
      this.setOpen(true);
    }
  }

  showAblated() {
    const box = this.ablatedBox;
    const n = Object.values(this.state.ablate).reduce((k, v) => k + v.length, 0);
    // the long part stays a span, so a phone can hide it as it hides Where from's
    this.toggle.replaceChildren("Explain", el("span", { class: "more" }, ": why this digit?"), n ? ` (${n} off)` : "");
    box.replaceChildren();
    if (!this.ablating) return;
    box.append(el("span", {}, "Switched off: "));
    for (const [layer, ids] of Object.entries(this.state.ablate)) {
      for (const i of ids) {
        const chip = el("button", { type: "button", class: "explain-chip", "data-layer": layer, "data-index": i,
          "aria-label": `Switch ${layer} #${i} on again` }, `${layer} #${i} ×`);
        chip.addEventListener("click", () => this.toggleUnit(layer, i));
        box.append(chip);
      }
    }
    const all = el("button", { type: "button", testid: "ablate-none" }, "all on");
    all.addEventListener("click", () => {
      this.state.ablate = emptyAblation();
      this.showAblated();
      this.markRanking();
      this.onAblate?.();
      this.ask("explain");
    });
    box.append(all);
    const o = this.original;
    if (o && this.now) {
      // the effect on the digit said with everything on, precise enough to see a drop near 100%
      const d = o.prediction;
      const [before, after] = [o.probabilities[d], this.now.probabilities[d]];
      const effect = el("span", { class: "explain-note", testid: "ablate-effect" },
        `p(${d}) ${fine(before)} with all on → ${fine(after)} now`);
      Object.assign(effect.dataset, { digit: d, before, after });
      box.append(effect);
    }
  }

  onRankingClick(e) {
    const item = e.target.closest?.(".explain-ranking li[data-layer]");
    if (!item) return;
    e.preventDefault();
    this.toggleUnit(item.dataset.layer, Number(item.dataset.index));
  }

  /**
   * Alt+click (or Ctrl/Cmd+click) in the diagram: on a conv1/conv2 map switches its filter, on
   * an fc1/fc2 unit (nodes laid out row by row on one canvas) that unit.
   */
  onStageClick(e) {
    if (!(e.altKey || e.ctrlKey || e.metaKey)) return;
    const canvas = e.target.closest?.("canvas[data-channel]");
    const layer = UNIT_OF[canvas?.dataset.layer];
    if (!layer) return;
    e.preventDefault();
    e.stopPropagation();
    let index = Number(canvas.dataset.channel);
    if (layer.startsWith("fc")) {
      const r = canvas.getBoundingClientRect();
      const col = Math.min(canvas.width - 1, Math.floor(((e.clientX - r.left) / r.width) * canvas.width));
      const row = Math.min(canvas.height - 1, Math.floor(((e.clientY - r.top) / r.height) * canvas.height));
      index = row * canvas.width + col;
    }
    this.toggleUnit(layer, index);
  }

  /** The ranking's rows as toggles that show which filters are off. */
  markRanking() {
    // a filter already off drops out of the top of the ranking: list it at the end, struck out
    const list = this.viewRoot.querySelector(".explain-ranking ol");
    for (const layer of ["conv1", "conv2"]) {
      for (const i of list ? this.state.ablate[layer] : []) {
        if (list.querySelector(`li[data-layer="${layer}"][data-index="${i}"]`)) continue;
        list.append(el("li", { "data-layer": layer, "data-index": i, class: "explain-off" }, `${layer} #${i} · off`));
      }
    }
    for (const li of this.viewRoot.querySelectorAll(".explain-ranking li[data-layer]")) {
      li.setAttribute("role", "button");
      li.tabIndex = 0;
      const off = this.isOff(li.dataset.layer, Number(li.dataset.index));
      li.setAttribute("aria-pressed", String(off));
      li.title = off ? "Switched off: click to switch it on" : "Click to switch this filter off";
    }
  }

  // ------------------------------------------------------------ compare

  /** "Keep as A" keeps the drawing as A; pressed again, forgets it. */
  keepA() {
    if (this.a) {
      this.setA(null, null);
      delete this.data.compare;
      this.render();
    } else if (!this.pad.isEmpty) {
      // a sample digit or an image under the strokes cannot go in the link: only strokes do
      const strokes = this.pad.base ? null : this.pad.strokes.map((t) => ({ size: t.size, points: t.points }));
      this.setA(this.pad.toPNG(), strokes);
      this.ask("compare");
    }
    this.onLink?.();
  }

  setA(png, strokes) {
    this.a = png;
    this.state.compareA = png ? strokes : null;
    this.keepAButton.textContent = png ? "Forget A" : "Keep as A";
    this.keepAButton.setAttribute("aria-pressed", String(Boolean(png)));
  }

  // ------------------------------------------------------------ the requests, one at a time

  ask(kind) {
    if (!["explain", "counterfactual", "compare", "randomisation"].includes(kind)) return;
    if (!this.open) return;
    this.wanted.add(kind);
    this.pump();
  }

  async pump() {
    if (this.busy || !this.wanted.size) return;
    const kind = this.wanted.values().next().value;
    this.wanted.delete(kind);
    if (this.pad.isEmpty) {
      this.data = {};
      this.view.update(null);
      this.status.textContent = "Draw a digit to see why the network says what it says.";
      this.wanted.clear();
      return;
    }
    this.busy = true;
    this.body.setAttribute("aria-busy", "true");
    const started = performance.now();
    const image = this.pad.imageBody(); // a sample digit as it is, else the drawing's PNG
    try {
      await this.run(kind, image);
      if (this.status.dataset.error) {
        this.status.textContent = "";
        delete this.status.dataset.error;
      }
    } catch (err) {
      this.status.textContent = `The server said: ${err.message}`;
      this.status.dataset.error = "1";
    } finally {
      performance.measure("explain-request", { start: started, end: performance.now() });
      this.busy = false;
      this.body.setAttribute("aria-busy", String(this.wanted.size > 0));
    }
    this.pump();
  }

  async run(kind, image) {
    const chosen = this.targetSelect.value;
    const target = chosen === "" ? null : Number(chosen);
    if (kind === "explain") {
      this.status.textContent = "Working out which pixels mattered…";
      // sequential: never more than one explain request in flight
      const o = this.options;
      const attribution = await post("attribution", {
        ...image, encoding: "base64", target, steps: Number(o.steps.value),
        patch: Number(o.patch.value), stride: Number(o.stride.value), fill: o.fill.value,
      });
      const ranking = await post("ablation-ranking", { ...image, target, ablate: this.state.ablate });
      this.data.attribution = attribution;
      this.data.ranking = ranking;
      this.status.textContent = "";
    } else if (kind === "counterfactual") {
      const t = Number(this.cfSelect.value);
      this.status.textContent = `Looking for the smallest change that makes it a ${t}…`;
      const body = await post("counterfactual", { ...image, encoding: "base64", target: t });
      this.data.counterfactual = body;
      const p = body.probabilities;
      const top = p.map((v, d) => [v, d]).sort((a, b) => b[0] - a[0]).slice(0, 3);
      this.cfVerdict.textContent = `Changed, it says ${body.prediction} (${top
        .map(([v, d]) => `${d}: ${(100 * v).toFixed(1)}%`).join(", ")}); before, ${body.original.prediction}.`;
      this.cfVerdict.dataset.prediction = String(body.prediction);
      this.status.textContent = "";
    } else if (kind === "randomisation") {
      this.status.textContent = "Randomising the weights layer by layer…";
      this.data.randomisation = await post("randomisation", {
        ...image, encoding: "base64", target, methods: ["gradient", "integrated_gradients"], steps: 32,
      });
      this.status.textContent = "";
    } else if (kind === "compare") {
      if (!this.a) return;
      // A and B are both drawings (PNGs, preprocessed alike)
      this.data.compare = await post("compare", { a: { image_base64: this.a }, b: { image_base64: this.pad.toPNG() }, encoding: "base64" });
    }
    this.render();
  }

  render() {
    this.view.update(this.data);
    this.markRanking();
    if (this.data.compare) this.compareLayers(this.data.compare);
  }

  /** Compare: per layer the mean and largest |B − A|, and the change of every logit. */
  compareLayers(body) {
    const box = this.viewRoot.querySelector(".explain-compare");
    if (!box) return;
    const table = el("table", { class: "explain-diff", testid: "compare-layers" });
    table.append(el("caption", {}, "B − A at each layer: mean and largest |difference|"));
    const layers = [{ name: "input", data: body.input_difference }, ...body.differences];
    for (const l of layers) {
      const d = toFlat(l.data);
      let sum = 0;
      let max = 0;
      for (const v of d) {
        sum += Math.abs(v);
        if (Math.abs(v) > max) max = Math.abs(v);
      }
      const row = el("tr", { "data-layer": l.name, "data-max": max });
      row.append(el("th", {}, l.name), el("td", {}, (sum / d.length).toFixed(3)), el("td", {}, max.toFixed(3)));
      table.append(row);
    }
    const logits = el("p", { class: "explain-note", testid: "logit-change" },
      `logit change B − A: ${body.logit_change.map((v, i) => `${i}: ${v >= 0 ? "+" : ""}${v.toFixed(1)}`).join(", ")}`);
    box.append(table, logits, this.blendSlider(body));
  }

  /** A slider along the blend path: the input (1 − α)·A + α·B and its ten probabilities. */
  blendSlider(body) {
    const a = toFlat(body.a.input);
    const b = toFlat(body.b.input);
    const { alphas, probabilities } = body.path;
    const wrap = el("div", { class: "explain-blend" });
    const canvas = el("canvas", { testid: "blend-input" });
    canvas.width = canvas.height = SIDE;
    const slider = el("input", { type: "range", min: 0, max: alphas.length - 1, step: 1, value: 0,
      testid: "blend", "aria-label": "Blend from A to B" });
    const text = el("p", { class: "explain-note", testid: "blend-text" });
    const show = () => {
      const i = Number(slider.value);
      const t = alphas[i];
      const mix = Float32Array.from(a, (v, k) => (1 - t) * v + t * b[k]);
      canvas.getContext("2d").putImageData(new ImageData(overlayPixels(mix, mix, 1, 0), SIDE, SIDE), 0, 0);
      const p = probabilities[i];
      const best = p.indexOf(Math.max(...p));
      text.textContent = `α ${t.toFixed(2)}: says ${best} (${(100 * p[best]).toFixed(1)}%)`;
      text.dataset.prediction = String(best);
    };
    slider.addEventListener("input", show);
    show();
    const label = el("label", { class: "explain-blend-label" }, "A ");
    label.append(slider, " B");
    wrap.append(canvas, el("div", {}, ""));
    wrap.lastChild.append(label, text);
    return wrap;
  }
}
