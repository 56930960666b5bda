"""Training by backpropagation through the same layers the server runs.

Mini-batches, Adam (or SGD with momentum), a cosine learning-rate schedule with warm-up,
augmentation, a seeded validation split, progress bars; writes weights and their metadata.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lenet_vis.model.augment import augment
from lenet_vis.model.data import load_mnist
from lenet_vis.model.layers import softmax_cross_entropy
from lenet_vis.model.lenet import LeNet


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 128
    optimizer: str = "adam"  # or "sgd" (momentum 0.9)
    lr: float = 2e-3
    min_lr: float = 1e-5
    warmup_epochs: float = 0.5
    weight_decay: float = 0.0
    augment: bool = True
    validation: int = 5000
    seed: int = 0
    out: str = "weights/lenet.npz"


def mnist_to_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 network input (N, 1, 32, 32) in [0, 1], padded by 2."""
    x = np.zeros((images.shape[0], 1, 32, 32), np.float32)
    x[:, 0, 2:30, 2:30] = images / np.float32(255)
    return x


class Adam:
    """Adam on a dict of arrays; `step` updates them in place from matching grads."""

    def __init__(self, lr: float, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.lr, self.b1, self.b2, self.eps, self.wd = lr, beta1, beta2, eps, weight_decay
        self.m: dict = {}
        self.v: dict = {}
        self.t = 0

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for k, g in grads.items():
            if self.wd and k.endswith(".W"):
                g = g + self.wd * params[k]
            m = self.m.setdefault(k, np.zeros_like(g))
            v = self.v.setdefault(k, np.zeros_like(g))
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            params[k] -= (self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)).astype(np.float32)


class Momentum:
    """SGD with momentum 0.9 (Nesterov off); same interface as Adam."""

    def __init__(self, lr: float, momentum=0.9, weight_decay=0.0):
        self.lr, self.mu, self.wd = lr, momentum, weight_decay
        self.v: dict = {}

    def step(self, params: dict, grads: dict) -> None:
        for k, g in grads.items():
            if self.wd and k.endswith(".W"):
                g = g + self.wd * params[k]
            v = self.v.setdefault(k, np.zeros_like(g))
            v *= self.mu
            v += g
            params[k] -= (self.lr * v).astype(np.float32)


def learning_rate(cfg: TrainConfig, progress: float) -> float:
    """Linear warm-up then cosine decay; progress is in epochs (float)."""
    if progress < cfg.warmup_epochs:
        return cfg.lr * max(progress / cfg.warmup_epochs, 0.01)
    t = (progress - cfg.warmup_epochs) / max(cfg.epochs - cfg.warmup_epochs, 1e-9)
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + np.cos(np.pi * min(t, 1.0)))


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


def train(cfg: TrainConfig) -> tuple[LeNet, dict]:
    """Train a LeNet on MNIST; returns the network and its metadata (also saved to cfg.out)."""
    from tqdm import tqdm

    started = time.perf_counter()
    data = load_mnist()
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(data.train_labels))
    val_idx, train_idx = order[: cfg.validation], order[cfg.validation :]
    x_train = mnist_to_input(data.train_images[train_idx])
    y_train = data.train_labels[train_idx]
    x_val = mnist_to_input(data.train_images[val_idx])
    y_val = data.train_labels[val_idx]

    net = LeNet(seed=cfg.seed)
    opt = (Adam if cfg.optimizer == "adam" else Momentum)(cfg.lr, weight_decay=cfg.weight_decay)
    steps = int(np.ceil(len(y_train) / cfg.batch_size))
    history = []
    for epoch in range(cfg.epochs):
        perm = rng.permutation(len(y_train))
        loss_sum, correct, seen = 0.0, 0, 0
        bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=True)
        for step in bar:
            idx = perm[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            xb = x_train[idx]
            if cfg.augment:
                xb = augment(xb[:, 0], rng)[:, None]
            yb = y_train[idx]
            outputs, caches = net.forward_with_caches(xb)
            loss, d_logits = softmax_cross_entropy(outputs["fc3"], yb)
            grads, _ = net.backward(d_logits, caches)
            flat_grads = {f"{n}.{k}": g for n, gs in grads.items() for k, g in gs.items()}
            opt.lr = learning_rate(cfg, epoch + step / steps)
            _step(opt, net, flat_grads)
            loss_sum += loss * len(idx)
            correct += int((outputs["fc3"].argmax(axis=1) == yb).sum())
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
        val = evaluate(net, x_val, y_val)
        record = {
            "epoch": epoch + 1,
            "train_loss": round(loss_sum / seen, 6),
            "train_accuracy": round(correct / seen, 6),
            "val_loss": round(val["loss"], 6),
            "val_accuracy": round(val["accuracy"], 6),
            "lr_end": float(opt.lr),
            "seconds": round(time.perf_counter() - started, 1),
        }
        history.append(record)
        bar.write(
            f"epoch {epoch + 1}: train loss {record['train_loss']:.4f} acc "
            f"{record['train_accuracy']:.4f} | val loss {record['val_loss']:.4f} acc "
            f"{record['val_accuracy']:.4f} | {record['seconds']:.0f}s"
        )

    test = evaluate(net, mnist_to_input(data.test_images), data.test_labels)
    meta = {
        "name": "lenet-vis LeNet",
        "test_accuracy": test["accuracy"],
        "test_loss": round(test["loss"], 6),
        "per_class_accuracy": test["per_class_accuracy"],
        "confusion_matrix": test["confusion_matrix"],
        "history": history,
        "training_seconds": round(time.perf_counter() - started, 1),
        "seed": cfg.seed,
        "data_sha256": data.sha256,
        "train_size": len(y_train),
        "validation_size": len(y_val),
        "config": asdict(cfg),
    }
    net.save(Path(cfg.out), meta)
    return net, net.metadata


def misclassified(net: LeNet, images: np.ndarray, labels: np.ndarray) -> list[tuple[int, int]]:
    """(index, predicted digit) of each uint8 (N, 28, 28) MNIST digit the network gets wrong."""
    pred = net.predict(mnist_to_input(images)).argmax(axis=1)
    return [(int(i), int(pred[i])) for i in np.flatnonzero(pred != labels)]


def _step(opt, net: LeNet, flat_grads: dict) -> None:
    """Apply one optimiser step to the net's parameters, keyed `layer.param`."""
    flat = {}
    for key in flat_grads:
        name, k = key.split(".")
        flat[key] = net.layers[name].params[k]
    opt.step(flat, flat_grads)
