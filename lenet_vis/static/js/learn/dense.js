// Lesson 7: pool2 flattened, three dense layers, and softmax with the real numbers.
import { paint, el } from "./paint.js";
import { fmt } from "../numgrid.js";

export class DenseLesson {
  constructor(rows, table) {
    this.rows = rows;
    this.table = table;
  }

  update(data) {
    const L = data.layers;
    const strip = (name, label, signed) => {
      const canvas = el("canvas", { className: "strip" });
      paint(canvas, [Array.from(L[name])], signed, name === "pool2" ? 2 : 5);
      canvas.style.height = "14px";
      return el("div", { className: "strip-row" }, el("span", { className: "label", textContent: label }), canvas);
    };
    this.rows.replaceChildren(
      strip("pool2", `pool2 flattened · ${L.pool2.length} values`, false),
      strip("fc1", `fc1 · ${L.fc1.length}`, true),
      strip("relu3", `relu3 · ${L.relu3.length}`, false),
      strip("fc2", `fc2 · ${L.fc2.length}`, true),
      strip("relu4", `relu4 · ${L.relu4.length}`, false),
      strip("fc3", `fc3 · ${L.fc3.length} logits`, true),
    );
    const logits = Array.from(L.fc3);
    const m = Math.max(...logits);
    const exps = logits.map((z) => Math.exp(z - m));
    const total = exps.reduce((a, b) => a + b, 0);
    const probs = exps.map((e) => e / total);
    const table = el("table", { className: "terms" });
    table.append(el("tr", {}, ...["digit", "logit z", "e^(z − max z)", "p = e / Σ"].map((h) => el("th", { textContent: h }))));
    logits.forEach((z, i) => {
      const tr = el("tr", {}, ...[i, fmt(z), fmt(exps[i]), probs[i].toFixed(4)].map((t) => el("td", { textContent: t })));
      if (i === data.prediction) tr.className = "current";
      table.append(tr);
    });
    const sum = probs.reduce((a, b) => a + b, 0);
    const total_line = el("p", { className: "formula", textContent: `Σ e = ${fmt(total)}; Σ p = ${sum.toFixed(6)}` });
    total_line.dataset.testid = "softmax-sum";
    this.table.replaceChildren(el("p", { className: "formula", textContent: "softmax(z)_i = e^(z_i) / Σ_j e^(z_j)" }), table, total_line);
  }
}
