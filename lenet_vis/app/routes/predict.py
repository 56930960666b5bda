"""POST /api/predict, /api/predict/image and /api/predict/batch.

The body is parsed and bounded on the event loop; decoding, preprocessing and the network run
in the CPU pool (`offload.CpuPool`).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from lenet_vis.app import codec
from lenet_vis.app.config import Settings
from lenet_vis.app.deps import CheckpointNet, CpuDep, SettingsDep, json_body, openapi_body
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import (
    CHECKPOINT_ERRORS,
    COMPUTE_ERRORS,
    LAYER_NAMES,
    BatchRequest,
    BatchResponse,
    Encoding,
    PredictRequest,
    PredictResponse,
)
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.preprocess import NetworkInput

router = APIRouter(prefix="/api", tags=["predict"])
# an image this small (the page sends 140x140) is decoded and run on the event loop, about a
# millisecond, sparing the thread hop; anything larger goes to the CPU pool
INLINE_PIXELS = 256 * 256
INLINE_BASE64 = 64 * 1024
PREDICT_ERRORS = {**COMPUTE_ERRORS, **CHECKPOINT_ERRORS}


def predict_one(net: LeNet, inp: NetworkInput, layers: list[str], encoding: str) -> bytes:
    """Run the network on one input and encode a PredictResponse."""
    if layers:
        outputs = net.forward(inp.x)
        return codec.prediction_body(net, inp, outputs["softmax"], outputs, layers, encoding)
    return codec.prediction_body(net, inp, net.predict(inp.x), None, [], encoding)


def predict_request(net: LeNet, settings: Settings, body: PredictRequest, opened=None) -> bytes:
    """Decode (unless `opened` is given), preprocess, run and encode one PredictRequest."""
    if opened is None:
        opened = codec.open_item(body, settings, ["body"])
    inp = codec.item_input(opened, body.preprocess, ["body"], body.image is None)
    layers = codec.requested_layers(body.layers, ["body", "layers"])
    return predict_one(net, inp, layers, body.encoding)


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=openapi_body(PredictRequest),
)
async def predict(
    body: Annotated[PredictRequest, json_body(PredictRequest)],
    net: CheckpointNet,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Classify one image and return every layer's output (or those named in `layers`)."""
    small = codec.open_if_small(body, settings, ["body"], INLINE_PIXELS, INLINE_BASE64)
    if small is not None:
        return codec.json_response(predict_request(net, settings, body, small))
    return codec.json_response(await cpu.run(predict_request, net, settings, body))


def predict_file(
    net: LeNet, settings: Settings, raw: bytes, preprocess: bool, layers, encoding
) -> bytes:
    ink = codec.decode_image_bytes(raw, settings, ["body", "file"])
    inp = codec.network_input(ink, preprocess, ["body", "file"])
    return predict_one(net, inp, layers, encoding)


@router.post("/predict/image", response_model=PredictResponse, responses=PREDICT_ERRORS)
async def predict_image(
    net: CheckpointNet,
    settings: SettingsDep,
    cpu: CpuDep,
    file: Annotated[UploadFile, File(description="A PNG or JPEG file.")],
    preprocess: bool = True,
    layers: Annotated[
        str | None,
        Query(
            description=f"Comma-separated names from {LAYER_NAMES}; empty for none; "
            "omitted for all.",
            max_length=200,
        ),
    ] = None,
    encoding: Encoding = "list",
) -> Response:
    """Classify an uploaded PNG or JPEG (`curl -F file=@digit.png`)."""
    names = None if layers is None else [n.strip() for n in layers.split(",") if n.strip()]
    wanted = codec.requested_layers(names, ["query", "layers"])
    raw = await file.read()
    body = await cpu.run(predict_file, net, settings, raw, preprocess, wanted, encoding)
    return codec.json_response(body)


def predict_batch_request(net: LeNet, settings: Settings, body: BatchRequest) -> bytes:
    """Open every image (headers only), check the pixel budget, then decode and classify."""
    opened = [
        codec.open_item(item, settings, ["body", "images", i]) for i, item in enumerate(body.images)
    ]
    total = sum(codec.pixels(o) for o in opened)
    if total > settings.max_batch_pixels:
        raise InputError(
            ["body", "images"],
            f"the images hold {total} pixels together, over the batch limit of "
            f"{settings.max_batch_pixels}",
        )
    inputs = [
        codec.item_input(o, body.preprocess, ["body", "images", i], item.image is None)
        for i, (o, item) in enumerate(zip(opened, body.images, strict=True))
    ]
    probs = net.predict(np.stack([inp.x for inp in inputs])[:, None])
    results = [
        {
            "prediction": int(p.argmax()),
            "probabilities": p.astype(np.float64).tolist(),
            "blank": inp.blank,
        }
        for p, inp in zip(probs, inputs, strict=True)
    ]
    return codec.dumps({"results": results, "model": codec.model_info(net)})


@router.post(
    "/predict/batch",
    response_model=BatchResponse,
    responses=PREDICT_ERRORS,
    openapi_extra=openapi_body(BatchRequest),
)
async def predict_batch(
    body: Annotated[BatchRequest, json_body(BatchRequest)],
    net: CheckpointNet,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Classify up to `max_batch` images; predictions and probabilities only."""
    if len(body.images) > settings.max_batch:
        raise InputError(
            ["body", "images"],
            f"{len(body.images)} images; a batch holds at most {settings.max_batch}",
        )
    return codec.json_response(await cpu.run(predict_batch_request, net, settings, body))
