// The 3D view: the layers as slabs of cells in space (as Harley's 3D page), coloured like the
// 2D view, with orbit and zoom; hover or tap picks a cell; highlight(sel) draws the same
// edges as the 2D view. Render module: update(state), highlight(sel), resize(), dispose().
// Cheap without a GPU: one textured plane per feature map (one per dense layer), a frame
// drawn only when something changed.
import * as THREE from "../vendor/three/three.module.min.js";
import { absMax, diverging, fillPixels } from "./colour.js";
import { layout3d, cellCentre, blockRect, cellAtUV, slabFor } from "./network3d-layout.js";
import { buildSlabs, disposeSlabs, rectPoints } from "./network3d-slabs.js";
import { OrbitControl } from "./network3d-orbit.js";
import { Marks } from "./network3d-marks.js";

const BLANK_RGBA = [18, 19, 23, 255]; // a map before there is data: just visible on the stage
// as in 2D: .box.cell (white, orange when pinned), .box.source, .box.winner, .box.field
const MARK_COLOURS = { ring: 0xffffff, pinned: 0xe67d14, window: 0xe67d14, winner: 0xffffff, field: 0x7fb8ff };
const FOV = 30;
const START = { theta: 0, phi: (58 * Math.PI) / 180 }; // from the front, 32 degrees above
const LIFT = 0.15; // outlines float this far above their slab

/** True where this browser gives a WebGL2 context (what three.js r170 needs). Never throws. */
export function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    const gl = canvas.getContext("webgl2");
    if (!gl) return false;
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return true;
  } catch {
    return false;
  }
}

const srgb = (rgb) => new THREE.Color().setRGB(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255, THREE.SRGBColorSpace);

/** Edge colours: the sign of the weight on the diverging scale; grey where there is no weight. */
const EDGE = Object.freeze({
  negative: srgb(diverging(-1, 1)),
  positive: srgb(diverging(1, 1)),
  neutral: srgb([220, 220, 220]),
  winner: srgb([255, 255, 255]),
});

export class Network3D {
  /** container: the 3D stage element; model: GET /api/model; handlers: {hover, pin, leave}. */
  constructor(container, model, handlers) {
    this.container = container;
    this.layers = model.layers;
    this.handlers = handlers;
    this.frame = 0;
    this.hovered = null; // key of the cell under the pointer

    // no multisampling: a software rasteriser (no GPU) pays for every sample
    this.renderer = new THREE.WebGLRenderer({ antialias: false, alpha: true, powerPreference: "low-power" });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.setClearColor(0x000000, 0); // the stage's own background shows through
    this.canvas = this.renderer.domElement;
    this.canvas.className = "network3d-canvas";
    this.canvas.style.cssText = "display: block; width: 100%; height: 100%; touch-action: none";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label",
      "The network in 3D: the layers as slabs, the input at the bottom. Drag or the arrow keys to turn, wheel, pinch or + and - to zoom, right-drag or Shift+arrows to pan; hover or tap a cell to inspect it.");
    // the view's element answers where a cell is drawn (tests and the benchmark aim with it)
    this.canvas.projectCell = (cell) => this.project(cell);
    container.append(this.canvas);

    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(FOV, 1, 1, 5000);
    this.raycaster = new THREE.Raycaster();
    this.moved = false; // the person turned, zoomed or panned: resizing keeps their view
    this.orbit = new OrbitControl(THREE, this.camera, this.canvas, {
      change: () => {
        this.moved = true;
        this.requestRender();
      },
      hover: (e) => this.onHover(e),
      tap: (e) => this.onTap(e),
      leave: () => this.onLeave(),
    });
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(container);

