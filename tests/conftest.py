"""Shared fixtures: the committed weights and the committed MNIST test-digit fixture."""

import os
from pathlib import Path

from lenet_vis.app.cli import one_blas_thread

# as `lenet-vis serve` does, and before numpy's first import: one BLAS thread unless set
one_blas_thread(os.environ)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
from lenet_vis.assets import SAMPLES as FIXTURE  # noqa: E402
from lenet_vis.assets import WEIGHTS  # noqa: E402


@pytest.fixture(scope="session")
def net():
    from lenet_vis.model.lenet import LeNet

    return LeNet.load(WEIGHTS)


@pytest.fixture(scope="session")
def digits():
    """The first 2,000 MNIST test digits: uint8 (2000, 28, 28) and labels (2000,)."""
    with np.load(FIXTURE, allow_pickle=False) as z:
        return z["images"], z["labels"]


@pytest.fixture(scope="session")
def live_server():
    """The real app under uvicorn on a free loopback port; yields its base URL."""
    from tests.server import running_server

    with running_server() as url:
        yield url
