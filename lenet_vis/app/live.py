"""The live channel's binary frames (WebSocket /api/live; README "Live channel (WebSocket)").

All integers little-endian.

A drawing (client -> server): u32 seq, u8 checkpoint (0 the final weights, i >= 1 the i-th
of GET /api/knowledge/checkpoints), u8 flags, u16 side (28..256), then side*side uint8 ink,
row-major, 0 background, 255 ink. Flags bit 0 (FIELD): the grid is already the network's field,
an MNIST digit of 28x28 (or 32x32), read as it is (POST /api/predict with preprocess false);
without it the grid is a drawing, cropped, scaled and centred as MNIST's digits were. The other
bits are reserved (0).

An answer (server -> client): u32 seq (echoed), u8 prediction, u8 flags (bit 0: blank), u16 H,
H bytes of UTF-8 JSON (padded with spaces so 8 + H is a multiple of 4) naming each layer's
shape and byte offset, then every layer as float32, back to back, in network order.

`Frame` holds one answer's bytes in a bytearray made once per connection (and checkpoint):
its header is written once, the network input and every layer are NumPy views into it, which
the preprocessing and `LeNet.forward_into` write in place, so answering copies nothing.
"""

from __future__ import annotations

import json
import struct
import time
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np

from lenet_vis.model.geometry import layer_geometry
from lenet_vis.model.lenet import LeNet
from lenet_vis.model.preprocess import field_input, grid_input

VERSION = 1
REQUEST_HEADER = struct.Struct("<IBBH")  # seq, checkpoint, flags, side
ANSWER_HEADER = struct.Struct("<IBBH")  # seq, prediction, flags, H
MIN_SIDE, MAX_SIDE = 28, 256
MAX_MESSAGE = REQUEST_HEADER.size + MAX_SIDE * MAX_SIDE  # 65,544 bytes
BLANK = 1  # answer flags, bit 0
FIELD = 1  # drawing flags, bit 0: the grid is the network's field, no preprocessing
FIELD_SIDES = (28, 32)

# close codes (RFC 6455 section 7.4.1)
NORMAL = 1000
UNSUPPORTED = 1003  # a text frame
INVALID = 1007  # a frame that does not follow the layout
POLICY = 1008  # an unknown checkpoint, too many messages
TOO_BIG = 1009
SERVER_ERROR = 1011  # a checkpoint file that cannot be read
TRY_AGAIN = 1013  # too many connections, or the CPU pool is full
MAX_REASON = 123  # bytes of UTF-8 a close frame's reason may hold


class FrameError(Exception):
    """A message the channel refuses: close with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def close_reason(text: str) -> str:
    """text cut to the 123 bytes of UTF-8 a close frame allows."""
    raw = text.encode()
    if len(raw) <= MAX_REASON:
        return text
    return raw[: MAX_REASON - 3].decode(errors="ignore") + "..."


class Drawing:
    """One parsed drawing: seq, checkpoint index, and the ink grid (side, side) uint8, a view
    on the message's bytes."""

    __slots__ = ("checkpoint", "field", "grid", "seq")

    def __init__(self, seq: int, checkpoint: int, grid: np.ndarray, field: bool = False) -> None:
        self.seq, self.checkpoint, self.grid, self.field = seq, checkpoint, grid, field


def parse_drawing(data: bytes | None, checkpoints: int) -> Drawing:
    """A received message -> a Drawing; FrameError for anything off the layout.

    data: the message's bytes (None for a text message); checkpoints: how many the served
    weights keep (the largest valid checkpoint index).
    """
    if data is None:
        raise FrameError(UNSUPPORTED, "text frames are not accepted: send binary drawings")
    size = len(data)
    if size > MAX_MESSAGE:
        raise FrameError(TOO_BIG, f"message of {size} bytes; the limit is {MAX_MESSAGE}")
    if size < REQUEST_HEADER.size:
        raise FrameError(INVALID, f"message of {size} bytes is shorter than the 8-byte header")
    seq, checkpoint, flags, side = REQUEST_HEADER.unpack_from(data)
    if flags & ~FIELD:
        raise FrameError(INVALID, f"flags byte is {flags}; only bit 0 (1) is defined")
    if not MIN_SIDE <= side <= MAX_SIDE:
        raise FrameError(INVALID, f"side {side} is outside {MIN_SIDE}..{MAX_SIDE}")
    if flags & FIELD and side not in FIELD_SIDES:
        raise FrameError(INVALID, f"flag 1 (the network's field) needs side 28 or 32, not {side}")
    expected = REQUEST_HEADER.size + side * side
    if size != expected:
        raise FrameError(
            INVALID, f"message of {size} bytes; side {side} needs 8 + {side}*{side} = {expected}"
        )
    if checkpoint > checkpoints:
        raise FrameError(
            POLICY,
            f"no checkpoint {checkpoint}: the served weights keep {checkpoints} "
            "(GET /api/knowledge/checkpoints; 0 = final)",
        )
    grid = np.ndarray((side, side), np.uint8, data, REQUEST_HEADER.size)  # a view, one call
    return Drawing(seq, checkpoint, grid, bool(flags & FIELD))


