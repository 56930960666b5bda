// What the 3D view draws over the slabs for a selection: a ring on the cell, the edges to its
// sources, the source windows, the winner of a pool window and the receptive field. Made once
// and refilled on every hover (no new geometry or material per hover, so no GPU set-up then).
import * as THREE from "../vendor/three/three.module.min.js";

const RING_BAND = 0.17; // of the ring's size
const OUTLINE = 0x000000; // the ring's dark outer band: visible on white cells too

/** Line segments whose endpoints change often: one buffer, grown when needed. */
class Lines {
  /** colour: a hex colour, or null for per-vertex RGBA colours. */
  constructor(parent, colour, { depthTest = true, renderOrder = 1 } = {}) {
    this.rgba = colour === null;
    this.material = new THREE.LineBasicMaterial({
      color: this.rgba ? 0xffffff : colour, vertexColors: this.rgba, transparent: this.rgba,
      depthWrite: false, depthTest,
    });
    this.object = new THREE.LineSegments(undefined, this.material);
    this.object.renderOrder = renderOrder;
    this.object.frustumCulled = false; // its bounds change with every selection
    this.object.visible = false;
    this.grow(64);
    parent.add(this.object);
  }

  /** Room for n vertices. */
  grow(n) {
    this.capacity = n;
    this.object.geometry.dispose();
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(3 * n), 3));
    if (this.rgba) geometry.setAttribute("color", new THREE.BufferAttribute(new Float32Array(4 * n), 4));
    this.object.geometry = geometry;
  }

  /** points: flat [x, y, z, ...] (two per segment); colours: flat [r, g, b, a, ...] (0-1). */
  set(points, colours = null) {
    const n = points.length / 3;
    if (n > this.capacity) this.grow(Math.max(n, 2 * this.capacity));
    const g = this.object.geometry;
    g.attributes.position.array.set(points);
    g.attributes.position.needsUpdate = true;
    if (this.rgba) {
      g.attributes.color.array.set(colours);
      g.attributes.color.needsUpdate = true;
    }
    g.setDrawRange(0, n);
    this.object.visible = n > 0;
  }

  dispose() {
    this.object.geometry.dispose();
    this.material.dispose();
  }
}

/** A flat square frame between half-sizes inner and outer, lying in the xz plane. */
function frame(inner, outer) {
  const shape = new THREE.Shape().moveTo(-outer, -outer).lineTo(outer, -outer).lineTo(outer, outer).lineTo(-outer, outer);
  shape.holes.push(new THREE.Path().moveTo(-inner, -inner).lineTo(-inner, inner).lineTo(inner, inner).lineTo(inner, -inner));
  return new THREE.ShapeGeometry(shape).rotateX(-Math.PI / 2);
}

export class Marks {
  /** colours: {edges: null, window, winner, field, ring, pinned} as hex. */
  constructor(scene, colours) {
    this.group = new THREE.Group();
    this.colours = colours;
    this.edges = new Lines(this.group, null, { renderOrder: 2 });
    const over = { depthTest: false, renderOrder: 3 };
    this.windows = new Lines(this.group, colours.window, over);
    this.winners = new Lines(this.group, colours.winner, over);
    this.field = new Lines(this.group, colours.field, over);
    // the ring: a light band inside a dark one, sized 1 and scaled to the cell
    this.ringColour = new THREE.MeshBasicMaterial({ color: colours.ring, side: THREE.DoubleSide, depthTest: false });
    this.ringOutline = new THREE.MeshBasicMaterial({ color: OUTLINE, side: THREE.DoubleSide, depthTest: false });
    this.ring = new THREE.Group();
    const light = new THREE.Mesh(frame(0.5 - RING_BAND, 0.5), this.ringColour);
    const dark = new THREE.Mesh(frame(0.5, 0.5 + RING_BAND), this.ringOutline);
    light.renderOrder = 5;
    dark.renderOrder = 4;
    this.ring.add(light, dark);
    this.ring.visible = false;
    this.group.add(this.ring);
    scene.add(this.group);
  }

  /** The ring around a cell centred at [x, y, z], `size` world units across. */
  setRing(at, size, pinned) {
    this.ring.position.set(at[0], at[1], at[2]);
    this.ring.scale.setScalar(size);
    this.ringColour.color.setHex(pinned ? this.colours.pinned : this.colours.ring);
    this.ring.visible = true;
  }

  clear() {
    for (const lines of [this.edges, this.windows, this.winners, this.field]) lines.set([], []);
    this.ring.visible = false;
  }

  dispose() {
    for (const lines of [this.edges, this.windows, this.winners, this.field]) lines.dispose();
    this.ring.children.forEach((m) => m.geometry.dispose());
    this.ringColour.dispose();
    this.ringOutline.dispose();
    this.group.removeFromParent();
  }
}
