// The live channel: the drawing goes to the server as raw ink over one WebSocket (/api/live)
// and every layer comes back in one binary frame of little-endian float32 (README, "The live
// channel"). The frame functions are pure (no DOM, tested under Node); LiveChannel holds one
// socket: sequence numbers, at most one message in flight, stale answers dropped, reconnects
// with backoff. The page (main.js) falls back to HTTP whenever the channel is not open.
//
// Request (client -> server), one binary message per drawing:
//   u32 seq | u8 checkpoint (0 = final weights, i = i-th of /api/knowledge/checkpoints) |
//   u8 flags (bit 0: the grid is already the network's field, 28x28, read without
//   preprocessing) | u16 side (28..256) | side*side uint8 ink, row-major, 0 background, 255 ink
// Answer (server -> client):
//   u32 seq | u8 prediction | u8 flags (bit 0 = blank) | u16 H | H bytes of UTF-8 JSON
//   {"v":1,"checkpoint":null|"epoch-3","layers":[[name,[shape],offset],...]} padded with
//   spaces to a multiple of 4 | float32 data at each layer's offset from the frame start.

export const PATH = "/api/live";
export const HEADER_BYTES = 8;
export const MIN_SIDE = 28;
export const MAX_SIDE = 256;
export const FLAG_BLANK = 1; // in an answer: no ink
export const FLAG_FIELD = 1; // in a request: the grid is the network's 28x28 field, read as it is
/** Close codes after which the channel is not tried again soon: the server refused it. */
export const REFUSED = [1002, 1003, 1007, 1008, 1009, 1010];

