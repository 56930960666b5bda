"""Dependencies, named with Annotated aliases. All async: a sync one costs a thread hop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from lenet_vis.app.config import Settings
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import CLIENT_ERRORS
from lenet_vis.model.lenet import LeNet


async def get_net(request: Request) -> LeNet:
    return request.app.state.net


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (checked before the body is validated)."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise InputError(
            ["header", "content-type"],
            f"Content-Type must be application/json, got {ctype or 'none'!r}",
            415,
            "unsupported_media_type",
        )


# for @router.post(...) of a route with a JSON body: 415 unless JSON, and the 4xx it may answer
JSON_BODY = {"responses": CLIENT_ERRORS, "dependencies": [Depends(require_json)]}

NetDep = Annotated[LeNet, Depends(get_net)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
