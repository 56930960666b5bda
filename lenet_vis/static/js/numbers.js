// Numbers as people read them: three significant digits, a true minus sign (−), powers of
// ten written out instead of "e-7", and sums written "a − b + c", never "+ -b". Pure: no DOM.

export const MINUS = "\u2212";
const SUPERSCRIPT = { "-": "\u207b", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** |v| in words of digits: "0.412", "12.3", "153.2", "3.20×10⁻⁷". */
function magnitude(a, digits) {
  if (Number.isInteger(a) && a < 1e6) return String(a);
  if (a >= 100 && a < 1e6) return String(Math.round(a * 10) / 10);
  if (a >= 1e-3 && a < 100) {
    const s = a.toPrecision(digits);
    return s.includes("e") ? magnitude(Number(s), digits) : s; // 99.96 rounds up to "100"
  }
  const [m, e] = a.toExponential(digits - 1).split("e");
  const exp = String(Number(e)).replace(/./g, (ch) => SUPERSCRIPT[ch]);
  return `${m}×10${exp}`;
}

/** One number for reading: fmt(-0.03821) === "−0.0382"; 0 and -0 are "0". */
export function fmt(v, digits = 3) {
  if (typeof v !== "number") v = Number(v);
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : `${MINUS}∞`;
  if (v === 0) return "0";
  return (v < 0 ? MINUS : "") + magnitude(Math.abs(v), digits);
}

/** Fixed decimals for grids of numbers, where columns line up: fixed(-0.0386) === "−0.04". */
export function fixed(v, decimals = 2) {
  if (v === 0 || !Number.isFinite(v)) return fmt(v);
  if (Math.abs(v) >= 1000) return fmt(v);
  const text = Math.abs(v).toFixed(decimals);
  return (v < 0 ? MINUS : "") + text;
}

/**
 * A sum of signed terms as read aloud: [0.4, -0.13, 0.05] -> "0.400 − 0.130 + 0.0500".
 * A term may be {value, text} to print text (a name, a bracket) for it instead of its number;
 * its sign still comes from value.
 */
export function sumText(terms, format = fmt) {
  return terms
    .map((t, i) => {
      const v = typeof t === "number" ? t : t.value;
      const neg = v < 0;
      const body = typeof t === "number" ? format(Math.abs(v)) : t.text ?? format(Math.abs(v));
      if (i === 0) return neg ? `${MINUS}${body}` : body;
      return `${neg ? MINUS : "+"} ${body}`;
    })
    .join(" ");
}

/** "a − b" with the sign of b folded in: difference(4.56, 12.3) === "4.56 − 12.3". */
export function difference(a, b, format = fmt) {
  return sumText([a, -b], format);
}

/** Read a number back from fmt's text (for tests and copy-paste): "−3.20×10⁻⁷" -> -3.2e-7. */
export function parseNumber(text) {
  const plain = String(text).trim().replaceAll(MINUS, "-").replace(/[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]/g,
    (ch) => (ch === "\u207b" ? "-" : String("⁰¹²³⁴⁵⁶⁷⁸⁹".indexOf(ch))));
  return Number(plain.replace(/×10(-?\d+)$/, "e$1"));
}
