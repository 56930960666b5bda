"""The LeNet of DESIGN.md: every layer's output in order, a light batch path, weights on disk.

input 1x32x32 -> conv1 6@5x5 -> relu1 -> pool1 2x2 -> conv2 16@5x5 -> relu2 -> pool2 2x2
-> fc1 120 -> relu3 -> fc2 100 -> relu4 -> fc3 10 -> softmax; 63,802 parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from lenet_vis.model.layers import Conv2D, Dense, MaxPool2D, ReLU, ShapeError, Softmax

INPUT_SHAPE = (1, 32, 32)
# images per chunk: few enough to stay in cache, enough that NumPy's work outweighs the
# Python between kernels (threads share the GIL there); under 2 * layers.PARALLEL_ROWS so the
# layers do not split a chunk again
PREDICT_CHUNK = 32


class WeightsError(ValueError):
    """A weights file is missing, truncated, mis-shaped or does not match its hash."""


def build_layers() -> OrderedDict:
    """The fixed architecture, by name, in network order (without the input)."""
    return OrderedDict(
        [
            ("conv1", Conv2D(1, 6, 5)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2D(2, 2)),
            ("conv2", Conv2D(6, 16, 5)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2D(2, 2)),
            ("fc1", Dense(400, 120)),
            ("relu3", ReLU()),
            ("fc2", Dense(120, 100)),
            ("relu4", ReLU()),
            ("fc3", Dense(100, 10)),
            ("softmax", Softmax()),
        ]
    )


def weights_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes, in name order (independent of zip metadata)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def unit_mask(mask: np.ndarray, h: np.ndarray) -> np.ndarray:
    """A per-channel (or per-unit) mask shaped to multiply a layer output h.

    mask: (C,) or (N, C); h: (N, C, H, W) or (N, C) -> (1 or N, C[, 1, 1]) in h's dtype
    """
    m = np.asarray(mask, dtype=h.dtype)
    if m.ndim == 1:
        m = m[None]
    if m.ndim != 2 or m.shape[1] != h.shape[1] or m.shape[0] not in (1, h.shape[0]):
        raise ShapeError(f"a mask for output {h.shape} must be (C,) or (N, C), got {m.shape}")
    return m.reshape(m.shape + (1,) * (h.ndim - 2))


def check_arrays(arrays: dict[str, np.ndarray], expected: dict[str, tuple], where) -> None:
    """WeightsError (one line, naming `where`) unless `arrays` holds exactly the `layer.param`
    names of `expected`, each float32 of the expected shape and finite."""
    if set(arrays) != set(expected):
        missing = sorted(set(expected) - set(arrays))
        extra = sorted(set(arrays) - set(expected))
        raise WeightsError(f"{where}: missing arrays {missing}, unexpected arrays {extra}")
    for key, shape in expected.items():
        if arrays[key].shape != shape or arrays[key].dtype != np.float32:
            raise WeightsError(
                f"{where}: {key} is {arrays[key].dtype}{arrays[key].shape}, expected float32{shape}"
            )
        if not np.isfinite(arrays[key]).all():
            raise WeightsError(f"{where}: {key} holds NaN or infinite values")


class LeNet:
    """The network. `layers` maps name -> layer; parameters live in each layer's `params`."""

    def __init__(self, seed: int | None = 0) -> None:
        self.layers = build_layers()
        self.metadata: dict = {}
        if seed is not None:
            self.initialise(seed)

    # ------------------------------------------------------------------ parameters

    def initialise(self, seed: int) -> None:
        """He-normal weights, zero biases."""
        rng = np.random.default_rng(seed)
        for layer in self.layers.values():
            if "W" in layer.params:
                w = layer.params["W"]
                fan_in = int(np.prod(w.shape[1:]))
                layer.params["W"] = (rng.standard_normal(w.shape) * np.sqrt(2 / fan_in)).astype(
                    np.float32
                )
                layer.params["b"] = np.zeros_like(layer.params["b"])

    def state(self) -> dict[str, np.ndarray]:
        """Flat `layer.param` -> array, e.g. `conv1.W`."""
        return {
            f"{name}.{key}": value
            for name, layer in self.layers.items()
            for key, value in layer.params.items()
        }

    def with_params(self, replace: dict[str, dict[str, np.ndarray]]) -> LeNet:
        """A copy sharing this network's (read-only) parameters, with those in `replace` swapped
        in: {layer: {"W": array, "b": array}} (for ablation references and randomisation)."""
        out = LeNet(seed=None)
        out.metadata = dict(self.metadata)
        for name, layer in self.layers.items():
            out.layers[name].params = {**layer.params, **replace.get(name, {})}
        return out

    @property
    def parameter_count(self) -> int:
        return int(sum(a.size for a in self.state().values()))

    @property
    def weights_sha256(self) -> str:
        return weights_digest(self.state())

    # ------------------------------------------------------------------ passes

    @staticmethod
    def as_batch(x: np.ndarray) -> tuple[np.ndarray, bool]:
        """(32, 32) or (N, 1, 32, 32) -> (N, 1, 32, 32) float32, and whether it was one image."""
        x = np.asarray(x)
        single = x.ndim == 2
        if single:
            x = x[None, None]
        if x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
            raise ShapeError(f"LeNet takes (32, 32) or (N, 1, 32, 32), got {np.shape(x)}")
        if x.dtype != np.float64:
            x = x.astype(np.float32, copy=False)
        return x, single

    def forward(self, x: np.ndarray, masks: dict | None = None) -> OrderedDict:
        """Every layer's output, input first, in network order.

        x: (32, 32) -> each output without a batch axis; (N, 1, 32, 32) -> with it.
        masks: optional {layer name: (C,) or (N, C)} multiplying that layer's output per
        channel or unit (0 switches a filter or unit off; see `unit_mask`).
        """
        return self._run(x, masks, keep_caches=False)[0]

    def forward_into(self, outputs: dict[str, np.ndarray]) -> None:
        """One image's every layer written in place, with no array allocated for any output.

        outputs: "input" and every layer name -> a C-contiguous float32 array of that layer's
        shape (`geometry.layer_geometry`'s output_shape, no batch axis; the input (1, 32, 32)
        or (32, 32)), e.g. views into one outgoing buffer. "input" is read; the others are
        written, each equal to `forward(x)`'s (the same kernels, in the same order).
        """
        self.bind_into(outputs)()

    def bind_into(self, outputs: dict[str, np.ndarray], scratch: dict | None = None):
        """`forward_into(outputs)` prepared once for arrays that stay put (a connection's
        frame): returns a call that runs every layer again on whatever "input" holds.

        scratch: a dict for the convolutions' temporary buffers, shared by calls that never
        run at the same time (every connection of one event loop); None: their own.
        """
        h = outputs["input"].reshape(1, *INPUT_SHAPE)
        steps = []
        for name, layer in self.layers.items():
            if isinstance(layer, Dense) and h.ndim == 4:
                h = h.reshape(1, -1)
            out = outputs[name].reshape(1, *outputs[name].shape)
            steps.append(layer.bind_into(h, out, scratch))
            h = out

        def run() -> None:
            for step in steps:
                step()

        return run

    def forward_with_caches(
        self, x: np.ndarray, masks: dict | None = None
    ) -> tuple[OrderedDict, dict]:
        """As `forward`, plus what each layer's backward needs (for training and gradients)."""
        return self._run(x, masks, keep_caches=True)

    def _run(self, x: np.ndarray, masks: dict | None, keep_caches: bool):
        """The one forward loop: with or without caches, with or without unit masks."""
        batch, single = self.as_batch(x)
        masks = masks or {}
        outputs = OrderedDict(input=batch)
        caches: dict | None = {"flattened": {}, "masks": {}} if keep_caches else None
        h = batch
        for name, layer in self.layers.items():
            if isinstance(layer, Dense) and h.ndim == 4:
                if caches is not None:
                    caches["flattened"][name] = h.shape
                h = h.reshape(h.shape[0], -1)
            if caches is None:
                h = layer.infer(h)
            else:
                h, caches[name] = layer.forward(h)
            if name in masks:
                mask = unit_mask(masks[name], h)
                h = h * mask
                if caches is not None:
                    caches["masks"][name] = mask
            outputs[name] = h
        if single:
            outputs = OrderedDict((k, v[0]) for k, v in outputs.items())
        return outputs, caches

    def backward(self, d_logits: np.ndarray, caches: dict):
        """Back-propagate a gradient on fc3's logits (the softmax is folded into the loss).

        d_logits: (N, 10) -> grads {layer: {"W", "b"}}, dL/dinput (N, 1, 32, 32)
        """
        grads = {}
        d = d_logits
        masks = caches.get("masks", {})
        for name in reversed([n for n in self.layers if n != "softmax"]):
            if name in masks:
                d = d * masks[name]
            d, g = self.layers[name].backward(d, caches[name])
            if name in caches.get("flattened", {}):
                d = d.reshape(caches["flattened"][name])
            if g:
                grads[name] = g
        return grads, d

    def predict(self, x: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Probabilities only, in small chunks spread over `threads` threads. x: (N, 1, 32, 32)
        -> (N, 10); (32, 32) -> (10,).

        Every matrix product stays under OpenBLAS's size for threading a product (one per
        image in the convolutions, row blocks in the dense layers), so BLAS runs in the
        calling thread and never waits on a busy core; the parallelism is ours instead: whole
        chunks on `threads` Python threads (NumPy drops the GIL inside each kernel).
        threads: None -> every usable core.
        """
        batch, single = self.as_batch(x)
        n = batch.shape[0]
        out = np.empty((n, 10), dtype=batch.dtype)
        starts = range(0, n, PREDICT_CHUNK)
        threads = min(threads or len(os.sched_getaffinity(0)), len(starts) // 4 or 1)

        def run(start: int) -> None:
            out[start : start + PREDICT_CHUNK] = self._predict_chunk(
                batch[start : start + PREDICT_CHUNK]
            )

        if threads <= 1:
            for start in starts:
                run(start)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(run, starts))
        return out[0] if single else out

    def _predict_chunk(self, h: np.ndarray) -> np.ndarray:
        for layer in self.layers.values():
            if isinstance(layer, Dense) and h.ndim == 4:
                h = h.reshape(h.shape[0], -1)
            if isinstance(layer, ReLU):
                np.maximum(h, 0, out=h)
            else:
                h = layer.infer(h)
        return h

    # ------------------------------------------------------------------ files

    def save(self, path: str | Path, metadata: dict | None = None) -> None:
        """Write `path` (.npz, no pickle) and the metadata JSON beside it, with the weights hash."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in self.state().items()}
        np.savez(path, **state)
        meta = dict(metadata if metadata is not None else self.metadata)
        meta["weights_file"] = path.name
        meta["weights_sha256"] = weights_digest(state)
        meta["parameters"] = self.parameter_count
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
        self.metadata = meta

    @classmethod
    def load(cls, path: str | Path) -> LeNet:
        """Read weights saved by `save`; any fault raises WeightsError with one line."""
        path = Path(path)
        meta_path = path.with_suffix(".json")
        net = cls(seed=None)
        expected = {k: v.shape for k, v in net.state().items()}
        for p in (path, meta_path):
            if not p.is_file():
                raise WeightsError(f"{p}: file is missing")
        if not zipfile.is_zipfile(path):
            raise WeightsError(f"{path}: not a .npz (zip) file, or truncated")
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            raise WeightsError(f"{path}: not a readable .npz ({exc})") from None
        check_arrays(arrays, expected, path)
        try:
            meta = json.loads(meta_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise WeightsError(f"{meta_path}: not valid JSON ({exc})") from None
        if not isinstance(meta, dict):
            raise WeightsError(f"{meta_path}: must hold a JSON object, not {type(meta).__name__}")
        digest = weights_digest(arrays)
        if meta.get("weights_sha256") != digest:
            raise WeightsError(
                f"{path}: weights hash {digest[:16]}… does not match "
                f"{str(meta.get('weights_sha256'))[:16]}… in {meta_path.name}"
            )
        for key, value in arrays.items():
            name, param = key.split(".")
            value.setflags(write=False)
            net.layers[name].params[param] = value
        net.metadata = meta
        return net
