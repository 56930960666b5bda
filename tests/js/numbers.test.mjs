// Numbers for reading: a true minus, three significant digits, sums without "+ -".
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmt, fixed, sumText, difference, parseNumber, MINUS } from "../../lenet_vis/static/js/numbers.js";

test("fmt gives three significant digits and a true minus sign", () => {
  const cases = [
    [0, "0"], [-0, "0"], [1, "1"], [-3, `${MINUS}3`], [0.41234, "0.412"], [-0.03821, `${MINUS}0.0382`],
    [12.345, "12.3"], [99.96, "100"], [153.24, "153.2"], [0.5, "0.500"],
    [3.2e-7, "3.20×10⁻⁷"], [-1.5e-12, `${MINUS}1.50×10⁻¹²`], [2.5e6, "2.50×10⁶"],
    [NaN, "NaN"], [Infinity, "∞"], [-Infinity, `${MINUS}∞`],
  ];
  for (const [v, text] of cases) assert.equal(fmt(v), text, String(v));
  assert.ok(!fmt(-0.5).includes("-"), "never a hyphen for a minus");
});

test("parseNumber reads fmt's text back", () => {
  for (const v of [0.41234, -0.03821, 3.2e-7, -1.5e-12, 153.24, -7]) {
    assert.ok(Math.abs(parseNumber(fmt(v)) - v) <= Math.abs(v) * 5e-3, String(v));
  }
});

test("sums are written a − b + c, never + −", () => {
  assert.equal(sumText([0.4, -0.13, 0.05]), `0.400 ${MINUS} 0.130 + 0.0500`);
  assert.equal(sumText([-0.4, 2]), `${MINUS}0.400 + 2`);
  assert.equal(sumText([1, { value: -2, text: "2 (bias)" }]), `1 ${MINUS} 2 (bias)`);
  assert.equal(difference(4.56, 12.3), `4.56 ${MINUS} 12.3`);
  assert.equal(difference(4.56, -1), "4.56 + 1");
  for (const text of [sumText([0.1, -0.2, -0.3]), difference(-1, 2)]) {
    assert.ok(!/\+ [-\u2212]/.test(text) && !text.includes("-"), text);
  }
});

test("fixed lines up grids: two decimals, a true minus, zero as 0", () => {
  assert.deepEqual([0, -0.0386, 1.3, 0.00147, -12.345, 2500].map((v) => fixed(v)),
                   ["0", `${MINUS}0.04`, "1.30", "0.00", `${MINUS}12.35`, "2500"]);
});
