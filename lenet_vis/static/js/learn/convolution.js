// Lesson 2: a 3x3 filter slides over a 5x5 binary image; products, sums, the feature map.
import * as api from "../api.js";
import { el } from "./paint.js";

export const IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]];
export const KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]];

export class ConvolutionLesson {
  constructor($) {
    this.$ = $;
    this.image = IMAGE.map((r) => [...r]);
    this.kernel = KERNEL.map((r) => [...r]);
    this.map = null; // the feature map from the server
    this.pos = -1; // the window's position, -1 before the first step
    this.timer = null;
    $("conv-forward").addEventListener("click", () => this.step(1));
    $("conv-back").addEventListener("click", () => this.step(-1));
    $("conv-play").addEventListener("click", () => this.togglePlay());
    this.recompute();
  }

  get size() {
    return this.map ? this.map.length : 0;
  }

  async recompute() {
    const body = await api.convolve(this.image, this.kernel);
    this.map = body.output;
    this.pos = Math.min(this.pos, this.size * this.size - 1);
    this.render();
  }

  step(d) {
    const last = this.size * this.size - 1;
    this.pos = Math.max(-1, Math.min(last, this.pos + d));
    this.render();
    return this.pos < last;
  }

  togglePlay() {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    } else {
      if (this.pos >= this.size * this.size - 1) this.pos = -1;
      this.timer = setInterval(() => { if (!this.step(1)) this.togglePlay(); }, 700);
    }
    this.$("conv-play").textContent = this.timer ? "Pause" : "Play";
  }

  editable(table, matrix, onEdit, win) {
    table.replaceChildren();
    matrix.forEach((row, y) => {
      const tr = el("tr");
      row.forEach((v, x) => {
        const inWin = win && y >= win.y && y < win.y + 3 && x >= win.x && x < win.x + 3;
        const input = el("input", { type: "number", value: v, step: 1, className: inWin ? "in-window" : "" });
        input.setAttribute("aria-label", `row ${y} column ${x}`);
        input.addEventListener("change", () => {
          const n = Number(input.value);
          if (Number.isFinite(n)) { matrix[y][x] = n; onEdit(); }
        });
        tr.append(el("td", {}, input));
      });
      table.append(tr);
    });
  }

  render() {
    const { $ } = this;
    const n = this.size;
    const win = this.pos >= 0 ? { y: Math.floor(this.pos / n), x: this.pos % n } : null;
    this.editable($("conv-image"), this.image, () => this.recompute(), win);
    this.editable($("conv-kernel"), this.kernel, () => this.recompute(), null);
    const products = $("conv-products");
    products.replaceChildren();
    if (win) {
      let sum = 0;
      const terms = [];
      for (let i = 0; i < 3; i++) {
        const tr = el("tr");
        for (let j = 0; j < 3; j++) {
          const a = this.image[win.y + i][win.x + j];
          const b = this.kernel[i][j];
          sum += a * b;
          terms.push(`${a}×${b}`);
          tr.append(el("td", { textContent: a * b }));
        }
        products.append(tr);
      }
      $("conv-sum").textContent = `${terms.join(" + ")} = ${sum}`;
    } else {
      $("conv-sum").textContent = "Press step or play to slide the filter.";
    }
    const map = $("conv-map");
    map.replaceChildren();
    (this.map || []).forEach((row, y) => {
      const tr = el("tr");
      row.forEach((v, x) => {
        const shown = y * n + x <= this.pos;
        const td = el("td", { textContent: shown ? v : "" });
        if (win && y === win.y && x === win.x) td.className = "current";
        tr.append(td);
      });
      map.append(tr);
    });
    $("conv-position").textContent = win ? `position ${this.pos + 1} of ${n * n}` : "";
  }
}
