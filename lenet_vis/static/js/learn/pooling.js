// Lesson 6: max, average and sum pooling of a rectified map; hover an output cell for its window.
import * as api from "../api.js";
import { paint, toRows, el } from "./paint.js";

const PX = 8;

export class PoolingLesson {
  constructor($) {
    this.$ = $;
    for (const id of ["pool-map", "pool-mode", "pool-size", "pool-stride"]) {
      $(id).addEventListener("input", () => this.render());
    }
    $("pool-output").addEventListener("pointermove", (e) => this.hover(e));
    $("pool-output").addEventListener("pointerleave", () => { $("pool-window").hidden = true; });
  }

  update(data, relu1) {
    this.data = data;
    this.shape = relu1.output_shape;
    const select = this.$("pool-map");
    if (!select.options.length) {
      for (let c = 0; c < this.shape[0]; c++) select.append(el("option", { value: c, textContent: `relu1 map ${c}` }));
      select.value = 1;
    }
    return this.render();
  }

  async render() {
    const $ = this.$;
    const c = Number($("pool-map").value);
    const [, h, w] = this.shape;
    this.input = toRows(this.data.layers.relu1.slice(c * h * w, (c + 1) * h * w), w);
    this.size = Number($("pool-size").value);
    this.stride = Number($("pool-stride").value);
    this.mode = $("pool-mode").value;
    paint($("pool-input"), this.input, false, PX);
    $("pool-input").dataset.values = JSON.stringify(this.input);
    if (!(this.size >= 1 && this.stride >= 1)) return; // mid-typing
    const asked = (this.asked = (this.asked || 0) + 1);
    const fit = await api.featureMapSize({ width: w, filter_size: this.size, stride: this.stride, padding: 0 })
      .catch((err) => ({ fits: false, reason: err.message }));
    if (asked !== this.asked) return;
    if (!fit.fits) {
      $("pool-error").textContent = `That window does not fit: ${fit.reason}.`;
      return;
    }
    try {
      const body = await api.pool(this.input, this.size, this.stride, this.mode);
      if (asked !== this.asked) return; // a newer setting was chosen meanwhile
      this.output = body.output;
      $("pool-error").textContent = "";
      paint($("pool-output"), body.output, false, PX * this.stride);
      Object.assign($("pool-output").dataset, {
        values: JSON.stringify(body.output), mode: this.mode, size: this.size, stride: this.stride,
      });
    } catch (err) {
      $("pool-error").textContent = `That window does not fit: ${err.message}`;
    }
  }

  hover(e) {
    const $ = this.$;
    const canvas = $("pool-output");
    const r = canvas.getBoundingClientRect();
    const y = Math.min(canvas.height - 1, Math.floor(((e.clientY - r.top) / r.height) * canvas.height));
    const x = Math.min(canvas.width - 1, Math.floor(((e.clientX - r.left) / r.width) * canvas.width));
    const [, h, w] = this.shape;
    const box = $("pool-window");
    Object.assign(box.style, {
      top: `${((y * this.stride) / h) * 100}%`, left: `${((x * this.stride) / w) * 100}%`,
      height: `${(this.size / h) * 100}%`, width: `${(this.size / w) * 100}%`,
    });
    Object.assign(box.dataset, { y: y * this.stride, x: x * this.stride, h: this.size, w: this.size });
    box.hidden = false;
    const values = [];
    for (let i = 0; i < this.size; i++) for (let j = 0; j < this.size; j++) values.push(this.input[y * this.stride + i][x * this.stride + j].toFixed(2));
    $("pool-readout").textContent = `${this.mode} of [${values.join(", ")}] = ${this.output[y][x].toFixed(3)}`;
  }
}
