"""Change its mind: the smallest change to the input that makes the network say another digit.

Proximal gradient descent (ISTA) on the change d to the 32x32 input:

    minimise  max(0, max_j!=t z_j(x + d) - z_t(x + d) + margin)  +  penalty * |d|_1
    subject to  0 <= x + d <= 1

Each step follows the gradient of the hinge (the network's own backward), soft-thresholds d
(the L1 penalty: small changes snap to zero, so the ink moves in few places) and clips x + d
to [0, 1]. The smallest change (L1) seen that makes the target win is kept. No randomness:
the same input and target give the same answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from lenet_vis.model.lenet import LeNet

MAP_LAYERS = ("relu1", "relu2")  # the feature maps compared before and after


@dataclass
class MapChange:
    """How much one feature map changed: the mean absolute difference of its cells."""

    layer: str
    index: int
    change: float


@dataclass
class Counterfactual:
    """The changed input (32, 32), what became of the network's answer, and how it was found.

    reached: whether the target is the verdict on `input` (when the search fails, `input` is
    where it stopped); steps: gradient steps taken (0 when the target already won).
    """

    target: int
    input: np.ndarray
    original_prediction: int
    prediction: int
    probabilities: np.ndarray
    reached: bool
    steps: int
    stopped: str  # "already" | "max_steps" | "time"
    map_changes: dict[str, np.ndarray] = field(default_factory=dict)  # layer -> (C,)
    top_maps: list[MapChange] = field(default_factory=list)

    def ink(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ink added and ink removed relative to x (32, 32): two (32, 32) arrays, >= 0."""
        d = self.input - x
        return np.maximum(d, 0), np.maximum(-d, 0)


def _soft_threshold(v: np.ndarray, t: float) -> np.ndarray:
    return np.sign(v) * np.maximum(np.abs(v) - t, 0)


def counterfactual(
    net: LeNet,
    x: np.ndarray,
    target: int,
    max_steps: int = 200,
    step_size: float = 0.03,
    penalty: float = 0.2,
    margin: float = 1.0,
    time_limit: float = 0.9,
    top: int = 5,
) -> Counterfactual:
    """The smallest change (L1) to x (32, 32) found that makes `target` the verdict.

    margin: how far (in logits) the target should lead the runner-up while searching;
    time_limit: seconds, a guard that stops the search early on an overloaded machine
    (`stopped` says so). -> Counterfactual
    """
    x = np.asarray(x, np.float32)
    original = net.forward(x)
    first = int(original["softmax"].argmax())
    if first == target:
        return _result(net, x, x, target, first, original, True, 0, "already", top)
    d = np.zeros_like(x)
    best, best_l1 = None, np.inf
    deadline = time.perf_counter() + time_limit
    stopped, step = "max_steps", 0
    for step in range(1, max_steps + 1):  # noqa: B007 (the step count is reported)
        outputs, caches = net.forward_with_caches((x + d)[None, None])
        z = outputs["fc3"][0]
        rival = int(np.argmax(np.where(np.arange(10) == target, -np.inf, z)))
        lead = float(z[target] - z[rival])
        if lead > 0 and np.abs(d).sum() < best_l1:
            best, best_l1 = x + d, float(np.abs(d).sum())
        grad = 0
        if lead < margin:
            d_logits = np.zeros((1, 10), np.float32)
            d_logits[0, rival], d_logits[0, target] = 1, -1
            grad = net.backward(d_logits, caches)[1][0, 0]
        d = np.clip(_soft_threshold(d - step_size * grad, step_size * penalty), -x, 1 - x)
        if time.perf_counter() > deadline:
            stopped = "time"
            break
    found = best is not None
    new = best if found else x + d
    return _result(net, x, new, target, first, original, found, step, stopped, top)


def _result(net, x, new, target, first, original, reached, steps, stopped, top):
    after = net.forward(new)
    changes = {name: np.abs(after[name] - original[name]).mean(axis=(1, 2)) for name in MAP_LAYERS}
    ranked = sorted(
        (MapChange(name, i, float(v)) for name, arr in changes.items() for i, v in enumerate(arr)),
        key=lambda m: -m.change,
    )
    return Counterfactual(
        target=target,
        input=new,
        original_prediction=first,
        prediction=int(after["softmax"].argmax()),
        probabilities=after["softmax"],
        reached=reached and int(after["softmax"].argmax()) == target,
        steps=steps,
        stopped=stopped,
        map_changes=changes,
        top_maps=[m for m in ranked[:top] if m.change > 0],
    )
