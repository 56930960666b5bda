"""Server throughput and latency under load, the worst requests within the limits, and /healthz
while heavy requests loop; the network's own forward time beside them.

Starts the real server (`lenet-vis serve`, with the uvicorn limits of the settings; or, with
--server uvicorn, plain `python -m uvicorn` as older checkouts ran it) on loopback and drives
it with wrk (a C load generator: `apt-get install wrk`) at 1, 8 and 64 connections for POST
/api/predict with every layer (list and base64) and with no layers. Prints requests/s, p50 and
p99, and the server's overhead at concurrency 1 as a ratio of the forward time measured in the
same run. Then times the heaviest requests the limits allow, and /healthz p50/p99 while two
clients loop on the heaviest one.
Run: python bench/api.py [--seconds 5] [--workers 1 2] [--root CHECKOUT --server uvicorn]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lenet_vis.model.lenet import LeNet  # noqa: E402
from lenet_vis.model.preprocess import image_to_ink, to_network_input  # noqa: E402
from tests.server import free_port, wait_healthy  # noqa: E402

LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %.6f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), summary.duration / 1e6))
end
"""


@contextlib.contextmanager
def running(root: Path, workers: int, server: str, **settings):
    """The server of checkout `root` on a free port: `lenet-vis serve` or plain uvicorn."""
    port = free_port()
    if server == "cli":
        cmd = ["-m", "lenet_vis.app.cli", "serve", "--workers", str(workers)]
    else:
        cmd = ["-m", "uvicorn", "lenet_vis.app.main:app", "--workers", str(workers)]
    env = {**os.environ, **{f"LENET_VIS_{k.upper()}": str(v) for k, v in settings.items()}}
    env["PYTHONPATH"] = str(root)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        [sys.executable, *cmd, "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 60, log)
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        log.close()


def transparent_png(side: int, seed: int = 0) -> str:
    """A large RGBA PNG, transparent but for a few strokes: small to send, costly to decode."""
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    rng = random.Random(seed)
    for _ in range(6):
        pts = [(rng.randrange(side), rng.randrange(side)) for _ in range(2)]
        draw.line(pts, fill=(255, 255, 255, 255), width=max(3, side // 60))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def heavy_requests() -> dict[str, tuple[str, bytes]]:
    """The heaviest requests within the default limits, by kind: name -> (path, JSON body)."""
    row = ",".join(["9"] * 1000)
    flat_list = "[" + ",".join(["[" + row + "]"] * 1000) + "]"  # 1000x1000 ink, ~2 MB of JSON
    lesson = [[float(i % 7) for i in range(256)] for _ in range(256)]
    return {
        "predict, 2000x2000 RGBA PNG": (
            "/api/predict",
            json.dumps({"image_base64": transparent_png(2000)}).encode(),
        ),
        "predict, 1000x1000 list": ("/api/predict", ('{"image": ' + flat_list + "}").encode()),
        "batch, 8 x 1000x1000 RGBA PNG": (
            "/api/predict/batch",
            json.dumps(
                {"images": [{"image_base64": transparent_png(1000, i)} for i in range(8)]}
            ).encode(),
        ),
        "batch, 64 x 28x28 list": (
            "/api/predict/batch",
            json.dumps({"images": [{"image": [[200] * 28] * 28}] * 64}).encode(),
        ),
        "gradient, 2000x2000 RGBA PNG": (
            "/api/gradient",
            json.dumps({"image_base64": transparent_png(2000), "target": 3}).encode(),
        ),
        "convolve, 256x256, 11x11, padding 8": (
            "/api/convolve",
            json.dumps({"image": lesson, "kernel": [[1.0] * 11] * 11, "padding": 8}).encode(),
        ),
        "pool, 256x256, size 1": (
            "/api/pool",
            json.dumps({"image": lesson, "size": 1, "stride": 1}).encode(),
        ),
        "hostile: 64 x 1900x1900 PNG (refused)": (
            "/api/predict/batch",
            json.dumps({"images": [{"image_base64": transparent_png(1900)}] * 64}).encode(),
        ),
        "hostile: 900k-item flat list (refused)": (
            "/api/predict",
            b'{"image": [' + b"0," * 900_000 + b"0]}",
        ),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_per_request(url: str, pid: int, body: bytes, n: int) -> float:
    """The server's CPU seconds per POST /api/predict, one request at a time: what a request
    costs, much less sensitive than wall time to a machine shared with other work."""
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=url, timeout=60) as c:
        for _ in range(50):  # warm up
            c.post("/api/predict", content=body, headers=headers)
        start = cpu_seconds(pid)
        for _ in range(n):
            c.post("/api/predict", content=body, headers=headers)
        return (cpu_seconds(pid) - start) / n


def time_requests(url: str, cases: dict, repeat: int) -> list[tuple[str, int, float, float]]:
    """Each case `repeat` times, one at a time: (name, status, median s, worst s)."""
    rows = []
    with httpx.Client(base_url=url, timeout=120) as c:
        for name, (path, body) in cases.items():
            times, status = [], 0
            for _ in range(repeat):
                t = time.perf_counter()
                r = c.post(path, content=body, headers={"content-type": "application/json"})
                times.append(time.perf_counter() - t)
                status = r.status_code
            rows.append((name, status, statistics.median(times), max(times)))
    return rows


def healthz_under_load(url: str, path: str, body: bytes, seconds: float) -> dict:
    """/healthz latencies (one client, 20 per second) while two clients loop on `body`."""
    stop = threading.Event()
    heavy_done = []

    def loop():
        with httpx.Client(base_url=url, timeout=120) as c:
            while not stop.is_set():
                r = c.post(path, content=body, headers={"content-type": "application/json"})
                heavy_done.append(r.status_code)

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for t in threads:
        t.start()
    lat = []
    try:
        with httpx.Client(base_url=url, timeout=120) as c:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                t = time.perf_counter()
                c.get("/healthz")
                lat.append(time.perf_counter() - t)
                time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    lat.sort()
    return {
        "n": len(lat),
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "max_ms": lat[-1] * 1e3,
        "heavy": len(heavy_done),
        "heavy_statuses": sorted(set(heavy_done)),
    }


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
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--server", choices=["cli", "uvicorn"], default="cli")
    parser.add_argument("--http", default=None, help="h11 or httptools (cli server only)")
    parser.add_argument("--cpu-threads", type=int, default=None, help="LENET_VIS_CPU_THREADS")
    parser.add_argument("--heavy-seconds", type=float, default=10)
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--skip-heavy", action="store_true")
    parser.add_argument("--no-hostile", action="store_true", help="skip the refused requests")
    args = parser.parse_args()
    extra = {"http": args.http} if args.http else {}
    if args.cpu_threads:
        extra["cpu_threads"] = args.cpu_threads
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
    rows, cpu = [], {}
    total = len(args.workers) * len(cases) * len(args.connections) * (not args.skip_table)
    done = 0
    for workers in args.workers if not args.skip_table else []:
        with running(args.root, workers, args.server, **extra) as (url, pid):
            if workers == 1:
                for name, path in files.items():
                    cpu[name] = server_cpu_per_request(url, pid, path.read_bytes(), 1000)
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
    if cpu:
        print("\nserver CPU time per request (user + system, all threads; 1 worker, 1000 in turn):")
        for name, seconds in cpu.items():
            print(f"  {name:<22}{seconds * 1e6:>8.0f} us")
    errors = sum(r["errors"] for *_, r in rows)
    print(f"\nerrors: {errors}; overhead/fwd = (p50 latency - forward time) / forward time")
    if not args.skip_heavy:
        heavy(args, extra)


def heavy(args, extra: dict) -> None:
    print("timing the heaviest requests within the limits (1 worker)...", file=sys.stderr)
    cases = {k: v for k, v in heavy_requests().items() if not (args.no_hostile and "hostile" in k)}
    with running(args.root, 1, args.server, **extra) as (url, _):
        rows = time_requests(url, cases, repeat=3)
        path, body = cases["batch, 8 x 1000x1000 RGBA PNG"]
        print("/healthz while two clients loop on the 8-PNG batch...", file=sys.stderr)
        load = healthz_under_load(url, path, body, args.heavy_seconds)
    print(
        f"\n{'heaviest requests, one at a time (1 worker)':<42}{'status':>7}"
        f"{'median ms':>11}{'worst ms':>10}"
    )
    for name, status, med, worst in rows:
        print(f"{name:<42}{status:>7}{med * 1e3:>11.0f}{worst * 1e3:>10.0f}")
    print(
        f"\n/healthz while 2 clients loop on the 8-PNG batch ({load['heavy']} batches, "
        f"statuses {load['heavy_statuses']}): n={load['n']} p50 {load['p50_ms']:.1f} ms, "
        f"p99 {load['p99_ms']:.1f} ms, max {load['max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
