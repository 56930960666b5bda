"""Switch filters and units off: the network with some of its parts silenced.

A switched-off conv filter's map is zero, as if its weights and bias were zero; a switched-off
dense unit outputs zero. Every later layer is recomputed by the network's one forward loop
with unit masks (`LeNet.forward(x, masks)`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from lenet_vis.model.lenet import LeNet

UNITS = {"conv1": 6, "conv2": 16, "fc1": 120, "fc2": 100}  # what may be switched off
FILTER_LAYERS = ("conv1", "conv2")  # ranked one by one: 22 filters


def ablation_masks(off: dict[str, list[int]] | None) -> dict[str, np.ndarray]:
    """{layer: indices switched off} -> {layer: (C,) mask of 0 (off) and 1 (on)}."""
    masks = {}
    for name, indices in (off or {}).items():
        if name not in UNITS:
            raise ValueError(f"only {list(UNITS)} can be switched off, not {name!r}")
        if len(indices) == 0:
            continue
        idx = np.asarray(indices, int)
        if idx.min() < 0 or idx.max() >= UNITS[name]:
            raise ValueError(f"{name} has units 0-{UNITS[name] - 1}, not {idx.tolist()}")
        masks[name] = np.ones(UNITS[name], np.float32)
        masks[name][idx] = 0
    return masks


def ablate(net: LeNet, x: np.ndarray, off: dict[str, list[int]] | None) -> OrderedDict:
    """Every layer's output with the named filters and units off. x: (32, 32) -> as forward."""
    return net.forward(x, ablation_masks(off))


def zeroed_network(net: LeNet, off: dict[str, list[int]]) -> LeNet:
    """Reference: a copy of net whose switched-off filters/units have zero weights and bias."""
    replace = {}
    for name, indices in off.items():
        w = np.array(net.layers[name].params["W"])
        b = np.array(net.layers[name].params["b"])
        w[list(indices)] = 0
        b[list(indices)] = 0
        replace[name] = {"W": w, "b": b}
    return net.with_params(replace)


@dataclass
class FilterEffect:
    """What switching one filter off (alone, on top of any already off) does to the target."""

    layer: str
    index: int
    logit: float  # the target logit with the filter off
    drop: float  # the target logit with it on minus with it off (positive: it was helping)
    probability: float  # the target probability with the filter off
    prediction: int  # the verdict with the filter off


def filter_ranking(
    net: LeNet, x: np.ndarray, target: int, off: dict[str, list[int]] | None = None
) -> tuple[float, list[FilterEffect]]:
    """Each conv1 and conv2 filter switched off alone, every case in one batched forward.

    x: (32, 32) -> the target logit with no further filter off, and 22 FilterEffects, the
    largest drop first (ties by network order).
    """
    base = ablation_masks(off)
    units = [(name, i) for name in FILTER_LAYERS for i in range(UNITS[name])]
    n = len(units) + 1
    masks = {name: np.ones((n, c), np.float32) * base.get(name, 1) for name, c in UNITS.items()}
    for row, (name, i) in enumerate(units, start=1):
        masks[name][row, i] = 0
    batch = np.repeat(np.asarray(x, np.float32)[None, None], n, axis=0)
    out = net.forward(batch, masks)
    logits, probs = out["fc3"][:, target], out["softmax"]
    effects = [
        FilterEffect(
            layer=name,
            index=i,
            logit=float(logits[row]),
            drop=float(logits[0] - logits[row]),
            probability=float(probs[row, target]),
            prediction=int(probs[row].argmax()),
        )
        for row, (name, i) in enumerate(units, start=1)
    ]
    order = sorted(range(len(effects)), key=lambda k: (-effects[k].drop, k))
    return float(logits[0]), [effects[k] for k in order]


def filter_ranking_naive(
    net: LeNet, x: np.ndarray, target: int, off: dict[str, list[int]] | None = None
) -> tuple[float, list[FilterEffect]]:
    """Reference: one network per filter with that filter's weights and bias set to zero."""
    off = {k: list(v) for k, v in (off or {}).items()}
    x = np.asarray(x, np.float32)
    base_logit = float(zeroed_network(net, off).forward(x)["fc3"][target])
    effects = []
    for name in FILTER_LAYERS:
        for i in range(UNITS[name]):
            more = {**off, name: [*off.get(name, []), i]}
            out = zeroed_network(net, more).forward(x)
            logit = float(out["fc3"][target])
            effects.append(
                FilterEffect(
                    name,
                    i,
                    logit,
                    base_logit - logit,
                    float(out["softmax"][target]),
                    int(out["softmax"].argmax()),
                )
            )
    effects.sort(key=lambda e: -e.drop)
    return base_logit, effects
