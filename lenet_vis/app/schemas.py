"""Request and response schemas, named by role, with the examples shown at /docs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lenet_vis.model.geometry import layer_geometry

LAYER_NAMES = [g.name for g in layer_geometry() if g.name != "input"]
Encoding = Literal["list", "base64"]

SEVEN = [[0] * 28 for _ in range(28)]
for _r in range(6, 9):
    SEVEN[_r][7:21] = [255] * 14
for _i, _r in enumerate(range(9, 23)):
    SEVEN[_r][19 - _i // 2 : 22 - _i // 2] = [255] * 3
SMALL_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAAAUUlEQVR42tXSQQrAIBB"
    "DUZP733m6qdDMmKytG8HPUxTX+tPAO9dplUdSKUK3VZa23YLuPCdh4/dODHBEeQwG2KO+IgNsUeGQsLHBLmFj3fD7"
    "Hlv+CiNHAgx2AAAAAElFTkSuQmCC"
)


class PredictOptions(BaseModel):
    preprocess: bool = Field(
        True,
        description="Crop, scale to 20x20 and centre the ink as MNIST did. False: the image is "
        "the network input itself (28x28, padded to 32x32, or 32x32).",
    )
    layers: list[str] | None = Field(
        None,
        description=f"Layers to return, from {LAYER_NAMES}; default all; [] for only the "
        "prediction.",
        max_length=len(LAYER_NAMES),
    )
    encoding: Encoding = Field(
        "list",
        description='"list": nested arrays of numbers; "base64": little-endian float32 in C '
        "order, base64.",
    )


class ImageInput(BaseModel):
    """Exactly one of `image` (ink values) or `image_base64` (a PNG or JPEG)."""

    model_config = ConfigDict(extra="forbid")

    image: list[list[float]] | None = Field(
        None,
        description="H x W ink values 0-255, 0 background, 255 ink (MNIST convention); "
        "8 <= H, W <= 1024.",
    )
    image_base64: str | None = Field(
        None, description="A PNG or JPEG, as base64 or as a data: URL (what the browser sends)."
    )

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.image is None) == (self.image_base64 is None):
            raise ValueError("give exactly one of `image` (2-D array) or `image_base64`")
        return self


class PredictRequest(ImageInput, PredictOptions):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": SEVEN, "layers": ["conv1", "pool2", "softmax"], "encoding": "list"},
                {"image_base64": SMALL_PNG, "encoding": "base64"},
            ]
        },
    )


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"images": [{"image": SEVEN}, {"image_base64": SMALL_PNG}]}]
        },
    )

    images: list[ImageInput] = Field(..., min_length=1, description="The images to classify.")
    preprocess: bool = True


class LayerData(BaseModel):
    name: str
    kind: str
    shape: list[int]
    data: str | list[Any] = Field(..., description="Nested lists, or base64 float32.")


class ModelInfo(BaseModel):
    name: str
    weights_sha256: str


class PredictResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prediction": 7,
                    "probabilities": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                    "input": "AAAAAAAAAAAAAAAA...",
                    "layers": [
                        {
                            "name": "fc3",
                            "kind": "dense",
                            "shape": [10],
                            "data": [-3.1, -2.0, 1.5, 2.2, -4.0, -1.1, -9.8, 14.2, -0.4, 3.0],
                        }
                    ],
                    "blank": False,
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    prediction: int = Field(..., ge=0, le=9)
    probabilities: list[float] = Field(..., min_length=10, max_length=10)
    input: str | list[Any] | None = Field(..., description="The 32x32 network input.")
    layers: list[LayerData]
    blank: bool = Field(..., description="True when there was no ink.")
    model: ModelInfo


class BatchItem(BaseModel):
    prediction: int
    probabilities: list[float]
    blank: bool


class BatchResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "prediction": 7,
                            "probabilities": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                            "blank": False,
                        }
                    ],
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    results: list[BatchItem]
    model: ModelInfo


class LayerInfo(BaseModel):
    name: str
    kind: str
    input_shape: list[int] | None
    output_shape: list[int]
    kernel: int | None
    stride: int | None
    parameters: int
    source: str | None


class ModelResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "lenet-vis LeNet",
                    "layers": [
                        {
                            "name": "conv2",
                            "kind": "conv",
                            "input_shape": [6, 14, 14],
                            "output_shape": [16, 10, 10],
                            "kernel": 5,
                            "stride": 1,
                            "parameters": 2416,
                            "source": "pool1",
                        }
                    ],
                    "parameters": 63802,
                    "weights_sha256": "3f0c...",
                    "metrics": {"test_accuracy": 0.9943, "epochs": 40},
                }
            ]
        }
    )

    name: str
    layers: list[LayerInfo]
    parameters: int
    weights_sha256: str
    metrics: dict[str, Any]


class WeightsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "layer": "fc3",
                    "weights": "base64...",
                    "weights_shape": [10, 100],
                    "bias": "base64...",
                    "bias_shape": [10],
                    "encoding": "base64",
                }
            ]
        }
    )

    layer: str
    weights: str | list[Any]
    weights_shape: list[int]
    bias: str | list[Any]
    bias_shape: list[int]
    encoding: Encoding


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


CLIENT_ERRORS = {code: {"model": ErrorResponse} for code in (400, 413, 415, 422)}


# ---- knowledge (issue 11)


class KnowledgeRequest(ImageInput):
    """A digit to place among the training digits: the same image inputs as /api/predict."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"image": SEVEN}, {"image_base64": SMALL_PNG}]},
    )

    preprocess: bool = Field(True, description="As in /api/predict.")


