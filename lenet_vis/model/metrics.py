"""How well a network reads a set of digits: accuracy, loss, per class, confusion, mistakes."""

from __future__ import annotations

import numpy as np

from lenet_vis.model.data import mnist_to_input
from lenet_vis.model.lenet import LeNet


def evaluate(net: LeNet, x: np.ndarray, y: np.ndarray) -> dict:
    """Loss, accuracy, per-class accuracy and confusion matrix. x: (N, 1, 32, 32), y: (N,)."""
    return classification_report(net.predict(x), y)


def classification_report(probs: np.ndarray, y: np.ndarray) -> dict:
    """The same figures from probabilities (N, 10) and labels (N,)."""
    pred = probs.argmax(axis=1)
    loss = float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (y, pred), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "loss": loss,
        "accuracy": float((pred == y).mean()),
        "per_class_accuracy": [round(float(a), 6) for a in per_class],
        "confusion_matrix": confusion.tolist(),
    }


def accuracy(net: LeNet, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction read right. x: (N, 1, 32, 32), y: (N,)."""
    return float((net.predict(x).argmax(axis=1) == y).mean())


def misclassified(net: LeNet, images: np.ndarray, labels: np.ndarray) -> list[tuple[int, int]]:
    """(index, predicted digit) of each uint8 (N, 28, 28) MNIST digit the network gets wrong."""
    pred = net.predict(mnist_to_input(images)).argmax(axis=1)
    return [(int(i), int(pred[i])) for i in np.flatnonzero(pred != labels)]
