// The inspector: the hovered or pinned cell and the arithmetic that made it. Render module.
import { css, diverging } from "./colour.js";
import { numGrid, fmt } from "./numgrid.js";

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

export class Inspector {
  constructor(root) {
    this.root = root;
    this.update(null);
  }

  /** sel: {cell, explanation, value} or null. */
  update(sel) {
    const r = this.root;
    r.replaceChildren();
    if (!sel) {
      r.append(el("p", { className: "hint", textContent: "Hover any cell of the network to see where it came from. Click to pin it; arrow keys move it; Escape releases." }));
      return;
    }
    const { cell, explanation: ex, value } = sel;
    const where = ex.kind === "dense" || ex.kind === "softmax" || cell.y === undefined
      ? `unit ${cell.c}` : `channel ${cell.c} · row ${cell.y} · col ${cell.x}`;
    r.append(el("h3", { textContent: `${cell.layer} · ${where}${sel.pinned ? " · pinned" : ""}` }));
    if (value !== undefined) r.append(el("p", { className: "value", textContent: `value ${fmt(value)}` }));
    const body = { conv: this.conv, maxpool: this.pool, dense: this.dense, softmax: this.softmax,
                   relu: this.relu, input: this.input }[ex.kind];
    body.call(this, ex, sel);
  }

  input(ex) {
    this.root.append(el("p", { textContent: `A pixel of the 32x32 network input: ink ${fmt(ex.value)} (0 black, 1 white).` }));
  }

  relu(ex) {
    this.root.append(el("p", { className: "formula", textContent: `ReLU(z) = max(0, ${fmt(ex.before)}) = ${fmt(ex.after)}` }));
  }

  conv(ex) {
    const r = this.root;
    r.append(el("p", { textContent: `z = Σ over ${ex.maps.length} input map${ex.maps.length > 1 ? "s" : ""} of (${ex.k}x${ex.k} patch · ${ex.k}x${ex.k} filter) + bias` }));
    const list = el("div", { className: "conv-maps" });
    for (const m of ex.maps) {
      list.append(el("div", { className: "conv-map" },
        el("span", { className: "label", textContent: `map ${m.channel}: patch` }),
        numGrid(m.patch, ex.k, false, `input patch of map ${m.channel}`),
        el("span", { className: "label", textContent: "filter" }),
        numGrid(m.filter, ex.k, true, `filter for map ${m.channel}`),
        el("span", { className: "sum", textContent: `= ${fmt(m.sum)}` })));
    }
    r.append(list);
    const sums = ex.maps.map((m) => fmt(m.sum)).join(" + ");
    const zLine = el("p", { className: "formula", textContent: `z = ${sums} + ${fmt(ex.bias)} = ${fmt(ex.z)}` });
    zLine.dataset.testid = "inspector-z";
    zLine.dataset.value = ex.z;
    r.append(zLine,
             el("p", { className: "formula", textContent: `ReLU(z) = ${fmt(ex.relu)}` }));
  }

  pool(ex) {
    const r = this.root;
    r.append(el("p", { textContent: `max of the ${ex.values.length} values in its ${ex.window.h}x${ex.window.w} window (ties: the first wins)` }));
    const t = numGrid(ex.values, ex.window.w, false, "pooling window");
    t.querySelectorAll("td")[ex.winner].classList.add("winner");
    r.append(t, el("p", { className: "formula", textContent: `max = ${fmt(ex.values[ex.winner])}` }));
  }

  dense(ex) {
    const r = this.root;
    r.append(el("p", { textContent: `z = Σ w·x over ${ex.inputs} inputs + bias; the ${ex.top.length} largest terms:` }));
    const table = el("table", { className: "terms" });
    table.append(el("tr", {}, ...["input", "w", "x", "w·x"].map((h) => el("th", { textContent: h }))));
    for (const t of ex.top) {
      const tr = el("tr", {}, el("td", { textContent: `#${t.index}` }), el("td", { textContent: fmt(t.w) }),
                    el("td", { textContent: fmt(t.x) }), el("td", { textContent: fmt(t.wx) }));
      tr.lastChild.style.color = css(diverging(t.wx, Math.abs(ex.top[0].wx) || 1));
      table.append(tr);
    }
    r.append(table, el("p", { className: "formula", textContent: `z = … + ${fmt(ex.bias)} (bias) = ${fmt(ex.z)}` }));
  }

  softmax(ex) {
    const r = this.root;
    r.append(el("p", { className: "formula", textContent: `p(${ex.index}) = e^z${ex.index} / Σ e^zj = ${fmt(ex.exps[ex.index])} / ${fmt(ex.total)} = ${fmt(ex.p)}` }));
    const table = el("table", { className: "terms" });
    table.append(el("tr", {}, ...["digit", "logit z", "e^(z-max)", "p"].map((h) => el("th", { textContent: h }))));
    ex.logits.forEach((z, i) => {
      const tr = el("tr", {}, el("td", { textContent: i }), el("td", { textContent: fmt(z) }),
                    el("td", { textContent: fmt(ex.exps[i]) }), el("td", { textContent: fmt(ex.exps[i] / ex.total) }));
      if (i === ex.index) tr.className = "current";
      table.append(tr);
    });
    r.append(table);
  }
}
