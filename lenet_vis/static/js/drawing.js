// The drawing shared between pages: the visualizer stores its newest PNG; the lessons read it.
// Touches storage only, no DOM.
const KEY = "lenet-vis:drawing";

export function saveDrawing(pngDataUrl) {
  try {
    if (pngDataUrl) localStorage.setItem(KEY, pngDataUrl);
    else localStorage.removeItem(KEY);
  } catch {
    // storage may be disabled; the page still works, the lessons fall back to a sample
  }
}

export function loadDrawing() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}
