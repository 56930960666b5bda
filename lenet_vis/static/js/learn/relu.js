// Lesson 5: one conv1 map before and after ReLU, negatives marked, and the ReLU curve.
import { paint, toRows, el } from "./paint.js";

export class ReluLesson {
  constructor($) {
    this.$ = $;
    $("relu-map").addEventListener("change", () => this.render());
  }

  /** data: decoded prediction (layers conv1, relu1), geometry: {conv1: layer}. */
  update(data, conv1) {
    this.data = data;
    this.shape = conv1.output_shape;
    const select = this.$("relu-map");
    if (!select.options.length) {
      for (let c = 0; c < this.shape[0]; c++) select.append(el("option", { value: c, textContent: `map ${c}` }));
    }
    this.render();
    this.curve();
  }

  render() {
    const c = Number(this.$("relu-map").value || 0);
    const [, h, w] = this.shape;
    const per = h * w;
    const before = this.data.layers.conv1.slice(c * per, (c + 1) * per);
    const after = this.data.layers.relu1.slice(c * per, (c + 1) * per);
    paint(this.$("relu-before"), toRows(before, w), true, 6);
    paint(this.$("relu-after"), toRows(after, w), false, 6);
    const negatives = before.filter((v) => v < 0).length;
    this.$("relu-negatives").textContent = `before: ${negatives} of ${per} values negative (blue), all set to 0`;
  }

  curve() {
    if (!window.Plotly) return;
    const xs = [-3, 0, 3];
    window.Plotly.react(this.$("relu-curve"), [{ x: xs, y: xs.map((v) => Math.max(0, v)), mode: "lines", line: { color: "#e67d14" } }], {
      height: 170, width: 220, margin: { l: 30, r: 8, t: 20, b: 30 }, title: { text: "ReLU(z) = max(0, z)", font: { size: 12 } },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#c9ccd1", size: 10 },
      xaxis: { title: { text: "z" }, gridcolor: "#333" }, yaxis: { gridcolor: "#333" },
    }, { displayModeBar: false, staticPlot: true });
  }
}