def drawing_message(seq: int, grid: np.ndarray, checkpoint: int = 0, flags: int = 0) -> bytes:
    """A drawing as the page sends it (for clients, tests and benchmarks). grid: (side, side)
    uint8."""
    side = grid.shape[0]
    header = REQUEST_HEADER.pack(seq, checkpoint, flags, side)
    return header + np.ascontiguousarray(grid, np.uint8).tobytes()


# ---------------------------------------------------------------------------- answers


class Layout:
    """An answer's fixed part for one checkpoint name (None: the final weights).

    header: the 8 + H first bytes with seq and prediction zero; offsets: layer name -> byte
    offset of its float32 data; shapes: name -> shape; size: the whole frame's bytes.
    """

    def __init__(self, checkpoint: str | None) -> None:
        geometry = layer_geometry()
        self.shapes = {g.name: tuple(g.output_shape) for g in geometry}
        counts = {n: int(np.prod(s)) for n, s in self.shapes.items()}
        length = 0
        while True:  # offsets depend on H, and H on the offsets' digits: settle both
            start = ANSWER_HEADER.size + length
            offsets, at = {}, start
            for name in self.shapes:
                offsets[name] = at
                at += 4 * counts[name]
            text = json.dumps(
                {
                    "v": VERSION,
                    "checkpoint": checkpoint,
                    "layers": [[n, list(s), offsets[n]] for n, s in self.shapes.items()],
                },
                separators=(",", ":"),
            ).encode()
            padded = len(text) + (-(ANSWER_HEADER.size + len(text)) % 4)
            if padded == length:
                break
            length = padded
        self.checkpoint, self.offsets, self.size, self.header_length = (
            checkpoint,
            offsets,
            at,
            length,
        )
        self.header = ANSWER_HEADER.pack(0, 0, 0, length) + text.ljust(length)


@lru_cache(maxsize=256)
def layout(checkpoint: str | None) -> Layout:
    return Layout(checkpoint)


class Frame:
    """One connection's answer buffer for one checkpoint: `buffer` (bytearray, sent as it is)
    and `arrays`, layer name -> float32 view into it (the input (1, 32, 32) first).

    scratch: the convolutions' temporary buffers, shared by every frame answered on one
    thread (`LeNet.bind_into`); None: the frame's own.
    """

    def __init__(self, checkpoint: str | None, scratch: dict | None = None) -> None:
        self.scratch = scratch
        self.layout = layout(checkpoint)
        self.buffer = bytearray(self.layout.size)
        self.buffer[: len(self.layout.header)] = self.layout.header
        self.arrays = {
            name: np.frombuffer(
                self.buffer, "<f4", int(np.prod(shape)), self.layout.offsets[name]
            ).reshape(shape)
            for name, shape in self.layout.shapes.items()
        }
        self.input = self.arrays["input"][0]
        self.softmax = self.arrays["softmax"]
        self.net: LeNet | None = None
        self.run = None  # the network bound to this buffer (LeNet.bind_into), per net

    def bind(self, net: LeNet):
        if net is not self.net:
            self.net, self.run = net, net.bind_into(self.arrays, self.scratch)
        return self.run

    def answer(self, net: LeNet, drawing: Drawing) -> bytearray:
        """Preprocess the drawing into the input view, run every layer into its view, stamp
        seq, prediction and flags; returns the buffer (valid until the next answer)."""
        if drawing.field:
            blank = field_input(drawing.grid, self.input)
        else:
            blank = grid_input(drawing.grid, self.input)
        self.bind(net)()
        prediction = int(self.softmax.argmax())
        flags = BLANK if blank else 0
        ANSWER_HEADER.pack_into(
            self.buffer, 0, drawing.seq, prediction, flags, self.layout.header_length
        )
        return self.buffer


def read_answer(data: bytes) -> dict:
    """An answer's bytes -> {seq, prediction, blank, header, layers: {name: array}} (for
    clients, tests and benchmarks; the arrays are views on `data`)."""
    seq, prediction, flags, length = ANSWER_HEADER.unpack_from(data)
    header = json.loads(data[ANSWER_HEADER.size : ANSWER_HEADER.size + length])
    layers = {
        name: np.frombuffer(data, "<f4", int(np.prod(shape)), offset).reshape(shape)
        for name, shape, offset in header["layers"]
    }
    return {
        "seq": seq,
        "prediction": prediction,
        "blank": bool(flags & BLANK),
        "header": header,
        "layers": layers,
    }


# ---------------------------------------------------------------------------- safety


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Whether a WebSocket handshake's Origin may open the channel (cross-site WebSocket
    hijacking: a browser sends any site's page's origin, and its cookies, to any server).

    No Origin header: a program, not a browser page - allowed. Otherwise the origin must name
    the server's own host (the Host header, with the scheme's default port), or be listed in
    `allowed` ("*" allows every origin).
    """
    if origin is None:
        return True
    origin = origin.strip().lower().rstrip("/")
    if "*" in allowed or origin in (a.lower().rstrip("/") for a in allowed):
        return True
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or not host:
        return False
    default = 443 if parts.scheme == "https" else 80
    try:
        served = urlsplit(f"//{host.strip().lower()}")
        served_port = served.port
    except ValueError:
        return False
    return (parts.hostname, port or default) == (served.hostname, served_port or default)


class TokenBucket:
    """`rate` messages a second sustained, `burst` at once; take() is False when empty."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
