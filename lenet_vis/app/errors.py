"""Client errors in one JSON shape: {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}."""

from __future__ import annotations

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lenet_vis.app.middleware import SECURITY_HEADERS
from lenet_vis.app.offload import RETRY_AFTER_SECONDS, ServerBusy
from lenet_vis.model.layers import ShapeError

MAX_ERRORS = 20  # a response lists at most this many faults


class InputError(Exception):
    """Bad input found after parsing (an undecodable image, an unknown layer...)."""

    def __init__(self, loc: list, msg: str, status: int = 422, kind: str = "value_error"):
        super().__init__(msg)
        self.loc, self.msg, self.status, self.kind = loc, msg, status, kind


def error_response(status: int, errors: list[dict]) -> Response:
    return Response(orjson.dumps({"detail": errors}), status, media_type="application/json")


def _clean(err: dict) -> dict:
    """A validation error without the echoed input (it can be megabytes) or context objects."""
    msg = err.get("msg", "invalid")
    return {"loc": list(err.get("loc", [])), "msg": msg, "type": err.get("type", "value_error")}


def install(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> Response:
        return error_response(exc.status, [{"loc": exc.loc, "msg": exc.msg, "type": exc.kind}])

    @app.exception_handler(ShapeError)
    async def _shape_error(_: Request, exc: ShapeError) -> Response:
        """A window that does not fit its input (the lessons' convolution and pooling)."""
        return error_response(422, [{"loc": ["body"], "msg": str(exc), "type": "value_error"}])

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        errors = [_clean(e) for e in exc.errors()[:MAX_ERRORS]]
        return error_response(422, errors)

    @app.exception_handler(ServerBusy)
    async def _busy(_: Request, exc: ServerBusy) -> Response:
        msg = "the server is at capacity; retry shortly"
        response = error_response(503, [{"loc": [], "msg": msg, "type": "busy"}])
        response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(Exception)
    async def _server_error(_: Request, exc: Exception) -> Response:
        """A JSON 500 with the security headers (this answer is sent outside the middleware).

        Starlette re-raises the exception after sending this, so the server logs the traceback
        once.
        """
        msg = "internal server error"
        response = error_response(500, [{"loc": [], "msg": msg, "type": "server_error"}])
        for k, v in SECURITY_HEADERS:
            response.headers[k.decode()] = v.decode()
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        response = error_response(
            exc.status_code, [{"loc": [], "msg": str(exc.detail), "type": "http_error"}]
        )
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response
