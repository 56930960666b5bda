// Orbit, zoom and pan of a camera around a target, from mouse, touch and pen, told apart from
// a tap (a press that barely moves) and a hover. Drag turns; right-drag or shift-drag pans;
// the wheel or a pinch zooms. From the keyboard, while the canvas has keyboard focus (Tab):
// the arrows turn, Shift+arrows pan, + and - zoom. Nothing runs unless an event comes:
// onChange asks for a frame.

const TAP_SLOP = 5; // px a press may move and still count as a tap
const TURN = 0.008; // radians per px of drag
const MIN_PHI = 0.05;
const MAX_PHI = Math.PI - 0.05;
const KEY_STEP = 24; // px of drag one arrow press stands for (about 11 degrees)
const KEY_ZOOM = 1.15; // one + or - press
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export class OrbitControl {
  /**
   * camera: a three.js PerspectiveCamera; element: the canvas; handlers: {change() after the
   * camera moved, tap(event), hover(event), leave()}. THREE is the three.js module.
   */
  constructor(THREE, camera, element, handlers) {
    this.camera = camera;
    this.element = element;
    this.handlers = handlers;
    this.target = new THREE.Vector3();
    this.radius = 100;
    this.theta = 0; // azimuth about +y; 0 looks from +z
    this.phi = Math.PI / 3; // polar angle from +y
    this.limits = [1, 1e4];
    this.pointers = new Map(); // pointerId -> {x, y, startX, startY}
    this.pinch = 0;
    this.dragged = false;
    this.listeners = [
      ["pointerdown", (e) => this.down(e)],
      ["pointermove", (e) => this.move(e)],
      ["pointerup", (e) => this.up(e)],
      ["pointercancel", (e) => this.cancel(e)],
      ["pointerleave", (e) => e.pointerType === "mouse" && !this.pointers.size && this.handlers.leave()],
      ["wheel", (e) => this.wheel(e), { passive: false }],
      ["contextmenu", (e) => e.preventDefault()],
      ["keydown", (e) => this.key(e)],
      // the keys work while focus came from the keyboard: a press (a pin) gives the arrows back
      ["focus", () => this.keys(!this.pressed)],
      ["blur", () => this.keys(false)],
    ];
    this.pressed = false; // a pointer is down on the canvas (a focus now comes from it)
    if (element.tabIndex < 0) element.tabIndex = 0; // reachable with Tab, for the keys
    for (const [type, fn, opts] of this.listeners) element.addEventListener(type, fn, opts);
  }

  /** Place the camera: looking at target [x, y, z] from radius away at (theta, phi). */
  set(target, radius, theta, phi) {
    this.target.set(...target);
    this.radius = radius;
    this.theta = theta;
    this.phi = phi;
    this.limits = [radius / 12, radius * 4];
    this.apply();
  }

  apply() {
    const { target, radius, theta, phi } = this;
    const s = Math.sin(phi);
    this.camera.position.set(
      target.x + radius * s * Math.sin(theta),
      target.y + radius * Math.cos(phi),
      target.z + radius * s * Math.cos(theta),
    );
    this.camera.lookAt(target);
    this.camera.updateMatrixWorld();
  }

  changed() {
    this.apply();
    this.handlers.change();
  }

  turn(dx, dy) {
    this.theta -= dx * TURN;
    this.phi = Math.min(MAX_PHI, Math.max(MIN_PHI, this.phi - dy * TURN));
    this.changed();
  }

  zoom(factor) {
    this.radius = Math.min(this.limits[1], Math.max(this.limits[0], this.radius * factor));
    this.changed();
  }

  /** Move the target with the view plane by (dx, dy) px. */
  pan(dx, dy) {
    const cam = this.camera;
    const perPx = (2 * this.radius * Math.tan((cam.fov * Math.PI) / 360)) / this.element.clientHeight;
    const right = cam.matrixWorld.elements.slice(0, 3);
    const up = cam.matrixWorld.elements.slice(4, 7);
    for (let i = 0; i < 3; i++) {
      const d = (-dx * right[i] + dy * up[i]) * perPx;
      this.target.setComponent(i, this.target.getComponent(i) + d);
    }
    this.changed();
  }

  down(e) {
    this.pressed = true;
    this.keys(false);
    if (e.pointerType === "mouse" && e.button !== 0 && e.button !== 2) return;
    try {
      this.element.setPointerCapture(e.pointerId); // keep turning when the pointer leaves the canvas
    } catch {
      // a pointer the browser does not track (synthetic): turning still works inside the canvas
    }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY, button: e.button });
    if (this.pointers.size === 1) this.dragged = false;
    if (this.pointers.size === 2) {
      this.dragged = true; // a pinch is never a tap
      this.pinch = this.spread();
    }
  }

  move(e) {
    const p = this.pointers.get(e.pointerId);
    if (!p) {
      if (e.pointerType !== "touch") this.handlers.hover(e);
      return;
    }
    const [dx, dy] = [e.clientX - p.x, e.clientY - p.y];
    p.x = e.clientX;
    p.y = e.clientY;
    if (Math.hypot(e.clientX - p.startX, e.clientY - p.startY) > TAP_SLOP) this.dragged = true;
    if (!this.dragged) return;
    if (this.pointers.size === 2) {
      const spread = this.spread();
      if (this.pinch > 0 && spread > 0) this.zoom(this.pinch / spread);
      this.pinch = spread;
    } else if (p.button === 2 || e.shiftKey) {
      this.pan(dx, dy);
    } else {
      this.turn(dx, dy);
    }
  }

  up(e) {
    this.pressed = false;
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    if (!this.dragged && this.pointers.size === 0 && e.button !== 2) this.handlers.tap(e);
  }

  cancel(e) {
    this.pressed = false;
    this.pointers.delete(e.pointerId);
    this.dragged = true;
  }

  spread() {
    const [a, b] = [...this.pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  }

  wheel(e) {
    e.preventDefault();
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    this.zoom(Math.exp(Math.max(-1, Math.min(1, (e.deltaY * lines) / 500))));
  }

  /**
   * A key while the canvas has keyboard focus: arrows turn (as a drag that way would), Shift
   * with them pans, + or = zooms in, - zooms out. Handled keys go no further, so the page's
   * keys for a pinned cell wait until focus leaves; a canvas focused by a click (a pin) keeps
   * the arrows for the pinned cell.
   */
  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || this.element.dataset.keys !== "on") return;
    const arrow = ARROWS[e.key];
    if (arrow) {
      const [dx, dy] = arrow.map((v) => v * KEY_STEP);
      if (e.shiftKey) this.pan(dx, dy);
      else this.turn(dx, dy);
    } else if (e.key === "+" || e.key === "=") {
      this.zoom(1 / KEY_ZOOM);
    } else if (e.key === "-" || e.key === "_") {
      this.zoom(KEY_ZOOM);
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  /** Keyboard orbit on or off; data-keys="on" shows the keys (network3d.css). */
  keys(on) {
    if (on) this.element.dataset.keys = "on";
    else delete this.element.dataset.keys;
  }

  dispose() {
    for (const [type, fn, opts] of this.listeners) this.element.removeEventListener(type, fn, opts);
    this.pointers.clear();
  }
}
