// The 3D view: the layers as slabs of cells in space (as Harley's 3D page), coloured like the
// 2D view, with orbit and zoom; hover or tap picks a cell; highlight(sel) draws the same
// edges as the 2D view. Render module: update(state), highlight(sel), resize(), dispose().
// Cheap without a GPU: one textured plane per feature map (one per dense layer), a frame
// drawn only when something changed.
import * as THREE from "../vendor/three/three.module.min.js";
import { absMax, diverging, fillPixels } from "./colour.js";
import { layout3d, cellCentre, blockRect, cellAtUV, slabFor } from "./network3d-layout.js";
import { OrbitControl } from "./network3d-orbit.js";
import { Marks } from "./network3d-marks.js";

const BLANK = [18, 19, 23]; // a map before there is data: just visible on the stage
const FRAME = 0x3a3f48; // outline of every map
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

/** Canvas-texture text sprite `height` world units tall; anchor [0..1, 0..1] as Sprite.center. */
function textSprite(text, height, colour = "#c9ccd2", anchor = [0.5, 0.5], weight = 400) {
  const px = 48;
  const font = `${weight} ${px}px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif`;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  ctx.font = font;
  canvas.width = Math.ceil(ctx.measureText(text).width) + 8;
  canvas.height = Math.ceil(px * 1.3);
  ctx.font = font;
  ctx.fillStyle = colour;
  ctx.textBaseline = "middle";
  ctx.fillText(text, 4, canvas.height / 2);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.minFilter = THREE.LinearFilter;
  texture.generateMipmaps = false;
  const material = new THREE.SpriteMaterial({ map: texture, transparent: true, depthWrite: false });
  const sprite = new THREE.Sprite(material);
  sprite.center.set(...anchor);
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
  return sprite;
}

function caption(g) {
  const shape = g.output_shape.join("x");
  return g.kind === "input" ? `input ${shape}` : `${g.name} ${shape}`;
}

/** Dispose every geometry, material and texture under an object. */
function disposeTree(root) {
  root.traverse((o) => {
    o.geometry?.dispose();
    const mats = Array.isArray(o.material) ? o.material : o.material ? [o.material] : [];
    for (const m of mats) {
      m.map?.dispose();
      m.dispose();
    }
  });
}

/** Fixed line segments of one colour from flat endpoints [x, y, z, ...]. */
function segments(points, colour) {
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute("position", new THREE.Float32BufferAttribute(points, 3));
  return new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: colour }));
}

/** Endpoints of the outline of rectangle [x0, z0, x1, z1] at height y, into out. */
function rectPoints(out, [x0, z0, x1, z1], y) {
  out.push(x0, y, z0, x1, y, z0, x1, y, z0, x1, y, z1, x1, y, z1, x0, y, z1, x0, y, z1, x0, y, z0);
}

export class Network3D {
  /** container: the 3D stage element; model: GET /api/model; handlers: {hover, pin, leave}. */
  constructor(container, model, handlers) {
    this.container = container;
    this.model = model;
    this.layers = model.layers;
    this.byName = Object.fromEntries(model.layers.map((g) => [g.name, g]));
    this.handlers = handlers;
    this.state = { data: null, showPre: true, normalise: "map" };
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
      "The network in 3D: the layers as slabs, the input at the bottom. Drag to turn, wheel or pinch to zoom, right-drag to pan; hover or tap a cell to inspect it.");
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

    this.network = null; // the slabs, rebuilt when the shown layers change
    this.marks = new Marks(this.scene, MARK_COLOURS); // the highlight: ring, edges, windows
    this.build(true);
    this.resize();
    this.fit();
  }

  // ------------------------------------------------------------------ the slabs

  /** (Re)build every slab for the layers shown: a plane per map, frames, captions. */
  build(showPre) {
    if (this.network) {
      this.scene.remove(this.network);
      disposeTree(this.network);
    }
    this.layout = layout3d(this.layers, showPre);
    this.shownPre = showPre;
    this.network = new THREE.Group();
    this.pickable = [];
    this.textures = {}; // layer -> [{texture, pixels}] one per map
    this.extent = []; // points the camera keeps in view: slab corners, caption and label ends
    const frames = [];
    for (const slab of this.layout.slabs) {
      const g = this.byName[slab.name];
      this.textures[slab.name] = slab.maps.map((m, index) => {
        const pixels = new Uint8Array(slab.w * slab.h * 4);
        const texture = new THREE.DataTexture(pixels, slab.w, slab.h, THREE.RGBAFormat);
        texture.colorSpace = THREE.SRGBColorSpace;
        texture.magFilter = texture.minFilter = THREE.NearestFilter;
        texture.generateMipmaps = false;
        const [pw, pd] = [slab.w * slab.cell, slab.h * slab.cell];
        const geometry = new THREE.PlaneGeometry(pw, pd);
        geometry.rotateX(-Math.PI / 2); // face up; plane v = 1 at the back
        const uv = geometry.attributes.uv;
        for (let i = 0; i < uv.count; i++) uv.setY(i, 1 - uv.getY(i)); // texture row 0 at the back
        const material = new THREE.MeshBasicMaterial({ map: texture, side: THREE.DoubleSide, alphaTest: 0.5 });
        const mesh = new THREE.Mesh(geometry, material);
        mesh.position.set(m.x0 + pw / 2, slab.y, m.z0 + pd / 2);
        mesh.userData = { slab, index };
        this.network.add(mesh);
        this.pickable.push(mesh);
        rectPoints(frames, [m.x0, m.z0, m.x0 + pw, m.z0 + pd], slab.y);
        return { texture, pixels };
      });
      const label = textSprite(caption(g), 8, "#9aa0a8", [1, 0.5]);
      label.position.set(-slab.width / 2 - 4, slab.y, 0);
      this.network.add(label);
      const [w, d] = [slab.width / 2, slab.depth / 2];
      for (const [x, z] of [[-w, -d], [w, -d], [-w, d], [w, d]]) this.extent.push(new THREE.Vector3(x, slab.y, z));
      this.extent.push(new THREE.Vector3(label.position.x - label.scale.x, slab.y, 0));
      if (slab.kind === "softmax") this.addOutputLabels(slab);
    }
    this.network.add(segments(frames, FRAME));
    this.scene.add(this.network);
  }

  /** Digits 0..n-1 above the output units, at their back edge. */
  addOutputLabels(slab) {
    for (let c = 0; c < slab.n; c++) {
      const [x, y, z] = cellCentre(slab, { c, y: 0, x: 0 });
      const label = textSprite(String(c), slab.cell * 0.9, "#e6e7ea", [0.5, 0], 600);
      label.position.set(x, y + 1, z - slab.cell / 2);
      this.network.add(label);
      this.extent.push(new THREE.Vector3(x, y + 1 + label.scale.y, z - slab.cell / 2));
    }
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
    this.state = state;
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
          for (let i = 0; i < pixels.length; i += 4) pixels.set([...BLANK, 255], i);
        } else {
          const limit = layerMax || absMax(values, c * per, (c + 1) * per);
          fillPixels(pixels, values, c * per, per, slab.signed, limit);
          pixels.fill(0, per * 4); // the grid's cells past the last unit: see-through
        }
        texture.needsUpdate = true;
      });
    }
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
    disposeTree(this.network);
    this.scene.clear();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.canvas.remove();
    delete this.container.dataset.picked;
    delete this.container.dataset.edges;
    this.renderer = null;
  }

}
