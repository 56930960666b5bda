"""Small builders for request bodies."""

import base64
import io

import numpy as np
from PIL import Image


def png_bytes(ink: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(ink.astype(np.uint8)).convert(mode).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(ink: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(ink.astype(np.uint8)).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def data_url(raw: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode()


def decode_f32(text: str, shape) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape)
