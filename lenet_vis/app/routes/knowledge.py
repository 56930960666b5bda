"""/api/knowledge/...: checkpoints, nearest training digits, the map, what each filter looks for.

Thin: the maths is in model/knowledge.py and model/checkpoints.py; the files are precomputed
(`lenet-vis train`, `lenet-vis precompute`) and only read here, once, on first use.
`CheckpointNet` is a dependency other routes can take to honour `?checkpoint=<name>`.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from lenet_vis.app import inference
from lenet_vis.app.deps import JSON_BODY, NetDep, SettingsDep
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import (
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
UNAVAILABLE = {503: {"model": ErrorResponse}}
# a JSON-body POST that may also answer 503 (precomputed files missing or stale)
JSON_BODY_503 = {**JSON_BODY, "responses": {**JSON_BODY["responses"], **UNAVAILABLE}}


# ---------------------------------------------------------------------- checkpoints


def checkpoint_records(request: Request) -> list[dict]:
    return checkpoints.listed(request.app.state.net.metadata)


async def checkpoint_net(
    request: Request,
    checkpoint: Annotated[
        str | None,
        Query(description="A checkpoint name (GET /api/knowledge/checkpoints); default final."),
    ] = None,
) -> LeNet:
    """The network at `?checkpoint=` (loaded once, then kept), or the final weights."""
    state = request.app.state
    if checkpoint is None:
        return state.net
    nets = getattr(state, "checkpoint_nets", None)
    if nets is None:
        nets = state.checkpoint_nets = {}
    if checkpoint not in nets:
        names = [r["name"] for r in checkpoint_records(request)]
        if checkpoint not in names:
            raise InputError(
                ["query", "checkpoint"],
                f"no checkpoint {checkpoint!r}; checkpoints are {names}",
                404,
                "not_found",
            )
        try:
            nets[checkpoint] = checkpoints.load_checkpoint(
                state.settings.weights, checkpoint, state.net.metadata
            )
        except WeightsError as exc:
            raise InputError(["query", "checkpoint"], str(exc), 503, "unavailable") from None
    return nets[checkpoint]


CheckpointNet = Annotated[LeNet, Depends(checkpoint_net)]


@router.get("/checkpoints", response_model=CheckpointsResponse)
async def list_checkpoints(request: Request) -> Response:
    """The weights kept during training, in order, each with its test and fixture accuracy."""
    keys = ("name", "epoch", "test_accuracy", "fixture_accuracy", "weights_sha256")
    records = [{k: r[k] for k in keys} for r in checkpoint_records(request)]
    final = records[-1]["name"] if records else None
    return inference.json_response({"final": final, "checkpoints": records})


@router.get(
    "/checkpoints/weights/{layer}",
    response_model=CheckpointWeightsResponse,
    responses={**NOT_FOUND, **UNAVAILABLE},
)
async def checkpoint_weights(
    request: Request, layer: str, encoding: Encoding = "base64"
) -> Response:
    """A layer's weights and bias at every checkpoint (to play the filters as they learned)."""
    net = request.app.state.net
    if layer not in net.layers or not net.layers[layer].params:
        with_params = [n for n, lay in net.layers.items() if lay.params]
        raise InputError(
            ["path", "layer"], f"{layer!r}: layers with weights are {with_params}", 404, "not_found"
        )
    names = [r["name"] for r in checkpoint_records(request)]
    nets = [await checkpoint_net(request, name) for name in names]
    body = {
        "layer": layer,
        "checkpoints": names,
        "weights_shape": list(net.layers[layer].params["W"].shape),
        "weights": [inference.encode(n.layers[layer].params["W"], encoding) for n in nets],
        "bias": [inference.encode(n.layers[layer].params["b"], encoding) for n in nets],
        "encoding": encoding,
    }
    return inference.json_response(body)


# ---------------------------------------------------------------------- precomputed


def knowledge(request: Request) -> Knowledge:
    """The precomputed arrays for the served weights, read and checked on first use."""
    state = request.app.state
    found = getattr(state, "knowledge", None)
    if found is None:
        try:
            found = Knowledge.load(state.settings.weights, state.net.weights_sha256)
        except WeightsError as exc:
            raise InputError([], str(exc), 503, "unavailable") from None
        state.knowledge = found
    return found


def digit(k: Knowledge, row: int) -> dict:
    a = k.arrays
    return {
        "row": int(row),
        "index": int(a["indices"][row]),
        "label": int(a["labels"][row]),
        "prediction": int(a["predictions"][row]),
        "image": a["images"][row],
    }


def embed(net: LeNet, body: KnowledgeRequest, settings) -> tuple[np.ndarray, bool, np.ndarray]:
    """The request's network input (32, 32), whether it is blank, and its fc2 (relu4) output."""
    ink = inference.ink_from(body, settings, ["body"])
    x, blank = inference.network_input(ink, body.preprocess, ["body", "image"])
    out = net.forward(x)
    return x, blank, out


@router.post("/neighbours", response_model=NeighboursResponse, **JSON_BODY_503)
async def neighbours(
    request: Request, body: KnowledgeRequest, net: NetDep, settings: SettingsDep
) -> Response:
    """The 8 training digits most alike in the network's fc2 space (cosine) and the 8 nearest in
    raw pixels; and where the digit falls on the map. For the final weights."""
    k = knowledge(request)
    x, blank, out = embed(net, body, settings)
    fc2_rows, sims = k.nearest_fc2(out["relu4"])
    pixel_rows, dists = k.nearest_pixels(x)
    body_out = {
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
    return inference.json_response(body_out)


@router.post("/map/place", response_model=PlaceResponse, **JSON_BODY_503)
async def place(
    request: Request, body: KnowledgeRequest, net: NetDep, settings: SettingsDep
) -> Response:
    """Where a digit falls on the map of training digits (the same projection, on the server)."""
    k = knowledge(request)
    _, blank, out = embed(net, body, settings)
    return inference.json_response(
        {
            "position": k.place(out["relu4"]).tolist(),
            "prediction": int(out["softmax"].argmax()),
            "blank": blank,
        }
    )


@router.get("/map", response_model=MapResponse, responses=UNAVAILABLE)
async def training_map(request: Request) -> Response:
    """Every precomputed training digit's map position, label and the network's reading."""
    k = knowledge(request)
    body = getattr(request.app.state, "knowledge_map", None)
    if body is None:
        pos = k.arrays["map_positions"]
        body = inference.orjson.dumps(
            {
                "method": k.meta["map"]["method"],
                "count": len(k),
                "positions": np.round(pos, 3),
                "labels": k.labels,
                "predictions": k.predictions,
                "mistakes": np.flatnonzero(k.labels != k.predictions),
                "bounds": [pos.min(axis=0).tolist(), pos.max(axis=0).tolist()],
            },
            option=inference.orjson.OPT_SERIALIZE_NUMPY,
        )
        request.app.state.knowledge_map = body
    return inference.json_response(body)


@router.get("/digits/{row}", response_model=TrainingDigit, responses={**NOT_FOUND, **UNAVAILABLE})
async def training_digit(request: Request, row: int) -> Response:
    """One precomputed training digit (e.g. the map point under the pointer)."""
    k = knowledge(request)
    if not 0 <= row < len(k):
        raise InputError(["path", "row"], f"row must be in 0-{len(k) - 1}", 404, "not_found")
    return inference.json_response(digit(k, row))


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
    k = knowledge(request)
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
    return inference.json_response(body)
