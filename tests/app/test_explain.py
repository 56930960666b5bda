"""POST /api/explain/...: each answer equals the model's own computation on the same network
input; every parameter's bound and every bad image gets a clear 4xx; work runs off the loop."""

import threading
import time

import httpx
import numpy as np
import pytest

from lenet_vis.model import ablation, attribution, compare, randomisation
from lenet_vis.model.train import mnist_to_input
from tests.app.helpers import decode_f32
from tests.app.test_bad_input import CASES, assert_error, post_raw

PATHS = ["attribution", "randomisation", "ablate", "ablation-ranking", "counterfactual", "compare"]
GOOD_INK = np.pad(np.full((12, 6), 255), 8).tolist()  # a "1" (as in test_bad_input)


def url(path):
    return f"/api/explain/{path}"


@pytest.fixture(scope="module")
def seven(digits):
    """Fixture digit 0 (a 7): the 28x28 ink for preprocess=false, and its network input."""
    return digits[0][0].tolist(), mnist_to_input(digits[0][:1])[0, 0]


def body_for(path, image, **extra):
    if path == "compare":
        return {"a": {"image": image}, "b": {"image": GOOD_INK}, **extra}
    if path == "ablate":
        return {"image": image, "ablate": {"conv2": [1]}, **extra}
    if path == "counterfactual":
        return {"image": image, "target": 3, "max_steps": 5, **extra}
    return {"image": image, **extra}


# ---------------------------------------------------------------------------- real values


def test_attribution_equals_the_model_on_the_same_input(client, net, seven):
    ink, x = seven
    r = client.post(url("attribution"), json={"image": ink, "preprocess": False})
    assert r.status_code == 200, r.text
    body = r.json()
    expected = attribution.attribution_maps(net, x, 7)
    assert body["target"] == body["prediction"] == 7 and body["blank"] is False
    assert list(body["maps"]) == list(attribution.METHODS)
    for name, m in expected.maps.items():
        np.testing.assert_allclose(body["maps"][name], m, rtol=1e-5, atol=1e-7, err_msg=name)
    np.testing.assert_allclose(body["input"], x)
    np.testing.assert_allclose(body["logits"], net.forward(x)["fc3"], rtol=1e-6)
    c = body["completeness"]
    assert c["steps"] == 64 and c["relative_error"] < 0.01
    assert c["attribution_sum"] == pytest.approx(np.sum(body["maps"]["integrated_gradients"]))
    occ = body["occlusion"]
    assert occ["offsets"] == list(range(0, 29, 2)) and np.shape(occ["drops"]) == (15, 15)
    np.testing.assert_allclose(occ["logit_map"], expected.occluded.logit_map, rtol=1e-4, atol=1e-5)


def test_attribution_options_and_base64(client, net, seven):
    ink, x = seven
    r = client.post(
        url("attribution"),
        json={
            "image": ink,
            "preprocess": False,
            "target": 1,
            "methods": ["occlusion", "gradient"],
            "patch": 5,
            "stride": 3,
            "fill": "black",
            "encoding": "base64",
        },
    ).json()
    assert r["target"] == 1 and list(r["maps"]) == ["gradient", "occlusion"]
    assert r["completeness"] is None
    occ = attribution.occlusion(net, x, 1, 5, 3, 0.0)
    np.testing.assert_allclose(decode_f32(r["maps"]["occlusion"], (32, 32)), occ.map, atol=1e-6)
    np.testing.assert_allclose(
        decode_f32(r["maps"]["gradient"], (32, 32)), attribution.gradient(net, x, 1), rtol=1e-5
    )
    np.testing.assert_allclose(decode_f32(r["occlusion"]["drops"], (10, 10)), occ.drops, atol=1e-6)


def test_randomisation_returns_six_stages_from_the_top(client, net, seven):
    ink, x = seven
    body = client.post(
        url("randomisation"),
        json={"image": ink, "preprocess": False, "methods": ["gradient"], "seed": 5},
    ).json()
    stages = randomisation.cascading_randomisation(net, x, 7, ("gradient",), seed=5)
    assert [s["randomised"] for s in body["stages"]] == [s.randomised for s in stages]
    for got, want in zip(body["stages"], stages, strict=True):
        np.testing.assert_allclose(got["maps"]["gradient"], want.maps["gradient"], rtol=1e-5)
        assert got["similarity"]["gradient"] == pytest.approx(want.similarity["gradient"])
    assert body["stages"][0]["similarity"] == {"gradient": 1.0}


