"""GET /api/model and /api/weights/{layer}: the geometry, the metrics, the parameters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lenet_vis.app import codec
from lenet_vis.app.deps import CheckpointNet, CpuDep, NetDep
from lenet_vis.app.routes.samples import fixture_digits
from lenet_vis.app.schemas import (
    CHECKPOINT_ERRORS,
    CLIENT_ERRORS,
    Encoding,
    ErrorResponse,
    ModelCard,
    ModelResponse,
    WeightLayer,
    WeightsResponse,
)
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
    return codec.json_response(body)


CARD_KEYS = (*METRIC_KEYS, "confusion_matrix", "history", "config", "weights_sha256")


def misclassified_digits(net, state) -> list[dict]:
    images, labels = fixture_digits(state)
    return [
        {"index": i, "label": int(labels[i]), "prediction": p, "image": images[i].tolist()}
        for i, p in misclassified(net, images, labels)
    ]


@router.get("/model/card", response_model=ModelCard)
async def model_card(request: Request, net: NetDep, cpu: CpuDep) -> Response:
    """The training record of weights/lenet.json, and the fixture digits the network gets wrong."""
    state = request.app.state
    if getattr(state, "misclassified", None) is None:
        state.misclassified = await cpu.run(misclassified_digits, net, state)
    body = {k: net.metadata[k] for k in CARD_KEYS if k in net.metadata}
    body["misclassified"] = state.misclassified
    return codec.json_response(body)


@router.get(
    "/weights/{layer}",
    response_model=WeightsResponse,
    responses={**CLIENT_ERRORS, **CHECKPOINT_ERRORS, 503: {"model": ErrorResponse}},
)
async def weights(layer: WeightLayer, net: CheckpointNet, encoding: Encoding = "list") -> Response:
    """A layer's weights (conv: F x C x K x K, dense: out x in) and bias; `?checkpoint=` for
    those at a checkpoint of training."""
    params = net.layers[layer].params
    w, b = params["W"], params["b"]
    body = {
        "layer": layer,
        "weights": codec.encode(w, encoding),
        "weights_shape": list(w.shape),
        "bias": codec.encode(b, encoding),
        "bias_shape": list(b.shape),
        "encoding": encoding,
    }
    return codec.json_response(body)
