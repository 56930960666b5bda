"""Static files, gzip-compressed once and kept in memory, with caching headers.

Text assets (JS, CSS, HTML, SVG, JSON, maps) over 1 KiB go out gzip-compressed to clients that
accept it (the 4.8 MB plotly.min.js becomes about 1.4 MB); the API's own answers are never
compressed here. Our own files are revalidated on each use (`no-cache` + ETag, a cheap 304);
vendored packages' files are versioned with their package and cached for a day.
"""

from __future__ import annotations

import gzip
import os
import threading

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "application/xml",
)
MIN_COMPRESS_BYTES = 1024
OWN_FILES = "no-cache"  # revalidate every time: edits show at once, unchanged files get 304
VENDOR_FILES = "public, max-age=86400"


class CompressedStatic(StaticFiles):
    """StaticFiles that gzips text files once (cached by path, size and mtime)."""

    def __init__(self, *, directory, cache_control: str = OWN_FILES) -> None:
        super().__init__(directory=directory)
        self.cache_control = cache_control
        self._gz: dict[tuple[str, int, int], bytes] = {}
        self._lock = threading.Lock()

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["cache-control"] = self.cache_control
        if not isinstance(response, FileResponse) or response.status_code != 200:
            return response
        response.headers["vary"] = "Accept-Encoding"
        ctype = response.media_type or ""
        stat = response.stat_result
        accepts = Headers(scope=scope).get("accept-encoding", "")
        if (
            "gzip" not in accepts
            or not ctype.startswith(COMPRESSIBLE)
            or stat is None
            or stat.st_size < MIN_COMPRESS_BYTES
        ):
            return response
        body = await anyio.to_thread.run_sync(self._compressed, response.path, stat)
        headers = {
            k: v
            for k, v in response.headers.items()
            if k not in ("content-length", "accept-ranges", "etag")
        }
        # the same file, another encoding: a weak ETag that still matches If-None-Match
        headers["etag"] = "W/" + response.headers["etag"]
        headers["content-encoding"] = "gzip"
        return Response(body, 200, headers=headers, media_type=response.media_type)

    def _compressed(self, path: str | os.PathLike, stat: os.stat_result) -> bytes:
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        body = self._gz.get(key)
        if body is None:
            with open(path, "rb") as f:
                body = gzip.compress(f.read(), compresslevel=9, mtime=0)
            with self._lock:
                self._gz = {k: v for k, v in self._gz.items() if k[0] != key[0]}
                self._gz[key] = body
        return body
