// The draw pad: white ink on black, round brush, Pointer Events (mouse, touch, pen).
// Render module: owns its canvas; tells the page when the drawing changes.
import { padPoint, encodeInk, INK_SIDE } from "./urlstate.js";
import { inkFromRGBA } from "./live.js";

export class DrawPad {
  /**
   * canvas: the visible <canvas>; onChange(reason) is called while drawing ("draw"), at the end
   * of a stroke ("stroke"), and on "clear", "undo", "sample", "image" and "strokes".
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.strokes = [];
    this.base = null; // a loaded sample digit, drawn under the strokes
    this.brush = 18;
    this.size = 280; // CSS pixels a side
    this.exportSize = 140; // pixels a side of the PNG sent to the server: ample for a 20 px box
    this.active = null;
    this.ctx = canvas.getContext("2d");
    this.resize();
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    // pointerrawupdate (Chromium, secure pages) comes as the pointer moves, not held for the
    // next frame as pointermove is: the ink reaches the server up to a frame earlier. Where it
    // exists it replaces pointermove (the same motion would otherwise be added twice).
    const moveEvent = "onpointerrawupdate" in window ? "pointerrawupdate" : "pointermove";
    canvas.addEventListener(moveEvent, (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (e) => this.up(e));
    window.addEventListener("resize", () => this.resize());
    // an image file dropped on the pad is drawn on it and read like a drawing
    canvas.addEventListener("dragover", (e) => {
      e.preventDefault();
      canvas.classList.add("dropping");
    });
    canvas.addEventListener("dragleave", () => canvas.classList.remove("dropping"));
    canvas.addEventListener("drop", (e) => {
      e.preventDefault();
      canvas.classList.remove("dropping");
      const file = e.dataTransfer?.files?.[0];
      if (file) this.onFile(file);
    });
    this.onFile = () => {}; // set by the page: (file) => ...
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.size * dpr);
    this.canvas.height = Math.round(this.size * dpr);
    this.redraw();
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    // whole pad pixels, as the URL keeps them, so a reopened link draws exactly this
    return padPoint(((e.clientX - r.left) / r.width) * this.size, ((e.clientY - r.top) / r.height) * this.size);
  }

  down(e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.active = { size: this.brush, points: [this.point(e)] };
    this.strokes.push(this.active);
    this.redraw();
    this.onChange("draw", e);
  }

  move(e) {
    if (!this.active) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) this.active.points.push(this.point(ev));
    this.redraw();
    this.onChange("draw", e);
  }

  up(e) {
    if (!this.active) return;
    this.active = null;
    this.onChange("stroke", e);
  }

  clear() {
    this.strokes = [];
    this.base = null;
    this.redraw();
    this.onChange("clear");
  }

  undo() {
    if (this.strokes.length) this.strokes.pop();
    else this.base = null;
    this.redraw();
    this.onChange("undo");
  }

  /**
   * Replace the strokes by [{size, points: [[x, y], ...]}] in pad coordinates (0-280);
   * keepBase keeps a loaded digit under them.
   */
  setStrokes(strokes, { keepBase = false } = {}) {
    if (!keepBase) this.base = null;
    this.strokes = strokes.map((s) => ({ size: s.size, points: s.points.map(([x, y]) => [x, y]) }));
    this.redraw();
    this.onChange("strokes");
  }

