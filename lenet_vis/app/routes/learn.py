"""The lessons' operations: convolution, pooling, feature-map size, the input gradient."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from lenet_vis.app import inference
from lenet_vis.app.deps import JSON_BODY, NetDep, SettingsDep
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import CLIENT_ERRORS, SEVEN, ImageInput
from lenet_vis.model import lessons
from lenet_vis.model.layers import ShapeError

router = APIRouter(prefix="/api", tags=["learn"])
LESSON_IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
LESSON_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
MATRIX_SIDES = (1, 256)  # im2col of a 256x256 image with an 11x11 kernel is 63 MB; bounded
VALUES = (-1e6, 1e6)


class ConvolveRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": LESSON_IMAGE, "kernel": LESSON_KERNEL, "stride": 1, "padding": 0}
            ]
        },
    )

    image: list[list[float]] = Field(..., description="H x W numbers (1 <= H, W <= 256).")
    kernel: list[list[float]] = Field(..., description="A square K x K filter, K <= 11.")
    stride: int = Field(1, ge=1, le=8)
    padding: int = Field(0, ge=0, le=8)


class MatrixResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"output": [[4, 3, 4], [2, 4, 3], [2, 3, 4]], "shape": [3, 3]}]
        }
    )

    output: list[list[float]]
    shape: list[int]
    winners: list[list[int]] | None = Field(
        None, description="max pooling: the winning cell of each window (row-major index)"
    )


class PoolRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "image": [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
                    "size": 2,
                    "stride": 2,
                    "mode": "max",
                }
            ]
        },
    )

    image: list[list[float]] = Field(..., description="H x W numbers (1 <= H, W <= 256).")
    size: int = Field(2, ge=1, le=8)
    stride: int = Field(2, ge=1, le=8)
    mode: Literal["max", "average", "sum"] = "max"


class SizeResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fits": True,
                    "output_size": 28,
                    "depth": 6,
                    "formula": "(32 - 5 + 2*0) / 1 + 1 = 28",
                    "reason": None,
                }
            ]
        }
    )

    fits: bool = Field(..., description="Whether the filter fits a whole number of times.")
    output_size: int | None
    depth: int
    formula: str
    reason: str | None = Field(None, description="Why it does not fit, in words.")


class GradientRequest(ImageInput):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"image": SEVEN, "target": 3}]}
    )

    target: int = Field(..., ge=0, le=9, description="The digit to move towards.")
    preprocess: bool = True


class GradientResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": 3,
                    "loss": 9.2,
                    "gradient": [[0.0] * 32] * 32,
                    "input": [[0.0] * 32] * 32,
                    "probabilities": [0, 0, 0, 0.0001, 0, 0, 0, 0.9999, 0, 0],
                    "prediction": 7,
                    "blank": False,
                }
            ]
        }
    )

    target: int
    loss: float
    gradient: list[list[float]] = Field(..., description="dLoss/dInput, 32x32.")
    input: list[list[float]]
    probabilities: list[float]
    prediction: int
    blank: bool


@router.post(
    "/convolve",
    response_model=MatrixResponse,
    **JSON_BODY,
)
async def convolve(body: ConvolveRequest) -> Response:
    """Slide `kernel` over `image` with the network's own convolution layer."""
    image = inference.check_matrix(body.image, ["body", "image"], MATRIX_SIDES, VALUES)
    kernel = inference.check_matrix(body.kernel, ["body", "kernel"], (1, 11), VALUES, "kernel")
    if kernel.shape[0] != kernel.shape[1]:
        raise InputError(["body", "kernel"], f"the kernel must be square, not {kernel.shape}")
    out = lessons.convolve2d(image, kernel, body.stride, body.padding)
    return inference.json_response({"output": out, "shape": list(out.shape)})


@router.post(
    "/pool",
    response_model=MatrixResponse,
    **JSON_BODY,
)
async def pool(body: PoolRequest) -> Response:
    """Max, average or sum pooling of `image`."""
    image = inference.check_matrix(body.image, ["body", "image"], MATRIX_SIDES, VALUES)
    out, winners = lessons.pool2d(image, body.size, body.stride, body.mode)
    return inference.json_response({"output": out, "shape": list(out.shape), "winners": winners})


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


@router.post(
    "/gradient",
    response_model=GradientResponse,
    **JSON_BODY,
)
async def gradient(body: GradientRequest, net: NetDep, settings: SettingsDep) -> Response:
    """The loss of the drawing against `target` and its gradient on the 32x32 input pixels."""
    ink = inference.ink_from(body, settings, ["body"])
    x, blank = inference.network_input(ink, body.preprocess, ["body", "image"])
    loss, grad, probs = lessons.input_gradient(net, x, body.target)
    return inference.json_response(
        {
            "target": body.target,
            "loss": float(loss),
            "gradient": grad,
            "input": x,
            "probabilities": probs.tolist(),
            "prediction": int(probs.argmax()),
            "blank": blank,
        }
    )
