"""GET /api/sample: an MNIST test digit from the committed fixture, for the Sample button."""

from __future__ import annotations

import random
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from lenet_vis.app.errors import InputError

router = APIRouter(prefix="/api", tags=["samples"])


class Sample(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"index": 0, "label": 7, "image": [[0] * 28] * 28}]}
    )

    index: int
    label: int
    image: list[list[int]]


def fixture_digits(state) -> tuple[np.ndarray, np.ndarray]:
    """The committed MNIST test digits (uint8 (N, 28, 28)) and labels, read once."""
    if getattr(state, "samples", None) is None:
        with np.load(state.settings.samples, allow_pickle=False) as z:
            state.samples = (z["images"], z["labels"])
    return state.samples


@router.get("/sample", response_model=Sample)
async def sample(
    request: Request,
    index: Annotated[int | None, Query(description="Which digit; random when omitted.")] = None,
) -> Sample:
    """A 28x28 MNIST test digit (uint8, 255 ink) and its true label. MNIST: LeCun & Cortes,
    CC BY-SA 3.0."""
    images, labels = fixture_digits(request.app.state)
    if index is None:
        index = random.randrange(len(images))
    if not 0 <= index < len(images):
        raise InputError(["query", "index"], f"index must be in 0-{len(images) - 1}")
    return Sample(index=index, label=int(labels[index]), image=images[index].tolist())
