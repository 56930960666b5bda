"""One settings object, read from LENET_VIS_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from lenet_vis.assets import SAMPLES, WEIGHTS


class Settings(BaseSettings):
    """Server settings; e.g. LENET_VIS_WEIGHTS=/path/lenet.npz, LENET_VIS_MAX_BATCH=32."""

    model_config = SettingsConfigDict(env_prefix="LENET_VIS_")

    weights: Path = WEIGHTS
    samples: Path = SAMPLES
    max_body_bytes: int = 8 * 1024 * 1024  # larger bodies get 413 before they are parsed
    min_side: int = 8  # an ink array's sides must lie in [min_side, max_side]
    max_side: int = 1024
    max_image_pixels: int = 4_000_000  # decoded PNG/JPEG larger than this are refused
    max_batch: int = 64
    cors_origins: list[str] = []  # CORS is off unless this names origins


@lru_cache
def get_settings() -> Settings:
    return Settings()
