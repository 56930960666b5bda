"""The tutorial's operations on single matrices, computed with the network's own layers."""

from __future__ import annotations

import numpy as np

from lenet_vis.model.layers import Conv2D, MaxPool2D, conv_output_size, softmax_cross_entropy
from lenet_vis.model.lenet import LeNet

POOL_MODES = ("max", "average", "sum")


def convolve2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0):
    """One 2-D convolution (cross-correlation) through Conv2D, zero-padded.

    image: (H, W), kernel: (K, K) -> (OH, OW) with OH = (H - K + 2P) / S + 1
    """
    image = np.asarray(image, np.float64)
    kernel = np.asarray(kernel, np.float64)
    conv_output_size(image.shape[0], kernel.shape[0], stride, padding)  # refuses a misfit
    conv_output_size(image.shape[1], kernel.shape[1], stride, padding)
    layer = Conv2D(1, 1, kernel.shape[0], stride)
    layer.params = {"W": kernel[None, None], "b": np.zeros(1)}
    padded = np.pad(image, padding)
    return layer.infer(padded[None, None])[0, 0]


def pool2d(image: np.ndarray, size: int, stride: int, mode: str = "max"):
    """Max, average or sum over size x size windows moved by stride.

    image: (H, W) -> output (OH, OW), and for max the winner's index in each window (row-major)
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be one of {POOL_MODES}")
    x = np.asarray(image, np.float64)[None, None]
    pool = MaxPool2D(size, stride)
    if mode == "max":
        y, arg = pool.forward_with_argmax(x)
        return y[0, 0], arg[0, 0]
    windows = pool.windows(x)
    y = windows.sum(axis=-1) if mode == "sum" else windows.mean(axis=-1)
    return y[0, 0], None


def feature_map_size(width: int, filter_size: int, stride: int, padding: int) -> int:
    """(W - F + 2P) / S + 1, or a ShapeError saying why the filter does not fit."""
    return conv_output_size(width, filter_size, stride, padding)


def input_gradient(net: LeNet, x: np.ndarray, target: int):
    """Cross-entropy of the network's output against `target`, and its gradient on the input.

    x: (32, 32) -> loss, dL/dx (32, 32), probabilities (10,). Computed in float64 through the
    network's own backward pass; the weights are only read.
    """
    batch = np.asarray(x, np.float64)[None, None]
    outputs, caches = net.forward_with_caches(batch)
    loss, d_logits = softmax_cross_entropy(outputs["fc3"], np.array([target]))
    _, dx = net.backward(d_logits, caches)
    return loss, dx[0, 0], outputs["softmax"][0]
