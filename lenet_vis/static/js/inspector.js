// The inspector: the hovered or pinned cell and the arithmetic that made it, with the real
// numbers, written to be read. Render module: update(sel) with sel from describe() or null.
import { css, diverging } from "./colour.js";
import { numGrid } from "./numgrid.js";
import { fmt, fixed } from "./numbers.js";
import * as F from "./formulas.js";

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** A line of arithmetic; testid and value (the exact number) for readers and tests. */
function formula(text, testid, value) {
  const p = el("p", { className: "formula", textContent: text });
  if (testid) p.dataset.testid = testid;
  if (value !== undefined) p.dataset.value = value;
  return p;
}

const num = (v, testid) => {
  const td = el("td", { className: "num", textContent: fmt(v) });
  td.dataset.value = v;
  if (testid) td.dataset.testid = testid;
  return td;
};

/** A bar for |v| against `limit`, on the diverging scale (seen at a glance in a summary). */
function bar(v, limit) {
  const b = el("span", { className: "bar" });
  b.style.setProperty("--share", `${Math.min(1, Math.abs(v) / (limit || 1)) * 100}%`);
  b.style.setProperty("--tint", css(diverging(v, limit || 1)));
  b.setAttribute("aria-hidden", "true");
  return b;
}

export class Inspector {
  /** opts.extra(cell): an element to add under a pinned cell's arithmetic, or null. */
  constructor(root, { extra } = {}) {
    this.root = root;
    this.extra = extra;
    this.opened = { layer: null, channels: new Map() }; // blocks the reader opened or closed
    this.update(null);
  }

  /** sel: {cell, pinned, value, explanation} from describe(), or null. */
  update(sel) {
    const r = this.root;
    r.replaceChildren();
    if (!sel || !sel.explanation) {
      const touch = globalThis.matchMedia?.("(pointer: coarse)").matches;
      r.append(el("p", { className: "hint", textContent: touch
        ? "Tap any cell of the network to see where it came from and the arithmetic that made it."
        : "Hover any cell of the network to see where it came from and the arithmetic that made it. Click to pin it; arrow keys move it; Escape releases." }));
      return;
    }
    const ex = sel.explanation;
    const head = el("h3", { textContent: ex.label ?? sel.cell.layer });
    if (sel.pinned) head.append(" ", el("span", { className: "tag", textContent: "pinned" }));
    r.append(head);
    if (this.opened.layer !== sel.cell.layer) this.opened = { layer: sel.cell.layer, channels: new Map() };
    this.body(ex);
    const more = sel.pinned ? this.extra?.(sel.cell) : null;
    if (more) r.append(more);
  }

  body(ex) {
    const draw = { conv: this.conv, maxpool: this.pool, dense: this.dense, softmax: this.softmax,
                   relu: this.relu, input: this.input }[ex.kind];
    draw.call(this, ex);
  }

  input(ex) {
    this.root.append(el("p", { textContent: F.inputText(ex.value) }));
  }

  relu(ex) {
    if (ex.inner) {
      this.root.append(el("p", { className: "muted", textContent: `${ex.source}, then ReLU:` }));
      this.body(ex.inner);
      return;
    }
    this.root.append(formula(F.reluText(ex.before, ex.after), "inspector-relu", ex.after));
  }

