// HTTP calls to the server. No DOM.

async function json(response) {
  const body = await response.json();
  if (!response.ok) {
    const msg = body.detail?.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ") || response.statusText;
    throw new Error(msg);
  }
  return body;
}

export const getModel = () => fetch("/api/model").then(json);
export const getWeights = (layer) => fetch(`/api/weights/${layer}?encoding=base64`).then(json);
export const getSample = (index) => fetch(`/api/sample${index === undefined ? "" : `?index=${index}`}`).then(json);

/** POST the drawing (a PNG data URL); every layer comes back as base64 float32. */
export function predict(pngDataUrl) {
  return fetch("/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image_base64: pngDataUrl, encoding: "base64" }),
  }).then(json);
}
