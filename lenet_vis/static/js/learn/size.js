// Lesson 4: output size (W - F + 2P) / S + 1, from the server's own formula.
import * as api from "../api.js";

export class SizeLesson {
  constructor($) {
    this.$ = $;
    this.ids = ["size-w", "size-f", "size-s", "size-p", "size-depth"];
    for (const id of this.ids) $(id).addEventListener("input", () => this.update());
  }

  async update() {
    const $ = this.$;
    const values = this.ids.map((id) => Number($(id).value));
    if (values.some((v) => !Number.isInteger(v) || v < 0)) return; // mid-typing
    const [w, f, s, p, depth] = values;
    const asked = (this.asked = (this.asked || 0) + 1);
    let body;
    try {
      body = await api.featureMapSize({ width: w, filter_size: f, stride: s, padding: p, depth });
    } catch (err) {
      if (asked === this.asked) $("size-error").textContent = `Out of range: ${err.message}`;
      return;
    }
    if (asked !== this.asked) return; // a newer question was asked meanwhile
    if (!body.fits) {
      $("size-output").textContent = "";
      delete $("size-output").dataset.size;
      $("size-formula").textContent = body.formula;
      $("size-error").textContent = `This does not fit: ${body.reason}. Change the stride or the padding so that W − F + 2P divides by S.`;
      this.draw(w, p, null, depth);
      return;
    }
    $("size-error").textContent = "";
    $("size-formula").textContent = body.formula;
    $("size-output").textContent = `${body.output_size} x ${body.output_size} x ${body.depth}`;
    $("size-output").dataset.size = body.output_size;
    this.draw(w, p, body.output_size, depth);
  }

  /** Input (with its padding) and the output stack, to one scale. */
  draw(w, p, out, depth) {
    const svg = this.$("size-drawing");
    const full = w + 2 * p;
    const k = 150 / Math.max(full, 1);
    const rect = (x, y, s, cls) => `<rect x="${x}" y="${y}" width="${s}" height="${s}" class="${cls}"/>`;
    let html = rect(10, 15, full * k, "pad") + rect(10 + p * k, 15 + p * k, w * k, "in");
    html += `<text x="10" y="12">input ${w}x${w}${p ? ` + padding ${p}` : ""}</text>`;
    if (out) {
      const layers = Math.min(depth, 8);
      for (let i = layers - 1; i >= 0; i--) html += rect(240 + i * 6, 15 + i * 6, out * k, "out");
      html += `<text x="240" y="12">output ${out}x${out}x${depth}</text>`;
    }
    svg.innerHTML = html;
  }
}
