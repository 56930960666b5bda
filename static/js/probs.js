// The prediction: the digit large, its confidence, and a Plotly bar chart of the ten
// probabilities. Render module: update(data).

export class PredictionView {
  constructor(digitEl, confEl, chartEl) {
    this.digitEl = digitEl;
    this.confEl = confEl;
    this.chartEl = chartEl;
    this.pending = null;
    this.drawn = false;
  }

  update(data) {
    if (!data || data.blank) {
      this.digitEl.textContent = "";
      this.confEl.textContent = data ? "no ink yet: draw a digit" : "";
    } else {
      this.digitEl.textContent = String(data.prediction);
      this.confEl.textContent = `${(100 * data.probabilities[data.prediction]).toFixed(1)}% sure`;
    }
    this.scheduleChart(data);
  }

  // Plotly takes several milliseconds; the chart follows at most once per animation frame.
  scheduleChart(data) {
    const first = this.pending === null;
    this.pending = data;
    if (first) requestAnimationFrame(() => this.drawChart());
  }

  drawChart() {
    const data = this.pending;
    this.pending = null;
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
