"""POST /api/predict, /api/predict/image and /api/predict/batch."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import orjson
from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from lenet_vis.app import inference
from lenet_vis.app.deps import JSON_BODY, NetDep, SettingsDep
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import (
    CLIENT_ERRORS,
    LAYER_NAMES,
    BatchRequest,
    BatchResponse,
    Encoding,
    PredictRequest,
    PredictResponse,
)

router = APIRouter(prefix="/api", tags=["predict"])


@router.post(
    "/predict",
    response_model=PredictResponse,
    **JSON_BODY,
)
async def predict(body: PredictRequest, net: NetDep, settings: SettingsDep) -> Response:
    """Classify one image and return every layer's output (or those named in `layers`)."""
    layers = inference.requested_layers(body.layers, ["body", "layers"])
    ink = inference.ink_from(body, settings, ["body"])
    x, blank = inference.network_input(ink, body.preprocess, ["body", "image"])
    return inference.json_response(inference.predict_bytes(net, x, blank, layers, body.encoding))


@router.post("/predict/image", response_model=PredictResponse, responses=CLIENT_ERRORS)
async def predict_image(
    net: NetDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A PNG or JPEG file.")],
    preprocess: bool = True,
    layers: Annotated[
        str | None,
        Query(
            description=f"Comma-separated names from {LAYER_NAMES}; empty for none; "
            "omitted for all."
        ),
    ] = None,
    encoding: Encoding = "list",
) -> Response:
    """Classify an uploaded PNG or JPEG (`curl -F file=@digit.png`)."""
    names = None if layers is None else [n.strip() for n in layers.split(",") if n.strip()]
    wanted = inference.requested_layers(names, ["query", "layers"])
    raw = await file.read()
    ink = inference.decode_image_bytes(raw, settings, ["body", "file"])
    x, blank = inference.network_input(ink, preprocess, ["body", "file"])
    return inference.json_response(inference.predict_bytes(net, x, blank, wanted, encoding))


@router.post(
    "/predict/batch",
    response_model=BatchResponse,
    **JSON_BODY,
)
async def predict_batch(body: BatchRequest, net: NetDep, settings: SettingsDep) -> Response:
    """Classify up to `max_batch` images; predictions and probabilities only."""
    if len(body.images) > settings.max_batch:
        raise InputError(
            ["body", "images"],
            f"{len(body.images)} images; a batch holds at most {settings.max_batch}",
        )
    inputs, blanks = [], []
    for i, item in enumerate(body.images):
        x, blank = inference.network_input(
            inference.ink_from(item, settings, ["body", "images", i]),
            body.preprocess,
            ["body", "images", i],
        )
        inputs.append(x)
        blanks.append(blank)
    probs = net.predict(np.stack(inputs)[:, None])
    results = [
        {"prediction": int(p.argmax()), "probabilities": p.astype(np.float64).tolist(), "blank": b}
        for p, b in zip(probs, blanks, strict=True)
    ]
    return inference.json_response(
        orjson.dumps({"results": results, "model": inference.model_info(net)})
    )