def test_ablate_zeroes_the_filter_and_recomputes_every_later_layer(client, net, seven):
    ink, x = seven
    off = {"conv2": [4, 4, 9], "fc1": [3]}
    body = client.post(
        url("ablate"), json={"image": ink, "preprocess": False, "ablate": off}
    ).json()
    reference = ablation.zeroed_network(net, {"conv2": [4, 9], "fc1": [3]}).forward(x)
    assert [layer["name"] for layer in body["layers"]] == list(reference)[1:]
    for layer in body["layers"]:
        np.testing.assert_allclose(layer["data"], reference[layer["name"]], atol=1e-5)
    conv2 = np.array(next(la["data"] for la in body["layers"] if la["name"] == "conv2"))
    assert not conv2[[4, 9]].any() and conv2[0].any()
    assert body["ablated"] == {"conv1": [], "conv2": [4, 9], "fc1": [3], "fc2": []}
    np.testing.assert_allclose(body["original"]["probabilities"], net.predict(x), atol=1e-6)
    assert body["prediction"] == int(reference["softmax"].argmax())


def test_the_top_ranked_filter_switched_off_lowers_the_target(client, net, seven):
    ink, x = seven
    body = client.post(url("ablation-ranking"), json={"image": ink, "preprocess": False}).json()
    logit, effects = ablation.filter_ranking(net, x, 7)
    assert body["target"] == 7 and body["logit"] == pytest.approx(logit)
    assert [(e["layer"], e["index"]) for e in body["ranking"]] == [
        (e.layer, e.index) for e in effects
    ]
    top = body["ranking"][0]
    after = client.post(
        url("ablate"),
        json={"image": ink, "preprocess": False, "ablate": {top["layer"]: [top["index"]]}},
    ).json()
    assert after["probabilities"][7] == pytest.approx(top["probability"], abs=1e-6)
    assert after["probabilities"][7] < body["probabilities"][7]
    fc3 = next(la["data"] for la in after["layers"] if la["name"] == "fc3")
    assert fc3[7] == pytest.approx(logit - top["drop"], abs=1e-4)


def test_counterfactual_makes_a_seven_a_one(client, net, seven):
    ink, _ = seven
    body = client.post(
        url("counterfactual"), json={"image": ink, "preprocess": False, "target": 1}
    ).json()
    assert body["reached"] and body["prediction"] == 1 and body["original"]["prediction"] == 7
    cf, before = np.array(body["counterfactual"]), np.array(body["input"])
    assert cf.min() >= 0 and cf.max() <= 1
    assert net.predict(cf.astype(np.float32)).argmax() == 1
    added, removed = np.array(body["ink_added"]), np.array(body["ink_removed"])
    np.testing.assert_allclose(added - removed, cf - before, atol=1e-6)
    assert body["ink_added_total"] == pytest.approx(added.sum(), rel=1e-5)
    assert len(body["map_changes"]["relu1"]) == 6 and len(body["map_changes"]["relu2"]) == 16
    assert body["top_maps"][0]["change"] > 0
    again = client.post(
        url("counterfactual"), json={"image": ink, "preprocess": False, "target": 1}
    ).json()
    assert again["counterfactual"] == body["counterfactual"]  # deterministic


def test_counterfactual_to_the_current_verdict_changes_nothing(client, seven):
    ink, _ = seven
    body = client.post(
        url("counterfactual"), json={"image": ink, "preprocess": False, "target": 7}
    ).json()
    assert body["steps"] == 0 and body["stopped"] == "already" and body["reached"]
    assert body["ink_added_total"] == 0 and body["ink_removed_total"] == 0
    assert body["counterfactual"] == body["input"]


