"""The network as it was during training: named checkpoints in one compressed .npz.

`lenet-checkpoints.npz` sits beside `lenet.npz`; its arrays are named `<checkpoint>/<layer>.<param>`
(e.g. `epoch-3/conv1.W`). The final weights' metadata (`lenet.json`) lists the checkpoints in
training order under "checkpoints", each with its epoch, its weights hash (`weights_digest`),
its accuracy on the MNIST test set and on the 2,000-digit fixture. A checkpoint is loaded only
when its arrays match that hash; any fault is a one-line WeightsError.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from lenet_vis.model.lenet import LeNet, WeightsError, check_arrays, weights_digest

SUFFIX = "-checkpoints.npz"
INIT = "init"


def checkpoint_name(epoch: int) -> str:
    """0 -> "init", 3 -> "epoch-3"."""
    return INIT if epoch == 0 else f"epoch-{epoch}"


def checkpoints_path(weights: str | Path) -> Path:
    """weights/lenet.npz -> weights/lenet-checkpoints.npz."""
    weights = Path(weights)
    return weights.with_name(weights.stem + SUFFIX)


def save_checkpoints(path: str | Path, states: dict[str, dict[str, np.ndarray]]) -> list[dict]:
    """Write {name: {"conv1.W": ...}} compressed to `path`; returns [{name, weights_sha256}]."""
    arrays = {
        f"{name}/{key}": np.ascontiguousarray(value, dtype=np.float32)
        for name, state in states.items()
        for key, value in state.items()
    }
    np.savez_compressed(path, **arrays)
    return [{"name": n, "weights_sha256": weights_digest(s)} for n, s in states.items()]


def listed(metadata: dict) -> list[dict]:
    """The checkpoint records of a weights file's metadata, in training order ([] if none)."""
    return list(metadata.get("checkpoints", {}).get("list", []))


def names(metadata: dict) -> list[str]:
    return [c["name"] for c in listed(metadata)]


def net_from_arrays(arrays: dict[str, np.ndarray], digest: str | None, where: str) -> LeNet:
    """A LeNet from `layer.param` arrays, checked for names, shapes, dtype and hash."""
    net = LeNet(seed=None)
    check_arrays(arrays, {k: v.shape for k, v in net.state().items()}, where)
    got = weights_digest(arrays)
    if got != digest:
        raise WeightsError(
            f"{where}: weights hash {got[:16]}… does not match {str(digest)[:16]}… in the metadata"
        )
    for key, value in arrays.items():
        layer, param = key.split(".")
        value.setflags(write=False)
        net.layers[layer].params[param] = value
    return net


def read_metadata(weights: str | Path) -> dict:
    meta_path = Path(weights).with_suffix(".json")
    if not meta_path.is_file():
        raise WeightsError(f"{meta_path}: file is missing")
    try:
        return json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{meta_path}: not valid JSON ({exc})") from None


def load_checkpoint(weights: str | Path, name: str, metadata: dict | None = None) -> LeNet:
    """The network at checkpoint `name` of the weights file `weights` (its .json lists them).

    Raises WeightsError (one line) for an unknown name, a missing or unreadable file, or arrays
    that do not match the recorded hash. The net's metadata is the checkpoint's record.
    """
    meta = read_metadata(weights) if metadata is None else metadata
    records = {c["name"]: c for c in listed(meta)}
    if name not in records:
        raise WeightsError(
            f"no checkpoint {name!r}; checkpoints are {list(records) or 'none (retrain)'}"
        )
    path = Path(weights).with_name(meta["checkpoints"]["file"])
    if not path.is_file():
        raise WeightsError(f"{path}: file is missing")
    if not zipfile.is_zipfile(path):
        raise WeightsError(f"{path}: not a .npz (zip) file, or truncated")
    prefix = f"{name}/"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k[len(prefix) :]: z[k] for k in z.files if k.startswith(prefix)}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise WeightsError(f"{path}: not a readable .npz ({exc})") from None
    net = net_from_arrays(arrays, records[name]["weights_sha256"], f"{path}[{name}]")
    net.metadata = dict(records[name]) | {"name": meta.get("name", "lenet-vis LeNet")}
    return net


def load_all(weights: str | Path) -> dict[str, LeNet]:
    """Every checkpoint of a weights file, by name, in training order."""
    meta = read_metadata(weights)
    return {name: load_checkpoint(weights, name, meta) for name in names(meta)}
