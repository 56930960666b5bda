// The 3D view's place in the page: loads network3d.js when it is first asked for, says why
// when it cannot (module missing, no WebGL), and forwards update/highlight/resize to it.
// Render module: the same calls as the 2D view; nothing here draws.

export class Stage3D {
  /** container: the element the 3D view draws in; model: GET /api/model; handlers: {hover, pin, leave}. */
  constructor(container, model, handlers) {
    this.container = container;
    this.model = model;
    this.handlers = handlers;
    this.view = null;
    this.observer = new ResizeObserver(() => this.view?.resize());
    this.observer.observe(container);
  }

  get active() {
    return this.view !== null;
  }

  /** Start the 3D view; resolves to null when shown, or to the reason it cannot be. */
  async show(state) {
    if (this.view) return null;
    let mod;
    try {
      mod = await import("./network3d.js");
    } catch {
      return "The 3D view could not be loaded; the 2D view stays.";
    }
    if (!mod.webglAvailable()) return "3D needs WebGL, not available in this browser";
    this.container.hidden = false;
    try {
      this.view = new mod.Network3D(this.container, this.model, this.handlers);
      this.view.update(state);
    } catch (err) {
      this.hide();
      return `The 3D view failed to start: ${err.message}`;
    }
    return null;
  }

  hide() {
    this.view?.dispose();
    this.view = null;
    this.container.hidden = true;
    this.container.replaceChildren();
  }

  update(state) {
    this.view?.update(state);
  }

  highlight(sel) {
    this.view?.highlight(sel);
  }
}
