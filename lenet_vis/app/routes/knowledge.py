"""/api/knowledge/...: checkpoints, nearest training digits, the map, what each filter looks for.

Thin: the maths is in model/knowledge.py and model/checkpoints.py; the files are precomputed
(`lenet-vis train`, `lenet-vis precompute`) and only read here, once, on first use.
`deps.CheckpointNet` (the predict and weights routes take it) honours `?checkpoint=<name>`.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from lenet_vis.app import codec
from lenet_vis.app.config import Settings
from lenet_vis.app.deps import (
    NO_CHECKPOINTS,
    CpuDep,
    NetDep,
    SettingsDep,
    get_checkpoint_net,
    json_body,
    openapi_body,
)
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import (
    COMPUTE_ERRORS,
    CheckpointsResponse,
    CheckpointWeightsResponse,
    Encoding,
    ErrorResponse,
    FiltersResponse,
    KnowledgeRequest,
    MapResponse,
    NeighboursResponse,
    PlaceResponse,
    TrainingDigit,
)
from lenet_vis.model import checkpoints
from lenet_vis.model.knowledge import FILTER_LAYERS, Knowledge
from lenet_vis.model.lenet import LeNet, WeightsError

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"])
NOT_FOUND = {404: {"model": ErrorResponse}}
UNAVAILABLE = {
    503: {
        "model": ErrorResponse,
        "description": "The precomputed files are missing or stale (the answer says what to "
        "run); or the server is at capacity (with Retry-After).",
    }
}
# a JSON-body POST: the 4xx of /api/predict, and 503 as above
KNOWLEDGE_ERRORS = {**COMPUTE_ERRORS, 503: {**COMPUTE_ERRORS[503], **UNAVAILABLE[503]}}


# ---------------------------------------------------------------------- checkpoints


def checkpoint_records(request: Request) -> list[dict]:
    return checkpoints.listed(request.app.state.net.metadata)


@router.get("/checkpoints", response_model=CheckpointsResponse)
async def list_checkpoints(request: Request) -> Response:
    """The weights kept during training, in order, each with its test and fixture accuracy."""
    keys = ("name", "epoch", "test_accuracy", "fixture_accuracy", "weights_sha256")
    records = [{k: r[k] for k in keys} for r in checkpoint_records(request)]
    final = records[-1]["name"] if records else None
    return codec.json_response({"final": final, "checkpoints": records})


@router.get(
    "/checkpoints/weights/{layer}",
    response_model=CheckpointWeightsResponse,
    responses={**NOT_FOUND, **UNAVAILABLE},
)
async def checkpoint_weights(
    request: Request, layer: str, encoding: Encoding = "base64"
) -> Response:
    """A layer's weights and bias at every checkpoint (to play the filters as they learned);
    404 when no checkpoints were kept."""
    net = request.app.state.net
    if layer not in net.layers or not net.layers[layer].params:
        with_params = [n for n, lay in net.layers.items() if lay.params]
        raise InputError(
            ["path", "layer"], f"{layer!r}: layers with weights are {with_params}", 404, "not_found"
        )
    names = [r["name"] for r in checkpoint_records(request)]
    if not names:
        raise InputError(["path", "layer"], f"no checkpoints: {NO_CHECKPOINTS}", 404, "not_found")
    nets = [await get_checkpoint_net(request, name) for name in names]
    body = {
        "layer": layer,
        "checkpoints": names,
        "weights_shape": list(net.layers[layer].params["W"].shape),
        "weights": [codec.encode(n.layers[layer].params["W"], encoding) for n in nets],
        "bias": [codec.encode(n.layers[layer].params["b"], encoding) for n in nets],
        "encoding": encoding,
    }
    return codec.json_response(body)


# ---------------------------------------------------------------------- precomputed


async def get_knowledge(request: Request) -> Knowledge:
    """The precomputed arrays for the served weights, read and checked on first use (in the CPU
    pool); 503 saying what to run when they are missing or were computed for other weights."""
    state = request.app.state
    found = getattr(state, "knowledge", None)
    if found is None:
        try:
            found = await state.cpu.run(
                Knowledge.load, state.settings.weights, state.net.weights_sha256
            )
        except WeightsError as exc:
            raise InputError([], str(exc), 503, "unavailable") from None
        state.knowledge = found
    return found


KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]


def digit(k: Knowledge, row: int) -> dict:
    a = k.arrays
    return {
        "row": int(row),
        "index": int(a["indices"][row]),
        "label": int(a["labels"][row]),
        "prediction": int(a["predictions"][row]),
        "image": a["images"][row],
    }


def embed(net: LeNet, body: KnowledgeRequest, settings: Settings) -> tuple[np.ndarray, bool, dict]:
    """The request's network input (32, 32), whether it is blank, and every layer's output."""
    ink = codec.ink_from(body, settings, ["body"])
    x, blank = codec.network_input(ink, body.preprocess, ["body", "image"])
    return x, blank, net.forward(x)


def neighbours_body(k: Knowledge, net: LeNet, body: KnowledgeRequest, settings: Settings) -> bytes:
    x, blank, out = embed(net, body, settings)
    fc2_rows, sims = k.nearest_fc2(out["relu4"])
    pixel_rows, dists = k.nearest_pixels(x)
    return codec.dumps(
        {
            "prediction": int(out["softmax"].argmax()),
            "blank": blank,
            "fc2": [
                digit(k, r) | {"similarity": float(s)} for r, s in zip(fc2_rows, sims, strict=True)
            ],
            "pixels": [
                digit(k, r) | {"distance": float(d)} for r, d in zip(pixel_rows, dists, strict=True)
            ],
            "position": k.place(out["relu4"]).tolist(),
        }
    )


@router.post(
    "/neighbours",
    response_model=NeighboursResponse,
    responses=KNOWLEDGE_ERRORS,
    openapi_extra=openapi_body(KnowledgeRequest),
)
async def neighbours(
    body: Annotated[KnowledgeRequest, json_body(KnowledgeRequest)],
    k: KnowledgeDep,
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """The 8 training digits most alike in the network's fc2 space (cosine) and the 8 nearest in
    raw pixels; and where the digit falls on the map. For the final weights."""
    return codec.json_response(await cpu.run(neighbours_body, k, net, body, settings))


def place_body(k: Knowledge, net: LeNet, body: KnowledgeRequest, settings: Settings) -> bytes:
    _, blank, out = embed(net, body, settings)
    return codec.dumps(
        {
            "position": k.place(out["relu4"]).tolist(),
            "prediction": int(out["softmax"].argmax()),
            "blank": blank,
        }
    )


@router.post(
    "/map/place",
    response_model=PlaceResponse,
    responses=KNOWLEDGE_ERRORS,
    openapi_extra=openapi_body(KnowledgeRequest),
)
async def place(
    body: Annotated[KnowledgeRequest, json_body(KnowledgeRequest)],
    k: KnowledgeDep,
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Where a digit falls on the map of training digits (the same projection, on the server)."""
    return codec.json_response(await cpu.run(place_body, k, net, body, settings))


