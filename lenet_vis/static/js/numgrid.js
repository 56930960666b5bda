// A small grid of numbers, each cell tinted in the page's colour language. Render helper.
import { css, diverging, gray, absMax } from "./colour.js";
import { fmt } from "./numbers.js";

export { fmt };

/**
 * A table of `values` (flat, row-major) with `k` columns; each cell's text is format(value)
 * and its data-value the exact number. signed: the diverging scale; else black to white.
 * Built as one string (numbers only): it is rebuilt on every hover, so it must be cheap.
 */
export function numGrid(values, k, signed, label, limit = absMax(values), format = fmt) {
  const table = document.createElement("table");
  table.className = "numgrid";
  table.setAttribute("aria-label", label);
  let html = "<tbody>";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const rgb = signed ? diverging(v, limit) : gray(v, limit);
    const ink = rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114 > 140 ? "#000" : "#fff";
    if (i % k === 0) html += "<tr>";
    html += `<td data-value="${+v}" style="background:${css(rgb)};color:${ink}">${format(v)}</td>`;
    if (i % k === k - 1) html += "</tr>";
  }
  table.innerHTML = `${html}</tbody>`;
  return table;
}
