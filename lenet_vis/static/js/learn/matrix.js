// Lesson 1: the drawing as the 28x28 matrix of numbers 0-255.
import { css, gray } from "../colour.js";

export class MatrixLesson {
  constructor(table, zoom, readout) {
    this.table = table;
    this.readout = readout;
    zoom.addEventListener("change", () => table.classList.toggle("zoomed", zoom.checked));
    table.addEventListener("pointerover", (e) => {
      const td = e.target.closest("td");
      if (td) readout.textContent = `row ${td.dataset.y}, column ${td.dataset.x}: ${td.textContent}`;
    });
  }

  /** pixels: 28 rows of integers 0-255. */
  update(pixels) {
    this.table.replaceChildren();
    pixels.forEach((row, y) => {
      const tr = document.createElement("tr");
      row.forEach((v, x) => {
        const td = document.createElement("td");
        td.textContent = v;
        td.title = `row ${y}, column ${x}: ${v}`;
        Object.assign(td.dataset, { y, x });
        td.style.background = css(gray(v, 255));
        td.style.color = v > 127 ? "#000" : "#fff";
        tr.append(td);
      });
      this.table.append(tr);
    });
  }
}