  /**
   * Draw an image (PNG or JPEG file or blob) on the pad, scaled to fit; dark ink on a light
   * ground is turned into the pad's light ink on black. Rejects when it is not an image.
   */
  async loadImage(blob) {
    const bitmap = await createImageBitmap(blob);
    const base = document.createElement("canvas");
    base.width = base.height = this.size;
    const ctx = base.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.size, this.size);
    const k = Math.min(this.size / bitmap.width, this.size / bitmap.height);
    const [w, h] = [bitmap.width * k, bitmap.height * k];
    ctx.drawImage(bitmap, (this.size - w) / 2, (this.size - h) / 2, w, h);
    bitmap.close?.();
    const img = ctx.getImageData(0, 0, this.size, this.size);
    if (borderMean(img, (this.size - w) / 2, (this.size - h) / 2) > 127) {
      for (let i = 0; i < img.data.length; i += 4) {
        for (let j = 0; j < 3; j++) img.data[i + j] = 255 - img.data[i + j];
      }
      // the letterbox bands were black; inverted they turned white: make them black again
      ctx.putImageData(img, 0, 0);
      ctx.fillStyle = "#000";
      if (w < this.size) {
        ctx.fillRect(0, 0, (this.size - w) / 2, this.size);
        ctx.fillRect((this.size + w) / 2, 0, this.size, this.size);
      }
      if (h < this.size) {
        ctx.fillRect(0, 0, this.size, (this.size - h) / 2);
        ctx.fillRect(0, (this.size + h) / 2, this.size, this.size);
      }
    }
    // kept as the grey ink the pad exports (exportSize a side), so that a link can carry it
    // and a reopened link puts back this very base
    const small = document.createElement("canvas");
    small.width = small.height = this.exportSize;
    const sctx = small.getContext("2d");
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage(base, 0, 0, this.exportSize, this.exportSize);
    const grey = inkFromRGBA(sctx.getImageData(0, 0, this.exportSize, this.exportSize).data);
    await this.loadInk(grey);
  }

  /**
   * Put grey ink (Uint8Array of exportSize^2, as an opened image is kept) on the pad as its
   * base, the strokes cleared. `text`: its link form when known (else it is encoded here).
   * this.image.text is that form, null when the image is too large for a link.
   */
  async loadInk(grey, text) {
    const n = this.exportSize;
    if (n !== INK_SIDE || grey.length !== n * n) throw new RangeError(`the ink must be ${n}x${n}`);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = n;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(n, n);
    grey.forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
    ctx.putImageData(img, 0, 0);
    this.image = { canvas, text: text ?? (await encodeInk(grey)) };
    this.base = canvas;
    this.strokes = [];
    this.redraw();
    this.onChange("image");
  }

  /** An opened image's link form while it is on the pad: text, null (too large), or undefined. */
  get imageLink() {
    return this.image && this.base === this.image.canvas ? this.image.text : undefined;
  }

  get isEmpty() {
    return !this.strokes.length && !this.base;
  }

  /** Draw a 28x28 uint8 digit (rows of numbers) scaled up in the middle of the pad. */
  loadDigit(rows) {
    const n = rows.length;
    const small = document.createElement("canvas");
    small.width = small.height = n;
    const img = small.getContext("2d").createImageData(n, n);
    rows.flat().forEach((v, i) => {
      img.data.set([v, v, v, 255], 4 * i);
    });
    small.getContext("2d").putImageData(img, 0, 0);
    this.base = small;
    this.digit = { canvas: small, rows }; // the digit as it is, while nothing is drawn over it
    this.strokes = [];
    this.redraw();
    this.onChange("sample");
  }

  redraw() {
    const { ctx, canvas } = this;
    const k = canvas.width / this.size;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(k, 0, 0, k, 0, 0);
    if (this.base) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.base, 0, 0, this.size, this.size);
    }
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineCap = ctx.lineJoin = "round";
    for (const s of this.strokes) {
      ctx.lineWidth = s.size;
      const [x0, y0] = s.points[0];
      if (s.points.length === 1) {
        ctx.beginPath();
        ctx.arc(x0, y0, s.size / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      for (const [x, y] of s.points.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
  }

  /** The drawing scaled to `exportSize` pixels a side on the export canvas; its context. */
  exported() {
    if (!this.out) {
      this.out = document.createElement("canvas");
      this.out.width = this.out.height = this.exportSize;
      this.outCtx = this.out.getContext("2d", { willReadFrequently: true }); // read every move
    }
    const ctx = this.outCtx;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.canvas, 0, 0, this.exportSize, this.exportSize);
    return ctx;
  }

  /**
   * The 28x28 digit (rows of 0-255) when the pad holds a sample or training digit and nothing
   * drawn over it, else null: such a digit is already the network's field and is read as it is
   * (preprocess off), as MNIST's test measures it, not re-drawn and re-centred like ink.
   */
  get field() {
    const d = this.digit;
    return d && this.base === d.canvas && !this.strokes.length ? d.rows : null;
  }

  /** The pad as an API image: {image, preprocess: false} for a field (above), else the PNG. */
  imageBody() {
    const rows = this.field;
    return rows ? { image: rows, preprocess: false } : { image_base64: this.toPNG() };
  }

  /** The drawing as a compact PNG data URL, `exportSize` pixels a side. */
  toPNG() {
    this.exported();
    return this.out.toDataURL("image/png");
  }

  /** The same pixels as toPNG() encodes, as RGBA bytes (exportSize^2 * 4): the live channel's ink. */
  toPixels() {
    return this.exported().getImageData(0, 0, this.exportSize, this.exportSize).data;
  }
}

/** Mean brightness of the image's border ring (inside the letterbox at x0, y0). */
function borderMean(img, x0, y0) {
  const { width, height, data } = img;
  const [l, t] = [Math.ceil(x0), Math.ceil(y0)];
  const [r, b] = [width - 1 - l, height - 1 - t];
  let sum = 0;
  let n = 0;
  const add = (x, y) => {
    const i = 4 * (y * width + x);
    sum += (data[i] + data[i + 1] + data[i + 2]) / 3;
    n += 1;
  };
  for (let x = l; x <= r; x++) { add(x, t); add(x, b); }
  for (let y = t; y <= b; y++) { add(l, y); add(r, y); }
  return n ? sum / n : 0;
}
