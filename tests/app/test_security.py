"""Security headers on every response, CORS off by default, on for named origins."""

from fastapi.testclient import TestClient

from lenet_vis.app.config import Settings
from lenet_vis.app.main import create_app


def test_every_response_carries_the_security_headers(client):
    responses = [
        client.get("/healthz"),
        client.get("/api/model"),
        client.get("/docs"),
        client.get("/nowhere"),
        client.post("/api/predict", content=b"{", headers={"content-type": "application/json"}),
        client.post(
            "/api/predict", content=b"0" * 3_000_000, headers={"content-type": "application/json"}
        ),
    ]
    for r in responses:
        csp = dict(d.split(" ", 1) for d in r.headers["content-security-policy"].split("; "))
        assert csp["script-src"] == "'self'"  # no inline script, no other origin
        assert csp["frame-ancestors"] == "'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_docs_page_has_no_inline_script_and_loads_local_assets(client):
    html = client.get("/docs").text
    assert "<script>" not in html and "cdn" not in html.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/js/swagger-init.js").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {
        "/api/predict",
        "/api/predict/image",
        "/api/predict/batch",
        "/api/model",
        "/api/weights/{layer}",
        "/healthz",
    } <= set(spec["paths"])


def test_cors_is_off_unless_origins_are_named(client):
    r = client.get("/api/model", headers={"origin": "https://example.org"})
    assert "access-control-allow-origin" not in r.headers
    with TestClient(create_app(Settings(cors_origins=["https://example.org"]))) as c:
        r = c.get("/api/model", headers={"origin": "https://example.org"})
        assert r.headers["access-control-allow-origin"] == "https://example.org"
        r = c.get("/api/model", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_a_bad_weights_file_stops_the_start_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "lenet.npz").write_bytes(b"not a zip")
    (tmp_path / "lenet.json").write_text("{}")
    env = {**os.environ, "LENET_VIS_WEIGHTS": str(tmp_path / "lenet.npz")}
    proc = subprocess.run(
        [sys.executable, "-m", "uvicorn", "lenet_vis.app.main:app", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"lenet-vis: cannot start: {tmp_path / 'lenet.npz'}: not a .npz (zip) file, or truncated"
    ]


def test_every_operation_documents_an_example(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ref = op["responses"]["200"]["content"]["application/json"].get("schema", {})
            name = ref.get("$ref", "").split("/")[-1]
            example = op["responses"]["200"]["content"]["application/json"].get("example")
            assert example or schemas.get(name, {}).get("examples"), (method, path)


def test_a_server_error_is_json_with_the_security_headers(caplog):
    app = create_app(Settings())

    async def boom():
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {
        "detail": [{"loc": [], "msg": "internal server error", "type": "server_error"}]
    }
    assert "a bug" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_head_is_answered_on_every_get_route(client):
    for path in ["/healthz", "/api/model", "/api/weights/fc3", "/", "/static/js/main.js"]:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers["x-content-type-options"] == "nosniff"


def test_the_openapi_schema_states_the_bounds_the_server_enforces(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    image = schemas["ImageInput"]["properties"]["image"]
    assert (image["minItems"], image["maxItems"]) == (8, 1024)
    assert (image["items"]["minItems"], image["items"]["maxItems"]) == (8, 1024)
    assert (image["items"]["items"]["minimum"], image["items"]["items"]["maximum"]) == (0, 255)
    assert schemas["ImageInput"]["oneOf"] == [
        {"required": ["image"]},
        {"required": ["image_base64"]},
    ]
    assert schemas["ImageInput"]["properties"]["image_base64"]["pattern"].startswith(
        "^(data:image/(png|jpeg);base64,)?"
    )
    layers = schemas["PredictRequest"]["properties"]["layers"]["anyOf"][0]
    from lenet_vis.model.geometry import layer_geometry

    assert layers["items"]["enum"] == [g.name for g in layer_geometry()][1:]
    assert schemas["BatchRequest"]["properties"]["images"]["maxItems"] == 64
    path = spec["paths"]["/api/weights/{layer}"]["get"]["parameters"][0]["schema"]
    assert path["enum"] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    op = spec["paths"]["/api/predict"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictRequest"
    }
    assert {"408", "413", "415", "422", "503"} <= set(op["responses"])
