// The slabs of the 3D view as three.js objects: one textured plane per feature map (one per
// dense layer), a frame around each, a caption per layer and the digits over the outputs.
// The textures' pixels are filled by the view (network3d.js) on every update.
import * as THREE from "../vendor/three/three.module.min.js";
import { cellCentre } from "./network3d-layout.js";

const FRAME = 0x3a3f48; // outline of every map
const CAPTION = { height: 8, colour: "#9aa0a8" };
const ACCENT = "#e67d14"; // the predicted digit, as the verdict in 2D

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

/** A slab's caption, named as the 2D diagram names it: "conv1 + ReLU 6x28x28", not "relu1". */
function caption(g, byName) {
  const shape = g.output_shape.join("x");
  if (g.kind === "input") return `input ${shape}`;
  const src = byName[g.source];
  if (g.kind === "relu" && src && ["conv", "dense"].includes(src.kind)) return `${src.name} + ReLU ${shape}`;
  return `${g.name} ${shape}`;
}

/** Dispose every geometry, material and texture of what buildSlabs made. */
export function disposeSlabs({ group, outputs }) {
  disposeTree(group);
  for (const o of outputs) {
    for (const m of [o.plain, o.chosen]) {
      m.map.dispose();
      m.dispose(); // again for the one attached: three.js lets a second dispose pass
    }
  }
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
export function rectPoints(out, [x0, z0, x1, z1], y) {
  out.push(x0, y, z0, x1, y, z0, x1, y, z0, x1, y, z1, x1, y, z1, x0, y, z1, x0, y, z1, x0, y, z0);
}

/**
 * Digits 0..n-1 over the output units, at their back edge; their tops go into extent.
 * Returns [{sprite, plain, chosen}] per digit: two materials, so marking the predicted digit
 * is a swap, not a redraw.
 */
function outputLabels(group, slab, extent) {
  const labels = [];
  for (let c = 0; c < slab.n; c++) {
    const [x, y, z] = cellCentre(slab, { c, y: 0, x: 0 });
    const sprite = textSprite(String(c), slab.cell * 0.9, "#e6e7ea", [0.5, 0], 600);
    const chosen = textSprite(String(c), slab.cell * 0.9, ACCENT, [0.5, 0], 700).material;
    sprite.position.set(x, y + 1, z - slab.cell / 2);
    group.add(sprite);
    extent.push(new THREE.Vector3(x, y + 1 + sprite.scale.y, z - slab.cell / 2));
    labels.push({ sprite, plain: sprite.material, chosen });
  }
  return labels;
}

/**
 * The objects for a layout3d() of the layers of /api/model: {group, pickable (the map planes,
 * userData {slab, index}), textures ({layer: [{texture, pixels (RGBA Uint8Array, w*h*4)}]}),
 * extent (points the camera keeps in view: slab corners, caption and label ends), outputs
 * (the labels of the last layer's units: [{sprite, plain, chosen}])}.
 */
export function buildSlabs(layers, layout) {
  const byName = Object.fromEntries(layers.map((g) => [g.name, g]));
  const group = new THREE.Group();
  const pickable = [];
  const textures = {};
  const extent = [];
  const frames = [];
  let outputs = [];
  for (const slab of layout.slabs) {
    textures[slab.name] = slab.maps.map((m, index) => {
      const pixels = new Uint8Array(slab.w * slab.h * 4);
      const texture = new THREE.DataTexture(pixels, slab.w, slab.h, THREE.RGBAFormat);
      texture.colorSpace = THREE.SRGBColorSpace; // the bytes are colour.js's sRGB, as in 2D
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
      group.add(mesh);
      pickable.push(mesh);
      rectPoints(frames, [m.x0, m.z0, m.x0 + pw, m.z0 + pd], slab.y);
      return { texture, pixels };
    });
    const label = textSprite(caption(byName[slab.name], byName), CAPTION.height, CAPTION.colour, [1, 0.5]);
    label.position.set(-slab.width / 2 - 4, slab.y, 0);
    group.add(label);
    const [w, d] = [slab.width / 2, slab.depth / 2];
    for (const [x, z] of [[-w, -d], [w, -d], [-w, d], [w, d]]) extent.push(new THREE.Vector3(x, slab.y, z));
    extent.push(new THREE.Vector3(label.position.x - label.scale.x, slab.y, 0));
    if (slab === layout.slabs[layout.slabs.length - 1] && !slab.map) outputs = outputLabels(group, slab, extent);
  }
  group.add(segments(frames, FRAME));
  return { group, pickable, textures, extent, outputs };
}
