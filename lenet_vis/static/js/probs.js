// The verdict: the digit large, its confidence, and the ten probabilities as a small SVG bar
// chart of our own. Render module: update(data).

const SVG = "http://www.w3.org/2000/svg";
const STEP = 20; // viewBox units per digit
const TALL = 34; // height of a bar at probability 1
const BASE = 38; // the bars' baseline

export class PredictionView {
  /** digitEl, confEl: text elements; chartEl: an <svg> for the ten bars. */
  constructor(digitEl, confEl, chartEl) {
    this.digitEl = digitEl;
    this.confEl = confEl;
    this.bars = [];
    // one viewBox unit is about one CSS px at the chart's usual width, so the labels keep
    // their 11 px and the bars are not stretched
    chartEl.setAttribute("viewBox", `0 0 ${10 * STEP} ${BASE + 15}`);
    for (let i = 0; i < 10; i++) {
      const track = document.createElementNS(SVG, "line"); // the bar's floor, seen at 0 %
      track.setAttribute("x1", i * STEP + 2);
      track.setAttribute("x2", (i + 1) * STEP - 2);
      track.setAttribute("y1", BASE + 0.5);
      track.setAttribute("y2", BASE + 0.5);
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", i * STEP + 2);
      bar.setAttribute("width", STEP - 4);
      bar.setAttribute("y", BASE);
      bar.setAttribute("height", 0);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", i * STEP + STEP / 2);
      label.setAttribute("y", BASE + 13);
      label.textContent = i;
      const title = document.createElementNS(SVG, "title");
      bar.append(title);
      chartEl.append(track, bar, label);
      this.bars.push({ bar, title, label });
    }
  }

  /** data: the decoded prediction or null (nothing drawn yet). */
  update(data) {
    const shown = data && !data.blank;
    if (!shown) {
      this.digitEl.textContent = "";
      this.confEl.textContent = data ? "No ink yet: draw a digit." : "Draw a digit on the pad (or press Sample) and watch every layer compute it.";
    } else {
      this.digitEl.textContent = String(data.prediction);
      this.confEl.textContent = `${(100 * data.probabilities[data.prediction]).toFixed(1)}% sure`;
    }
    this.bars.forEach(({ bar, title, label }, i) => {
      const p = shown ? data.probabilities[i] : 0;
      const h = TALL * p;
      bar.setAttribute("y", (BASE - h).toFixed(2));
      bar.setAttribute("height", h.toFixed(2));
      bar.classList.toggle("best", shown && i === data.prediction);
      label.classList.toggle("best", shown && i === data.prediction);
      title.textContent = `digit ${i}: ${(100 * p).toFixed(1)}%`;
    });
  }
}
