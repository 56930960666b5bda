// The verdict: the digit large, its confidence, and the ten probabilities as a small SVG bar
// chart of our own. Render module: update(data).
//
// Two shapes: ten columns under the confidence (the side column of wide screens), or ten rows,
// one per digit, filling the narrow column beside the pad on phones. One viewBox unit is about
// one CSS px at the chart's usual size, so the labels keep their size and nothing is stretched.

const SVG = "http://www.w3.org/2000/svg";
const STEP = 20; // columns: viewBox units per digit
const TALL = 34; // columns: height of a bar at probability 1
const BASE = 38; // columns: the bars' baseline
const ROW = 17; // rows: viewBox units per digit
const ROW_W = 140; // rows: width of the chart
const LONG = 78; // rows: length of a bar at probability 1
const START = 16; // rows: where the bars start (after the digit)

function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export class PredictionView {
  /**
   * digitEl, confEl: text elements; chartEl: an <svg> for the ten bars; narrow: an optional
   * MediaQueryList that, while it matches, asks for the chart as ten rows.
   */
  constructor(digitEl, confEl, chartEl, narrow = null) {
    this.digitEl = digitEl;
    this.confEl = confEl;
    this.chartEl = chartEl;
    this.narrow = narrow;
    this.data = null;
    this.build();
    narrow?.addEventListener("change", () => {
      this.build();
      this.update(this.data);
    });
  }

  /** The ten bars, their floors and labels, in the shape the screen asks for. */
  build() {
    const rows = Boolean(this.narrow?.matches);
    this.rows = rows;
    const chart = this.chartEl;
    chart.replaceChildren();
    chart.classList.toggle("rows", rows);
    chart.setAttribute("viewBox", rows ? `0 0 ${ROW_W} ${10 * ROW}` : `0 0 ${10 * STEP} ${BASE + 15}`);
    this.bars = [];
    for (let i = 0; i < 10; i++) {
      const track = rows // the bar's floor, seen at 0 %
        ? el("line", { x1: START - 0.5, x2: START - 0.5, y1: i * ROW + 3, y2: (i + 1) * ROW - 3 })
        : el("line", { x1: i * STEP + 2, x2: (i + 1) * STEP - 2, y1: BASE + 0.5, y2: BASE + 0.5 });
      const bar = rows
        ? el("rect", { x: START, y: i * ROW + 3, width: 0, height: ROW - 6 })
        : el("rect", { x: i * STEP + 2, y: BASE, width: STEP - 4, height: 0 });
      const label = rows
        ? el("text", { x: 6, y: i * ROW + ROW / 2 + 4 })
        : el("text", { x: i * STEP + STEP / 2, y: BASE + 13 });
      label.textContent = i;
      const pct = rows ? el("text", { class: "pct", y: i * ROW + ROW / 2 + 4 }) : null;
      const title = el("title", {});
      bar.append(title);
      chart.append(track, bar, label, ...(pct ? [pct] : []));
      this.bars.push({ bar, title, label, pct });
    }
  }

  /**
   * data: the decoded prediction or null (nothing drawn yet). Only what changed is written: this
   * runs on every answer while drawing, and each write is style and layout in the next frame.
   */
  update(data) {
    this.data = data;
    const shown = data && !data.blank;
    if (!shown) {
      setText(this.digitEl, "");
      setText(this.confEl, data ? "No ink yet: draw a digit." : "Draw a digit on the pad (or press Sample) and watch every layer compute it.");
    } else {
      setText(this.digitEl, String(data.prediction));
      setText(this.confEl, `${(100 * data.probabilities[data.prediction]).toFixed(1)}% sure`);
    }
    this.bars.forEach((b, i) => {
      const p = shown ? data.probabilities[i] : 0;
      if (this.rows) {
        setAttr(b, "bar", "width", (LONG * p).toFixed(2));
        setAttr(b, "pct", "x", (START + LONG * p + 3).toFixed(2));
        setText(b.pct, shown && p >= 0.005 ? `${Math.round(100 * p)}%` : "");
      } else {
        const h = TALL * p;
        setAttr(b, "bar", "y", (BASE - h).toFixed(2));
        setAttr(b, "bar", "height", h.toFixed(2));
      }
      const best = Boolean(shown && i === data.prediction);
      if (b.best !== best) {
        b.best = best;
        b.bar.classList.toggle("best", best);
        b.label.classList.toggle("best", best);
      }
      setText(b.title, `digit ${i}: ${(100 * p).toFixed(1)}%`);
    });
  }
}

/** Set an element's text when it differs (reading textContent is cheap; writing it is layout). */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Set bar b's element `part`'s attribute when it differs from the value last written. */
function setAttr(b, part, name, value) {
  const key = `${part}:${name}`;
  b.written ??= {};
  if (b.written[key] !== value) {
    b.written[key] = value;
    b[part].setAttribute(name, value);
  }
}
