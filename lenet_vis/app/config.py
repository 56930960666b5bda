"""One settings object, read from LENET_VIS_* environment variables.

Which limit lives where: this server bounds bodies (size per route, read time), the work per
request (list lengths, pixels, batch size), CPU concurrency and its queue, header size (h11),
keep-alive and open connections (uvicorn). The proxy in front (deploy/, nginx) bounds the
header read time and header count, and the connections per client.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lenet_vis.assets import SAMPLES, WEIGHTS

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Server settings; e.g. LENET_VIS_WEIGHTS=/path/lenet.npz, LENET_VIS_MAX_BATCH=32."""

    model_config = SettingsConfigDict(env_prefix="LENET_VIS_")

    weights: Path = WEIGHTS
    samples: Path = SAMPLES
    # bodies over these get 413 before they are parsed (a drawing as PNG is a few KB)
    max_body_bytes: int = 2 * MiB  # every route but the batch
    max_batch_body_bytes: int = 4 * MiB  # POST /api/predict/batch
    body_timeout: float = 20.0  # seconds to receive a whole body, else 408 and close
    body_idle_timeout: float = 5.0  # seconds with no body bytes, else 408 and close
    body_min_rate: int = 8192  # bytes/s a body must average once 2 s have passed, else 408
    max_image_pixels: int = 4_000_000  # decoded PNG/JPEG larger than this are refused
    max_batch_pixels: int = 8_000_000  # the decoded images of one batch, together
    max_batch: int = Field(64, ge=1, le=64)  # at most schemas.MAX_BATCH, what the schema says
    # CPU work (decoding, preprocessing, the network, the lessons) runs in this many threads
    # per worker process (more workers, not more threads, use more cores: the threads share
    # the GIL with the event loop); this many more requests may wait, and any past that get
    # 503 with Retry-After. Measured on 2 cores: 1 thread kept /healthz p99 at 91 ms under two
    # looping heavy batches, 2 threads at 461 ms, with fewer batches served.
    cpu_threads: int = max(1, min(4, (os.cpu_count() or 1) // 2))
    cpu_queue: int = 16
    # uvicorn: passed by `lenet-vis serve`
    http: str = "h11"  # h11 bounds the header size; httptools does not
    max_header_bytes: int = 16 * 1024  # request line and headers (h11's incomplete event)
    keep_alive_timeout: int = 5  # seconds an idle keep-alive connection stays open
    limit_concurrency: int = 512  # open connections + tasks; past it uvicorn answers 503
    cors_origins: list[str] = []  # CORS is off unless this names origins
    # the live channel, WebSocket /api/live (routes/live.py; README "Live channel (WebSocket)").
    # A browser page may open it from the server's own host (the Host header) or from one of
    # these origins ("*": any); a program sends no Origin and may always open it.
    live_origins: list[str] = []
    live_max_connections: int = Field(256, ge=1)  # open per worker; past it close 1013
    live_rate: float = Field(120.0, gt=0)  # messages a second per connection, sustained...
    live_burst: int = Field(60, ge=1)  # ...and at once; past them close 1008
    live_idle_timeout: float = Field(60.0, gt=0)  # seconds without a message, then close 1000
    # permessage-deflate on the channel (uvicorn's ws_per_message_deflate): off, since
    # deflating a 62 KB frame takes about 1.1 ms of CPU, 16x the forward pass
    live_deflate: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
