"""The Explain view (explainview.js) in Chromium, fed by the real /api/explain routes.

It is not wired into the page yet: the test mounts it in a detached panel on the visualizer.
"""

import pytest

from lenet_vis.app.schemas import SEVEN

pytestmark = pytest.mark.browser

RENDER = """async (seven) => {
  const { ExplainView } = await import("/static/js/explainview.js");
  const post = async (path, body) => {
    const r = await fetch("/api/explain/" + path, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(path + " " + r.status);
    return r.json();
  };
  const flipped = seven.map((row) => [...row].reverse());
  const data = {
    attribution: await post("attribution", { image: seven, encoding: "base64" }),
    randomisation: await post("randomisation", { image: seven, methods: ["gradient"] }),
    ranking: await post("ablation-ranking", { image: seven }),
    counterfactual: await post("counterfactual", { image: seven, target: 1 }),
    compare: await post("compare", { a: { image: seven }, b: { image: flipped }, layers: [] }),
  };
  const root = document.createElement("div");
  document.body.append(root);
  new ExplainView(root).update(data);
  const colourful = (canvas) => {
    const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] !== px[i + 1] || px[i + 1] !== px[i + 2]) n++;
    return n;
  };
  const byId = (id) => root.querySelector(`[data-testid="${id}"]`);
  return {
    canvases: root.querySelectorAll("canvas").length,
    gradient: colourful(byId("explain-gradient")),
    counterfactual: colourful(byId("explain-counterfactual")),
    ranking: [...root.querySelectorAll(".explain-ranking li")].map((li) => li.textContent),
    title: root.querySelector(".explain-counterfactual h3").textContent,
    note: root.querySelector(".explain-attribution .explain-note").textContent,
  };
}"""


def test_the_explain_view_draws_every_part_from_the_api(page):
    out = page.evaluate(RENDER, SEVEN)
    # 4 attribution maps, 6 randomisation stages, 1 counterfactual, 1 difference, 1 chart
    assert out["canvases"] == 4 + 6 + 1 + 1 + 1
    assert out["gradient"] > 20 and out["counterfactual"] > 0
    assert len(out["ranking"]) == 8 and out["ranking"][0].startswith(("conv1", "conv2"))
    assert out["title"] == "Make it a 1: now says 1"
    assert "% apart, 64 steps" in out["note"]
