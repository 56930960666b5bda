"""/api/knowledge/...: checkpoints, nearest training digits, the map, the filters (real app)."""

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from lenet_vis.app.config import Settings
from lenet_vis.app.deps import CheckpointNet
from lenet_vis.app.main import create_app
from lenet_vis.app.routes import knowledge as routes
from lenet_vis.model import knowledge as kn
from tests.app.helpers import data_url, png_bytes
from tests.conftest import WEIGHTS


def app_with_knowledge(settings: Settings):
    """The real app; the knowledge router is included unless main.py already does it."""
    app = create_app(settings)
    if not any(getattr(r, "path", "").startswith("/api/knowledge") for r in app.routes):
        app.include_router(routes.router)

    @app.get("/test/checkpoint")
    async def which(net: CheckpointNet) -> dict:
        return {"weights_sha256": net.weights_sha256}

    return app


@pytest.fixture(scope="module")
def kclient():
    with TestClient(app_with_knowledge(Settings())) as c:
        yield c


@pytest.fixture
def has_checkpoints(net):
    from lenet_vis.model.checkpoints import listed

    if not listed(net.metadata):
        pytest.skip("the committed weights were trained before checkpoints were kept; retrain")


@pytest.fixture(scope="module")
def k(net):
    return kn.Knowledge.load(WEIGHTS, net.weights_sha256)


def test_checkpoints_are_listed_in_order_with_their_accuracy(kclient, net, has_checkpoints):
    body = kclient.get("/api/knowledge/checkpoints").json()
    names = [c["name"] for c in body["checkpoints"]]
    assert names[0] == "init" and body["final"] == names[-1]
    assert body["checkpoints"][-1]["weights_sha256"] == net.weights_sha256
    assert [c["epoch"] for c in body["checkpoints"]] == sorted(
        c["epoch"] for c in body["checkpoints"]
    )


def test_a_checkpoint_is_served_by_name_and_an_unknown_one_is_404(kclient, net, has_checkpoints):
    init = kclient.get("/test/checkpoint", params={"checkpoint": "init"}).json()
    final = kclient.get("/test/checkpoint").json()
    assert final["weights_sha256"] == net.weights_sha256 != init["weights_sha256"]


def test_an_unknown_checkpoint_is_a_404_that_lists_them(kclient):
    r = kclient.get("/test/checkpoint", params={"checkpoint": "epoch-999"})
    assert r.status_code == 404
    assert "no checkpoint 'epoch-999'; checkpoints are [" in r.json()["detail"][0]["msg"]


def test_every_checkpoints_filters_in_one_answer(kclient, net, has_checkpoints):
    body = kclient.get("/api/knowledge/checkpoints/weights/conv1", params={"encoding": "list"})
    body = body.json()
    assert body["weights_shape"] == [6, 1, 5, 5] and len(body["weights"]) == len(
        body["checkpoints"]
    )
    assert np.allclose(body["weights"][-1], net.layers["conv1"].params["W"])
    assert not np.allclose(body["weights"][0], body["weights"][-1])
    assert kclient.get("/api/knowledge/checkpoints/weights/relu1").status_code == 404


def test_neighbours_of_a_fixture_digit(kclient, k, net, digits):
    images, labels = digits
    r = kclient.post("/api/knowledge/neighbours", json={"image": images[0].tolist()})
    assert r.status_code == 200
    body = r.json()
    assert body["prediction"] == labels[0] and not body["blank"]
    assert len(body["fc2"]) == len(body["pixels"]) == 8
    assert sum(n["label"] == labels[0] for n in body["fc2"]) >= 7
    first = body["fc2"][0]
    assert np.array_equal(first["image"], k.arrays["images"][first["row"]])
    assert first["index"] == k.arrays["indices"][first["row"]]
    sims = [n["similarity"] for n in body["fc2"]]
    dists = [n["distance"] for n in body["pixels"]]
    assert sims == sorted(sims, reverse=True) and dists == sorted(dists)
    x = np.zeros((32, 32), np.float32)
    x[2:30, 2:30] = images[0] / 255
    from lenet_vis.model.preprocess import to_network_input

    e = net.forward(to_network_input(images[0]))["relu4"]
    assert np.allclose(body["position"], k.place(e), atol=1e-4)


