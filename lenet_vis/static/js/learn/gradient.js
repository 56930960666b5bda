// Lesson 8: the loss against a chosen digit and its gradient on the input pixels.
import * as api from "../api.js";
import { absMax } from "../colour.js";
import { paint, el } from "./paint.js";

export class GradientLesson {
  constructor($) {
    this.$ = $;
    this.target = 3;
    const group = $("gradient-targets");
    for (let d = 0; d < 10; d++) {
      const b = el("button", { type: "button", textContent: d });
      b.dataset.digit = d;
      b.setAttribute("aria-label", `target digit ${d}`);
      b.addEventListener("click", () => { this.target = d; this.update(this.png); });
      group.append(b);
    }
  }

  async update(png) {
    this.png = png;
    const $ = this.$;
    const body = await api.gradient(png, this.target);
    $("gradient-targets").querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.digit) === this.target)));
    $("gradient-loss").textContent = `loss = −log p(${this.target}) = −log ${body.probabilities[this.target].toExponential(3)} = ${body.loss.toFixed(4)} (the network says ${body.prediction})`;
    paint($("gradient-input"), body.input, false, 6);
    const map = $("gradient-map");
    paint(map, body.gradient, true, 6);
    map.dataset.absmax = absMax(Float32Array.from(body.gradient.flat()));
    map.dataset.target = this.target;
  }
}
