"""Dependencies, named with Annotated aliases. All async: a sync one costs a thread hop."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from lenet_vis.app.config import Settings
from lenet_vis.app.errors import InputError
from lenet_vis.app.offload import CpuPool
from lenet_vis.app.schemas import CLIENT_ERRORS
from lenet_vis.model.lenet import LeNet

M = TypeVar("M", bound=BaseModel)
INLINE_PARSE_BYTES = 64 * 1024  # bodies up to this are parsed on the loop (well under 1 ms)


async def get_net(request: Request) -> LeNet:
    return request.app.state.net


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_cpu(request: Request) -> CpuPool:
    return request.app.state.cpu


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (checked before the body is parsed)."""
    check_json(request)


def check_json(request: Request) -> None:
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise InputError(
            ["header", "content-type"],
            f"Content-Type must be application/json, got {ctype or 'none'!r}",
            415,
            "unsupported_media_type",
        )


def parse_json(model: type[M], raw: bytes) -> M:
    """The raw body -> a validated, strict model, by pydantic's own JSON parser.

    No Python objects are built for a list past its schema's max_length, and a list stops at
    its first bad item (fail_fast), so the errors stay few.
    """
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        for e in errors:
            e["loc"] = ("body", *e["loc"])
        raise RequestValidationError(errors) from None


def json_body(model: type[M]):
    """A dependency: 415 unless JSON, then the body parsed as `model` (large ones in a thread).

    The route declares the body in the OpenAPI schema with `openapi_body(model)`.
    """

    async def parse(request: Request) -> M:
        check_json(request)
        raw = await request.body()
        if len(raw) > INLINE_PARSE_BYTES:
            return await request.app.state.cpu.run(parse_json, model, raw)
        return parse_json(model, raw)

    return Depends(parse)


def openapi_body(model: type[BaseModel]) -> dict:
    """`openapi_extra` for a route whose JSON body `json_body(model)` parses."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


# for a route whose body FastAPI parses itself (strictness then comes from the model's config):
# 415 unless JSON, and the 4xx it may answer
JSON_BODY = {"responses": CLIENT_ERRORS, "dependencies": [Depends(require_json)]}

NetDep = Annotated[LeNet, Depends(get_net)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CpuDep = Annotated[CpuPool, Depends(get_cpu)]
