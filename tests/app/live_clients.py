"""Clients of the live channel (WebSocket /api/live) for tests and benchmarks: drawings as the
page sends them, and many connections drawing at a fixed rate (`drive`).

Each client of `drive` draws on a clock (60 Hz by default) and, as the page does, keeps at most
one drawing in flight: on a tick it sends the next drawing and waits for its answer; a tick
that passes while it waits is skipped (counted), never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from websockets.asyncio.client import connect

from lenet_vis.app.live import ANSWER_HEADER, drawing_message
from lenet_vis.assets import SAMPLES

PAD_SIDE = 140  # the page's pad export


def pad_grids(count: int, side: int = PAD_SIDE) -> list[np.ndarray]:
    """`count` fixture digits drawn as the pad exports them: (side, side) uint8, 0 background."""
    with np.load(SAMPLES, allow_pickle=False) as z:
        images = z["images"][:count]
    return [
        np.asarray(Image.fromarray(d).resize((side, side), Image.Resampling.BILINEAR))
        for d in images
    ]


def ws_url(base: str) -> str:
    """http://host:port -> ws://host:port/api/live"""
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/api/live"


@dataclass
class Load:
    """What `drive` saw: answers and latencies (s) per connection, errors, skipped ticks."""

    connections: int
    seconds: float
    answers: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    elapsed: float = 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")


async def one_client(
    url: str, grids: list[np.ndarray], seconds: float, hz: float, load: Load, index: int
) -> None:
    """One connection drawing at `hz` for `seconds`, one drawing in flight; records into load."""
    answered = 0
    messages = [bytearray(drawing_message(0, g)) for g in grids]  # seq stamped per send
    try:
        async with connect(url, compression=None, max_size=1 << 20, open_timeout=30) as ws:
            loop = asyncio.get_running_loop()
            period = 1 / hz
            start = loop.time()
            tick = start + (index % 16) * period / 16  # spread the clients over a period
            seq = 0
            while True:
                now = loop.time()
                if now < tick:
                    await asyncio.sleep(tick - now)
                if loop.time() - start >= seconds:
                    break
                seq += 1
                message = messages[seq % len(messages)]
                struct.pack_into("<I", message, 0, seq)
                sent = time.perf_counter()
                await ws.send(message)
                async with asyncio.timeout(30):
                    answer = await ws.recv()
                load.latencies.append(time.perf_counter() - sent)
                got = ANSWER_HEADER.unpack_from(answer)[0]
                if got != seq:
                    load.errors.append(f"client {index}: answer for seq {got}, sent {seq}")
                    return
                answered += 1
                tick += period
                late = loop.time() - tick
                if late > 0:  # ticks that passed while the drawing was in flight
                    missed = int(late / period) + 1
                    load.skipped += missed
                    tick += missed * period
    except Exception as exc:  # every failure counts, whatever its kind
        load.errors.append(f"client {index}: {type(exc).__name__}: {exc}")
    finally:
        load.answers.append(answered)


async def drive_async(base: str, connections: int, seconds: float, hz: float = 60.0) -> Load:
    """`connections` clients drawing at `hz` for `seconds` on `base`'s live channel."""
    grids = pad_grids(32)
    load = Load(connections, seconds)
    url = ws_url(base)
    start = time.perf_counter()
    await asyncio.gather(
        *(one_client(url, grids, seconds, hz, load, i) for i in range(connections))
    )
    load.elapsed = time.perf_counter() - start
    return load


def drive(base: str, connections: int, seconds: float, hz: float = 60.0) -> Load:
    """drive_async on an event loop of its own thread: the calling thread may already run one
    (Playwright's sync API keeps a loop running in the test session's thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, drive_async(base, connections, seconds, hz)).result()


def close_of(exc: BaseException) -> tuple[int | None, str]:
    """The close code and reason the server sent, from a websockets ConnectionClosed."""
    rcvd = getattr(exc, "rcvd", None)
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


async def closed_by_server(ws, timeout: float = 10) -> tuple[int | None, str]:
    """Wait for the server to close `ws` (answers in between are read and dropped)."""
    with contextlib.suppress(asyncio.TimeoutError):
        async with asyncio.timeout(timeout):
            while True:
                try:
                    await ws.recv()
                except Exception as exc:
                    return close_of(exc)
    return None, "no close within the timeout"
