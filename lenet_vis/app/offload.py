"""CPU work off the event loop, in a bounded number of threads, with a bounded queue.

NumPy and Pillow release the GIL for their heavy parts, so while a thread decodes or runs the
network the loop keeps answering /healthz and reading other requests. Past `threads` running
and `queue` waiting, a request is refused at once with 503 and Retry-After instead of joining
a queue without end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
RETRY_AFTER_SECONDS = 1


class ServerBusy(Exception):
    """Every CPU thread is busy and the queue is full: the caller answers 503."""


class CpuPool:
    def __init__(self, threads: int, queue: int) -> None:
        self.threads, self.queue = threads, queue
        self._limiter: anyio.CapacityLimiter | None = None  # made inside the event loop
        self.in_flight = 0

    async def run(self, fn: Callable[..., T], *args) -> T:
        """fn(*args) in a worker thread; ServerBusy when threads + queue are all taken."""
        if self.in_flight >= self.threads + self.queue:
            raise ServerBusy
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        self.in_flight += 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self.in_flight -= 1
