// The training time machine on the visualizer: a slider over the checkpoints kept during
// training (GET /api/knowledge/checkpoints). Moving it makes the page read the drawing with the
// network as it was then: state.checkpoint is that checkpoint's name (null: the final weights)
// and state.weights its weights (fetched once per checkpoint, then cached), so the maps, the
// verdict, the inspector's filters and the edges are all that epoch's.
//
//   const tm = new TimeMachine(root, note, {state, layers, onChange});
//   await tm.load();             // hides itself, with a note, when the server kept none
//   await tm.restore("epoch-3"); // from a link; returns an error sentence or null
import * as api from "./api.js";
import { decodeWeights } from "./decode.js";
import {
  checkpointAt, checkpointLabel, positionOf, tickLabel, valueText, verdictNote, percent, nextPosition,
} from "./timemachine-format.js";

const STEP_MS = 1400; // playback: how long each checkpoint stays on screen
const q = (root, id) => root.querySelector(`[data-testid="${id}"]`);

export class TimeMachine {
  /**
   * root: the time machine's container (the slider's markup, its "back to final" button);
   * note: the line under the verdict; opts.state: the page state (checkpoint and weights are
   * set here); opts.layers: the names of the layers with weights; opts.onChange(): the page
   * reads again with the new state.checkpoint and state.weights.
   */
  constructor(root, note, { state, layers, onChange }) {
    this.root = root;
    this.note = note;
    this.state = state;
    this.layers = layers;
    this.onChange = onChange;
    this.records = [];
    this.cache = new Map(); // checkpoint name -> Promise<{layer: {W, b, shape}}>
    this.wanted = null; // the checkpoint last asked for (a slow answer for an older one is dropped)
    this.timer = 0;
    this.playing = false;
    this.slider = q(root, "tm-slider");
    this.label = q(root, "tm-label");
    this.playButton = q(root, "tm-play");
    this.finalButton = q(root, "tm-final");
    state.checkpoint = null; // the live channel reads this too (0 = final, else its 1-based index)
  }

  /** Read the checkpoint list; build the slider, or hide it with a note when there is none. */
  async load() {
    this.cache.set(null, Promise.resolve(this.state.weights));
    this.root.dataset.checkpoint = "final";
    let why = "";
    try {
      this.records = (await api.getCheckpoints()).checkpoints ?? [];
    } catch (err) {
      why = ` (the list could not be read: ${err.message})`;
    }
    if (this.records.length < 2) {
      this.root.classList.add("tm-off");
      this.root.dataset.state = "off";
      this.label.textContent = why
        ? `unavailable${why}.`
        : "not available: these weights were trained without keeping checkpoints.";
      return;
    }
    const n = this.records.length;
    Object.assign(this.slider, { min: 0, max: n - 1, step: 1, value: n - 1, disabled: false });
    q(this.root, "tm-ticks").replaceChildren(...this.records.map((r, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.tabIndex = -1; // the slider is the keyboard's way in; the ticks are for the pointer
      b.textContent = tickLabel(r);
      b.title = `${checkpointLabel(r, i === n - 1)}: ${percent(r.test_accuracy)} on test digits`;
      b.addEventListener("click", () => {
        this.stop();
        this.select(i);
      });
      return b;
    }));
    this.slider.addEventListener("input", () => {
      this.stop();
      this.select(Number(this.slider.value));
    });
    this.playButton.addEventListener("click", () => (this.playing ? this.stop() : this.play()));
    this.finalButton.addEventListener("click", () => {
      this.stop();
      this.select(n - 1);
      this.slider.focus();
    });
    this.root.dataset.state = "on";
    this.show(n - 1);
  }

  get available() {
    return this.records.length >= 2;
  }

  /** Every layer's weights at `name` (null: the final ones), fetched once. */
  weightsFor(name) {
    if (!this.cache.has(name)) {
      const p = Promise.all(this.layers.map(async (layer) => [layer, decodeWeights(await api.getWeights(layer, name))]))
        .then(Object.fromEntries);
      p.catch(() => this.cache.delete(name)); // a failed fetch is tried again next time
      this.cache.set(name, p);
    }
    return this.cache.get(name);
  }

  /** Move to slider position i: fetch that checkpoint's weights, then have the page read again. */
  async select(i) {
    const name = checkpointAt(this.records, i);
    this.wanted = name;
    this.slider.value = String(i);
    this.show(i);
    if (name === this.state.checkpoint) {
      this.root.setAttribute("aria-busy", "false");
      return;
    }
    this.root.setAttribute("aria-busy", "true");
    let weights;
    try {
      weights = await this.weightsFor(name);
    } catch (err) {
      if (this.wanted === name) {
        this.root.setAttribute("aria-busy", "false");
        this.label.textContent = `Could not load the weights of ${this.records[i].name}: ${err.message}`;
        this.stop();
      }
      return;
    }
    if (this.wanted !== name) return; // the slider has moved on meanwhile
    this.state.weights = weights;
    this.state.checkpoint = name;
    this.root.dataset.checkpoint = name ?? "final";
    this.root.setAttribute("aria-busy", "false");
    this.onChange();
  }

  /** The label, the ticks and the marker under the verdict for slider position i. */
  show(i) {
    const r = this.records[i];
    const last = i === this.records.length - 1;
    const text = valueText(r, last);
    this.slider.setAttribute("aria-valuetext", text);
    // the same words as /model's filter player
    this.label.textContent = `${checkpointLabel(r, last)} · ${percent(r.test_accuracy)} on test digits`;
    for (const [k, b] of [...q(this.root, "tm-ticks").children].entries()) b.classList.toggle("at", k === i);
    this.note.hidden = last;
    const explaining = Object.values(this.state.ablate ?? {}).some((v) => v.length)
      || document.querySelector('[data-testid="explain"]')?.getAttribute("aria-pressed") === "true";
    this.note.textContent = last ? "" : `${verdictNote(r)}${explaining ? " (Explain uses the final weights)" : ""}`;
    this.note.closest(".panel")?.classList.toggle("tm-past", !last);
    this.root.classList.toggle("tm-past", !last);
    this.finalButton.hidden = last;
  }

  /** Set the checkpoint a link names; an error sentence when this server has no such checkpoint. */
  async restore(name) {
    if (name === null || name === undefined) return null;
    if (!this.available) return `the link's checkpoint "${name}" was ignored: this server kept no checkpoints`;
    const i = positionOf(this.records, name);
    if (i < 0) {
      return `the link's checkpoint "${name}" was ignored: this server's are ${this.records.map((r) => r.name).join(", ")}`;
    }
    await this.select(i);
    return null;
  }

  /** Step through the checkpoints from the start (or from where the slider is, if not at the end). */
  play() {
    const n = this.records.length;
    let i = Number(this.slider.value);
    if (i >= n - 1) i = -1;
    this.playing = true;
    this.playButton.setAttribute("aria-pressed", "true");
    this.playButton.textContent = "❚❚";
    this.playButton.setAttribute("aria-label", "Pause the training replay");
    const step = async () => {
      const next = nextPosition(i, n);
      if (!this.playing || next === null) {
        this.stop();
        return;
      }
      i = next;
      await this.select(i);
      if (this.playing) this.timer = setTimeout(step, STEP_MS);
    };
    step();
  }

  stop() {
    clearTimeout(this.timer);
    if (!this.playing) return;
    this.playing = false;
    this.playButton.setAttribute("aria-pressed", "false");
    this.playButton.textContent = "▶";
    this.playButton.setAttribute("aria-label", "Play the training replay, from initialisation to the final weights");
  }
}
