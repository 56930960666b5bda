"""The lessons' operations: convolution, pooling, feature-map size, the input gradient."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lenet_vis.app import codec
from lenet_vis.app.config import Settings
from lenet_vis.app.deps import CpuDep, NetDep, SettingsDep, json_body, openapi_body
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import (
    CLIENT_ERRORS,
    COMPUTE_ERRORS,
    ConvolveRequest,
    GradientRequest,
    GradientResponse,
    MatrixResponse,
    PoolRequest,
    SizeResponse,
)
from lenet_vis.model import lessons
from lenet_vis.model.layers import ShapeError
from lenet_vis.model.lenet import LeNet

router = APIRouter(prefix="/api", tags=["learn"])


def convolve_request(body: ConvolveRequest) -> bytes:
    image = codec.check_matrix(body.image, ["body", "image"])
    kernel = codec.check_matrix(body.kernel, ["body", "kernel"], "kernel")
    if kernel.shape[0] != kernel.shape[1]:
        raise InputError(["body", "kernel"], f"the kernel must be square, not {kernel.shape}")
    out = lessons.convolve2d(image, kernel, body.stride, body.padding)
    return codec.dumps({"output": out, "shape": list(out.shape)})


@router.post(
    "/convolve",
    response_model=MatrixResponse,
    responses=COMPUTE_ERRORS,
    openapi_extra=openapi_body(ConvolveRequest),
)
async def convolve(
    body: Annotated[ConvolveRequest, json_body(ConvolveRequest)], cpu: CpuDep
) -> Response:
    """Slide `kernel` over `image` with the network's own convolution layer."""
    return codec.json_response(await cpu.run(convolve_request, body))


def pool_request(body: PoolRequest) -> bytes:
    image = codec.check_matrix(body.image, ["body", "image"])
    out, winners = lessons.pool2d(image, body.size, body.stride, body.mode)
    return codec.dumps({"output": out, "shape": list(out.shape), "winners": winners})


@router.post(
    "/pool",
    response_model=MatrixResponse,
    responses=COMPUTE_ERRORS,
    openapi_extra=openapi_body(PoolRequest),
)
async def pool(body: Annotated[PoolRequest, json_body(PoolRequest)], cpu: CpuDep) -> Response:
    """Max, average or sum pooling of `image`."""
    return codec.json_response(await cpu.run(pool_request, body))


@router.get("/feature-map-size", response_model=SizeResponse, responses=CLIENT_ERRORS)
async def feature_map_size(
    width: Annotated[int, Query(ge=1, le=4096, description="Input width W.")] = 32,
    filter_size: Annotated[int, Query(ge=1, le=64, description="Filter size F.")] = 5,
    stride: Annotated[int, Query(ge=1, le=64, description="Stride S.")] = 1,
    padding: Annotated[int, Query(ge=0, le=64, description="Zero-padding P.")] = 0,
    depth: Annotated[int, Query(ge=1, le=1024, description="Number of filters.")] = 6,
) -> SizeResponse:
    """(W - F + 2P) / S + 1; when the filter does not fit, `fits` is false and `reason` says why."""
    formula = f"({width} - {filter_size} + 2*{padding}) / {stride} + 1"
    try:
        size = lessons.feature_map_size(width, filter_size, stride, padding)
    except ShapeError as exc:
        return SizeResponse(
            fits=False,
            output_size=None,
            depth=depth,
            formula=f"{formula} is not a whole number",
            reason=str(exc),
        )
    return SizeResponse(fits=True, output_size=size, depth=depth, formula=f"{formula} = {size}")


def gradient_request(net: LeNet, settings: Settings, body: GradientRequest) -> bytes:
    opened = codec.open_item(body, settings, ["body"])
    inp = codec.item_input(opened, body.preprocess, ["body"], body.image is None)
    loss, grad, probs = lessons.input_gradient(net, inp.x, body.target)
    return codec.dumps(
        {
            "target": body.target,
            "loss": float(loss),
            "gradient": grad,
            "input": inp.x,
            "probabilities": probs.tolist(),
            "prediction": int(probs.argmax()),
            "blank": inp.blank,
        }
    )


@router.post(
    "/gradient",
    response_model=GradientResponse,
    responses=COMPUTE_ERRORS,
    openapi_extra=openapi_body(GradientRequest),
)
async def gradient(
    body: Annotated[GradientRequest, json_body(GradientRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """The loss of the drawing against `target` and its gradient on the 32x32 input pixels."""
    return codec.json_response(await cpu.run(gradient_request, net, settings, body))
