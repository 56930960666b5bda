// What a selected cell is made of: the source windows to outline, one edge per source cell
// (with its weight and its contribution w*x) and the arithmetic for the inspector.
// Pure: no DOM, no module state.
import { sourceWindow, receptiveField, dims, isMap, flatIndex, cellOf } from "./geometry.js";
import { explainConv, explainPool, explainDense, explainSoftmax, explainRelu } from "./explain.js";
import { cellLabel } from "./label.js";

/**
 * ctx: {byName (indexLayers of /api/model), weights ({layer: {W, b}}), layers (name ->
 * Float32Array, or null before the first answer), pinned}; cell: {layer, c, y, x}.
 * Returns {cell, pinned, value, field, windows: [{layer, c, y, x, h, w, winner?}],
 *          edges: [{layer, c, y, x, weight, contribution, winner?}], explanation}.
 * weight is null where no weight is involved (pooling, softmax); contribution is w*x for conv
 * and dense edges and the source value otherwise. explanation (explain.js, with `label`, the
 * cell in words) is what the inspector reads out.
 */
export function describe(ctx, cell) {
  const { byName, weights, layers } = ctx;
  const g = byName[cell.layer];
  const field = receptiveField(byName, cell.layer, cell.y, cell.x);
  const sel = { cell, pinned: !!ctx.pinned, windows: [], edges: [], field, explanation: null, value: undefined };
  if (!layers) return sel;
  sel.value = layers[g.name][flatIndex(g, cell.c, cell.y, cell.x)];
  const win = sourceWindow(byName, cell.layer, cell.c, cell.y, cell.x);
  const src = win ? byName[win.layer] : null;
  const x = src ? layers[src.name] : null;
  switch (g.kind) {
    case "conv": {
      const ex = explainConv(byName, layers, weights[g.name], g.name, cell);
      sel.explanation = ex;
      const W = weights[g.name].W;
      const k = g.kernel;
      for (let ch = win.c0; ch < win.c0 + win.depth; ch++) {
        sel.windows.push({ ...win, c: ch });
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const w = W[((cell.c * win.depth + ch) * k + i) * k + j];
            const v = x[flatIndex(src, ch, win.y + i, win.x + j)];
            sel.edges.push({ layer: src.name, c: ch, y: win.y + i, x: win.x + j, weight: w, contribution: w * v });
          }
        }
      }
      break;
    }
    case "maxpool": {
      const ex = explainPool(byName, layers, g.name, cell);
      sel.explanation = ex;
      sel.windows.push({ ...win, c: cell.c, winner: ex.winnerCell });
      ex.values.forEach((v, i) => {
        const y = win.y + Math.floor(i / win.w);
        const xx = win.x + (i % win.w);
        sel.edges.push({ layer: src.name, c: cell.c, y, x: xx, weight: null, contribution: v, winner: i === ex.winner });
      });
      break;
    }
    case "relu": {
      sel.explanation = explainRelu(byName, layers, g.name, cell, weights?.[g.source] ?? null);
      sel.windows.push({ ...win, c: cell.c });
      const v = x[flatIndex(src, cell.c, cell.y, cell.x)];
      sel.edges.push({ layer: src.name, c: cell.c, y: cell.y, x: cell.x, weight: 1, contribution: v });
      break;
    }
    case "dense": {
      const ex = explainDense(byName, layers, weights[g.name], g.name, cell);
      sel.explanation = ex;
      for (const t of ex.top) {
        sel.windows.push(isMap(src) ? { layer: src.name, c: t.cell.c, y: t.cell.y, x: t.cell.x, h: 1, w: 1 }
                                    : { layer: src.name, c: t.index, y: 0, x: 0, h: 1, w: 1 });
      }
      const W = weights[g.name].W;
      const n = x.length;
      for (let j = 0; j < n; j++) {
        const w = W[cell.c * n + j];
        const at = isMap(src) ? cellOf(src, j) : { c: j, y: 0, x: 0 };
        sel.edges.push({ layer: src.name, ...at, weight: w, contribution: w * x[j] });
      }
      break;
    }
    case "softmax": {
      sel.explanation = explainSoftmax(byName, layers, g.name, cell);
      const n = dims(src)[0];
      for (let c = 0; c < n; c++) {
        sel.windows.push({ layer: src.name, c, y: 0, x: 0, h: 1, w: 1 });
        sel.edges.push({ layer: src.name, c, y: 0, x: 0, weight: null, contribution: x[c] });
      }
      break;
    }
    default:
      sel.explanation = { kind: "input", value: sel.value };
  }
  sel.explanation.label = cellLabel(byName, cell, sel.value);
  return sel;
}
