// Shared by the JS unit tests: a seeded random source and the model geometry fixture.
import { readFileSync } from "node:fs";
import { indexLayers } from "../../lenet_vis/static/js/geometry.js";

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const geometry = JSON.parse(readFileSync(new URL("./fixtures/geometry.json", import.meta.url)));
export const byName = indexLayers(geometry.layers);
