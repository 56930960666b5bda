// Wiring of the lessons: one drawing (the visualizer's, or a sample), one prediction with
// every layer, and each lesson's update().
import * as api from "../api.js";
import { decodePrediction, decodeWeights } from "../decode.js";
import { indexLayers } from "../geometry.js";
import { loadDrawing, saveDrawing } from "../drawing.js";
import { toRows } from "./paint.js";
import { MatrixLesson } from "./matrix.js";
import { ConvolutionLesson } from "./convolution.js";
import { FiltersLesson } from "./filters.js";
import { SizeLesson } from "./size.js";
import { ReluLesson } from "./relu.js";
import { PoolingLesson } from "./pooling.js";
import { DenseLesson } from "./dense.js";
import { GradientLesson } from "./gradient.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const state = { png: null, data: null, model: null, byName: {}, conv1: null };

const lessons = {
  matrix: new MatrixLesson($("matrix"), $("matrix-zoom"), $("matrix-readout")),
  conv: new ConvolutionLesson($),
  filters: new FiltersLesson($("filters"), $("net-filters")),
  size: new SizeLesson($),
  relu: new ReluLesson($),
  pooling: new PoolingLesson($),
  dense: new DenseLesson($("dense-rows"), $("softmax-table")),
  gradient: new GradientLesson($),
};

/** A 28x28 MNIST digit -> PNG data URL, as the pad would send it. */
function digitToPNG(rows) {
  const c = document.createElement("canvas");
  c.width = c.height = rows.length;
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(rows.length, rows.length);
  rows.flat().forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
  ctx.putImageData(img, 0, 0);
  return c.toDataURL("image/png");
}

async function useSample() {
  const s = await api.getSample();
  saveDrawing(digitToPNG(s.image));
  $("source-note").textContent = `Using MNIST test digit #${s.index} (labelled ${s.label}).`;
  await run(loadDrawing());
}

async function run(png) {
  state.png = png;
  state.data = decodePrediction(await api.predict({ image_base64: png }));
  const input = toRows(state.data.layers.input, 32);
  const pixels = input.slice(2, 30).map((r) => r.slice(2, 30).map((v) => Math.round(v * 255)));
  lessons.matrix.update(pixels);
  lessons.relu.update(state.data, state.byName.conv1);
  lessons.dense.update(state.data);
  await Promise.all([
    lessons.filters.update(pixels, input, state.conv1),
    lessons.pooling.update(state.data, state.byName.relu1),
    lessons.gradient.update(png),
  ]);
}

async function main() {
  state.model = await api.getModel();
  state.byName = indexLayers(state.model.layers);
  state.conv1 = decodeWeights(await api.getWeights("conv1"));
  $("learn-sample").addEventListener("click", () => useSample().catch(showError));
  await lessons.size.update();
  const png = loadDrawing();
  if (png) {
    $("source-note").textContent = "Using your drawing from the visualizer.";
    await run(png);
  } else {
    await useSample();
  }
  document.body.dataset.ready = "true";
}

function showError(err) {
  $("error").textContent = `Something went wrong: ${err.message}`;
}

main().catch((err) => {
  showError(err);
  throw err;
});
