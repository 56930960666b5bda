"""Start the real app under uvicorn on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def server_environment() -> dict:
    """This process's environment with the BLAS threads `lenet-vis serve` sets (one each,
    unless set here already), so the tests see what serve does."""
    from lenet_vis.app.cli import one_blas_thread

    env = os.environ.copy()
    one_blas_thread(env)
    return env


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float, log=None) -> None:
    """Poll `url`/healthz until it answers 200; RuntimeError (with the log's tail, if given)
    when the process exits or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = ""
            if log is not None:
                log.seek(0)
                tail = ": " + log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the server did not start{tail}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server process, killing it if it has not stopped within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(workers: int = 1, timeout: float = 30):
    """Yield the base URL of a uvicorn serving lenet_vis.app.main:app; stop it afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "lenet_vis.app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
            # the live channel as `lenet-vis serve` runs it: no compression of its frames
            "--ws-per-message-deflate",
            "false",
        ],
        cwd=ROOT,
        env=server_environment(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout)
        yield url
    finally:
        stop(proc)
