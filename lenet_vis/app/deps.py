"""Dependencies, named with Annotated aliases. All async: a sync one costs a thread hop."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from lenet_vis.app.config import Settings
from lenet_vis.app.errors import InputError
from lenet_vis.app.offload import CpuPool
from lenet_vis.app.schemas import CLIENT_ERRORS
from lenet_vis.model import checkpoints
from lenet_vis.model.lenet import LeNet, WeightsError

M = TypeVar("M", bound=BaseModel)
INLINE_PARSE_BYTES = 64 * 1024  # bodies up to this are parsed on the loop (well under 1 ms)


async def get_net(request: Request) -> LeNet:
    return request.app.state.net


NO_CHECKPOINTS = (
    "none are available: the served weights were trained before checkpoints were kept "
    "(`lenet-vis train` keeps them)"
)


async def get_checkpoint_net(
    request: Request,
    checkpoint: Annotated[
        str | None,
        Query(
            description="A checkpoint's name (GET /api/knowledge/checkpoints lists them); "
            "default: the final weights.",
            min_length=1,
            max_length=64,
        ),
    ] = None,
) -> LeNet:
    """The network at `?checkpoint=` (read once, in the CPU pool, then kept), or the final one.

    404 for a name the weights' metadata does not list (saying which it lists, or that there are
    none); 503 when the checkpoint file is missing or does not match its recorded hash.
    """
    state = request.app.state
    if checkpoint is None:
        return state.net
    nets = state.checkpoint_nets
    if checkpoint not in nets:
        names = checkpoints.names(state.net.metadata)
        if checkpoint not in names:
            msg = f"no checkpoint {checkpoint!r}; checkpoints are {names}"
            raise InputError(
                ["query", "checkpoint"],
                msg if names else f"{msg}: {NO_CHECKPOINTS}",
                404,
                "not_found",
            )
        try:
            nets[checkpoint] = await state.cpu.run(
                checkpoints.load_checkpoint, state.settings.weights, checkpoint, state.net.metadata
            )
        except WeightsError as exc:
            raise InputError(["query", "checkpoint"], str(exc), 503, "unavailable") from None
    return nets[checkpoint]


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
# the final network, or the one at `?checkpoint=<name>`
CheckpointNet = Annotated[LeNet, Depends(get_checkpoint_net)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CpuDep = Annotated[CpuPool, Depends(get_cpu)]
