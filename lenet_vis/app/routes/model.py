"""GET /api/model and /api/weights/{layer}: the geometry, the metrics, the parameters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from lenet_vis.app import inference
from lenet_vis.app.deps import NetDep
from lenet_vis.app.errors import InputError
from lenet_vis.app.routes.samples import fixture_digits
from lenet_vis.app.schemas import Encoding, ErrorResponse, ModelResponse, WeightsResponse
from lenet_vis.model.geometry import model_summary
from lenet_vis.model.metrics import misclassified

router = APIRouter(prefix="/api", tags=["model"])
METRIC_KEYS = (
    "test_accuracy",
    "test_loss",
    "per_class_accuracy",
    "training_seconds",
    "seed",
    "train_size",
    "validation_size",
    "data_sha256",
)


@router.get("/model", response_model=ModelResponse)
async def model(net: NetDep) -> Response:
    """Every layer's kind, shapes, kernel, stride and parameter count; metrics; weights hash."""
    meta = net.metadata
    body = {
        "name": meta.get("name", "lenet-vis LeNet"),
        "layers": model_summary(),
        "parameters": net.parameter_count,
        "weights_sha256": meta["weights_sha256"],
        "metrics": {k: meta[k] for k in METRIC_KEYS if k in meta}
        | {"epochs": len(meta.get("history", []))},
    }
    return inference.json_response(body)


CARD_KEYS = (*METRIC_KEYS, "confusion_matrix", "history", "config", "weights_sha256")


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


@router.get("/model/card", response_model=ModelCard)
async def model_card(request: Request, net: NetDep) -> Response:
    """The training record of weights/lenet.json, and the fixture digits the network gets wrong."""
    state = request.app.state
    if getattr(state, "misclassified", None) is None:
        images, labels = fixture_digits(state)
        state.misclassified = [
            {"index": i, "label": int(labels[i]), "prediction": p, "image": images[i].tolist()}
            for i, p in misclassified(net, images, labels)
        ]
    body = {k: net.metadata[k] for k in CARD_KEYS if k in net.metadata}
    body["misclassified"] = state.misclassified
    return inference.json_response(body)


@router.get(
    "/weights/{layer}", response_model=WeightsResponse, responses={404: {"model": ErrorResponse}}
)
async def weights(layer: str, net: NetDep, encoding: Encoding = "list") -> Response:
    """A layer's weights (conv: F x C x K x K, dense: out x in) and bias."""
    found = net.layers.get(layer)
    if found is None or not found.params:
        what = "has no weights" if found is not None else "is not a layer"
        with_params = [n for n, lay in net.layers.items() if lay.params]
        raise InputError(
            ["path", "layer"],
            f"{layer!r} {what}; layers with weights: {with_params}",
            404,
            "not_found",
        )
    w, b = found.params["W"], found.params["b"]
    body = {
        "layer": layer,
        "weights": inference.encode(w, encoding),
        "weights_shape": list(w.shape),
        "bias": inference.encode(b, encoding),
        "bias_shape": list(b.shape),
        "encoding": encoding,
    }
    return inference.json_response(body)
