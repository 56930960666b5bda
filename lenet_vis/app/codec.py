"""Decoding requests into ink and encoding network outputs into response bytes.

Every failure while decoding an image (bad base64, an unknown format, a truncated file, a text
chunk that inflates past Pillow's limits, ...) is an InputError (422) naming the field.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import warnings

import numpy as np
import orjson
from fastapi.responses import Response
from PIL import Image, PngImagePlugin

from lenet_vis.app.config import Settings
from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import LAYER_NAMES, MIN_SIDE
from lenet_vis.model.geometry import geometry_by_name
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.preprocess import NetworkInput, image_to_ink
from lenet_vis.model.preprocess import network_input as model_input

log = logging.getLogger("lenet_vis")
KINDS = {name: g.kind for name, g in geometry_by_name().items()}
DATA_URL_HEADERS = ("data:image/png;base64,", "data:image/jpeg;base64,")
# PNG text and ICC chunks are never used here: cap what their inflating may cost (Pillow's
# defaults are 1 MB a chunk and 64 MB in all); a PNG over these is refused as corrupt
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024


# ---------------------------------------------------------------------------------- decoding


def decode_base64(text: str, loc: list) -> bytes:
    """Bare base64, or a data: URL of type image/png or image/jpeg -> the file's bytes."""
    payload = text
    if text.startswith("data:"):
        header = next((h for h in DATA_URL_HEADERS if text.startswith(h)), None)
        if header is None:
            raise InputError(
                loc, "a data: URL must be data:image/png;base64,... or data:image/jpeg;base64,..."
            )
        payload = text[len(header) :]
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(loc, "not valid base64") from None


def open_image(raw: bytes, settings: Settings, loc: list) -> Image.Image:
    """PNG or JPEG bytes -> an image whose header is read and whose size is within limits.

    The pixels are not decoded yet (Pillow is lazy), so a batch can add up its pixels first.
    """
    if not raw:
        raise InputError(loc, "the image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"])
    except Exception:  # Pillow raises many kinds for a bad header; all mean the same here
        raise InputError(loc, "not a PNG or JPEG image (or its header is unreadable)") from None
    w, h = img.size
    if w * h > settings.max_image_pixels:
        raise InputError(
            loc, f"image is {w}x{h} = {w * h} pixels, over the limit of {settings.max_image_pixels}"
        )
    if min(w, h) < MIN_SIDE:
        raise InputError(loc, f"image is {w}x{h}; each side must be at least {MIN_SIDE}")
    return img


def image_ink(img: Image.Image, loc: list) -> np.ndarray:
    """Decode an opened image -> ink (H, W) float32; any decoding failure is a 422."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.load()
            return image_to_ink(img)
    except Exception as exc:  # truncated data, bad chunks, inflating text, bad JPEG tables...
        log.debug("undecodable image: %r", exc)
        raise InputError(loc, "the image data is truncated or corrupt") from None


def decode_image_bytes(raw: bytes, settings: Settings, loc: list) -> np.ndarray:
    """PNG or JPEG bytes -> ink (H, W) float32."""
    return image_ink(open_image(raw, settings, loc), loc)


def check_matrix(rows: list[list[float]], loc: list, what: str = "image") -> np.ndarray:
    """Rows whose lengths and values the schema has bounded -> (H, W) float64; refuses ragged."""
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(loc, f"ragged rows: row 0 has {width} values, row {i} has {len(row)}")
    return np.array(rows, dtype=np.float64)


def open_item(item, settings: Settings, loc: list) -> np.ndarray | Image.Image:
    """An ImageInput -> its ink array, or its image opened but not decoded."""
    if item.image is not None:
        return check_matrix(item.image, [*loc, "image"]).astype(np.float32)
    where = [*loc, "image_base64"]
    return open_image(decode_base64(item.image_base64, where), settings, where)


def open_if_small(item, settings: Settings, loc: list, max_pixels: int, max_chars: int):
    """open_item for an image of at most `max_pixels` sent in at most `max_chars` of base64
    (cheap enough for the event loop); None for a larger one, which goes to the CPU pool."""
    if item.image is not None:
        if len(item.image) * len(item.image[0]) > max_pixels:
            return None
    elif len(item.image_base64) > max_chars:
        return None
    opened = open_item(item, settings, loc)
    return opened if pixels(opened) <= max_pixels else None


def pixels(opened: np.ndarray | Image.Image) -> int:
    return opened.size if isinstance(opened, np.ndarray) else opened.width * opened.height


def ink_from(item, settings: Settings, loc: list) -> np.ndarray:
    """The ink (H, W) float32 of an ImageInput: its array, or its PNG/JPEG decoded."""
    opened = open_item(item, settings, loc)
    return opened if isinstance(opened, np.ndarray) else image_ink(opened, [*loc, "image_base64"])


def item_input(
    opened: np.ndarray | Image.Image, preprocess: bool, loc: list, base64_field: bool
) -> NetworkInput:
    """An opened item -> what the network sees (model.preprocess.network_input)."""
    where = [*loc, "image_base64" if base64_field else "image"]
    ink = opened if isinstance(opened, np.ndarray) else image_ink(opened, where)
    return network_input(ink, preprocess, where)


def network_input(ink: np.ndarray, preprocess: bool, loc: list) -> NetworkInput:
    """model.preprocess.network_input, its ValueError a 422 at `loc`; unpacks as (x, blank)."""
    try:
        return model_input(ink, preprocess)
    except ValueError as exc:
        raise InputError(loc, str(exc)) from None


def requested_layers(layers: list[str] | None, loc: list) -> list[str]:
    """Layer names (any order, validated or from a query string) -> those asked, in order."""
    if layers is None:
        return LAYER_NAMES
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if unknown:
        raise InputError(loc, f"unknown layer {unknown[0]!r}; layers are {LAYER_NAMES}")
    wanted = set(layers)
    return [name for name in LAYER_NAMES if name in wanted]


# ---------------------------------------------------------------------------------- encoding


def encode(array: np.ndarray, encoding: str):
    """float32 array -> nested lists (orjson writes NumPy directly) or base64 little-endian."""
    if encoding == "base64":
        return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode()
    return np.ascontiguousarray(array, dtype=np.float32)


def dumps(body: dict) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def json_response(body: dict | bytes) -> Response:
    """A JSON response from a dict (NumPy arrays written by orjson) or from ready bytes."""
    return Response(body if isinstance(body, bytes) else dumps(body), media_type="application/json")


def model_info(net: LeNet) -> dict:
    return {
        "name": net.metadata.get("name", "lenet-vis LeNet"),
        "weights_sha256": net.metadata["weights_sha256"],
    }


def prediction_body(
    net: LeNet, inp: NetworkInput, probs: np.ndarray, outputs: dict | None, layers, encoding
) -> bytes:
    """A PredictResponse: probs (10,), and outputs {name: array} when layers are asked."""
    body = {
        "prediction": int(np.argmax(probs)),
        "probabilities": probs.astype(np.float64).tolist(),
        "input": encode(inp.x, encoding) if layers else None,
        "layers": [
            {
                "name": n,
                "kind": KINDS[n],
                "shape": list(outputs[n].shape),
                "data": encode(outputs[n], encoding),
            }
            for n in layers
        ],
        "blank": inp.blank,
        "model": model_info(net),
    }
    return dumps(body)
