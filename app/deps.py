"""Dependencies, named with Annotated aliases. All async: a sync one costs a thread hop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.errors import InputError
from model.lenet import LeNet


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


NetDep = Annotated[LeNet, Depends(get_net)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
