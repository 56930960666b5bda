"""A sanity check for attribution maps: cascading randomisation (Adebayo et al. 2018).

The weights are re-initialised layer by layer from the top (fc3, then fc2, ... conv1), each
stage keeping the layers randomised before it. A map that still looks the same once the
network has forgotten what it learned says more about the input than about the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lenet_vis.model.attribution import METHODS, attribution_maps
from lenet_vis.model.lenet import LeNet

ORDER = ("fc3", "fc2", "fc1", "conv2", "conv1")  # from the top down


def randomised_networks(net: LeNet, seed: int = 0) -> list[tuple[list[str], LeNet]]:
    """The trained network, then one copy per stage with the top layers re-initialised.

    The fresh weights are the network's own He-normal initialisation (zero biases) from `seed`,
    so the same seed gives the same stages. -> [(randomised layer names, network)], 6 stages
    """
    fresh = LeNet(seed=seed)
    stages: list[tuple[list[str], LeNet]] = [([], net)]
    for depth in range(1, len(ORDER) + 1):
        names = list(ORDER[:depth])
        stages.append((names, net.with_params({n: fresh.layers[n].params for n in names})))
    return stages


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps' absolute values (ties ranked by position).

    a, b: (32, 32) -> in [-1, 1]; 0 when either map is constant.
    """
    ra = np.argsort(np.argsort(np.abs(a).ravel(), kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(np.abs(b).ravel(), kind="stable"), kind="stable")
    if np.ptp(np.abs(a)) == 0 or np.ptp(np.abs(b)) == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass
class Stage:
    """One stage: which layers are random, each method's map (32, 32), and its rank
    correlation with the trained network's map (1 for the trained network itself)."""

    randomised: list[str]
    maps: dict[str, np.ndarray]
    similarity: dict[str, float]
    prediction: int


def cascading_randomisation(
    net: LeNet,
    x: np.ndarray,
    target: int,
    methods=METHODS,
    seed: int = 0,
    **params,
) -> list[Stage]:
    """The same attribution maps for x (32, 32) at each stage of randomisation, target fixed.

    params go to `attribution_maps` (steps, patch, stride, fill). -> 6 stages, trained first
    """
    stages: list[Stage] = []
    for names, stage_net in randomised_networks(net, seed):
        maps = attribution_maps(stage_net, x, target, methods, **params).maps
        trained = stages[0].maps if stages else maps
        stages.append(
            Stage(
                randomised=names,
                maps=maps,
                similarity={m: rank_correlation(trained[m], maps[m]) for m in maps},
                prediction=int(stage_net.predict(np.asarray(x, np.float32)).argmax()),
            )
        )
    return stages
