// The pure modules touch no DOM and hold no module-level mutable state (STYLE.md, issue 8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const PURE = [
  "geometry", "colour", "decode", "describe", "explain", "formulas", "label", "numbers", "urlstate",
  "layout", "navigate", "network3d-layout", "live",
];
const source = (name) => readFileSync(new URL(`../../lenet_vis/static/js/${name}.js`, import.meta.url), "utf8");

test("pure modules import and run under Node, with no DOM", async () => {
  for (const name of PURE) {
    const mod = await import(`../../lenet_vis/static/js/${name}.js`);
    assert.ok(Object.keys(mod).length > 0, name);
    const code = source(name).replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "");
    assert.doesNotMatch(code, /(?<![.\w$])(document|window|localStorage|location|navigator)\s*[.[]/, `${name} touches the page`);
  }
});

test("pure modules hold no mutable state at module level", () => {
  for (const name of PURE) {
    const topLevel = source(name).split("\n").filter((line) => /^(let|var)\s/.test(line));
    assert.deepEqual(topLevel, [], `${name}: module-level let/var`);
  }
});