/** The WebSocket address of the live channel for a page at `origin` ({protocol, host}). */
export function liveURL({ protocol, host }) {
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}${PATH}`;
}

/**
 * RGBA pixels (Uint8ClampedArray, 4 bytes a pixel, as getImageData gives) -> luminance
 * Uint8Array (one byte a pixel), with PIL's convert("L") weights and rounding, so the bytes are
 * those the server reads from the same pixels sent as a PNG. `out` is reused when given.
 */
export function inkFromRGBA(rgba, out = new Uint8Array(rgba.length >> 2)) {
  for (let i = 0, j = 0; j < out.length; i += 4, j++) {
    out[j] = (rgba[i] * 19595 + rgba[i + 1] * 38470 + rgba[i + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/**
 * One request message: seq (u32, wraps), checkpoint (0..255), ink (Uint8Array of side*side).
 * Returns a Uint8Array of 8 + side*side bytes.
 */
export function encodeRequest(seq, checkpoint, ink, side, flags = 0) {
  if (!Number.isInteger(side) || side < MIN_SIDE || side > MAX_SIDE) {
    throw new RangeError(`side must be an integer from ${MIN_SIDE} to ${MAX_SIDE}, not ${side}`);
  }
  if (ink.length !== side * side) throw new RangeError(`ink has ${ink.length} bytes, not ${side}x${side}`);
  if (!Number.isInteger(checkpoint) || checkpoint < 0 || checkpoint > 255) {
    throw new RangeError(`checkpoint must be 0..255, not ${checkpoint}`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + ink.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, seq >>> 0, true);
  view.setUint8(4, checkpoint);
  view.setUint8(5, flags);
  view.setUint16(6, side, true);
  bytes.set(ink, HEADER_BYTES);
  return bytes;
}

/** The fields of a request message (the server's view; used by the tests). */
export function decodeRequest(buffer) {
  const view = new DataView(buffer.buffer ?? buffer, buffer.byteOffset ?? 0);
  const side = view.getUint16(6, true);
  return {
    seq: view.getUint32(0, true),
    checkpoint: view.getUint8(4),
    flags: view.getUint8(5),
    side,
    ink: new Uint8Array(buffer.buffer ?? buffer, (buffer.byteOffset ?? 0) + HEADER_BYTES, side * side),
  };
}

const count = (shape) => shape.reduce((n, k) => n * k, 1);
const utf8 = new TextDecoder();

/**
 * The parsed JSON header of a frame (its bytes). cache ({bytes, parsed}, updated here) holds
 * the last header read: every answer of a channel carries the same one until the checkpoint
 * changes, so it is parsed again only when its bytes differ. Throws when it is not JSON.
 */
function readHeader(bytes, cache) {
  const last = cache?.bytes;
  let same = last?.length === bytes.length && cache.parsed != null;
  for (let i = 0; same && i < bytes.length; i++) same = last[i] === bytes[i];
  if (same) return cache.parsed;
  let parsed;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw new Error(`header is not JSON: ${err.message}`);
  }
  if (cache) Object.assign(cache, { bytes: bytes.slice(), parsed });
  return parsed;
}

/**
 * An answer frame (ArrayBuffer) -> {seq, checkpoint, prediction, probabilities, blank, layers,
 * shapes}: the shape decodePrediction gives for the HTTP answer (layers: name -> Float32Array,
 * views on the frame, not copies), plus the echoed seq, the checkpoint's name and the shapes.
 * Throws an Error naming what is wrong with a malformed frame. cache: an object ({} at first)
 * kept between frames of one channel: the JSON header is parsed again only when it changes.
 */
export function decodeFrame(buffer, cache = null) {
  if (!(buffer instanceof ArrayBuffer)) throw new TypeError("a frame is an ArrayBuffer");
  if (buffer.byteLength < HEADER_BYTES) throw new Error(`frame of ${buffer.byteLength} bytes is shorter than its header`);
  const view = new DataView(buffer);
  const headerLength = view.getUint16(6, true);
  const dataStart = HEADER_BYTES + headerLength;
  if (dataStart > buffer.byteLength) throw new Error(`header of ${headerLength} bytes runs past the frame`);
  const header = readHeader(new Uint8Array(buffer, HEADER_BYTES, headerLength), cache);
  if (header?.v !== 1 || !Array.isArray(header.layers)) throw new Error("header is not version 1 with a layers list");
  const layers = {};
  const shapes = {};
  for (const entry of header.layers) {
    const [name, shape, offset] = Array.isArray(entry) ? entry : [];
    if (typeof name !== "string" || !Array.isArray(shape) || !Number.isInteger(offset)) {
      throw new Error(`layer entry ${JSON.stringify(entry)} is not [name, shape, offset]`);
    }
    const n = count(shape);
    if (offset % 4 || offset < dataStart || offset + 4 * n > buffer.byteLength) {
      throw new Error(`${name}: ${n} floats at byte ${offset} do not fit the frame of ${buffer.byteLength} bytes`);
    }
    layers[name] = new Float32Array(buffer, offset, n); // little-endian on every platform browsers run on
    shapes[name] = shape;
  }
  if (!layers.softmax || layers.softmax.length !== 10) throw new Error("the frame has no softmax of 10 values");
  return {
    seq: view.getUint32(0, true),
    checkpoint: header.checkpoint ?? null,
    prediction: view.getUint8(4),
    probabilities: Array.from(layers.softmax),
    blank: Boolean(view.getUint8(5) & FLAG_BLANK),
    layers,
    shapes,
  };
}

/**
 * The request's checkpoint byte: 0 for the final weights (name null), else the 1-based place
 * of `name` in GET /api/knowledge/checkpoints' list (`names`, in order). RangeError if unknown.
 */
export function checkpointIndex(names, name) {
  if (name === null || name === undefined) return 0;
  const i = names.indexOf(name);
  if (i < 0 || i > 254) throw new RangeError(`no checkpoint named ${JSON.stringify(name)}`);
  return i + 1;
}

/** Milliseconds to wait before reconnect attempt `attempt` (0, 1, 2...): 0.5 s doubling to 30 s. */
export function backoff(attempt) {
  return Math.min(30_000, 500 * 2 ** attempt);
}

/**
 * One WebSocket to /api/live. request() sends a drawing and resolves with its decoded answer;
 * at most one message is in flight: a request made meanwhile waits, and a newer one replaces it
 * (the replaced one resolves null). Answers whose seq is not the one in flight are dropped.
 * The socket is opened on connect() and again, after a backoff, when it closes with an error;
 * a channel that never opened is tried `tries` times in all, then left (a proxy that strips the
 * upgrade will not change its mind, and each failed handshake is a line in the browser's
 * console). onStatus(state, detail) tells the page: "connecting", "open", "idle" (closed while
 * idle: reopened by wake()), "down" (failed or refused: use HTTP). An answer that takes longer
 * than `timeout` ms closes the socket (the page then uses HTTP).
 */
export class LiveChannel {
  constructor(url, { onStatus = () => {}, timeout = 3000, tries = 3, Socket = globalThis.WebSocket } = {}) {
    this.url = url;
    this.onStatus = onStatus;
    this.timeout = timeout;
    this.Socket = Socket;
    this.socket = null;
    this.seq = 0;
    this.current = null; // {seq, resolve, reject, deadline} of the message in flight
    this.next = null; // {message, resolve, reject} waiting for it
    this.attempts = 0; // failed opens in a row
    this.tries = tries;
    this.everOpened = false;
    this.retryTimer = 0;
    this.timer = 0; // checks the deadline of the answer in flight
    this.headerCache = {}; // the last answer's header, parsed (decodeFrame)
    this.closed = false; // close() was called: never reopen
    this.state = "down";
    this.detail = "";
    this.stats = { sent: 0, answered: 0, dropped: 0 };
  }

  get isOpen() {
    return this.socket?.readyState === 1;
  }

  setState(state, detail = "") {
    this.state = state;
    this.detail = detail;
    this.onStatus(state, detail);
  }

  connect() {
    if (this.closed || this.socket || !this.Socket) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.setState("connecting");
    let ws;
    try {
      ws = new this.Socket(this.url);
    } catch (err) {
      this.fail(`could not open: ${err.message}`);
      return;
    }
    ws.binaryType = "arraybuffer";
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.everOpened = true;
      this.attempts = 0;
      this.setState("open");
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.abandon(new Error(`the live channel closed (${e.code}${e.reason ? `: ${e.reason}` : ""})`));
      if (this.closed) return;
      // an idle close of a channel that worked: reopen when the page next needs it, quietly
      if (opened && (e.code === 1000 || e.code === 1001)) {
        this.setState("idle", "closed while idle");
        return;
      }
      this.fail(opened ? `closed (${e.code}${e.reason ? ` ${e.reason}` : ""})` : "could not connect", e.code);
    };
    this.socket = ws;
  }

  /**
   * The socket failed: say so and try again after a backoff (longer after a refusal), unless it
   * never opened in `tries` attempts.
   */
  fail(detail, code) {
    this.attempts += REFUSED.includes(code) ? 3 : 1;
    const giveUp = this.closed || (!this.everOpened && this.attempts >= this.tries);
    const wait = backoff(this.attempts - 1);
    this.setState("down", giveUp ? `${detail}; not tried again` : `${detail}; trying again in ${wait / 1000} s`);
    if (!giveUp) this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  /** Reopen now if the channel closed while idle (not while backing off after a failure). */
  wake() {
    if (this.state === "idle") this.connect();
  }

  /**
   * Send ink (Uint8Array side*side) for `checkpoint` (the request byte); resolves with the
   * decoded answer, or null when a newer request replaced this one before it was sent.
   * Rejects when the channel is not open, closes, or the answer times out.
   */
  request(ink, side, checkpoint = 0, flags = 0) {
    if (!this.isOpen) return Promise.reject(new Error("the live channel is not open"));
    const message = { ink, side, checkpoint, flags };
    return new Promise((resolve, reject) => {
      if (this.current) {
        this.next?.resolve(null);
        this.next = { message, resolve, reject };
        return;
      }
      this.send(message, resolve, reject);
    });
  }

  send({ ink, side, checkpoint, flags }, resolve, reject) {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    let bytes;
    try {
      bytes = encodeRequest(seq, checkpoint, ink, side, flags);
    } catch (err) {
      reject(err);
      return;
    }
    this.current = { seq, resolve, reject, deadline: performance.now() + this.timeout };
    // one timer checks the deadline of whatever is in flight (not a timer armed and cleared per
    // message: this runs for every drawing)
    if (!this.timer) this.timer = setTimeout(() => this.checkDeadline(), this.timeout);
    this.stats.sent += 1;
    this.socket.send(bytes);
  }

  /** The answer in flight is overdue: close the socket (the page then uses HTTP). */
  checkDeadline() {
    this.timer = 0;
    const cur = this.current;
    if (!cur) return;
    const left = cur.deadline - performance.now();
    if (left > 0) this.timer = setTimeout(() => this.checkDeadline(), left);
    else this.socket?.close(4000, "answer timed out");
  }

  receive(data) {
    let frame;
    try {
      frame = decodeFrame(data, this.headerCache);
    } catch (err) {
      this.socket?.close(4001, "bad frame");
      this.abandon(new Error(`the live channel sent a bad frame: ${err.message}`));
      return;
    }
    const cur = this.current;
    if (!cur || frame.seq !== cur.seq) {
      this.stats.dropped += 1; // stale: not the answer to the message in flight
      return;
    }
    this.current = null;
    this.stats.answered += 1;
    cur.resolve(frame);
    const next = this.next;
    this.next = null;
    if (next && this.isOpen) this.send(next.message, next.resolve, next.reject);
    else next?.reject(new Error("the live channel is not open"));
  }

  /** Reject what is in flight and waiting (the page sends it again over HTTP). */
  abandon(err) {
    if (this.current) {
      this.current.reject(err);
      this.current = null;
    }
    this.next?.reject(err);
    this.next = null;
  }

  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.timer);
    this.timer = 0;
    const ws = this.socket;
    this.socket = null;
    this.abandon(new Error("the live channel was closed"));
    ws?.close(1000, "page closed the channel");
  }
}
