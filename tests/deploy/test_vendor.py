"""Third-party browser files: Swagger UI vendored as pinned npm files, plotly.js via its API."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from lenet_vis.app.main import create_app
from lenet_vis.assets import SWAGGER_UI

PLOTLY = "/static/plotly/plotly.min.js"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def test_vendored_swagger_ui_matches_its_manifest():
    name, integrity, *files = (SWAGGER_UI / "MANIFEST").read_text().splitlines()
    assert name.startswith("swagger-ui-dist 5.") and integrity.startswith("integrity sha512-")
    assert {line.split()[1] for line in files} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for line in files:
        digest, filename = line.split()
        assert hashlib.sha256((SWAGGER_UI / filename).read_bytes()).hexdigest() == digest, filename


def test_docs_load_swagger_ui_from_the_vendored_files(client):
    page = client.get("/docs")
    assert page.status_code == 200
    for src in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"):
        assert src in page.text
        got = client.get(src)
        assert got.status_code == 200
        assert got.content == (SWAGGER_UI / src.rsplit("/", 1)[1]).read_bytes()


def test_plotly_js_is_plotlys_own_bundle_gzipped_with_an_etag(client):
    from plotly.offline import get_plotlyjs

    got = client.get(PLOTLY, headers={"accept-encoding": "gzip"})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/javascript")
    assert got.headers["content-encoding"] == "gzip"
    assert got.headers["cache-control"] == "public, max-age=86400"
    assert got.headers["vary"] == "Accept-Encoding"
    assert got.content == get_plotlyjs().encode()  # httpx undid the gzip
    assert int(got.headers["content-length"]) < len(got.content) / 3
    assert got.headers["x-content-type-options"] == "nosniff"


def test_plotly_js_plain_when_gzip_is_not_accepted(client):
    got = client.get(PLOTLY, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in got.headers
    assert int(got.headers["content-length"]) == len(got.content)
    assert got.content.startswith(b"/**") and b"plotly.js" in got.content[:200]


def test_plotly_js_answers_304_to_its_etag_and_head_without_a_body(client):
    etag = client.get(PLOTLY).headers["etag"]
    again = client.get(PLOTLY, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(PLOTLY, headers={"if-none-match": '"other"'}).status_code == 200
    head = client.head(PLOTLY)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