def test_the_page_png_gets_the_same_answer_as_the_array(kclient, digits):
    big = np.kron(digits[0][1], np.ones((5, 5), np.uint8))
    a = kclient.post("/api/knowledge/neighbours", json={"image": big.tolist()}).json()
    b = kclient.post(
        "/api/knowledge/neighbours", json={"image_base64": data_url(png_bytes(big))}
    ).json()
    assert [n["row"] for n in a["fc2"]] == [n["row"] for n in b["fc2"]]


def test_place_and_map(kclient, k, digits):
    body = kclient.post("/api/knowledge/map/place", json={"image": digits[0][3].tolist()}).json()
    assert len(body["position"]) == 2 and body["prediction"] == digits[1][3]
    m = kclient.get("/api/knowledge/map").json()
    assert m["count"] == len(k) == len(m["positions"]) == len(m["labels"])
    assert m["mistakes"] == np.flatnonzero(k.labels != k.predictions).tolist()
    assert np.allclose(m["positions"], k.arrays["map_positions"], atol=1e-3)
    lo, hi = np.array(m["bounds"])
    assert np.all(lo <= hi)


def test_a_training_digit_by_row(kclient, k):
    body = kclient.get("/api/knowledge/digits/5").json()
    assert body["label"] == k.labels[5] and np.array_equal(body["image"], k.arrays["images"][5])
    r = kclient.get(f"/api/knowledge/digits/{len(k)}")
    assert r.status_code == 404 and "row must be in 0-" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("layer", "count", "field"), [("conv1", 6, 5), ("conv2", 16, 14)])
def test_filters(kclient, k, layer, count, field):
    body = kclient.get(f"/api/knowledge/filters/{layer}").json()
    assert body["receptive_field"] == field and len(body["filters"]) == count
    f = body["filters"][-1]
    assert np.array(f["patches"]).shape == (9, field, field)
    assert np.array(f["ascent"]).shape == (32, 32)
    assert f["patch_labels"] == k.labels[f["patch_rows"]].tolist()
    assert f["patch_activations"] == sorted(f["patch_activations"], reverse=True)


