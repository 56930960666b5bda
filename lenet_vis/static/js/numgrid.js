// A small grid of numbers, each cell tinted in the page's colour language. Render helper.
import { css, diverging, gray, absMax } from "./colour.js";
import { fmt } from "./numbers.js";

export { fmt };

/**
 * A table of `values` (flat, row-major) with `k` columns; each cell's text is format(value)
 * and its data-value the exact number. signed: the diverging scale; else black to white.
 */
export function numGrid(values, k, signed, label, limit = absMax(values), format = fmt) {
  const table = document.createElement("table");
  table.className = "numgrid";
  table.setAttribute("aria-label", label);
  for (let i = 0; i < values.length / k; i++) {
    const tr = document.createElement("tr");
    for (let j = 0; j < k; j++) {
      const v = values[i * k + j];
      const td = document.createElement("td");
      td.textContent = format(v);
      td.dataset.value = v;
      const rgb = signed ? diverging(v, limit) : gray(v, limit);
      td.style.background = css(rgb);
      td.style.color = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
