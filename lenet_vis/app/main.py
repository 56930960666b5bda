"""The app factory: settings, weights loaded once, middleware, routers, docs served locally."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import fastapi_offline
import plotly
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from lenet_vis.app import errors
from lenet_vis.app.config import Settings, get_settings
from lenet_vis.app.middleware import BodyLimit, SecurityHeaders
from lenet_vis.app.routes import docs, explain, health, learn, model, pages, predict, samples
from lenet_vis.assets import STATIC
from lenet_vis.model.lenet import LeNet, WeightsError

log = logging.getLogger("lenet_vis")
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
PLOTLY_ASSETS = Path(plotly.__file__).parent / "package_data"  # plotly.min.js, not vendored


def load_net(settings: Settings) -> LeNet:
    """The weights, checked against their hash; a fault stops the start with one line."""
    try:
        return LeNet.load(settings.weights)
    except WeightsError as exc:
        print(f"lenet-vis: cannot start: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with its weights loaded and checked once, here, before it serves anything."""
    settings = settings or get_settings()
    app = FastAPI(
        title="lenet-vis",
        version="0.1.0",
        summary="A NumPy LeNet that shows its work: every layer's output over HTTP.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.net = load_net(settings)
    log.info("loaded %s (%s)", settings.weights, app.state.net.weights_sha256[:12])
    errors.install(app)
    app.include_router(predict.router)
    app.include_router(model.router)
    app.include_router(health.router)
    app.include_router(samples.router)
    app.include_router(learn.router)
    app.include_router(explain.router)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")
    app.mount("/static/plotly", StaticFiles(directory=PLOTLY_ASSETS), name="plotly")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    app.add_middleware(SecurityHeaders)
    return app


app = create_app()
