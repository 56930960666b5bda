// The left column's reveal rule (sidecol.js): when a part needs scrolling up, and how far.
import { test } from "node:test";
import assert from "node:assert/strict";
import { revealScroll } from "../../lenet_vis/static/js/sidecol.js";

test("a part showing only a strip under the fold is scrolled to the column's top", () => {
  // 1366x768: the column is 731 px tall, the inspector starts at 621 and is 1,200 px long
  assert.equal(revealScroll({ top: 0, height: 731 }, { top: 621, height: 1200 }), 613);
});

test("a part showing enough of itself stays where it is", () => {
  // 1920x1080: the inspector starts at 663 of 1043, 380 px in view
  assert.equal(revealScroll({ top: 0, height: 1043 }, { top: 663, height: 1200 }), null);
  // a short part wholly in view
  assert.equal(revealScroll({ top: 0, height: 731 }, { top: 600, height: 100 }), null);
  // already scrolled to it (the pin moved by an arrow key)
  assert.equal(revealScroll({ top: 613, height: 731 }, { top: 621, height: 1200 }), null);
});

test("a part whose top is above the view comes back down to it", () => {
  assert.equal(revealScroll({ top: 900, height: 731 }, { top: 621, height: 1200 }), 613);
  assert.equal(revealScroll({ top: 50, height: 731 }, { top: 4, height: 300 }), 0);
});
