// The prediction: the digit large, its confidence, and a Plotly bar chart of the ten
// probabilities. Render module: update(data).

export class PredictionView {
  constructor(digitEl, confEl, chartEl) {
    this.digitEl = digitEl;
    this.confEl = confEl;
    this.chartEl = chartEl;
    this.pending = null;
    this.timer = null;
  }

  /** data: the decoded prediction or null; drawing: a stroke is under way (the chart waits). */
  update(data, drawing = false) {
    if (!data || data.blank) {
      this.digitEl.textContent = "";
      this.confEl.textContent = data ? "no ink yet: draw a digit" : "";
    } else {
      this.digitEl.textContent = String(data.prediction);
      this.confEl.textContent = `${(100 * data.probabilities[data.prediction]).toFixed(1)}% sure`;
    }
    this.pending = data;
    if (!drawing) this.scheduleChart();
  }

  // Plotly takes several milliseconds a draw, which would hold up the live layers: the chart
  // waits while a stroke is under way (the digit and confidence above it are instant) and
  // then follows at most four times a second.
  scheduleChart() {
    if (this.timer) return;
    const wait = Math.max(0, 250 - (performance.now() - (this.last || -1e9)));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.last = performance.now();
      this.drawChart();
    }, wait);
  }

  drawChart() {
    const data = this.pending;
    if (!window.Plotly) return;
    const p = data && !data.blank ? data.probabilities : new Array(10).fill(0);
    const best = data && !data.blank ? data.prediction : -1;
    const trace = {
      type: "bar", x: [...Array(10).keys()].map(String), y: p,
      marker: { color: p.map((_, i) => (i === best ? "#e67d14" : "#8a8f98")) },
      hovertemplate: "digit %{x}: %{y:.3f}<extra></extra>",
    };
    const layout = {
      margin: { l: 36, r: 8, t: 8, b: 28 }, height: 150,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: "#c9ccd1", size: 11 },
      yaxis: { range: [0, 1], tickformat: ".0%", gridcolor: "#333" },
      xaxis: { type: "category", fixedrange: true },
    };
    window.Plotly.react(this.chartEl, [trace], layout, { displayModeBar: false, responsive: true, staticPlot: false });
  }
}
