"""GET /api/sample: an MNIST test digit from the committed fixture, for the Sample button."""

from __future__ import annotations

import random
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request

from lenet_vis.app.errors import InputError
from lenet_vis.app.schemas import CLIENT_ERRORS, Sample

router = APIRouter(prefix="/api", tags=["samples"])


def fixture_digits(state) -> tuple[np.ndarray, np.ndarray]:
    """The committed MNIST test digits (uint8 (N, 28, 28)) and labels, read once."""
    if getattr(state, "samples", None) is None:
        with np.load(state.settings.samples, allow_pickle=False) as z:
            state.samples = (z["images"], z["labels"])
    return state.samples


@router.get("/sample", response_model=Sample, responses=CLIENT_ERRORS)
async def sample(
    request: Request,
    index: Annotated[
        int | None, Query(ge=0, description="Which digit; random when omitted.")
    ] = None,
) -> Sample:
    """A 28x28 MNIST test digit (uint8, 255 ink) and its true label. MNIST: LeCun & Cortes,
    CC BY-SA 3.0."""
    images, labels = fixture_digits(request.app.state)
    if index is None:
        index = random.randrange(len(images))
    if index >= len(images):
        raise InputError(["query", "index"], f"index must be in 0-{len(images) - 1}")
    return Sample(index=index, label=int(labels[index]), image=images[index].tolist())
