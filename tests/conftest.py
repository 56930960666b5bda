"""Shared fixtures: the committed weights and the committed MNIST test-digit fixture."""

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "weights" / "lenet.npz"
FIXTURE = ROOT / "tests" / "data" / "mnist_test_2000.npz"


@pytest.fixture(scope="session")
def net():
    from model.lenet import LeNet

    return LeNet.load(WEIGHTS)


@pytest.fixture(scope="session")
def digits():
    """The first 2,000 MNIST test digits: uint8 (2000, 28, 28) and labels (2000,)."""
    with np.load(FIXTURE, allow_pickle=False) as z:
        return z["images"], z["labels"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    """The real app under uvicorn on a free loopback port; yields its base URL."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