def test_compare_gives_b_minus_a_and_the_blend_path(client, net, digits):
    a, b = mnist_to_input(digits[0][:2])[:, 0]
    body = client.post(
        url("compare"),
        json={
            "a": {"image": digits[0][0].tolist()},
            "b": {"image": digits[0][1].tolist()},
            "preprocess": False,
            "steps": 5,
        },
    ).json()
    expected = compare.compare(net, a, b, 5)
    assert [d["name"] for d in body["differences"]] == list(expected.differences)[1:]
    for d in body["differences"]:
        np.testing.assert_allclose(d["data"], expected.differences[d["name"]], atol=1e-5)
        assert np.any(d["data"]), d["name"]  # A and B differ at every layer
    np.testing.assert_allclose(body["input_difference"], b - a, atol=1e-7)
    np.testing.assert_allclose(body["logit_change"], expected.logit_change, atol=1e-5)
    assert body["path"]["alphas"] == [0, 0.25, 0.5, 0.75, 1]
    np.testing.assert_allclose(body["path"]["probabilities"][0], net.predict(a), atol=1e-6)
    np.testing.assert_allclose(body["path"]["probabilities"][-1], net.predict(b), atol=1e-6)
    assert (body["a"]["prediction"], body["b"]["prediction"]) == (7, 2)


def test_drawings_are_preprocessed_like_predict(client):
    big = np.kron(np.array(GOOD_INK), np.ones((4, 4))).tolist()
    predicted = client.post("/api/predict", json={"image": big, "layers": []}).json()
    for path in PATHS:
        r = client.post(url(path), json=body_for(path, big))
        assert r.status_code == 200, (path, r.text)
        if path == "attribution":
            assert r.json()["probabilities"] == pytest.approx(predicted["probabilities"])


@pytest.mark.parametrize("path", PATHS)
def test_a_blank_drawing_is_explained_without_fault(client, path):
    blank = [[0] * 16] * 16
    r = client.post(url(path), json=body_for(path, blank))
    assert r.status_code == 200, r.text
    body = r.json()
    if path == "attribution":
        assert body["blank"] and body["completeness"]["attribution_sum"] == 0
        assert not np.any(body["maps"]["integrated_gradients"])
    if path == "compare":
        assert body["a"]["blank"] and not body["b"]["blank"]


# ---------------------------------------------------------------------------- bounds


BOUNDS = [
    ("attribution", {"steps": 0}, "steps", "greater than or equal to 1"),
    ("attribution", {"steps": 257}, "steps", "less than or equal to 256"),
    ("attribution", {"patch": 17}, "patch", "less than or equal to 16"),
    ("attribution", {"stride": 0}, "stride", "greater than or equal to 1"),
    ("attribution", {"target": 10}, "target", "less than or equal to 9"),
    ("attribution", {"target": -1}, "target", "greater than or equal to 0"),
    ("attribution", {"methods": []}, "methods", "at least 1"),
    ("attribution", {"methods": ["saliency"]}, "methods", "gradient"),
    ("attribution", {"fill": "white"}, "fill", "grey"),
    ("randomisation", {"steps": 129}, "steps", "less than or equal to 128"),
    ("randomisation", {"patch": 1}, "patch", "greater than or equal to 2"),
    ("randomisation", {"seed": -1}, "seed", "greater than or equal to 0"),
    ("ablate", {"ablate": {"conv1": [6]}}, "conv1", "less than or equal to 5"),
    ("ablate", {"ablate": {"conv2": [16]}}, "conv2", "less than or equal to 15"),
    ("ablate", {"ablate": {"fc1": [120]}}, "fc1", "less than or equal to 119"),
    ("ablate", {"ablate": {"fc2": [-1]}}, "fc2", "greater than or equal to 0"),
    ("ablate", {"ablate": {"fc1": [0] * 121}}, "fc1", "at most 120"),
    ("ablate", {"ablate": {"fc3": [0]}}, "fc3", "extra"),
    ("ablate", {"ablate": None}, "ablate", "input should be an object"),
    ("ablate", {"layers": ["conv9"]}, "layers", "input should be 'conv1'"),
    ("ablation-ranking", {"target": 10}, "target", "less than or equal to 9"),
    ("ablation-ranking", {"ablate": {"conv2": [99]}}, "conv2", "less than or equal to 15"),
    ("counterfactual", {"max_steps": 0}, "max_steps", "greater than or equal to 1"),
    ("counterfactual", {"max_steps": 501}, "max_steps", "less than or equal to 500"),
    ("counterfactual", {"target": 12}, "target", "less than or equal to 9"),
    ("compare", {"steps": 1}, "steps", "greater than or equal to 2"),
    ("compare", {"steps": 65}, "steps", "less than or equal to 64"),
    ("compare", {"layers": ["pool9"]}, "layers", "input should be 'conv1'"),
]


