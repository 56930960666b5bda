"""Static files: gzip for text assets (never for the API), caching headers, 304 on revalidation."""

from pathlib import Path

import numpy as np
import plotly

from lenet_vis.assets import STATIC
from tests.app.helpers import data_url, png_bytes


def test_plotly_goes_out_gzipped_and_cached_for_a_day(client):
    original = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    r = client.get("/static/plotly/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.content == original  # httpx inflates it
    assert int(r.headers["content-length"]) < len(original) / 3
    assert r.headers["cache-control"] == "public, max-age=86400"
    assert r.headers["vary"].lower() == "accept-encoding"
    again = client.get(
        "/static/plotly/plotly.min.js",
        headers={"accept-encoding": "gzip", "if-none-match": r.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""


def test_own_files_are_revalidated_and_plain_without_accept_encoding(client):
    path = next(p for p in sorted((STATIC / "js").glob("*.js")) if p.stat().st_size > 2048)
    url = f"/static/js/{path.name}"
    plain = client.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == path.read_bytes()
    assert plain.headers["cache-control"] == "no-cache"
    zipped = client.get(url, headers={"accept-encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == path.read_bytes()  # httpx inflates it
    assert int(zipped.headers["content-length"]) < path.stat().st_size
    for tag in (plain.headers["etag"], zipped.headers["etag"]):
        assert client.get(url, headers={"if-none-match": tag}).status_code == 304


def test_the_api_is_never_compressed(client):
    body = {"image_base64": data_url(png_bytes(np.zeros((28, 28))))}
    r = client.post("/api/predict", json=body, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
