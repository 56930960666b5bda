// Loads a heavy classic script (Plotly) after the page's first paint, then the page's own
// module, which draws with it:
//   <script type="module" src="/static/js/after-paint.js"
//           data-script="/static/plotly/plotly.min.js" data-module="/static/js/modelcard.js">
const tag = document.querySelector("script[data-module][data-script]");

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = Object.assign(document.createElement("script"), { src, async: true });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(s);
  });
}

// two frames: the first paint has happened when the second callback runs
await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
try {
  await loadScript(tag.dataset.script);
} catch (err) {
  const p = Object.assign(document.createElement("p"), { className: "error", textContent: `Charts are not available: ${err.message}` });
  document.querySelector("main")?.prepend(p);
}
await import(tag.dataset.module);
