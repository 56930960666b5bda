"""A seeded fuzzer over mutated PNG and JPEG files against the real server: every answer is a
4xx or a 200, never a 5xx or a dropped connection, and a normal request succeeds after each.

300 cases in the suite; by hand: LENET_VIS_FUZZ_CASES=3000 pytest tests/app/test_image_fuzz.py
"""

from __future__ import annotations

import base64
import functools
import io
import os
import struct
import zlib
from collections import Counter

import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.app.serving import serving

CASES = int(os.environ.get("LENET_VIS_FUZZ_CASES", "300"))
GOOD = {"image": np.pad(np.full((12, 6), 255), 8).tolist(), "layers": []}


def seeds() -> list[bytes]:
    """Valid files of each kind the server reads: PNG (L, RGBA, P, 16-bit, interlaced), JPEG."""
    img = Image.new("L", (64, 64))
    ImageDraw.Draw(img).line([(15, 12), (50, 12), (28, 55)], fill=255, width=6)
    out = []
    for mode, fmt, opts in [
        ("L", "PNG", {}),
        ("RGBA", "PNG", {}),
        ("P", "PNG", {"transparency": 0}),
        ("I;16", "PNG", {}),
        ("L", "PNG", {"interlace": 1}),
        ("RGB", "JPEG", {"quality": 90}),
        ("L", "JPEG", {"progressive": True}),
    ]:
        buf = io.BytesIO()
        img.convert(mode).save(buf, fmt, **opts)
        out.append(buf.getvalue())
    return out


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def inflating_text(megabytes: int) -> bytes:
    """zlib data of a few KB that inflates to `megabytes` MB (past Pillow's text limits)."""
    return zlib.compress(bytes(megabytes * 2**20), 9)


def mutate(raw: bytes, rng: np.random.Generator) -> bytes:
    """One of: bit flips, truncation, random overwrite, slice duplication, an inflating text
    chunk, a huge IHDR size with a valid CRC, a stray JPEG marker."""
    b = bytearray(raw)
    op = rng.integers(7)
    if op == 0:
        for _ in range(rng.integers(1, 20)):
            i = rng.integers(len(b))
            b[i] ^= 1 << rng.integers(8)
    elif op == 1:
        b = b[: rng.integers(1, len(b))]
    elif op == 2:
        i = rng.integers(len(b))
        n = int(rng.integers(1, 64))
        b[i : i + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    elif op == 3:
        i, j = sorted(rng.integers(len(b), size=2))
        b[j:j] = b[i : i + int(rng.integers(1, 2000))]
    elif op == 4 and raw.startswith(b"\x89PNG"):
        text = inflating_text(int(rng.integers(1, 5)) * 8)
        kind = [b"zTXt", b"iTXt", b"iCCP"][rng.integers(3)]
        data = {
            b"zTXt": b"Comment\0\0" + text,
            b"iTXt": b"Comment\0\1\0\0\0" + text,
            b"iCCP": b"icc\0\0" + text,
        }[kind]
        b[33:33] = png_chunk(kind, data)  # after the IHDR chunk
    elif op == 5 and raw.startswith(b"\x89PNG"):
        w, h = (int(v) for v in rng.integers(1, 2**31, size=2))
        ihdr = struct.pack(">II", w, h) + bytes(b[24:29])
        b[8:33] = png_chunk(b"IHDR", ihdr)
    else:
        i = rng.integers(2, len(b))
        b[i:i] = bytes([0xFF, int(rng.choice([0xC0, 0xC4, 0xDA, 0xDB, 0xDD, 0xD9, 0xE1]))])
        b[i + 2 : i + 2] = struct.pack(">H", int(rng.integers(0, 65536)))
    return bytes(b)


@pytest.fixture(scope="module")
def url():
    with serving() as (base, _):
        yield base


def test_mutated_images_never_get_a_5xx(url):
    rng = np.random.default_rng(9)
    files = seeds()
    statuses: Counter = Counter()
    with httpx.Client(base_url=url, timeout=60) as c:
        for case in range(CASES):
            raw = mutate(files[case % len(files)], rng)
            if case % 2:
                r = c.post("/api/predict/image", files={"file": ("x", raw, "image/png")})
            else:
                kind = "png" if raw.startswith(b"\x89PNG") else "jpeg"
                data_url = f"data:image/{kind};base64," + base64.b64encode(raw).decode()
                r = c.post("/api/predict", json={"image_base64": data_url, "layers": []})
            statuses[r.status_code] += 1
            assert r.status_code < 500, (case, r.status_code, r.text[:200])
            if r.status_code != 200:
                assert r.headers["content-type"] == "application/json"
                assert r.json()["detail"][0]["msg"]
            after = c.post("/api/predict", json=GOOD)
            assert after.status_code == 200 and after.json()["prediction"] == 1, case
    assert set(statuses) <= {200, 422}, statuses
    assert statuses[422] > CASES // 4  # the mutations do break files
