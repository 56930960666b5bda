"""The app factory: settings, weights loaded once, middleware, routers, docs served locally."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from lenet_vis.app import errors, vendor
from lenet_vis.app.config import Settings, get_settings
from lenet_vis.app.middleware import BodyLimit, HeadAsGet, SecurityHeaders
from lenet_vis.app.offload import CpuPool
from lenet_vis.app.routes import (
    docs,
    explain,
    health,
    knowledge,
    learn,
    live,
    model,
    pages,
    predict,
    samples,
)
from lenet_vis.app.schemas import REQUEST_MODELS
from lenet_vis.app.static import VENDOR_FILES, CompressedStatic
from lenet_vis.assets import STATIC, SWAGGER_UI
from lenet_vis.model import checkpoints
from lenet_vis.model.lenet import LeNet, WeightsError

log = logging.getLogger("lenet_vis")


def load_net(settings: Settings) -> LeNet:
    """The weights, checked against their hash; a fault stops the start with one line.

    Under `uvicorn --workers N` this runs in a worker, whose death the supervisor would answer
    by starting another, for ever: so the worker takes the supervisor down with it (the whole
    process group when the supervisor leads it), and the command exits non-zero.
    """
    try:
        return LeNet.load(settings.weights)
    except WeightsError as exc:
        print(f"lenet-vis: cannot start: {exc}", file=sys.stderr, flush=True)
        if multiprocessing.parent_process() is not None:
            parent = os.getppid()
            if os.getpgid(0) == parent:
                os.killpg(parent, signal.SIGKILL)
            else:
                os.kill(parent, signal.SIGKILL)
        raise SystemExit(1) from None


def openapi_schema(app: FastAPI) -> dict:
    """FastAPI's schema, plus the request models that `deps.json_body` parses itself."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        _, defs = models_json_schema(
            [(m, "validation") for m in REQUEST_MODELS],
            ref_template="#/components/schemas/{model}",
        )
        spec.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
        name_checkpoints(spec, checkpoints.names(app.state.net.metadata))
        app.openapi_schema = spec
    return app.openapi_schema


def name_checkpoints(spec: dict, names: list[str]) -> None:
    """State the served weights' checkpoint names as the enum of every `?checkpoint=` (known
    only once the weights are read); with none kept, the parameter stays a string that is
    answered 404."""
    if not names:
        return
    for ops in spec["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["name"] == "checkpoint" and param["in"] == "query":
                    param["schema"] = {"type": "string", "enum": names, "title": "Checkpoint"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with its weights loaded and checked once, here, before it serves anything."""
    settings = settings or get_settings()
    app = FastAPI(
        title="lenet-vis",
        version="0.1.0",
        summary="A NumPy LeNet that shows its work: every layer's output over HTTP.",
        description="The visualizer's live channel, WebSocket `/api/live` (binary frames: "
        "every layer as float32), is described at [/docs/live](/docs/live).",
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = lambda: openapi_schema(app)
    app.state.settings = settings
    app.state.net = load_net(settings)
    app.state.cpu = CpuPool(settings.cpu_threads, settings.cpu_queue)
    app.state.checkpoint_nets = {}  # name -> LeNet, read on first use (deps.get_checkpoint_net)
    log.info("loaded %s (%s)", settings.weights, app.state.net.weights_sha256[:12])
    errors.install(app)
    app.include_router(predict.router)
    app.include_router(model.router)
    app.include_router(health.router)
    app.include_router(samples.router)
    app.include_router(learn.router)
    app.include_router(explain.router)
    app.include_router(knowledge.router)
    app.include_router(live.router)  # /docs/live (WebSocket /api/live: live.LiveDispatch)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.mount(
        "/static/swagger",
        CompressedStatic(directory=SWAGGER_UI, cache_control=VENDOR_FILES),
        name="swagger",
    )
    app.include_router(vendor.router)  # /static/plotly/plotly.min.js via plotly's public API
    app.mount("/static", CompressedStatic(directory=STATIC), name="static")

    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        limits={"/api/predict/batch": settings.max_batch_body_bytes},
        timeout=settings.body_timeout,
        idle=settings.body_idle_timeout,
        min_rate=settings.body_min_rate,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(live.LiveDispatch)  # outermost: WebSocket /api/live, straight through
    return app


app = create_app()
