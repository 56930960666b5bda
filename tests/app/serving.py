"""Start `lenet-vis serve` (the real CLI, so the uvicorn limits of the settings apply) on a
free loopback port, with LENET_VIS_* settings given as keywords."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.server import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@contextmanager
def serving(workers: int = 1, timeout: float = 60, log=None, **settings):
    """Yield (base URL, process) of `python -m lenet_vis.app.cli serve`; stop it afterwards.

    log: a binary file for the server's stderr (to read after), else a temporary one.
    """
    port = free_port()
    env = {**os.environ, **{f"LENET_VIS_{k.upper()}": str(v) for k, v in settings.items()}}
    own_log = log is None
    if own_log:
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally; a pipe could fill up)
    command = [sys.executable, "-m", "lenet_vis.app.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout, log)
        yield url, proc
    finally:
        stop(proc)
        if own_log:
            log.close()
