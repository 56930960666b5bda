"""Pure ASGI middleware: body limits (size and time) before parsing, HEAD, security headers."""

from __future__ import annotations

import anyio
import orjson

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        return await self.app(scope, receive, send_with_headers)


async def send_error(send, status: int, kind: str, msg: str, close: bool = True) -> None:
    """A JSON error answer sent straight from a middleware; `close` ends the connection."""
    body = orjson.dumps({"detail": [{"loc": ["body"], "type": kind, "msg": msg}]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Reads the whole body before the app sees it, within a size and a time budget.

    413 for a body over its route's limit (at once from Content-Length, else as it streams);
    408 and the connection closed for a body that stalls (`idle` seconds without a byte), that
    is not whole by `timeout` seconds, or that averages under `min_rate` bytes/s once `grace`
    seconds have passed. The body is then replayed to the app.
    """

    def __init__(
        self,
        app,
        limit: int,
        limits: dict[str, int] | None = None,
        timeout: float = 20.0,
        idle: float = 5.0,
        min_rate: int = 8192,
        grace: float = 2.0,
    ) -> None:
        self.app, self.limit, self.limits = app, limit, limits or {}
        self.timeout, self.idle, self.min_rate, self.grace = timeout, idle, min_rate, grace

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.limits.get(scope["path"], self.limit)
        too_large = f"request body is larger than {limit} bytes"
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                return await send_error(send, 413, "too_large", too_large)
        chunks, size = [], 0
        start = anyio.current_time()
        while True:
            elapsed = anyio.current_time() - start
            message = None
            with anyio.move_on_after(min(self.idle, self.timeout - elapsed)):
                message = await receive()
            if message is None:
                return await send_error(
                    send, 408, "timeout", "the request body arrived too slowly; send it whole"
                )
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await send_error(send, 413, "too_large", too_large)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
            elapsed = anyio.current_time() - start
            if elapsed > self.grace and size < self.min_rate * elapsed:
                return await send_error(
                    send, 408, "timeout", f"the request body arrived under {self.min_rate} bytes/s"
                )
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


class HeadAsGet:
    """HEAD answered as GET without the body (same status and headers) on every GET route."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def send_headers_only(message):
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        return await self.app({**scope, "method": "GET"}, receive, send_headers_only)
