// Harley-style edges: a line from the selected cell to every cell it reads, on one overlay
// canvas. Render module: draw(target, edges) repaints the whole overlay.
import { diverging } from "./colour.js";

const LEVELS = 8; // strengths are drawn in a few batches, weakest first
const POS = diverging(1, 1);
const NEG = diverging(-1, 1);

export class EdgeLayer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.width = 0;
    this.height = 0;
  }

  /** Match the stage: width x height CSS px. */
  resize(width, height) {
    const dpr = window.devicePixelRatio || 1;
    this.width = width;
    this.height = height;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.canvas.hidden = true;
  }

  clear() {
    if (this.canvas.hidden) return;
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.canvas.hidden = true; // an empty layer the size of the stage still costs each frame
  }

  /**
   * target: [x, y] in CSS px; edges: [{from: [x, y], weight (null: no weight), contribution,
   * winner?}]. Colour: the sign of the weight (of the value where there is no weight) on the
   * diverging scale; width and opacity: |contribution| against the largest, so the few strong
   * terms stand out of the many.
   */
  draw(target, edges) {
    this.clear();
    if (!edges.length) return;
    this.canvas.hidden = false;
    const ctx = this.ctx;
    let most = 0;
    for (const e of edges) most = Math.max(most, Math.abs(e.contribution));
    // batches[sign][level]: one path each, so 400 lines cost a handful of strokes
    const batches = [[], []].map(() => Array.from({ length: LEVELS }, () => []));
    const pooled = [];
    for (const e of edges) {
      if (e.weight === null && e.winner !== undefined) {
        pooled.push(e);
        continue;
      }
      const t = most > 0 ? Math.abs(e.contribution) / most : 0;
      const level = Math.min(LEVELS - 1, Math.floor(t * LEVELS));
      const sign = (e.weight ?? e.contribution) < 0 ? 0 : 1;
      batches[sign][level].push(e.from);
    }
    const [tx, ty] = target;
    ctx.lineCap = "round";
    for (let level = 0; level < LEVELS; level++) {
      const t = (level + 0.5) / LEVELS;
      ctx.lineWidth = 0.6 + 2.4 * t * t;
      for (const sign of [0, 1]) {
        const froms = batches[sign][level];
        if (!froms.length) continue;
        const [r, g, b] = sign ? POS : NEG;
        ctx.strokeStyle = `rgba(${r},${g},${b},${(0.12 + 0.88 * t).toFixed(3)})`;
        ctx.beginPath();
        for (const [x, y] of froms) {
          ctx.moveTo(x, y);
          ctx.lineTo(tx, ty);
        }
        ctx.stroke();
      }
    }
    // max pooling: the winner in white, the others faint
    for (const e of pooled) {
      ctx.lineWidth = e.winner ? 2.5 : 1;
      ctx.strokeStyle = e.winner ? "rgba(255,255,255,0.95)" : "rgba(200,200,200,0.35)";
      ctx.beginPath();
      ctx.moveTo(...e.from);
      ctx.lineTo(tx, ty);
      ctx.stroke();
    }
  }
}
