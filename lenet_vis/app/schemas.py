"""Request and response schemas, named by role, with the examples shown at /docs.

Request models are strict (no "12" -> 12, no true -> 1, no 0 -> false) and state in the
OpenAPI schema every bound the server enforces: sides, values, lengths, layer names. They are
parsed from the raw body by pydantic's JSON parser (`deps.json_body`), so an over-long list
stops there, before any Python object is built for it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lenet_vis.model.geometry import layer_geometry

LAYER_NAMES = [g.name for g in layer_geometry() if g.name != "input"]
WEIGHT_LAYERS = [g.name for g in layer_geometry() if g.parameters]
LayerName = Literal[tuple(LAYER_NAMES)]
WeightLayer = Literal[tuple(WEIGHT_LAYERS)]
Encoding = Literal["list", "base64"]

MIN_SIDE, MAX_SIDE = 8, 1024  # an ink array's rows and columns; a PNG/JPEG's shorter side
MAX_BATCH = 64  # images in one batch (the server may be set to fewer: Settings.max_batch)
MAX_BASE64 = 1_500_000  # characters of one image_base64 (~1.1 MB of PNG/JPEG)
LESSON_SIDE, LESSON_KERNEL_SIDE, LESSON_VALUE = 256, 11, 1e6
# a data URL of a PNG or JPEG, or bare base64; what the server checks (`codec.decode_base64`)
BASE64_PATTERN = r"^(data:image/(png|jpeg);base64,)?[A-Za-z0-9+/]*={0,2}$"
STRICT = ConfigDict(strict=True, extra="forbid")

Ink = Annotated[float, Field(ge=0, le=255, allow_inf_nan=False)]
InkRow = Annotated[list[Ink], Field(min_length=MIN_SIDE, max_length=MAX_SIDE, fail_fast=True)]
InkImage = Annotated[list[InkRow], Field(min_length=MIN_SIDE, max_length=MAX_SIDE, fail_fast=True)]
Number = Annotated[float, Field(ge=-LESSON_VALUE, le=LESSON_VALUE, allow_inf_nan=False)]
LessonRow = Annotated[list[Number], Field(min_length=1, max_length=LESSON_SIDE, fail_fast=True)]
LessonMatrix = Annotated[
    list[LessonRow], Field(min_length=1, max_length=LESSON_SIDE, fail_fast=True)
]
KernelRow = Annotated[
    list[Number], Field(min_length=1, max_length=LESSON_KERNEL_SIDE, fail_fast=True)
]
LessonKernel = Annotated[
    list[KernelRow], Field(min_length=1, max_length=LESSON_KERNEL_SIDE, fail_fast=True)
]

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
LESSON_IMAGE = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
LESSON_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


class PredictOptions(BaseModel):
    model_config = STRICT

    preprocess: bool = Field(
        True,
        description="Crop, scale to 20x20 and centre the ink as MNIST did. False: the image is "
        "the network input itself (28x28, padded to 32x32, or 32x32).",
    )
    layers: list[LayerName] | None = Field(
        None,
        description="Layers to return, in network order whatever the order given; default "
        "all; [] for only the prediction.",
        max_length=len(LAYER_NAMES),
    )
    encoding: Encoding = Field(
        "list",
        description='"list": nested arrays of numbers; "base64": little-endian float32 in C '
        "order, base64.",
    )


def one_image(*examples: dict) -> dict:
    """json_schema_extra of a model with ImageInput's fields: exactly one image, examples."""
    extra: dict = {"oneOf": [{"required": ["image"]}, {"required": ["image_base64"]}]}
    if examples:
        extra["examples"] = list(examples)
    return extra


