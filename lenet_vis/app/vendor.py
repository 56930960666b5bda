"""plotly.js served from the installed plotly package's public API, cached and compressed.

`plotly.offline.get_plotlyjs()` returns the bundled plotly.min.js as text; it is read once,
then served with a strong ETag (304 on a match), a day of browser caching and a gzip copy for
clients that accept it, so no code depends on where plotly keeps the file inside its package.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache

from fastapi import APIRouter, Request, Response

router = APIRouter(include_in_schema=False)
PATH = "/static/plotly/plotly.min.js"
CACHE_CONTROL = "public, max-age=86400"


@cache
def plotly_js() -> tuple[bytes, bytes, str]:
    """The script, its gzip copy and its ETag, computed on first use."""
    from plotly.offline import get_plotlyjs

    body = get_plotlyjs().encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return body, gzip.compress(body, compresslevel=9, mtime=0), etag


@router.api_route(PATH, methods=["GET", "HEAD"])
def plotly_script(request: Request) -> Response:
    body, gzipped, etag = plotly_js()
    headers = {"etag": etag, "cache-control": CACHE_CONTROL, "vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["content-encoding"] = gzipped, "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
