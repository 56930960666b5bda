"""Server throughput and latency under load, with the network's own forward time beside it.

Starts the real server (uvicorn, 1 and 2 workers) on loopback and drives it with wrk (a C load
generator: `apt-get install wrk`) at 1, 8 and 64 connections for POST /api/predict with every
layer (list and base64) and with no layers. Prints requests/s, p50 and p99, and the server's
overhead at concurrency 1 as a ratio of the forward time measured in the same run.
Run: python bench/api.py [--seconds 5] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lenet_vis.model.lenet import LeNet  # noqa: E402
from lenet_vis.model.preprocess import image_to_ink, to_network_input  # noqa: E402
from tests.server import running_server  # noqa: E402

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %.6f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), summary.duration / 1e6))
end
"""


def drawing_png() -> bytes:
    """A 7 drawn on the pad, as the page sends it: an RGBA PNG, 140 pixels a side."""
    img = Image.new("RGBA", (140, 140), (0, 0, 0, 255))
    ImageDraw.Draw(img).line(
        [(40, 30), (100, 30), (58, 118)], fill=(255, 255, 255, 255), width=9, joint="curve"
    )
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def wrk(url: str, body_file: Path, connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA.format(body=body_file))
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            f.name,
            url + "/api/predict",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    n, errors, non2xx, p50, p99, duration = re.search(r"RESULT (.*)", out).group(1).split()
    return {
        "rps": int(n) / float(duration),
        "errors": int(errors) + int(non2xx),
        "p50_ms": int(p50) / 1000,
        "p99_ms": int(p99) / 1000,
        "requests": int(n),
    }


def forward_time(repeat: int = 2000) -> tuple[float, float]:
    """Median seconds of net.forward (every layer) and of preprocessing the PNG, in-process."""
    net = LeNet.load(ROOT / "lenet_vis" / "weights" / "lenet.npz")
    png = drawing_png()
    x = to_network_input(image_to_ink(Image.open(io.BytesIO(png))))

    def median(fn):
        rounds = []
        for _ in range(10):
            t = time.perf_counter()
            for _ in range(repeat // 10):
                fn()
            rounds.append((time.perf_counter() - t) / (repeat // 10))
        return statistics.median(rounds)

    return median(lambda: net.forward(x)), median(
        lambda: to_network_input(image_to_ink(Image.open(io.BytesIO(png))))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 64])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/api.py needs wrk: apt-get install -y wrk")

    png = "data:image/png;base64," + base64.b64encode(drawing_png()).decode()
    cases = {
        "every layer, base64": {"image_base64": png, "encoding": "base64"},
        "every layer, list": {"image_base64": png, "encoding": "list"},
        "no layers": {"image_base64": png, "layers": []},
    }
    tmp = Path(tempfile.mkdtemp())
    files = {}
    for name, body in cases.items():
        files[name] = tmp / f"{len(files)}.json"
        files[name].write_text(json.dumps(body))

    print("measuring the network's own forward time...", file=sys.stderr)
    fwd, prep = forward_time()
    rows = []
    total = len(args.workers) * len(cases) * len(args.connections)
    done = 0
    for workers in args.workers:
        with running_server(workers) as url:
            for name, path in files.items():
                for c in args.connections:
                    done += 1
                    print(
                        f"[{done}/{total}] {workers} worker(s), {name}, {c} connections",
                        file=sys.stderr,
                    )
                    rows.append((workers, name, c, wrk(url, path, c, args.seconds)))

    print(
        f"\nforward (every layer), in-process: {fwd * 1e6:.0f} us; "
        f"decoding + preprocessing the 140x140 RGBA PNG: {prep * 1e6:.0f} us\n"
    )
    print(
        f"{'workers':>7} {'request':<22}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'overhead/fwd':>14}"
    )
    for workers, name, c, r in rows:
        overhead = ""
        if c == 1:
            overhead = f"{(r['p50_ms'] / 1e3 - fwd) / fwd:.1f}x"
        print(
            f"{workers:>7} {name:<22}{c:>6}{r['rps']:>9.0f}{r['p50_ms']:>9.2f}"
            f"{r['p99_ms']:>9.2f}{r['errors']:>8}{overhead:>14}"
        )
    errors = sum(r["errors"] for *_, r in rows)
    print(f"\nerrors: {errors}; overhead/fwd = (p50 latency - forward time) / forward time")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
