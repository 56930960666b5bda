// HTTP calls to the server. No DOM.

async function json(response) {
  const body = await response.json();
  if (!response.ok) {
    const msg = body.detail?.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ") || response.statusText;
    throw new Error(msg);
  }
  return body;
}

/** `url` asking for the network at a training checkpoint (null: the final weights). */
const at = (url, checkpoint) =>
  checkpoint ? `${url}${url.includes("?") ? "&" : "?"}checkpoint=${encodeURIComponent(checkpoint)}` : url;

export const getModel = () => fetch("/api/model").then(json);
export const getWeights = (layer, checkpoint = null) =>
  fetch(at(`/api/weights/${layer}?encoding=base64`, checkpoint)).then(json);
export const getCheckpoints = () => fetch("/api/knowledge/checkpoints").then(json);
/** A layer's weights at every checkpoint (GET /api/knowledge/checkpoints/weights/{layer}). */
export const getCheckpointWeights = (layer) =>
  fetch(`/api/knowledge/checkpoints/weights/${layer}?encoding=base64`).then(json);
export const getSample = (index) => fetch(`/api/sample${index === undefined ? "" : `?index=${index}`}`).then(json);

/**
 * POST the drawing (a PNG data URL); every layer comes back as base64 float32. checkpoint: a
 * training checkpoint's name (null: the final weights).
 */
/** image: {image_base64} or {image, preprocess} (DrawPad.imageBody()). */
export function predict(image, checkpoint = null) {
  return fetch(at("/api/predict", checkpoint), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...image, encoding: "base64" }),
  }).then(json);
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(json);
}

export const convolve = (image, kernel, stride = 1, padding = 0) =>
  post("/api/convolve", { image, kernel, stride, padding });
export const pool = (image, size, stride, mode) => post("/api/pool", { image, size, stride, mode });
export const gradient = (pngDataUrl, target) => post("/api/gradient", { image_base64: pngDataUrl, target });
export const getModelCard = () => fetch("/api/model/card").then(json);

export const featureMapSize = (params) =>
  fetch(`/api/feature-map-size?${new URLSearchParams(params)}`).then(json);
