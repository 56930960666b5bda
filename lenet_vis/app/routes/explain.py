"""POST /api/explain/...: attribution, randomisation, ablation, ranking, counterfactual, compare.

Each body is parsed strictly by `deps.json_body`; decoding and the model's work run in the
bounded CPU pool (`offload.CpuPool`, shared with /api/predict: past capacity a 503 with
Retry-After), so the event loop keeps serving; the NumPy lives in lenet_vis.model.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from lenet_vis.app import codec
from lenet_vis.app.config import Settings
from lenet_vis.app.deps import CpuDep, NetDep, SettingsDep, json_body, openapi_body
from lenet_vis.app.schemas import (
    COMPUTE_ERRORS,
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
FILLS = attribution.FILLS


def post(path: str, request_model: type, response_model: type):
    """The decorator of an explanation route: its strict JSON body, its answers, its 4xx/503."""
    return router.post(
        path,
        response_model=response_model,
        responses=COMPUTE_ERRORS,
        openapi_extra=openapi_body(request_model),
    )


def answer(fn, *args) -> bytes:
    """fn(*args) as JSON bytes: run in the CPU pool, serialising included."""
    return codec.dumps(fn(*args))


def drawing(item: ImageInput, preprocess: bool, settings: Settings, loc: list):
    """A request's image -> the (32, 32) network input and whether it is blank."""
    ink = codec.ink_from(item, settings, loc)
    return codec.network_input(ink, preprocess, [*loc, "image"])


def layer_list(outputs: dict, names: list[str], encoding: str) -> list[dict]:
    """Layer outputs in the shape of /api/predict's `layers`."""
    return [
        {
            "name": n,
            "kind": codec.KINDS[n],
            "shape": list(outputs[n].shape),
            "data": codec.encode(outputs[n], encoding),
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
        "input": codec.encode(x, enc),
        "blank": blank,
        "maps": {m: codec.encode(v, enc) for m, v in result.maps.items()},
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
            "drops": codec.encode(occ.drops, enc),
            "logit_drops": codec.encode(occ.logit_drops, enc),
            "logit_map": codec.encode(occ.logit_map, enc),
        },
        "model": codec.model_info(net),
    }


