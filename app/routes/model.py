"""GET /api/model and /api/weights/{layer}: the geometry, the metrics, the parameters."""

from __future__ import annotations

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from app import inference
from app.deps import NetDep
from app.errors import InputError
from app.schemas import Encoding, ErrorResponse, ModelResponse, WeightsResponse
from model.geometry import model_summary

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
    return Response(orjson.dumps(body), media_type="application/json")


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
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
