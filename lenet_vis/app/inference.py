"""From validated requests to calls on model/, and from model outputs to response bytes."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

import numpy as np
import orjson
from fastapi.responses import Response
from PIL import Image, UnidentifiedImageError

from lenet_vis.app.config import Settings
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import LAYER_NAMES
from lenet_vis.model.geometry import geometry_by_name
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.preprocess import image_to_ink, to_network_input

KINDS = {name: g.kind for name, g in geometry_by_name().items()}
NETWORK_SIDES = (28, 32)


def decode_base64_image(text: str, settings: Settings, loc: list) -> np.ndarray:
    """A base64 PNG/JPEG or data: URL -> ink (H, W) float32."""
    payload = text.strip()
    if payload.startswith("data:"):
        header, comma, payload = payload.partition(",")
        if not comma or not header.endswith(";base64"):
            raise InputError(loc, "a data: URL must be of the form data:image/png;base64,...")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(loc, "not valid base64") from None
    return decode_image_bytes(raw, settings, loc)


def decode_image_bytes(raw: bytes, settings: Settings, loc: list) -> np.ndarray:
    """PNG or JPEG bytes -> ink (H, W) float32; refuses other formats, bombs and truncation."""
    if not raw:
        raise InputError(loc, "the image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"])
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(loc, "not a PNG or JPEG image (or its header is unreadable)") from None
    w, h = img.size
    if w * h > settings.max_image_pixels:
        raise InputError(
            loc, f"image is {w}x{h} = {w * h} pixels, over the limit of {settings.max_image_pixels}"
        )
    if min(w, h) < settings.min_side:
        raise InputError(loc, f"image is {w}x{h}; each side must be at least {settings.min_side}")
    try:
        img.load()
    except (OSError, SyntaxError, ValueError):
        raise InputError(loc, "the image data is truncated or corrupt") from None
    return image_to_ink(img)


def ink_from(item, settings: Settings, loc: list) -> np.ndarray:
    """The ink of a request carrying `image` (an array) or `image_base64` (a PNG or JPEG)."""
    if item.image is not None:
        return check_ink(item.image, settings, [*loc, "image"])
    return decode_base64_image(item.image_base64, settings, [*loc, "image_base64"])


def check_matrix(
    rows, loc: list, sides: tuple[int, int], values: tuple[float, float], what: str = "image"
) -> np.ndarray:
    """Nested lists -> (H, W) float array, or an InputError saying what is wrong."""
    if not rows or not rows[0]:
        raise InputError(loc, f"the {what} is empty")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(loc, f"ragged rows: row 0 has {width} values, row {i} has {len(row)}")
    arr = np.asarray(rows, dtype=np.float64)
    h, w = arr.shape
    if not (sides[0] <= h <= sides[1] and sides[0] <= w <= sides[1]):
        raise InputError(
            loc, f"{what} is {h}x{w}; each side must be between {sides[0]} and {sides[1]}"
        )
    if not np.isfinite(arr).all():
        raise InputError(loc, f"the {what} holds NaN or Infinity")
    if arr.min() < values[0] or arr.max() > values[1]:
        raise InputError(
            loc,
            f"values must lie in {values[0]:g} to {values[1]:g}, found "
            f"{arr.min():g} to {arr.max():g}",
        )
    return arr


def check_ink(rows: list[list[float]], settings: Settings, loc: list) -> np.ndarray:
    """An ink array for the network: sides within the settings, values 0-255, float32."""
    sides = (settings.min_side, settings.max_side)
    return check_matrix(rows, loc, sides, (0, 255)).astype(np.float32)


def network_input(ink: np.ndarray, preprocess: bool, loc: list) -> tuple[np.ndarray, bool]:
    """Ink (H, W) 0-255 -> the (32, 32) network input in [0, 1], and whether it is blank."""
    if preprocess:
        x = to_network_input(ink)
        return x, not x.any()  # all zeros exactly when there was no ink
    if ink.shape not in ((28, 28), (32, 32)):
        raise InputError(
            loc,
            f"with preprocess false the image must be 28x28 or 32x32, not "
            f"{ink.shape[0]}x{ink.shape[1]}",
        )
    x = np.zeros((32, 32), np.float32)
    pad = (32 - ink.shape[0]) // 2
    x[pad : 32 - pad, pad : 32 - pad] = ink / np.float32(255)
    return x, bool(ink.max(initial=0) < 16)


def requested_layers(layers: list[str] | None, loc: list) -> list[str]:
    if layers is None:
        return LAYER_NAMES
    unknown = [name for name in layers if name not in KINDS or name == "input"]
    if unknown:
        raise InputError(loc, f"unknown layer {unknown[0]!r}; layers are {LAYER_NAMES}")
    return [name for name in LAYER_NAMES if name in set(layers)]


def encode(array: np.ndarray, encoding: str):
    """float32 array -> nested lists (orjson writes NumPy directly) or base64 little-endian."""
    if encoding == "base64":
        return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode()
    return np.ascontiguousarray(array, dtype=np.float32)


def json_response(body: dict | bytes) -> Response:
    """A JSON response from a dict (NumPy arrays written by orjson) or from ready bytes."""
    if not isinstance(body, bytes):
        body = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, media_type="application/json")


def model_info(net: LeNet) -> dict:
    return {
        "name": net.metadata.get("name", "lenet-vis LeNet"),
        "weights_sha256": net.metadata["weights_sha256"],
    }


def predict_bytes(
    net: LeNet, x: np.ndarray, blank: bool, layers: list[str], encoding: str
) -> bytes:
    """Run the network on one input (32, 32) and serialise the response."""
    if layers:
        outputs = net.forward(x)
        probs = outputs["softmax"]
        body_layers = [
            {
                "name": n,
                "kind": KINDS[n],
                "shape": list(outputs[n].shape),
                "data": encode(outputs[n], encoding),
            }
            for n in layers
        ]
        body_input = encode(x, encoding)
    else:
        probs, body_layers, body_input = net.predict(x), [], None
    body = {
        "prediction": int(np.argmax(probs)),
        "probabilities": probs.astype(np.float64).tolist(),
        "input": body_input,
        "layers": body_layers,
        "blank": blank,
        "model": model_info(net),
    }
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
