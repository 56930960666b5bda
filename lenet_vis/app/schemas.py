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
