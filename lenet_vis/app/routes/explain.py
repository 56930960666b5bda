"""POST /api/explain/...: attribution, randomisation, ablation, ranking, counterfactual, compare.

Each handler validates, then runs decoding and the model's work in a worker thread (`offload`)
so the event loop keeps serving; the NumPy lives in lenet_vis.model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from lenet_vis.app import inference
from lenet_vis.app.config import Settings
from lenet_vis.app.deps import JSON_BODY, NetDep, SettingsDep
from lenet_vis.app.schemas import (
    AblateRequest,
    AblateResponse,
    AttributionRequest,
    AttributionResponse,
    CompareRequest,
    CompareResponse,
    CounterfactualRequest,
    CounterfactualResponse,
    ImageInput,
    RandomisationRequest,
    RandomisationResponse,
    RankingRequest,
    RankingResponse,
)
from lenet_vis.model import ablation, attribution, compare, counterfactual, randomisation
from lenet_vis.model.lenet import LeNet

router = APIRouter(prefix="/api/explain", tags=["explain"])
T = TypeVar("T")
FILLS = attribution.FILLS


async def offload(fn: Callable[..., T], *args) -> T:
    """fn(*args) in a worker thread, off the event loop (NumPy releases the GIL)."""
    return await anyio.to_thread.run_sync(fn, *args)


def drawing(item: ImageInput, preprocess: bool, settings: Settings, loc: list):
    """A request's image -> the (32, 32) network input and whether it is blank."""
    ink = inference.ink_from(item, settings, loc)
    return inference.network_input(ink, preprocess, [*loc, "image"])


def layer_list(outputs: dict, names: list[str], encoding: str) -> list[dict]:
    """Layer outputs in the shape of /api/predict's `layers`."""
    return [
        {
            "name": n,
            "kind": inference.KINDS[n],
            "shape": list(outputs[n].shape),
            "data": inference.encode(outputs[n], encoding),
        }
        for n in names
    ]


def verdict(probabilities: np.ndarray) -> dict:
    return {
        "prediction": int(np.argmax(probabilities)),
        "probabilities": probabilities.astype(np.float64).tolist(),
    }


# ---------------------------------------------------------------------------- attribution


def _attribution(body: AttributionRequest, net: LeNet, settings: Settings) -> dict:
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    out = net.forward(x)
    target = int(out["softmax"].argmax()) if body.target is None else body.target
    result = attribution.attribution_maps(
        net, x, target, body.methods, body.steps, body.patch, body.stride, FILLS[body.fill]
    )
    ig, occ, enc = result.integrated, result.occluded, body.encoding
    return {
        "target": target,
        **verdict(out["softmax"]),
        "logits": out["fc3"].astype(np.float64).tolist(),
        "input": inference.encode(x, enc),
        "blank": blank,
        "maps": {m: inference.encode(v, enc) for m, v in result.maps.items()},
        "completeness": None
        if ig is None
        else {
            "steps": ig.steps,
            "attribution_sum": ig.attribution_sum,
            "logit_difference": ig.logit_difference,
            "relative_error": ig.relative_error,
        },
        "occlusion": None
        if occ is None
        else {
            "patch": body.patch,
            "stride": body.stride,
            "fill": body.fill,
            "offsets": occ.offsets.tolist(),
            "drops": inference.encode(occ.drops, enc),
            "logit_drops": inference.encode(occ.logit_drops, enc),
            "logit_map": inference.encode(occ.logit_map, enc),
        },
        "model": inference.model_info(net),
    }


@router.post("/attribution", response_model=AttributionResponse, **JSON_BODY)
async def attribution_maps(
    body: AttributionRequest, net: NetDep, settings: SettingsDep
) -> Response:
    """Which pixels of the 32x32 input mattered for `target`: the gradient of its logit,
    gradient x input, integrated gradients from black (with completeness: their sum against
    logit(input) - logit(black)) and occlusion (the drop in its probability under a patch)."""
    return inference.json_response(await offload(_attribution, body, net, settings))


def _randomisation(body: RandomisationRequest, net: LeNet, settings: Settings) -> dict:
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    target = attribution.resolve_target(net, x, body.target)
    stages = randomisation.cascading_randomisation(
        net,
        x,
        target,
        body.methods,
        body.seed,
        steps=body.steps,
        patch=body.patch,
        stride=body.stride,
        fill=FILLS[body.fill],
    )
    return {
        "target": target,
        "input": inference.encode(x, body.encoding),
        "blank": blank,
        "stages": [
            {
                "randomised": s.randomised,
                "prediction": s.prediction,
                "maps": {m: inference.encode(v, body.encoding) for m, v in s.maps.items()},
                "similarity": s.similarity,
            }
            for s in stages
        ],
        "model": inference.model_info(net),
    }


@router.post("/randomisation", response_model=RandomisationResponse, **JSON_BODY)
async def cascading_randomisation(
    body: RandomisationRequest, net: NetDep, settings: SettingsDep
) -> Response:
    """A sanity check (Adebayo et al. 2018): the same maps from the network with its weights
    re-initialised layer by layer from the top (fc3, fc2, fc1, conv2, conv1; seeded). Maps that
    survive the randomisation say little about what the network learned."""
    return inference.json_response(await offload(_randomisation, body, net, settings))