    this.slabs = null; // buildSlabs(): rebuilt when the shown layers change
    this.marks = new Marks(this.scene, MARK_COLOURS); // the highlight: ring, edges, windows
    this.build(true);
    this.resize();
    this.fit();
  }

  // ------------------------------------------------------------------ the slabs

  /** (Re)build every slab for the layers shown. */
  build(showPre) {
    if (this.slabs) {
      this.scene.remove(this.slabs.group);
      disposeSlabs(this.slabs);
    }
    this.layout = layout3d(this.layers, showPre);
    this.shownPre = showPre;
    this.slabs = buildSlabs(this.layers, this.layout);
    ({ pickable: this.pickable, textures: this.textures, extent: this.extent, outputs: this.outputs } = this.slabs);
    this.scene.add(this.slabs.group);
  }

  /** Camera from the front, above, so the whole stack fits the view. */
  fit() {
    const points = this.extent;
    const target = points.reduce((t, p) => t.add(p), new THREE.Vector3()).divideScalar(points.length);
    [this.camera.near, this.camera.far] = [0.1, 1e6];
    this.camera.updateProjectionMatrix();
    const bounds = () => {
      const b = [Infinity, -Infinity, Infinity, -Infinity, -Infinity]; // x0 x1 y0 y1 |z|max
      for (const p of points) {
        const q = p.clone().project(this.camera);
        b[0] = Math.min(b[0], q.x);
        b[1] = Math.max(b[1], q.x);
        b[2] = Math.min(b[2], q.y);
        b[3] = Math.max(b[3], q.y);
        b[4] = Math.max(b[4], Math.abs(q.z));
      }
      return b;
    };
    let radius = 1000;
    for (let round = 0; round < 3; round++) {
      // the nearest distance at which every point is in view, then centre the picture
      let [lo, hi] = [1, 20000];
      for (let i = 0; i < 32; i++) {
        const mid = (lo + hi) / 2;
        this.orbit.set(target.toArray(), mid, START.theta, START.phi);
        const [x0, x1, y0, y1, z] = bounds();
        if (x0 > -0.94 && x1 < 0.94 && y0 > -0.94 && y1 < 0.94 && z < 1) hi = mid;
        else lo = mid;
      }
      radius = hi;
      this.orbit.set(target.toArray(), radius, START.theta, START.phi);
      const [x0, x1, y0, y1] = bounds();
      const half = radius * Math.tan((this.camera.fov * Math.PI) / 360);
      const m = this.camera.matrixWorld.elements; // columns: right, up
      const [dx, dy] = [((x0 + x1) / 2) * half * this.camera.aspect, ((y0 + y1) / 2) * half];
      target.add(new THREE.Vector3(m[0], m[1], m[2]).multiplyScalar(dx));
      target.add(new THREE.Vector3(m[4], m[5], m[6]).multiplyScalar(dy));
    }
    this.orbit.set(target.toArray(), radius, START.theta, START.phi);
    this.camera.near = radius / 50;
    this.camera.far = radius * 10;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  // ------------------------------------------------------------------ data

  /** Recolour every map from state.data.layers (null: blank); rebuild if showPre changed. */
  update(state) {
    const showPre = state.showPre !== false;
    if (showPre !== this.shownPre) {
      this.build(showPre);
      this.fit();
      this.highlight(this.selection ?? null);
    }
    const data = state.data?.layers;
    for (const slab of this.layout.slabs) {
      const values = data?.[slab.name];
      const per = slab.map ? slab.w * slab.h : slab.n;
      const layerMax = values && (state.normalise === "layer" || !slab.map) ? absMax(values) : 0;
      this.textures[slab.name].forEach(({ texture, pixels }, c) => {
        if (!values) {
          for (let i = 0; i < per * 4; i += 4) pixels.set(BLANK_RGBA, i);
        } else {
          const limit = layerMax || absMax(values, c * per, (c + 1) * per);
          fillPixels(pixels, values, c * per, per, slab.signed, limit);
        }
        pixels.fill(0, per * 4); // the grid's cells past the last unit: see-through
        texture.needsUpdate = true;
      });
    }
    const chosen = data && !state.data.blank ? state.data.prediction : null;
    this.outputs.forEach((o, c) => { o.sprite.material = c === chosen ? o.chosen : o.plain; });
    this.requestRender();
  }

  // ------------------------------------------------------------------ picking

  /** The cell under client point (x, y), or null. */
  cellAt(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    for (const hit of this.raycaster.intersectObjects(this.pickable, false)) {
      const { slab, index } = hit.object.userData;
      const cell = cellAtUV(slab, index, hit.uv.x, hit.uv.y);
      if (cell) return cell;
    }
    return null;
  }

  /** Client coordinates {x, y} of the centre of a cell {layer, c, y, x}; null if not shown. */
  project(cell) {
    const slab = slabFor(this.layout, this.layers, cell.layer);
    if (!slab) return null;
    const q = new THREE.Vector3(...cellCentre(slab, cell)).project(this.camera);
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + ((q.x + 1) / 2) * r.width, y: r.top + ((1 - q.y) / 2) * r.height };
  }

  onHover(e) {
    const cell = this.cellAt(e.clientX, e.clientY);
    const key = cell && `${cell.layer}:${cell.c}:${cell.y}:${cell.x}`;
    if (key === this.hovered) return;
    this.hovered = key;
    this.canvas.style.cursor = cell ? "crosshair" : "";
    if (cell) this.handlers.hover(cell);
    else this.handlers.leave();
  }

  onTap(e) {
    const cell = this.cellAt(e.clientX, e.clientY);
    if (cell) this.handlers.pin(cell);
  }

  onLeave() {
    this.hovered = null;
    this.handlers.leave();
  }

  // ------------------------------------------------------------------ highlight

  /**
   * Show a selection from describe(): a ring on sel.cell, an edge to every source cell in
   * sel.edges (blue or orange by the sign of its weight, opacity by |w*x|), the source
   * windows and the receptive field outlined. null clears.
   */
  highlight(sel) {
    this.selection = sel;
    const ds = this.container.dataset;
    const slabOf = (name) => slabFor(this.layout, this.layers, name);
    const target = sel && slabOf(sel.cell.layer);
    if (!target) {
      this.marks.clear();
      delete ds.picked;
      ds.edges = "0";
      this.requestRender();
      return;
    }
    const { cell } = sel;
    const from = cellCentre(target, cell);
    this.marks.setRing([from[0], from[1] + 3 * LIFT, from[2]], Math.max(target.cell * 1.9, 2.4), sel.pinned);

    const points = [];
    const colours = [];
    const edges = sel.edges.filter((e) => slabOf(e.layer) && slabOf(e.layer) !== target);
    const strongest = edges.reduce((m, e) => Math.max(m, Math.abs(e.contribution)), 0);
    for (const e of edges) {
      const to = cellCentre(slabOf(e.layer), e);
      const c = e.winner ? EDGE.winner : e.weight === null ? EDGE.neutral : e.weight < 0 ? EDGE.negative : EDGE.positive;
      const alpha = strongest > 0 ? 0.06 + 0.94 * (Math.abs(e.contribution) / strongest) : 0.2;
      points.push(...from, ...to);
      colours.push(c.r, c.g, c.b, alpha, c.r, c.g, c.b, alpha);
    }
    this.marks.edges.set(points, colours);

    const boxes = [];
    const winners = [];
    for (const w of sel.windows) {
      const slab = slabOf(w.layer);
      if (!slab || slab === target) continue;
      rectPoints(boxes, blockRect(slab, w.c, w.y, w.x, w.h, w.w), slab.y + LIFT);
      if (w.winner) rectPoints(winners, blockRect(slab, w.c, w.winner.y, w.winner.x, 1, 1), slab.y + 2 * LIFT);
    }
    this.marks.windows.set(boxes);
    this.marks.winners.set(winners);
    const f = sel.field;
    const input = f && this.layout.byName[f.layer];
    const field = [];
    if (input && input !== target) rectPoints(field, blockRect(input, 0, f.y, f.x, f.h, f.w), input.y + LIFT);
    this.marks.field.set(field);
    ds.edges = String(edges.length);
    ds.picked = `${cell.layer}:${cell.c}:${cell.y}:${cell.x}`;
    this.requestRender();
  }

  // ------------------------------------------------------------------ frames

  /** Draw one frame at the next animation frame (at most one pending). */
  requestRender() {
    if (this.frame || !this.renderer) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Draw now; measured as performance measure "3d-render". */
  render() {
    if (!this.renderer) return;
    performance.mark("3d-render-start");
    this.renderer.render(this.scene, this.camera);
    performance.measure("3d-render", "3d-render-start");
  }

  /** Match the drawing buffer to the container's size. */
  resize() {
    if (!this.renderer) return;
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    const size = this.renderer.getSize(new THREE.Vector2());
    if (size.x === w && size.y === h) return;
    this.renderer.setSize(w, h, false); // CSS sizes the canvas (network3d.css)
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    if (this.layout && !this.moved) this.fit();
    else this.requestRender();
  }

  /** Release the GPU: textures, geometries, materials, the context; remove the canvas. */
  dispose() {
    if (!this.renderer) return;
    cancelAnimationFrame(this.frame);
    this.resizer.disconnect();
    this.orbit.dispose();
    this.marks.dispose();
    disposeSlabs(this.slabs);
    this.scene.clear();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.canvas.remove();
    delete this.container.dataset.picked;
    delete this.container.dataset.edges;
    this.renderer = null;
  }

}