class TrainingDigit(BaseModel):
    row: int = Field(..., description="Row in the precomputed subset (for /api/knowledge/digits).")
    index: int = Field(..., description="Index among the 60,000 MNIST training digits.")
    label: int
    prediction: int = Field(..., description="What the network reads.")
    image: list[list[int]] = Field(..., description="28 x 28 uint8, 255 ink.")


class Neighbour(TrainingDigit):
    similarity: float | None = Field(None, description="fc2 cosine (the fc2 list).")
    distance: float | None = Field(None, description="Euclidean, inputs in [0, 1] (pixels).")


class NeighboursResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "prediction": 7,
                    "blank": False,
                    "fc2": [
                        {
                            "row": 4021,
                            "index": 23451,
                            "label": 7,
                            "prediction": 7,
                            "similarity": 0.991,
                            "image": [[0] * 28] * 28,
                        }
                    ],
                    "pixels": [
                        {
                            "row": 17,
                            "index": 240,
                            "label": 1,
                            "prediction": 1,
                            "distance": 4.2,
                            "image": [[0] * 28] * 28,
                        }
                    ],
                    "position": [1.3, -4.2],
                }
            ]
        }
    )

    prediction: int
    blank: bool
    fc2: list[Neighbour] = Field(..., description="Most alike in the network's fc2 space.")
    pixels: list[Neighbour] = Field(..., description="Nearest in raw pixels.")
    position: list[float] = Field(..., description="Where the digit falls on the map.")


class PlaceResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"position": [1.3, -4.2], "prediction": 7, "blank": False}]}
    )

    position: list[float]
    prediction: int
    blank: bool


class MapResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "method": "Fisher's linear discriminant of relu4 outputs (2-D)",
                    "count": 2,
                    "positions": [[1.2, -3.4], [0.5, 2.2]],
                    "labels": [7, 2],
                    "predictions": [7, 3],
                    "mistakes": [1],
                    "bounds": [[-9.0, -8.0], [10.0, 9.0]],
                }
            ]
        }
    )

    method: str
    count: int
    positions: list[list[float]] = Field(..., description="(x, y) of each training digit.")
    labels: list[int]
    predictions: list[int]
    mistakes: list[int] = Field(..., description="Rows the network reads wrongly.")
    bounds: list[list[float]] = Field(..., description="[[min x, min y], [max x, max y]].")


class FilterKnowledge(BaseModel):
    filter: int
    patches: list[list[list[int]]] = Field(
        ..., description="The 9 input windows (uint8, receptive field) that excite it most."
    )
    patch_activations: list[float]
    patch_rows: list[int] = Field(..., description="Subset rows of the digits they come from.")
    patch_labels: list[int]
    patch_cells: list[list[int]] = Field(..., description="(y, x) of the excited output cell.")
    ascent: list[list[int]] = Field(..., description="32 x 32 uint8 made by gradient ascent.")
    ascent_best_activation: float
    ascent_beats_top_patches: bool


class FiltersResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "layer": "conv1",
                    "receptive_field": 5,
                    "filters": [
                        {
                            "filter": 0,
                            "patches": [[[0] * 5] * 5],
                            "patch_activations": [2.4],
                            "patch_rows": [12],
                            "patch_labels": [7],
                            "patch_cells": [[10, 4]],
                            "ascent": [[128] * 32] * 32,
                            "ascent_best_activation": 3.1,
                            "ascent_beats_top_patches": True,
                        }
                    ],
                }
            ]
        }
    )

    layer: str
    receptive_field: int
    filters: list[FilterKnowledge]


class CheckpointInfo(BaseModel):
    name: str
    epoch: int
    test_accuracy: float
    fixture_accuracy: float
    weights_sha256: str


class CheckpointsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "final": "epoch-30",
                    "checkpoints": [
                        {
                            "name": "init",
                            "epoch": 0,
                            "test_accuracy": 0.0844,
                            "fixture_accuracy": 0.0715,
                            "weights_sha256": "2396...",
                        }
                    ],
                }
            ]
        }
    )

    final: str | None
    checkpoints: list[CheckpointInfo]


class CheckpointWeightsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "layer": "conv1",
                    "checkpoints": ["init", "epoch-1"],
                    "weights_shape": [6, 1, 5, 5],
                    "weights": ["base64...", "base64..."],
                    "bias": ["base64...", "base64..."],
                    "encoding": "base64",
                }
            ]
        }
    )

    layer: str
    checkpoints: list[str]
    weights_shape: list[int]
    weights: list[Any] = Field(..., description="One array per checkpoint, in training order.")
    bias: list[Any]
    encoding: Encoding
