"""Throughput and latency through nginx (deploy/nginx.conf) against one replica direct.

Starts replicas (`lenet-vis serve`, one uvicorn worker each) and Debian's nginx on loopback
with deploy/local.py, then drives each setup with wrk (`apt-get install -y
--no-install-recommends wrk`): one replica direct, nginx in front of one replica (the proxy's
own cost) and nginx in front of two. The request is the page's own: POST /api/predict with a
140x140 RGBA PNG of a drawn 7, every layer, base64. Prints requests/s, p50, p99 and errors;
never fails on a time. All of it shares the machine's cores with wrk.
Run: python bench/nginx.py [--seconds 5] [--connections 8 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import LUA, drawing_png  # noqa: E402  (the page's request, the wrk script)
from deploy.local import Cluster  # noqa: E402


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict:
    load = ["-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s"]
    out = subprocess.run(
        ["wrk", *load, "--timeout", "10s", "-s", str(script), f"{url}/api/predict"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    n, errors, non2xx, p50, p99, duration = re.search(r"RESULT (.*)", out).group(1).split()
    return {
        "rps": int(n) / float(duration),
        "errors": int(errors) + int(non2xx),
        "p50_ms": int(p50) / 1000,
        "p99_ms": int(p99) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many rounds")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/nginx.py needs wrk: apt-get install -y --no-install-recommends wrk")

    work = Path(tempfile.mkdtemp(prefix="lenet-vis-bench-"))
    body = work / "body.json"
    png = "data:image/png;base64," + base64.b64encode(drawing_png()).decode()
    body.write_text(json.dumps({"image_base64": png, "encoding": "base64"}))
    script = work / "post.lua"
    script.write_text(LUA.format(body=body))

    # both clusters run at once and the setups take turns, round after round, so a change in
    # the machine's other load falls on all of them alike; each figure is the median of rounds
    runs: dict[tuple[str, int], list[dict]] = {}
    with Cluster(replicas=1) as one, Cluster(replicas=2) as two:
        setups = {
            "1 replica, direct": f"http://{one.replica_addrs[0]}",
            "nginx -> 1 replica": one.url,
            "nginx -> 2 replicas": two.url,
        }
        for _ in range(args.rounds):
            for c in args.connections:
                for setup, url in setups.items():
                    runs.setdefault((setup, c), []).append(wrk(url, script, c, args.seconds))
    shutil.rmtree(work)
    rows = [
        (
            setup,
            c,
            {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            | {"errors": sum(r["errors"] for r in rs)},
        )
        for (setup, c), rs in runs.items()
    ]

    print(
        f"POST /api/predict (140x140 PNG, every layer, base64); wrk {args.seconds} s a run, "
        f"median of {args.rounds} interleaved rounds"
    )
    print(f"| {'setup':<20} | connections | req/s | p50 ms | p99 ms | errors |")
    print(f"|{'-' * 22}|------------:|------:|-------:|-------:|-------:|")
    for setup, c, r in rows:
        print(
            f"| {setup:<20} | {c:>11} | {r['rps']:>5.0f} | {r['p50_ms']:>6.2f} "
            f"| {r['p99_ms']:>6.2f} | {r['errors']:>6} |"
        )


if __name__ == "__main__":
    main()