  conv(ex) {
    const r = this.root;
    r.append(el("p", { className: "lede", textContent: F.convIntro(ex) }));
    const limit = Math.abs(ex.maps[ex.largest[0]].sum);
    const list = el("div", { className: "conv-maps" });
    const w = ex.window;
    const [rows, cols] = [`${w.y}–${w.y + w.h - 1}`, `${w.x}–${w.x + w.w - 1}`];
    for (const [i, m] of ex.maps.entries()) {
      const part = F.convMapParts(m);
      const words = part.map
        ? [el("span", { textContent: part.map }), el("span", { className: "what", textContent: ` · ${part.what}` })]
        : [el("span", { textContent: part.what })];
      const summary = el("summary", {}, bar(m.sum, limit), ...words, el("span", { className: "sum", textContent: ` = ${part.sum}` }));
      summary.title = F.convMapText(m);
      const block = el("details", { className: "conv-map" }, summary);
      // the grids of a closed block are built when it opens: hovering stays cheap
      const fill = () => {
        if (!block.open || block.childElementCount > 1) return;
        block.append(el("div", { className: "pair" },
          el("figure", {}, el("figcaption", { textContent: `patch: rows ${rows}, cols ${cols}` }),
             numGrid(m.patch, ex.k, false, `${m.source}: the ${ex.k}x${ex.k} patch`, undefined, fixed)),
          el("figure", {}, el("figcaption", { textContent: "× filter (weights)" }),
             numGrid(m.filter, ex.k, true, `${m.source}: the filter's ${ex.k}x${ex.k} weights`, undefined, fixed))));
      };
      block.dataset.channel = m.channel;
      block.open = this.opened.channels.get(m.channel) ?? i === ex.largest[0]; // the largest sum open
      fill();
      block.addEventListener("toggle", fill);
      summary.addEventListener("click", () => this.opened.channels.set(m.channel, !block.open));
      list.append(block);
    }
    r.append(list, formula(F.convSumText(ex), "inspector-z", ex.z));
    if (ex.next) r.append(formula(F.nextText(ex), "inspector-relu", ex.next.value));
  }

  pool(ex) {
    const r = this.root;
    r.append(el("p", { className: "lede", textContent: F.poolIntro(ex) }));
    const t = numGrid(ex.values, ex.window.w, false, `${ex.map}: the pooling window`);
    const winner = t.querySelectorAll("td")[ex.winner];
    winner.classList.add("winner");
    winner.title = "the largest: it is passed on";
    r.append(t, formula(F.poolText(ex), "inspector-max", ex.max));
  }

  dense(ex) {
    const r = this.root;
    r.append(el("p", { className: "lede", textContent: F.denseIntro(ex) }));
    const limit = Math.abs(ex.top[0]?.wx ?? 1);
    const table = el("table", { className: "terms" });
    table.dataset.testid = "inspector-terms";
    table.append(el("tr", {}, ...["input", "x", "w", "w·x"].map((h) => el("th", { textContent: h }))));
    for (const t of ex.top) {
      const wx = num(t.wx);
      wx.style.color = css(diverging(t.wx, limit));
      const [layer, ...rest] = t.source.split(" "); // "pool2" "map 10 (4, 2)": narrow columns drop the layer
      const src = el("td", { className: "src" }, el("span", { className: "src-layer", textContent: `${layer} ` }), rest.join(" "));
      const tr = el("tr", { className: "term" }, src, num(t.x), num(t.w), wx);
      tr.dataset.source = t.source;
      table.append(tr);
    }
    if (ex.rest.count) {
      table.append(el("tr", { className: "rest" },
        el("td", { colSpan: 3, className: "src", textContent: F.denseRestText(ex) }), num(ex.rest.sum, "inspector-rest")));
    }
    table.append(el("tr", { className: "bias" }, el("td", { colSpan: 3, className: "src", textContent: "bias" }),
                    num(ex.bias, "inspector-bias")));
    r.append(table, formula(F.denseSumText(ex), "inspector-z", ex.z));
    const next = F.nextText(ex);
    if (next) r.append(formula(next, ex.next ? "inspector-relu" : undefined, ex.next?.value));
  }

  softmax(ex) {
    const r = this.root;
    const [rule, max, numbers] = F.softmaxLines(ex);
    r.append(formula(rule), el("p", { className: "muted", textContent: max }),
             formula(numbers, "inspector-p", ex.p));
    const table = el("table", { className: "terms softmax" });
    table.dataset.testid = "inspector-softmax";
    table.append(el("tr", {}, ...["digit", "z", "z − max", "e^(z − max)", "p"].map((h) => el("th", { textContent: h }))));
    ex.logits.forEach((z, i) => {
      const tr = el("tr", {}, el("td", { textContent: i }), num(z), num(ex.shifted[i]), num(ex.exps[i]), num(ex.probs[i]));
      if (i === ex.index) tr.className = "current";
      if (i === ex.argmax) tr.classList.add("max");
      table.append(tr);
    });
    table.append(el("tr", { className: "total" }, el("td", { textContent: "Σ" }), el("td"), el("td"),
                    num(ex.total, "inspector-total"), num(ex.probs.reduce((a, b) => a + b, 0))));
    r.append(table);
  }
}
