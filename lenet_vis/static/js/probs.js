// The verdict: the digit large, its confidence, and the ten probabilities as a small SVG bar
// chart of our own. Render module: update(data).

const SVG = "http://www.w3.org/2000/svg";

export class PredictionView {
  /** digitEl, confEl: text elements; chartEl: an <svg> for the ten bars. */
  constructor(digitEl, confEl, chartEl) {
    this.digitEl = digitEl;
    this.confEl = confEl;
    this.bars = [];
    chartEl.setAttribute("viewBox", "0 0 100 34");
    chartEl.setAttribute("preserveAspectRatio", "none");
    for (let i = 0; i < 10; i++) {
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("x", i * 10 + 1);
      bar.setAttribute("width", 8);
      bar.setAttribute("y", 24);
      bar.setAttribute("height", 0);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", i * 10 + 5);
      label.setAttribute("y", 33);
      label.textContent = i;
      const title = document.createElementNS(SVG, "title");
      bar.append(title);
      chartEl.append(bar, label);
      this.bars.push({ bar, title });
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
    this.bars.forEach(({ bar, title }, i) => {
      const p = shown ? data.probabilities[i] : 0;
      const h = 22 * p;
      bar.setAttribute("y", (24 - h).toFixed(2));
      bar.setAttribute("height", h.toFixed(2));
      bar.classList.toggle("best", shown && i === data.prediction);
      title.textContent = `digit ${i}: ${(100 * p).toFixed(1)}%`;
    });
  }
}
