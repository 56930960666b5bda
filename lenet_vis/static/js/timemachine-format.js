// The training time machine's words and numbers. Pure: no DOM.
//
// A checkpoint record is one entry of GET /api/knowledge/checkpoints:
//   {name: "epoch-3", epoch: 3, test_accuracy: 0.9562, fixture_accuracy: 0.939, weights_sha256}
// The last one holds the final weights (the page then asks with no ?checkpoint=).

/** A checkpoint name as links and the API carry it (e.g. "init", "epoch-3"). */
export const CHECKPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** 0.9562 -> "95.6%"; null or not a number -> "?%". */
export function percent(accuracy) {
  return Number.isFinite(accuracy) ? `${(100 * accuracy).toFixed(1)}%` : "?%";
}

/** The checkpoint's short name on a tick: "init", "3", "40". */
export function tickLabel(record) {
  return record.epoch === 0 ? "init" : String(record.epoch);
}

/** "at initialisation" / "epoch 3" / "epoch 40 (final)". */
export function checkpointLabel(record, isFinal = false) {
  if (record.epoch === 0) return "initialisation (untrained)";
  return `epoch ${record.epoch}${isFinal ? " (final)" : ""}`;
}

/** The slider's aria-valuetext: "epoch 3, 95.6% on test digits". */
export function valueText(record, isFinal = false) {
  const when = record.epoch === 0 ? "initialisation, untrained" : `epoch ${record.epoch}${isFinal ? ", the final weights" : ""}`;
  return `${when}, ${percent(record.test_accuracy)} on test digits`;
}

/** The line under the verdict when the page reads with a checkpoint's weights. */
export function verdictNote(record) {
  return `As the network read it ${record.epoch === 0 ? "before training" : `after epoch ${record.epoch}`}`;
}

/** The index of `name` in records, or -1. */
export function indexOf(records, name) {
  return records.findIndex((r) => r.name === name);
}

/**
 * What the page asks with for slider position i: null for the last record (the final weights,
 * no ?checkpoint=), else the record's name.
 */
export function checkpointAt(records, i) {
  if (!records.length || i < 0 || i >= records.length) return null;
  return i === records.length - 1 ? null : records[i].name;
}

/** The slider position for the page's checkpoint (null: the final weights, the last). */
export function positionOf(records, checkpoint) {
  if (checkpoint === null || checkpoint === undefined) return records.length - 1;
  return indexOf(records, checkpoint);
}

/**
 * The live channel's checkpoint byte for the page's checkpoint: 0 for the final weights, i for
 * the i-th record (1-based) of GET /api/knowledge/checkpoints.
 */
export function checkpointByte(records, checkpoint) {
  if (checkpoint === null || checkpoint === undefined) return 0;
  const i = indexOf(records, checkpoint);
  return i < 0 ? 0 : i + 1;
}

/** Playback: the next slider position after i, or null at the end (play starts over from 0). */
export function nextPosition(i, count) {
  if (count < 2) return null;
  return i + 1 < count ? i + 1 : null;
}

/**
 * One colour limit for a layer's weights over every checkpoint (fixed across epochs, so that
 * growth shows): the largest |w| over all of them. arrays: Float32Array[] (one per checkpoint).
 */
export function sharedLimit(arrays) {
  let m = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Which checkpoints get a label on a curve plot with `pxPerEpoch` pixels per epoch, labels about
 * `charPx` a character wide: left to right, a label that would touch the one before is left out,
 * and the last (the final weights) is always kept. "init" sits left of its line.
 */
export function labelled(records, pxPerEpoch = Infinity, charPx = 6.5) {
  if (!Number.isFinite(pxPerEpoch)) return new Set(records.map((r) => r.name));
  const width = (r) => tickLabel(r).length * charPx + 4;
  // a label's [left, right] in pixels from epoch 0
  const span = (r) => {
    const x = r.epoch * pxPerEpoch;
    return r.epoch === 0 ? [x - width(r), x] : [x - width(r) / 2, x + width(r) / 2];
  };
  const kept = [];
  for (const r of records) {
    if (!kept.length || span(r)[0] >= span(kept[kept.length - 1])[1]) kept.push(r);
  }
  const last = records[records.length - 1];
  if (last && kept[kept.length - 1] !== last) {
    while (kept.length && span(last)[0] < span(kept[kept.length - 1])[1]) kept.pop();
    kept.push(last);
  }
  return new Set(kept.map((r) => r.name));
}

/**
 * Plotly shapes and annotations marking checkpoint epochs on a curve plot (x = epoch): a dotted
 * vertical line per checkpoint and, where there is room (see labelled), its name at the top.
 */
export function checkpointMarks(records, { color = "#6b717b", pxPerEpoch = Infinity } = {}) {
  const shapes = records.map((r) => ({
    type: "line", xref: "x", yref: "paper", x0: r.epoch, x1: r.epoch, y0: 0, y1: 1,
    line: { color, width: 1, dash: "dot" },
  }));
  const room = labelled(records, pxPerEpoch);
  const annotations = records.filter((r) => room.has(r.name)).map((r) => ({
    xref: "x", yref: "paper", x: r.epoch, y: 1, yanchor: "bottom", showarrow: false,
    xanchor: r.epoch === 0 ? "right" : "center", // "init" clear of epoch 1's label
    text: tickLabel(r), font: { size: 10, color },
    hovertext: `${r.name}: ${percent(r.test_accuracy)} on test digits`,
  }));
  return { shapes, annotations };
}