@pytest.mark.parametrize(("path", "extra", "loc", "words"), BOUNDS)
def test_every_parameter_is_bounded_with_a_clear_422(client, path, extra, loc, words):
    assert_error(client.post(url(path), json=body_for(path, GOOD_INK, **extra)), 422, loc, words)


def test_counterfactual_needs_a_target(client):
    r = client.post(url("counterfactual"), json={"image": GOOD_INK})
    assert_error(r, 422, "target", "required")


IMAGE_CASES = [c for c in CASES if c not in ("neither image", "unknown layer")]


@pytest.mark.parametrize("path", [p for p in PATHS if p != "compare"])
@pytest.mark.parametrize("case", IMAGE_CASES)
def test_bad_images_get_the_same_4xx_as_predict(client, path, case):
    raw, status, loc, words = CASES[case]
    if path == "ablation-ranking" and case == "bad encoding":
        words = "extra"  # the ranking has no maps to encode
    if path in ("ablate", "counterfactual") and raw.endswith(b"}") and raw.startswith(b"{"):
        extra = b', "ablate": {}' if path == "ablate" else b', "target": 3'
        raw = raw[:-1] + extra + b"}"
    assert_error(post_raw(client, raw, path=url(path)), status, loc, words)


@pytest.mark.parametrize(
    ("b", "words"),
    [
        ({"image": [[0] * 10] * 9 + [[0] * 9]}, "ragged rows"),
        ({"image_base64": "###"}, "not valid base64"),
        ({}, "exactly one"),
    ],
)
def test_a_bad_drawing_b_is_named(client, b, words):
    r = client.post(url("compare"), json={"a": {"image": GOOD_INK}, "b": b})
    assert_error(r, 422, "b", words)


@pytest.mark.parametrize("path", PATHS)
def test_explain_wants_json(client, path):
    r = post_raw(client, b"image=1", "text/plain", url(path))
    assert_error(r, 415, "content-type", "application/json")


def test_openapi_documents_each_operation_with_examples_and_errors(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path in PATHS:
        op = spec["paths"][url(path)]["post"]
        assert {"200", "422", "415"} <= set(op["responses"]), path
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert schemas[ref].get("examples"), path
    steps = schemas["AttributionRequest"]["properties"]["steps"]
    assert (steps["minimum"], steps["maximum"]) == (1, 256)


def test_every_openapi_example_is_answered(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path in PATHS:
        op = spec["paths"][url(path)]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        for example in schemas[ref]["examples"]:
            r = client.post(url(path), json=example)
            assert r.status_code == 200, (path, r.text)


# ---------------------------------------------------------------------------- off the loop


def test_health_answers_while_a_counterfactual_runs(live_server, digits):
    """Heavy work runs in a thread: while a long search runs, /healthz keeps being answered,
    never waiting for a time comparable to the search itself (as it would on the loop)."""
    body = {"image": digits[0][0].tolist(), "preprocess": False, "target": 3, "max_steps": 500}
    span = []

    def search():
        with httpx.Client(base_url=live_server, timeout=60) as c:
            started = time.perf_counter()
            assert c.post(url("counterfactual"), json=body).status_code == 200
            span.extend([started, time.perf_counter()])

    with httpx.Client(base_url=live_server, timeout=60) as c:
        c.post(url("counterfactual"), json={**body, "max_steps": 1})  # warm the worker
        worker = threading.Thread(target=search)
        worker.start()
        answers = []
        while worker.is_alive():
            assert c.get("/healthz").status_code == 200
            answers.append(time.perf_counter())
        worker.join()
    during = [t for t in answers if span[0] <= t <= span[1]]
    gaps = np.diff([span[0], *during, span[1]])
    assert gaps.max() < 0.5 * (span[1] - span[0]), (gaps.max(), span[1] - span[0])
