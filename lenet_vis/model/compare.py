"""Compare two drawings: every layer's difference, every logit's change, the path between."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from lenet_vis.model.lenet import LeNet


@dataclass
class Comparison:
    """A and B through the network, B - A at every layer, and the blend from A to B.

    a, b, differences: {layer: array} in network order, input first (as `LeNet.forward`);
    alphas: (S,) from 0 (A) to 1 (B); path: (S, 10) probabilities of each blend.
    """

    a: OrderedDict
    b: OrderedDict
    differences: OrderedDict
    alphas: np.ndarray
    path: np.ndarray

    @property
    def logit_change(self) -> np.ndarray:
        """fc3 of B minus fc3 of A: (10,)."""
        return self.differences["fc3"]


def blend_path(net: LeNet, a: np.ndarray, b: np.ndarray, steps: int) -> tuple:
    """Probabilities along (1 - alpha) A + alpha B, all `steps` blends in one batch.

    a, b: (32, 32) -> alphas (steps,) evenly from 0 to 1, probabilities (steps, 10)
    """
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    alphas = np.linspace(0, 1, steps, dtype=np.float32)
    blends = a + alphas[:, None, None] * (b - a)
    return alphas, net.predict(blends[:, None])


def compare(net: LeNet, a: np.ndarray, b: np.ndarray, steps: int = 11) -> Comparison:
    """A and B (32, 32) in one forward of two images, and the blend path between them."""
    both = net.forward(np.stack([a, b]).astype(np.float32)[:, None])
    out_a = OrderedDict((k, v[0]) for k, v in both.items())
    out_b = OrderedDict((k, v[1]) for k, v in both.items())
    differences = OrderedDict((k, out_b[k] - out_a[k]) for k in out_a)
    alphas, path = blend_path(net, a, b, steps)
    return Comparison(out_a, out_b, differences, alphas, path)
