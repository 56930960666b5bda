// Decoding API payloads. Pure: no DOM.

/** base64 little-endian float32 -> Float32Array (copy-free view on the bytes). */
export function decodeFloat32(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Nested arrays or base64 -> flat Float32Array in C order. */
export function toFlat(data) {
  if (typeof data === "string") return decodeFloat32(data);
  return Float32Array.from(data.flat(Infinity));
}

/** A predict response -> {prediction, probabilities, blank, layers: {name: Float32Array}}. */
export function decodePrediction(body) {
  const layers = { input: toFlat(body.input) };
  for (const l of body.layers) layers[l.name] = toFlat(l.data);
  return {
    prediction: body.prediction,
    probabilities: body.probabilities,
    blank: body.blank,
    layers,
  };
}

/** Weights response -> {W: Float32Array, b: Float32Array, shape}. */
export function decodeWeights(body) {
  return { W: toFlat(body.weights), b: toFlat(body.bias), shape: body.weights_shape };
}
