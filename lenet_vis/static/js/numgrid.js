// A small grid of numbers, each cell tinted in the page's colour language. Render helper.
import { css, diverging, gray, absMax } from "./colour.js";

export const fmt = (v) => (Math.abs(v) >= 100 || v === 0 || Number.isInteger(v) ? String(Math.round(v * 10) / 10) : v.toPrecision(3));

/** A table of `values` (flat, row-major) with `k` columns. */
export function numGrid(values, k, signed, label, limit = absMax(values)) {
  const table = document.createElement("table");
  table.className = "numgrid";
  table.setAttribute("aria-label", label);
  for (let i = 0; i < values.length / k; i++) {
    const tr = document.createElement("tr");
    for (let j = 0; j < k; j++) {
      const v = values[i * k + j];
      const td = document.createElement("td");
      td.textContent = fmt(v);
      const rgb = signed ? diverging(v, limit) : gray(v, limit);
      td.style.background = css(rgb);
      td.style.color = rgb[0] + rgb[1] + rgb[2] > 380 ? "#000" : "#fff";
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
