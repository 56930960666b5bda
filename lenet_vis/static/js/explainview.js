// The Explain panel: attribution maps over the input, the sanity check, the ablation ranking,
// "change its mind" and the comparison of two drawings. Render module: update(data).
//
// data (each part optional, each the JSON body of its POST /api/explain/... route):
//   { attribution, randomisation, ranking, counterfactual, compare }
// Each 32x32 picture is a 32x32 canvas scaled up by CSS (image-rendering: pixelated).
import { toFlat } from "./decode.js";
import {
  SIDE, METHOD_TITLES, robustLimit, overlayPixels, inkPixels, decodeAttribution,
  completenessText, rankingLabels, pathPoints, channelPixels,
} from "./explainmaps.js";

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** A figure holding a 32x32 canvas painted with `pixels`, and a caption. */
function picture(pixels, caption, testid) {
  const fig = el("figure", "explain-map");
  const canvas = el("canvas");
  canvas.width = canvas.height = SIDE;
  canvas.style.imageRendering = "pixelated";
  if (testid) canvas.dataset.testid = testid;
  canvas.getContext("2d").putImageData(new ImageData(pixels, SIDE, SIDE), 0, 0);
  fig.append(canvas, el("figcaption", "", caption));
  return fig;
}

export class ExplainView {
  /** root: the element the panel fills (emptied on each update). */
  constructor(root) {
    this.root = root;
  }

  update(data) {
    this.root.replaceChildren();
    if (!data) return;
    if (data.attribution) this.root.append(this.attribution(data.attribution));
    if (data.randomisation) this.root.append(this.randomisation(data.randomisation));
    if (data.ranking) this.root.append(this.ranking(data.ranking));
    if (data.counterfactual) this.root.append(this.counterfactual(data.counterfactual));
    if (data.compare) this.root.append(this.compare(data.compare));
  }

  attribution(body) {
    const a = decodeAttribution(body);
    const box = el("section", "explain-attribution");
    box.append(el("h3", "", `Why ${a.prediction}? Pixels for ${a.target}`));
    const row = el("div", "explain-row");
    for (const [m, map] of Object.entries(a.maps)) {
      row.append(picture(overlayPixels(a.input, map, robustLimit(map)), METHOD_TITLES[m] || m,
        `explain-${m}`));
    }
    box.append(row, el("p", "explain-note", completenessText(a.completeness)));
    return box;
  }

  randomisation(body) {
    const box = el("section", "explain-randomisation");
    box.append(el("h3", "", "Sanity check: weights randomised from the top"));
    const input = toFlat(body.input);
    for (const stage of body.stages) {
      const row = el("div", "explain-row");
      const name = stage.randomised.length ? `random to ${stage.randomised.at(-1)}` : "trained";
      row.append(el("span", "explain-stage", name));
      for (const [m, v] of Object.entries(stage.maps)) {
        const map = toFlat(v);
        const sim = stage.similarity[m].toFixed(2);
        row.append(picture(overlayPixels(input, map, robustLimit(map)), `${m} · ρ ${sim}`));
      }
      box.append(row);
    }
    return box;
  }

  ranking(body) {
    const box = el("section", "explain-ranking");
    box.append(el("h3", "", `Filters that help the ${body.target} most`));
    const list = el("ol");
    rankingLabels(body.ranking, 8).forEach((text, i) => {
      const item = el("li", "", text);
      item.dataset.layer = body.ranking[i].layer;
      item.dataset.index = String(body.ranking[i].index);
      list.append(item);
    });
    box.append(list);
    return box;
  }

  counterfactual(body) {
    const box = el("section", "explain-counterfactual");
    const verdict = body.reached ? `now says ${body.prediction}` : `still says ${body.prediction}`;
    box.append(el("h3", "", `Make it a ${body.target}: ${verdict}`));
    const cf = toFlat(body.counterfactual);
    const pixels = inkPixels(cf, toFlat(body.ink_added), toFlat(body.ink_removed));
    const caption = `+${body.ink_added_total.toFixed(1)} ink, −${body.ink_removed_total.toFixed(1)}`;
    box.append(picture(pixels, caption, "explain-counterfactual"));
    const top = body.top_maps.map((m) => `${m.layer} #${m.index}`).join(", ");
    box.append(el("p", "explain-note", top ? `maps that changed most: ${top}` : ""));
    return box;
  }

  compare(body) {
    const box = el("section", "explain-compare");
    box.append(el("h3", "", `A (${body.a.prediction}) → B (${body.b.prediction})`));
    const diff = toFlat(body.input_difference);
    box.append(picture(overlayPixels(null, diff, robustLimit(diff), 1), "B − A, input"));
    const chart = el("canvas", "explain-path");
    chart.width = 240;
    chart.height = 90;
    const ctx = chart.getContext("2d");
    for (const d of [body.a.prediction, body.b.prediction]) {
      ctx.strokeStyle = d === body.b.prediction ? "#e67d14" : "#2166ac";
      ctx.beginPath();
      pathPoints(body.path, d, chart.width, chart.height).forEach(([x, y], i) =>
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y));
      ctx.stroke();
    }
    box.append(chart, this.differenceMaps(body.differences));
    return box;
  }

  /**
   * B − A at each layer in the diverging scale of the page's legend (orange B > A, blue
   * B < A), one limit per layer: a map layer as one small canvas per channel, a vector layer
   * as one strip of cells. differences: [{name, shape, data}] as in the compare response.
   */
  differenceMaps(differences) {
    const box = el("div", "explain-diff-maps");
    box.dataset.testid = "compare-maps";
    box.append(el("p", "explain-note", "B − A at each layer: orange B > A, blue B < A, " +
      "grey unchanged; each layer on its own scale (±largest change)"));
    for (const layer of differences) {
      const { limit, maps } = channelPixels(toFlat(layer.data), layer.shape);
      const row = el("div", "explain-diff-row");
      row.dataset.testid = `diff-${layer.name}`;
      row.dataset.layer = layer.name;
      row.append(el("span", "explain-diff-name", `${layer.name} ±${limit.toPrecision(2)}`));
      const cells = el("div", maps[0]?.height > 1 ? "explain-diff-channels" : "explain-diff-strip");
      for (const m of maps) {
        const canvas = el("canvas");
        canvas.width = m.width;
        canvas.height = m.height;
        canvas.getContext("2d").putImageData(new ImageData(m.pixels, m.width, m.height), 0, 0);
        cells.append(canvas);
      }
      row.append(cells);
      box.append(row);
    }
    return box;
  }
}
