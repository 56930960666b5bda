// Paint a 2-D array onto a small canvas, CSS-scaled with smoothing off. Render helper.
import { absMax, fillPixels } from "../colour.js";

/** rows: array of arrays; signed: diverging scale; px: CSS pixels per cell. */
export function paint(canvas, rows, signed, px = 6, limit) {
  const h = rows.length;
  const w = rows[0].length;
  const flat = Float32Array.from(rows.flat());
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${w * px}px`;
  canvas.style.height = `${h * px}px`;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  fillPixels(img.data, flat, 0, flat.length, signed, limit ?? absMax(flat));
  ctx.putImageData(img, 0, 0);
}

/** Flat C-order values -> rows of w. */
export function toRows(flat, w) {
  const rows = [];
  for (let i = 0; i < flat.length; i += w) rows.push(Array.from(flat.slice(i, i + w)));
  return rows;
}

export function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}