@router.get("/map", response_model=MapResponse, responses=UNAVAILABLE)
async def training_map(request: Request, k: KnowledgeDep) -> Response:
    """Every precomputed training digit's map position, label and the network's reading."""
    body = getattr(request.app.state, "knowledge_map", None)
    if body is None:
        pos = k.arrays["map_positions"]
        body = orjson.dumps(
            {
                "method": k.meta["map"]["method"],
                "count": len(k),
                "positions": np.round(pos, 3),
                "labels": k.labels,
                "predictions": k.predictions,
                "mistakes": np.flatnonzero(k.labels != k.predictions),
                "bounds": [pos.min(axis=0).tolist(), pos.max(axis=0).tolist()],
            },
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        request.app.state.knowledge_map = body
    return codec.json_response(body)


@router.get("/digits/{row}", response_model=TrainingDigit, responses={**NOT_FOUND, **UNAVAILABLE})
async def training_digit(k: KnowledgeDep, row: int) -> Response:
    """One precomputed training digit (e.g. the map point under the pointer)."""
    if not 0 <= row < len(k):
        raise InputError(["path", "row"], f"row must be in 0-{len(k) - 1}", 404, "not_found")
    return codec.json_response(digit(k, row))


@router.get(
    "/filters/{layer}", response_model=FiltersResponse, responses={**NOT_FOUND, **UNAVAILABLE}
)
async def filters(request: Request, layer: str) -> Response:
    """For each filter of conv1 or conv2: the 9 training patches that excite it most and an
    input made by gradient ascent on its mean activation."""
    if layer not in FILTER_LAYERS:
        raise InputError(
            ["path", "layer"],
            f"{layer!r}: filters are shown for {list(FILTER_LAYERS)}",
            404,
            "not_found",
        )
    k = await get_knowledge(request)
    a, figures = k.arrays, k.meta["filters"][layer]
    rows = a[f"{layer}_patch_digit"]
    body = {
        "layer": layer,
        "receptive_field": figures["receptive_field"],
        "filters": [
            {
                "filter": f,
                "patches": a[f"{layer}_patches"][f],
                "patch_activations": np.round(a[f"{layer}_patch_activation"][f], 4),
                "patch_rows": rows[f],
                "patch_labels": k.labels[rows[f]],
                "patch_cells": a[f"{layer}_patch_at"][f],
                "ascent": a[f"{layer}_ascent"][f],
                "ascent_best_activation": figures["ascent_best_activation"][f],
                "ascent_beats_top_patches": figures["ascent_beats_top_patches"][f],
            }
            for f in range(figures["filters"])
        ],
    }
    return codec.json_response(body)