class ImageInput(BaseModel):
    """Exactly one of `image` (ink values) or `image_base64` (a PNG or JPEG)."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=one_image())

    # typed without None so that the schema (and the parser) refuse an explicit null
    image: InkImage = Field(
        None,
        description=f"H x W ink values 0-255, 0 background, 255 ink (MNIST convention); "
        f"{MIN_SIDE} <= H, W <= {MAX_SIDE}; every row of the same length.",
    )
    image_base64: str = Field(
        None,
        max_length=MAX_BASE64,
        description="A PNG or JPEG, as base64 or as a data: URL of type image/png or "
        "image/jpeg (what the browser sends); each side at least 8 pixels, at most 4,000,000 "
        "pixels.",
        json_schema_extra={"pattern": BASE64_PATTERN},
    )

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.image is None) == (self.image_base64 is None):
            raise ValueError("give exactly one of `image` (2-D array) or `image_base64`")
        return self


class PredictRequest(ImageInput, PredictOptions):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra=one_image(
            {"image": SEVEN, "layers": ["conv1", "pool2", "softmax"], "encoding": "list"},
            {"image_base64": SMALL_PNG, "encoding": "base64"},
        ),
    )


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"images": [{"image": SEVEN}, {"image_base64": SMALL_PNG}]}]
        },
    )

    images: list[ImageInput] = Field(
        ...,
        min_length=1,
        max_length=MAX_BATCH,
        fail_fast=True,
        description="The images to classify; their decoded pixels together at most 8,000,000.",
    )
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


class ConvolveRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": LESSON_IMAGE, "kernel": LESSON_KERNEL, "stride": 1, "padding": 0}
            ]
        },
    )

    image: LessonMatrix = Field(..., description="H x W numbers (1 <= H, W <= 256).")
    kernel: LessonKernel = Field(..., description="A square K x K filter, K <= 11.")
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
        strict=True,
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

    image: LessonMatrix = Field(..., description="H x W numbers (1 <= H, W <= 256).")
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
        strict=True,
        extra="forbid",
        json_schema_extra=one_image({"image": SEVEN, "target": 3}),
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


class Sample(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"index": 0, "label": 7, "image": [[0] * 28] * 28}]}
    )

    index: int
    label: int
    image: list[list[int]]


class Misclassified(BaseModel):
    index: int
    label: int
    prediction: int
    image: list[list[int]]


class ModelCard(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "test_accuracy": 0.9943,
                    "per_class_accuracy": [0.99] * 10,
                    "confusion_matrix": [[980] + [0] * 9] + [[0] * 10] * 9,
                    "history": [
                        {
                            "epoch": 1,
                            "train_loss": 0.7,
                            "train_accuracy": 0.78,
                            "val_loss": 0.1,
                            "val_accuracy": 0.97,
                        }
                    ],
                    "misclassified": [
                        {"index": 247, "label": 4, "prediction": 6, "image": [[0] * 28] * 28}
                    ],
                }
            ]
        },
    )

    misclassified: list[Misclassified]


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


# what a route that computes may also answer: 408 (body too slow), 503 (server at capacity)
COMPUTE_ERRORS = {code: {"model": ErrorResponse} for code in (400, 413, 415, 422)} | {
    408: {"model": ErrorResponse, "description": "The body arrived too slowly."},
    503: {
        "model": ErrorResponse,
        "description": "The server is at capacity; retry after the Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


CLIENT_ERRORS = {code: {"model": ErrorResponse} for code in (400, 413, 415, 422)}
# what a route taking `?checkpoint=` may also answer
CHECKPOINT_ERRORS = {
    404: {"model": ErrorResponse, "description": "No checkpoint of that name (or none kept)."}
}


# ---- explanations (issue 10)
# Bounds on every parameter keep one request's work small (see bench/explain.py).

AttributionMethod = Literal["gradient", "gradient_x_input", "integrated_gradients", "occlusion"]
ATTRIBUTION_METHODS = ["gradient", "gradient_x_input", "integrated_gradients", "occlusion"]
Fill = Literal["grey", "black"]
Digit = Annotated[int, Field(ge=0, le=9)]
MAP_EXAMPLE = [[0.0] * 32] * 32


class TargetOptions(BaseModel):
    target: Digit | None = Field(
        None, description="The digit to explain, 0-9; default: the network's prediction."
    )
    preprocess: bool = Field(True, description="As in /api/predict.")
    encoding: Encoding = Field("list", description="Of every map, as in /api/predict.")


class AttributionOptions(TargetOptions):
    methods: list[AttributionMethod] = Field(
        ATTRIBUTION_METHODS, min_length=1, max_length=4, description="The maps to compute."
    )
    steps: int = Field(
        64, ge=1, le=256, description="Integrated gradients: points on the path, 1-256."
    )
    patch: int = Field(4, ge=1, le=16, description="Occlusion: patch side in pixels, 1-16.")
    stride: int = Field(2, ge=1, le=16, description="Occlusion: patch step in pixels, 1-16.")
    fill: Fill = Field("grey", description="Occlusion: the patch's value, grey 0.5 or black 0.")


class AttributionRequest(ImageInput, AttributionOptions):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": SEVEN},
                {"image": SEVEN, "target": 1, "methods": ["integrated_gradients"], "steps": 128},
                {"image_base64": SMALL_PNG, "methods": ["occlusion"], "patch": 6, "stride": 3},
            ]
        },
    )


class Completeness(BaseModel):
    steps: int
    attribution_sum: float = Field(..., description="Sum of the integrated gradients.")
    logit_difference: float = Field(..., description="logit(input) - logit(black), target.")
    relative_error: float = Field(..., description="|sum - difference| / |difference|.")


class OcclusionInfo(BaseModel):
    patch: int
    stride: int
    fill: Fill
    offsets: list[int] = Field(..., description="Top rows (and left columns) of the patches.")
    drops: str | list[Any] = Field(..., description="Target probability drop per patch, PxP.")
    logit_drops: str | list[Any] = Field(..., description="Target logit drop per patch, PxP.")
    logit_map: str | list[Any] = Field(..., description="Per pixel, mean logit drop, 32x32.")


class AttributionResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": 7,
                    "prediction": 7,
                    "probabilities": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                    "logits": [-7.6, -0.3, 1.0, -5.1, 3.2, -4.1, -10.7, 18.4, -7.0, 1.7],
                    "input": MAP_EXAMPLE,
                    "blank": False,
                    "maps": {"gradient": MAP_EXAMPLE, "integrated_gradients": MAP_EXAMPLE},
                    "completeness": {
                        "steps": 64,
                        "attribution_sum": 18.49,
                        "logit_difference": 18.57,
                        "relative_error": 0.004,
                    },
                    "occlusion": None,
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    target: int
    prediction: int
    probabilities: list[float]
    logits: list[float]
    input: str | list[Any] = Field(..., description="The 32x32 network input.")
    blank: bool
    maps: dict[str, str | list[Any]] = Field(..., description="Method -> 32x32 map.")
    completeness: Completeness | None = None
    occlusion: OcclusionInfo | None = None
    model: ModelInfo


class RandomisationRequest(ImageInput, TargetOptions):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"image": SEVEN, "methods": ["gradient"], "seed": 0}]},
    )

    methods: list[AttributionMethod] = Field(
        ["gradient", "gradient_x_input", "integrated_gradients"], min_length=1, max_length=4
    )
    steps: int = Field(32, ge=1, le=128, description="Integrated gradients, per stage: 1-128.")
    patch: int = Field(4, ge=2, le=16, description="Occlusion: patch side, 2-16.")
    stride: int = Field(2, ge=1, le=16, description="Occlusion: patch step, 1-16.")
    fill: Fill = "grey"
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the fresh weights.")


class RandomisationStage(BaseModel):
    randomised: list[str] = Field(..., description="Layers re-initialised, from the top.")
    prediction: int
    maps: dict[str, str | list[Any]]
    similarity: dict[str, float] = Field(
        ..., description="Spearman rank correlation of |map| with the trained network's."
    )


class RandomisationResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": 7,
                    "input": MAP_EXAMPLE,
                    "blank": False,
                    "stages": [
                        {
                            "randomised": ["fc3"],
                            "prediction": 3,
                            "maps": {"gradient": MAP_EXAMPLE},
                            "similarity": {"gradient": 0.41},
                        }
                    ],
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    target: int
    input: str | list[Any]
    blank: bool
    stages: list[RandomisationStage]
    model: ModelInfo


class Ablation(BaseModel):
    """Indices of the filters and units to switch off, per layer (each list at most the
    layer's size, indices within it)."""

    model_config = STRICT

    conv1: list[Annotated[int, Field(ge=0, le=5)]] = Field([], max_length=6, fail_fast=True)
    conv2: list[Annotated[int, Field(ge=0, le=15)]] = Field([], max_length=16, fail_fast=True)
    fc1: list[Annotated[int, Field(ge=0, le=119)]] = Field([], max_length=120, fail_fast=True)
    fc2: list[Annotated[int, Field(ge=0, le=99)]] = Field([], max_length=100, fail_fast=True)


class AblateRequest(ImageInput, PredictOptions):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"image": SEVEN, "ablate": {"conv2": [3, 11]}, "layers": ["conv2", "softmax"]},
                {"image_base64": SMALL_PNG, "ablate": {"conv1": [0], "fc1": [5, 17]}},
            ]
        },
    )

    ablate: Ablation = Field(..., description="The filters and units to switch off.")