# ---------------------------------------------------------------------------- ablation


def _ablate(body: AblateRequest, net: LeNet, settings: Settings) -> dict:
    layers = inference.requested_layers(body.layers, ["body", "layers"])
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    off = body.ablate.model_dump()
    outputs = ablation.ablate(net, x, off)
    return {
        **verdict(outputs["softmax"]),
        "input": inference.encode(x, body.encoding) if layers else None,
        "layers": layer_list(outputs, layers, body.encoding),
        "blank": blank,
        "model": inference.model_info(net),
        "ablated": {k: sorted(set(v)) for k, v in off.items()},
        "original": verdict(net.predict(x)),
    }


@router.post("/ablate", response_model=AblateResponse, **JSON_BODY)
async def ablate(body: AblateRequest, net: NetDep, settings: SettingsDep) -> Response:
    """Switch off conv1/conv2 filters and fc1/fc2 units: their outputs become zero and every
    later layer is recomputed. The response is that of /api/predict, plus the verdict with
    nothing switched off."""
    return inference.json_response(await offload(_ablate, body, net, settings))


def _ranking(body: RankingRequest, net: LeNet, settings: Settings) -> dict:
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    off = body.ablate.model_dump()
    probs = ablation.ablate(net, x, off)["softmax"]
    target = int(probs.argmax()) if body.target is None else body.target
    logit, effects = ablation.filter_ranking(net, x, target, off)
    return {
        "target": target,
        "logit": logit,
        **verdict(probs),
        "ranking": [e.__dict__ for e in effects],
        "blank": blank,
        "model": inference.model_info(net),
    }


@router.post("/ablation-ranking", response_model=RankingResponse, **JSON_BODY)
async def ablation_ranking(body: RankingRequest, net: NetDep, settings: SettingsDep) -> Response:
    """The 22 conv1 and conv2 filters ranked by how much switching each off alone (on top of
    `ablate`) lowers the target logit, all in one batched forward pass."""
    return inference.json_response(await offload(_ranking, body, net, settings))


# ---------------------------------------------------------------------------- counterfactual


def _counterfactual(body: CounterfactualRequest, net: LeNet, settings: Settings) -> dict:
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    cf = counterfactual.counterfactual(net, x, body.target, max_steps=body.max_steps)
    added, removed = cf.ink(x)
    enc = body.encoding
    return {
        "target": cf.target,
        "reached": cf.reached,
        "steps": cf.steps,
        "stopped": cf.stopped,
        "original": verdict(net.predict(x)),
        **verdict(cf.probabilities),
        "input": inference.encode(x, enc),
        "counterfactual": inference.encode(cf.input, enc),
        "ink_added": inference.encode(added, enc),
        "ink_removed": inference.encode(removed, enc),
        "ink_added_total": float(added.sum()),
        "ink_removed_total": float(removed.sum()),
        "map_changes": {k: v.astype(np.float64).tolist() for k, v in cf.map_changes.items()},
        "top_maps": [m.__dict__ for m in cf.top_maps],
        "blank": blank,
        "model": inference.model_info(net),
    }


@router.post("/counterfactual", response_model=CounterfactualResponse, **JSON_BODY)
async def change_its_mind(
    body: CounterfactualRequest, net: NetDep, settings: SettingsDep
) -> Response:
    """The smallest change (L1) to the 32x32 input found that makes the network say `target`:
    proximal gradient steps with an ink-change penalty, values kept in [0, 1], at most
    `max_steps` steps and under a second; deterministic. Ink added and removed, the new
    verdict and the feature maps that changed most."""
    return inference.json_response(await offload(_counterfactual, body, net, settings))


# ---------------------------------------------------------------------------- compare


def _compare(body: CompareRequest, net: LeNet, settings: Settings) -> dict:
    layers = inference.requested_layers(body.layers, ["body", "layers"])
    a, blank_a = drawing(body.a, body.preprocess, settings, ["body", "a"])
    b, blank_b = drawing(body.b, body.preprocess, settings, ["body", "b"])
    cmp = compare.compare(net, a, b, body.steps)
    enc = body.encoding
    return {
        "a": {**verdict(cmp.a["softmax"]), "input": inference.encode(a, enc), "blank": blank_a},
        "b": {**verdict(cmp.b["softmax"]), "input": inference.encode(b, enc), "blank": blank_b},
        "input_difference": inference.encode(cmp.differences["input"][0], enc),
        "differences": layer_list(cmp.differences, layers, enc),
        "logit_change": cmp.logit_change.astype(np.float64).tolist(),
        "path": {
            "alphas": cmp.alphas.astype(np.float64).tolist(),
            "probabilities": cmp.path.astype(np.float64).tolist(),
        },
        "model": inference.model_info(net),
    }


@router.post("/compare", response_model=CompareResponse, **JSON_BODY)
async def compare_drawings(body: CompareRequest, net: NetDep, settings: SettingsDep) -> Response:
    """Two drawings A and B: B - A at every layer, the change of every logit, and the ten
    probabilities along the linear blend of the inputs from A to B (`steps` blends, one batch).
    """
    return inference.json_response(await offload(_compare, body, net, settings))