@post("/attribution", AttributionRequest, AttributionResponse)
async def attribution_maps(
    body: Annotated[AttributionRequest, json_body(AttributionRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Which pixels of the 32x32 input mattered for `target`: the gradient of its logit,
    gradient x input, integrated gradients from black (with completeness: their sum against
    logit(input) - logit(black)) and occlusion (the drop in its probability under a patch)."""
    return codec.json_response(await cpu.run(answer, _attribution, body, net, settings))


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
        "input": codec.encode(x, body.encoding),
        "blank": blank,
        "stages": [
            {
                "randomised": s.randomised,
                "prediction": s.prediction,
                "maps": {m: codec.encode(v, body.encoding) for m, v in s.maps.items()},
                "similarity": s.similarity,
            }
            for s in stages
        ],
        "model": codec.model_info(net),
    }


@post("/randomisation", RandomisationRequest, RandomisationResponse)
async def cascading_randomisation(
    body: Annotated[RandomisationRequest, json_body(RandomisationRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """A sanity check (Adebayo et al. 2018): the same maps from the network with its weights
    re-initialised layer by layer from the top (fc3, fc2, fc1, conv2, conv1; seeded). Maps that
    survive the randomisation say little about what the network learned."""
    return codec.json_response(await cpu.run(answer, _randomisation, body, net, settings))


# ---------------------------------------------------------------------------- ablation


def _ablate(body: AblateRequest, net: LeNet, settings: Settings) -> dict:
    layers = codec.requested_layers(body.layers, ["body", "layers"])
    x, blank = drawing(body, body.preprocess, settings, ["body"])
    off = body.ablate.model_dump()
    outputs = ablation.ablate(net, x, off)
    return {
        **verdict(outputs["softmax"]),
        "input": codec.encode(x, body.encoding) if layers else None,
        "layers": layer_list(outputs, layers, body.encoding),
        "blank": blank,
        "model": codec.model_info(net),
        "ablated": {k: sorted(set(v)) for k, v in off.items()},
        "original": verdict(net.predict(x)),
    }


@post("/ablate", AblateRequest, AblateResponse)
async def ablate(
    body: Annotated[AblateRequest, json_body(AblateRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Switch off conv1/conv2 filters and fc1/fc2 units: their outputs become zero and every
    later layer is recomputed. The response is that of /api/predict, plus the verdict with
    nothing switched off."""
    return codec.json_response(await cpu.run(answer, _ablate, body, net, settings))


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
        "model": codec.model_info(net),
    }


@post("/ablation-ranking", RankingRequest, RankingResponse)
async def ablation_ranking(
    body: Annotated[RankingRequest, json_body(RankingRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """The 22 conv1 and conv2 filters ranked by how much switching each off alone (on top of
    `ablate`) lowers the target logit, all in one batched forward pass."""
    return codec.json_response(await cpu.run(answer, _ranking, body, net, settings))


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
        "input": codec.encode(x, enc),
        "counterfactual": codec.encode(cf.input, enc),
        "ink_added": codec.encode(added, enc),
        "ink_removed": codec.encode(removed, enc),
        "ink_added_total": float(added.sum()),
        "ink_removed_total": float(removed.sum()),
        "map_changes": {k: v.astype(np.float64).tolist() for k, v in cf.map_changes.items()},
        "top_maps": [m.__dict__ for m in cf.top_maps],
        "blank": blank,
        "model": codec.model_info(net),
    }


@post("/counterfactual", CounterfactualRequest, CounterfactualResponse)
async def change_its_mind(
    body: Annotated[CounterfactualRequest, json_body(CounterfactualRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """The smallest change (L1) to the 32x32 input found that makes the network say `target`:
    proximal gradient steps with an ink-change penalty, values kept in [0, 1], at most
    `max_steps` steps and under a second; deterministic. Ink added and removed, the new
    verdict and the feature maps that changed most."""
    return codec.json_response(await cpu.run(answer, _counterfactual, body, net, settings))


# ---------------------------------------------------------------------------- compare


def _compare(body: CompareRequest, net: LeNet, settings: Settings) -> dict:
    layers = codec.requested_layers(body.layers, ["body", "layers"])
    a, blank_a = drawing(body.a, body.preprocess, settings, ["body", "a"])
    b, blank_b = drawing(body.b, body.preprocess, settings, ["body", "b"])
    cmp = compare.compare(net, a, b, body.steps)
    enc = body.encoding
    return {
        "a": {**verdict(cmp.a["softmax"]), "input": codec.encode(a, enc), "blank": blank_a},
        "b": {**verdict(cmp.b["softmax"]), "input": codec.encode(b, enc), "blank": blank_b},
        "input_difference": codec.encode(cmp.differences["input"][0], enc),
        "differences": layer_list(cmp.differences, layers, enc),
        "logit_change": cmp.logit_change.astype(np.float64).tolist(),
        "path": {
            "alphas": cmp.alphas.astype(np.float64).tolist(),
            "probabilities": cmp.path.astype(np.float64).tolist(),
        },
        "model": codec.model_info(net),
    }


@post("/compare", CompareRequest, CompareResponse)
async def compare_drawings(
    body: Annotated[CompareRequest, json_body(CompareRequest)],
    net: NetDep,
    settings: SettingsDep,
    cpu: CpuDep,
) -> Response:
    """Two drawings A and B: B - A at every layer, the change of every logit, and the ten
    probabilities along the linear blend of the inputs from A to B (`steps` blends, one batch).
    """
    return codec.json_response(await cpu.run(answer, _compare, body, net, settings))