class Verdict(BaseModel):
    prediction: int
    probabilities: list[float]


class AblateResponse(PredictResponse):
    ablated: Ablation
    original: Verdict = Field(..., description="The verdict with nothing switched off.")


class RankingRequest(ImageInput):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"image": SEVEN}, {"image": SEVEN, "target": 1}]},
    )

    target: Digit | None = Field(None, description="Default: the prediction.")
    ablate: Ablation = Field(Ablation(), description="Already off for every case.")
    preprocess: bool = True


class FilterEffectOut(BaseModel):
    layer: Literal["conv1", "conv2"]
    index: int
    logit: float = Field(..., description="The target logit with this filter off.")
    drop: float = Field(..., description="Target logit with it on minus with it off.")
    probability: float = Field(..., description="The target probability with it off.")
    prediction: int = Field(..., description="The verdict with it off.")


class RankingResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": 7,
                    "logit": 18.37,
                    "prediction": 7,
                    "probabilities": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                    "ranking": [
                        {
                            "layer": "conv2",
                            "index": 11,
                            "logit": 9.2,
                            "drop": 9.17,
                            "probability": 0.98,
                            "prediction": 7,
                        }
                    ],
                    "blank": False,
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    target: int
    logit: float = Field(..., description="The target logit with no further filter off.")
    prediction: int
    probabilities: list[float]
    ranking: list[FilterEffectOut] = Field(..., description="22 filters, largest drop first.")
    blank: bool
    model: ModelInfo