def test_bad_requests_are_clear(kclient):
    r = kclient.get("/api/knowledge/filters/fc1")
    assert r.status_code == 404 and "conv1" in r.json()["detail"][0]["msg"]
    r = kclient.post(
        "/api/knowledge/neighbours", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415
    r = kclient.post("/api/knowledge/neighbours", json={})
    assert r.status_code == 422
    r = kclient.post("/api/knowledge/neighbours", json={"image": [[0, 1]]})
    assert r.status_code == 422
    blank = kclient.post("/api/knowledge/neighbours", json={"image": [[0] * 28] * 28}).json()
    assert blank["blank"] is True


def test_stale_precomputed_files_are_a_503_that_says_what_to_do(tmp_path):
    for name in ("lenet.npz", "lenet.json", "lenet-checkpoints.npz", "knowledge.npz"):
        if WEIGHTS.with_name(name).exists():
            shutil.copy(WEIGHTS.with_name(name), tmp_path / name)
    meta = json.loads(WEIGHTS.with_name("knowledge.json").read_text())
    meta["weights_sha256"] = "0" * 64
    (tmp_path / "knowledge.json").write_text(json.dumps(meta))
    with TestClient(app_with_knowledge(Settings(weights=tmp_path / "lenet.npz"))) as c:
        r = c.get("/api/knowledge/map")
        assert r.status_code == 503
        assert "run `lenet-vis precompute`" in r.json()["detail"][0]["msg"]
        assert c.get("/api/knowledge/checkpoints").status_code == 200  # the rest still works


# ---------------------------------------------------------------------- ?checkpoint=
# On copies of the committed weights: one whose metadata lists no checkpoints (as the committed
# weights today), one with two checkpoints written by checkpoints.save_checkpoints.


PREDICT_PATHS = ("/api/predict", "/api/predict/image", "/api/predict/batch")


def weights_copy(tmp_path, net, states: dict | None):
    """lenet.npz, knowledge.* and a lenet.json listing `states` as checkpoints (none if None)."""
    from lenet_vis.model import checkpoints as ck

    for name in ("lenet.npz", "knowledge.npz", "knowledge.json"):
        shutil.copy(WEIGHTS.with_name(name), tmp_path / name)
    meta = json.loads(WEIGHTS.with_suffix(".json").read_text())
    meta.pop("checkpoints", None)
    if states is not None:
        path = ck.checkpoints_path(tmp_path / "lenet.npz")
        records = ck.save_checkpoints(path, states)
        for epoch, rec in enumerate(records):
            rec |= {"epoch": epoch, "test_accuracy": 0.5, "fixture_accuracy": 0.5}
        meta["checkpoints"] = {"file": path.name, "list": records}
    (tmp_path / "lenet.json").write_text(json.dumps(meta))
    return tmp_path / "lenet.npz"


def test_without_checkpoints_every_checkpoint_route_says_none_are_kept(tmp_path, net, digits):
    with TestClient(create_app(Settings(weights=weights_copy(tmp_path, net, None)))) as c:
        assert c.get("/api/knowledge/checkpoints").json() == {"final": None, "checkpoints": []}
        for r in (
            c.get("/api/knowledge/checkpoints/weights/conv1"),
            c.get("/api/weights/conv1", params={"checkpoint": "init"}),
            c.post(
                "/api/predict", params={"checkpoint": "init"}, json={"image": digits[0][0].tolist()}
            ),
        ):
            assert r.status_code == 404, r.text
            assert "none are available" in r.json()["detail"][0]["msg"]
        r = c.get("/api/weights/conv1", params={"checkpoint": "init"})
        assert r.json()["detail"][0]["msg"].startswith("no checkpoint 'init'; checkpoints are []")
        assert c.get("/api/weights/conv1").status_code == 200
        spec = c.get("/openapi.json").json()
        assert "enum" not in json.dumps(spec["paths"]["/api/predict"]["post"]["parameters"])


def test_checkpoints_are_served_by_name_on_predict_and_weights(tmp_path, net, digits):
    from lenet_vis.model.lenet import LeNet

    init = LeNet(seed=3)
    states = {"init": init.state(), "epoch-1": net.state()}
    with TestClient(create_app(Settings(weights=weights_copy(tmp_path, net, states)))) as c:
        listed = c.get("/api/knowledge/checkpoints").json()
        assert [r["name"] for r in listed["checkpoints"]] == ["init", "epoch-1"]
        assert listed["final"] == "epoch-1"
        assert listed["checkpoints"][-1]["weights_sha256"] == net.weights_sha256
        w = c.get("/api/weights/conv1", params={"checkpoint": "init", "encoding": "list"}).json()
        assert np.array_equal(np.float32(w["weights"]), init.layers["conv1"].params["W"])
        image = digits[0][0]
        p = c.post("/api/predict", params={"checkpoint": "init"}, json={"image": image.tolist()})
        assert p.json()["model"]["weights_sha256"] == init.weights_sha256
        x = c.post("/api/predict", json={"image": image.tolist(), "layers": []}).json()
        assert x["model"]["weights_sha256"] == net.weights_sha256
        from lenet_vis.model.preprocess import network_input

        expected = init.predict(network_input(image.astype(np.float32), True).x)
        np.testing.assert_allclose(p.json()["probabilities"], expected, rtol=1e-5, atol=1e-7)
        both = c.get("/api/knowledge/checkpoints/weights/conv1", params={"encoding": "list"})
        assert both.json()["checkpoints"] == ["init", "epoch-1"]
        assert np.array_equal(
            np.float32(both.json()["weights"][1]), net.layers["conv1"].params["W"]
        )
        spec = c.get("/openapi.json").json()
        for path, method in [(p, "post") for p in PREDICT_PATHS] + [
            ("/api/weights/{layer}", "get")
        ]:
            params = spec["paths"][path][method]["parameters"]
            (param,) = [p for p in params if p["name"] == "checkpoint"]
            assert param["schema"]["enum"] == ["init", "epoch-1"], path
        r = c.get("/api/weights/conv1", params={"checkpoint": "epoch-9"})
        assert r.status_code == 404
        assert r.json()["detail"][0]["msg"] == (
            "no checkpoint 'epoch-9'; checkpoints are ['init', 'epoch-1']"
        )