class CounterfactualRequest(ImageInput):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"image": SEVEN, "target": 1}]},
    )

    target: Digit = Field(..., description="The digit the network should say.")
    max_steps: int = Field(200, ge=1, le=500, description="Gradient steps at most, 1-500.")
    preprocess: bool = True
    encoding: Encoding = "list"


class MapChangeOut(BaseModel):
    layer: str
    index: int
    change: float = Field(..., description="Mean absolute change of the map's cells.")


class CounterfactualResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": 1,
                    "reached": True,
                    "steps": 200,
                    "stopped": "max_steps",
                    "original": {
                        "prediction": 7,
                        "probabilities": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
                    },
                    "prediction": 1,
                    "probabilities": [0, 0.71, 0, 0, 0, 0, 0, 0.29, 0, 0],
                    "input": MAP_EXAMPLE,
                    "counterfactual": MAP_EXAMPLE,
                    "ink_added": MAP_EXAMPLE,
                    "ink_removed": MAP_EXAMPLE,
                    "ink_added_total": 3.1,
                    "ink_removed_total": 2.4,
                    "map_changes": {"relu1": [0.01] * 6, "relu2": [0.02] * 16},
                    "top_maps": [{"layer": "relu2", "index": 4, "change": 0.11}],
                    "blank": False,
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    target: int
    reached: bool = Field(..., description="Whether the network now says the target.")
    steps: int
    stopped: Literal["already", "max_steps", "time"]
    original: Verdict
    prediction: int
    probabilities: list[float]
    input: str | list[Any] = Field(..., description="The 32x32 network input.")
    counterfactual: str | list[Any] = Field(..., description="The changed input, 32x32.")
    ink_added: str | list[Any]
    ink_removed: str | list[Any]
    ink_added_total: float
    ink_removed_total: float
    map_changes: dict[str, list[float]] = Field(..., description="relu1 (6), relu2 (16).")
    top_maps: list[MapChangeOut]
    blank: bool
    model: ModelInfo


class CompareRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "a": {"image": SEVEN},
                    "b": {"image_base64": SMALL_PNG},
                    "steps": 11,
                    "layers": ["conv1", "fc3"],
                }
            ]
        },
    )

    a: ImageInput
    b: ImageInput
    steps: int = Field(11, ge=2, le=64, description="Blends from A to B, ends included: 2-64.")
    preprocess: bool = True
    layers: list[LayerName] | None = Field(
        None, description="Layers to difference, as in /api/predict.", max_length=len(LAYER_NAMES)
    )
    encoding: Encoding = "list"


class Drawing(Verdict):
    input: str | list[Any]
    blank: bool


class BlendPath(BaseModel):
    alphas: list[float]
    probabilities: list[list[float]] = Field(..., description="steps x 10.")


class CompareResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "a": {
                        "prediction": 7,
                        "probabilities": [0] * 10,
                        "input": MAP_EXAMPLE,
                        "blank": False,
                    },
                    "b": {
                        "prediction": 1,
                        "probabilities": [0] * 10,
                        "input": MAP_EXAMPLE,
                        "blank": False,
                    },
                    "input_difference": MAP_EXAMPLE,
                    "differences": [
                        {"name": "fc3", "kind": "dense", "shape": [10], "data": [0.5] * 10}
                    ],
                    "logit_change": [0.5] * 10,
                    "path": {"alphas": [0, 0.5, 1], "probabilities": [[0.1] * 10] * 3},
                    "model": {"name": "lenet-vis LeNet", "weights_sha256": "3f0c..."},
                }
            ]
        }
    )

    a: Drawing
    b: Drawing
    input_difference: str | list[Any] = Field(..., description="B - A on the network input.")
    differences: list[LayerData] = Field(..., description="B - A at each layer.")
    logit_change: list[float]
    path: BlendPath
    model: ModelInfo


# ---- knowledge (issue 11)


class KnowledgeRequest(ImageInput):
    """A digit to place among the training digits: the same image inputs as /api/predict."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"image": SEVEN}, {"image_base64": SMALL_PNG}]},
    )

    preprocess: bool = Field(True, description="As in /api/predict.")


class TrainingDigit(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"row": 5, "index": 40213, "label": 7, "prediction": 7, "image": SEVEN}]
        }
    )

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


# request models parsed from the raw body by deps.json_body; main.py lists them in the OpenAPI
REQUEST_MODELS = (
    PredictRequest,
    BatchRequest,
    ConvolveRequest,
    PoolRequest,
    GradientRequest,
    AttributionRequest,
    RandomisationRequest,
    AblateRequest,
    RankingRequest,
    CounterfactualRequest,
    CompareRequest,
    KnowledgeRequest,
)
