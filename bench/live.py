"""The live channel's cost per drawing against the forward pass alone, in process and over a
real socket, beside the HTTP path in the same run.

In process (one BLAS thread, as `lenet-vis serve`): `net.forward(x)` alone; a whole live
message (parse the drawing, preprocess the 140x140 grid into the frame, `forward_into` the
frame, stamp seq and prediction); its parts. Rounds alternate, medians are printed.

Over the socket: `lenet-vis serve` (one worker) on loopback; one client sends the pad's
140x140 drawings one at a time over WebSocket /api/live, then the same drawings as PNG data
URLs to POST /api/predict (every layer, base64, as the page's HTTP path does) on the same
server. Printed: round trips p50/p95, and the server's CPU time per answer (its process's
user + system time over the run, from /proc, divided by the answers), each as a ratio of the
forward pass.

The server's time per live message, split (bench/live_apps.py: bench-only ASGI apps served
with `lenet-vis serve`'s uvicorn options, one worker, the same client):
  transport floor  an echo session answering each drawing with a prebuilt frame of an
                   answer's size: uvicorn, its WebSocket protocol and the socket, nothing else
  session          the real app, dispatch and Session, with Frame.answer doing nothing
  forward, cold    the echo session plus one net.forward per message, timed in the server: the
                   forward pass as a message finds it, woken from epoll with cold caches
  answer / rest    the real app and Session with parse_drawing and Frame.answer timed in the
                   server (parse, preprocess, every layer into the frame): the answer's CPU
                   time, and the rest of the process's CPU per message (transport, dispatch,
                   session; and the timers' own few microseconds)
each as a ratio of the forward pass in process (hot) and of the cold one.
Run: python bench/live.py [--calls 50] [--rounds 200] [--messages 2000] [--requests 1000]
                         [--split-messages 3000] [--split-rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lenet_vis.app.cli import one_blas_thread  # noqa: E402

one_blas_thread(os.environ)  # before NumPy's first import, as `lenet-vis serve` does

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from lenet_vis.app.live import Frame, drawing_message, parse_drawing, read_answer  # noqa: E402
from lenet_vis.assets import WEIGHTS  # noqa: E402
from lenet_vis.model.lenet import LeNet  # noqa: E402
from lenet_vis.model.preprocess import grid_input, to_network_input  # noqa: E402
from tests.app.live_clients import pad_grids, ws_url  # noqa: E402
from tests.app.serving import serving  # noqa: E402
from tests.server import free_port, stop, wait_healthy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import blas_settings  # noqa: E402


def interleaved(fns: dict, calls: int, rounds: int) -> dict:
    """Median (wall, CPU) seconds per call of each fn; short rounds, the fns alternating, so
    a burst of the machine's other load hits them alike. CPU is this thread's own time, which
    other processes on the shared cores do not inflate."""
    for fn in fns.values():
        for _ in range(calls):
            fn()
    wall: dict = {name: [] for name in fns}
    cpu: dict = {name: [] for name in fns}
    for r in range(rounds):
        for name, fn in fns.items():
            t, c = time.perf_counter(), time.thread_time()
            for _ in range(calls):
                fn()
            cpu[name].append((time.thread_time() - c) / calls)
            wall[name].append((time.perf_counter() - t) / calls)
        if r % 10 == 9 or r == rounds - 1:
            print(f"\r  in process: round {r + 1}/{rounds}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in fns}


def cpu_seconds(pid: int) -> np.ndarray:
    """[user, system] CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return np.array([int(fields[11]), int(fields[12])]) / os.sysconf("SC_CLK_TCK")


def run_seconds(pid: int) -> float:
    """CPU seconds every thread of a process has run so far, to the nanosecond (Linux
    schedstat: time on a CPU, user and system alike)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def in_process(calls: int, rounds: int) -> dict:
    net = LeNet.load(WEIGHTS)
    grids = pad_grids(16)
    messages = [drawing_message(i, g) for i, g in enumerate(grids)]
    x = to_network_input(grids[0])
    frame = Frame(None)
    state = {"i": 0}

    def message() -> None:
        i = state["i"] = (state["i"] + 1) % len(messages)
        frame.answer(net, parse_drawing(messages[i], 0))

    def preprocess() -> None:
        i = state["i"] = (state["i"] + 1) % len(grids)
        grid_input(grids[i], frame.input)

    frame.input[...] = x
    return interleaved(
        {
            "forward": lambda: net.forward(x),
            "message": message,
            "preprocess": preprocess,
            "forward_into": frame.bind(net),
        },
        calls,
        rounds,
    )


def percentiles(times: list[float]) -> tuple[float, float]:
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def over_socket(messages: int, requests: int) -> dict:
    grids = pad_grids(16)
    pngs = []
    for g in grids:
        buf = io.BytesIO()
        Image.fromarray(g).save(buf, "PNG")
        pngs.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
    out = {}
    # one client answering as fast as it can: no rate limit (the page keeps to 60/s)
    with serving(workers=1, live_rate=1e9, live_burst=10**9) as (url, proc):
        print("  server up; live round trips...", file=sys.stderr, flush=True)
        with connect(ws_url(url), compression=None, max_size=1 << 20) as ws:
            for i in range(50):  # warm up
                ws.send(drawing_message(i, grids[i % 16]))
                ws.recv()
            times = []
            cpu = cpu_seconds(proc.pid)
            for i in range(messages):
                data = drawing_message(i, grids[i % 16])
                t = time.perf_counter()
                ws.send(data)
                answer = ws.recv()
                times.append(time.perf_counter() - t)
                if i % 500 == 0:
                    print(f"\r  live {i}/{messages}", end="", file=sys.stderr, flush=True)
            out["live_cpu"] = (cpu_seconds(proc.pid) - cpu) / messages
            assert read_answer(answer)["seq"] == messages - 1
        out["live"] = percentiles(times)
        print("\n  HTTP round trips...", file=sys.stderr, flush=True)
        with httpx.Client(base_url=url, timeout=30) as client:
            body = [{"image_base64": p, "encoding": "base64"} for p in pngs]
            for i in range(30):
                client.post("/api/predict", json=body[i % 16]).raise_for_status()
            times = []
            cpu = cpu_seconds(proc.pid)
            for i in range(requests):
                t = time.perf_counter()
                r = client.post("/api/predict", json=body[i % 16])
                times.append(time.perf_counter() - t)
                r.raise_for_status()
                if i % 250 == 0:
                    print(f"\r  HTTP {i}/{requests}", end="", file=sys.stderr, flush=True)
            out["http_cpu"] = (cpu_seconds(proc.pid) - cpu) / requests
        out["http"] = percentiles(times)
        print(file=sys.stderr)
    return out


@contextlib.contextmanager
def bench_app(kind: str):
    """Yield (base URL, process) of `bench/live_apps.py kind` on a free loopback port."""
    port = free_port()
    env = {**os.environ, "LENET_VIS_LIVE_RATE": "1e9", "LENET_VIS_LIVE_BURST": str(10**9)}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "live_apps.py"), kind, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 60)
        yield url, proc
    finally:
        stop(proc)


def ping_pong(url: str, proc, messages: int, label: str) -> dict:
    """One client, one drawing in flight: {cpu: the server process's CPU seconds per message
    (every thread's, from schedstat), rt: round-trip seconds p50, stats: the server's own
    per-message times}."""
    grids = pad_grids(16)
    data = [drawing_message(i, g) for i, g in enumerate(grids)]
    with connect(ws_url(url), compression=None, max_size=1 << 20) as ws:
        for i in range(200):  # warm up
            ws.send(data[i % 16])
            ws.recv()
        httpx.get(f"{url}/bench/stats", timeout=10)  # forget the warm-up's times
        times = []
        cpu = run_seconds(proc.pid)
        for i in range(messages):
            t = time.perf_counter()
            ws.send(data[i % 16])
            ws.recv()
            times.append(time.perf_counter() - t)
            if i % 500 == 0:
                print(f"\r  {label} {i}/{messages}", end="", file=sys.stderr, flush=True)
        used = (run_seconds(proc.pid) - cpu) / messages
    stats = httpx.get(f"{url}/bench/stats", timeout=10).json()
    return {"cpu": used, "rt": float(np.median(times)), "stats": stats}


def server_split(messages: int, rounds: int) -> dict:
    """The transport floor, the session, the cold forward, and the real server's answer and
    the rest: `rounds` rounds of the four servers in turn (a burst of the machine's other
    load hits them alike); per kind, the median over rounds of the CPU per message and of
    each server-side time's mean, and the median of every server-side time."""
    runs: dict = {}
    for r in range(rounds):
        for kind in ("echo", "session", "forward", "timed"):
            with bench_app(kind) as (url, proc):
                runs.setdefault(kind, []).append(ping_pong(url, proc, messages, f"{kind} {r + 1}"))
    print(file=sys.stderr)
    out = {}
    for kind, results in runs.items():
        keys = results[0]["stats"].keys()
        out[kind] = {
            "cpu": float(np.median([x["cpu"] for x in results])),
            "rt": float(np.median([x["rt"] for x in results])),
            "mean": {
                k: float(np.median([np.mean(x["stats"][k] or [0]) for x in results])) for k in keys
            },
            "median": {
                k: float(np.median([v for x in results for v in x["stats"][k]] or [0]))
                for k in keys
            },
            "cpus": [x["cpu"] for x in results],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="calls per round in process")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2000, help="live round trips")
    parser.add_argument("--requests", type=int, default=1000, help="HTTP round trips")
    parser.add_argument(
        "--split-messages", type=int, default=3000, help="live round trips per split server"
    )
    parser.add_argument("--split-rounds", type=int, default=3, help="rounds of the split servers")
    args = parser.parse_args()
    for line in blas_settings():
        print(line)

    t = in_process(args.calls, args.rounds)
    fwd_wall, fwd = t["forward"]
    print("in process, per drawing (medians of rounds; wall and this thread's CPU time):")
    for name, label in (
        ("forward", "net.forward alone"),
        ("message", "live message"),
        ("preprocess", "  preprocess 140x140 grid"),
        ("forward_into", "  every layer into the frame"),
    ):
        wall, cpu = t[name]
        print(
            f"  {label:28s} wall {wall * 1e6:7.1f} us ({wall / fwd_wall:.2f}x)  "
            f"CPU {cpu * 1e6:7.1f} us ({cpu / fwd:.2f}x the forward's)"
        )
    print("  goal: a live message at most 2x the forward")

    s = over_socket(args.messages, args.requests)
    lp50, lp95 = s["live"]
    hp50, hp95 = s["http"]
    lcpu, hcpu = s["live_cpu"], s["http_cpu"]  # [user, system] seconds per answer
    print(
        "over the socket, one client, loopback, lenet-vis serve --workers 1 "
        "(server CPU: its process's user + system time / answers; x: of the forward's CPU):"
    )
    print(
        f"  WebSocket /api/live   round trip p50 {lp50 * 1e3:.3f} ms  p95 {lp95 * 1e3:.3f} ms; "
        f"server CPU per answer {lcpu.sum() * 1e6:.0f} us = {lcpu.sum() / fwd:.2f}x forward "
        f"(user {lcpu[0] * 1e6:.0f} us = {lcpu[0] / fwd:.2f}x, system {lcpu[1] * 1e6:.0f} us)"
    )
    print(
        f"  POST /api/predict PNG round trip p50 {hp50 * 1e3:.3f} ms  p95 {hp95 * 1e3:.3f} ms; "
        f"server CPU per answer {hcpu.sum() * 1e6:.0f} us = {hcpu.sum() / fwd:.2f}x forward "
        f"(user {hcpu[0] * 1e6:.0f} us = {hcpu[0] / fwd:.2f}x, system {hcpu[1] * 1e6:.0f} us)"
    )
    print(
        f"  live / HTTP: p50 {lp50 / hp50:.2f}x, p95 {lp95 / hp95:.2f}x, "
        f"server CPU {lcpu.sum() / hcpu.sum():.2f}x"
    )

    split = server_split(args.split_messages, args.split_rounds)
    cold = split["forward"]["mean"]["cpu"]
    answer = split["timed"]["mean"]["cpu"]
    total = split["timed"]["cpu"]
    rows = (
        ("transport floor (echo)", split["echo"]["cpu"]),
        ("dispatch + session, no answer", split["session"]["cpu"]),
        ("forward, cold (in server)", cold),
        ("live message, all", total),
        ("  answer (parse + Frame.answer)", answer),
        ("    of which preprocess", split["timed"]["mean"]["preprocess_cpu"]),
        ("  the rest", total - answer),
        ("  the rest above the floor", total - answer - split["echo"]["cpu"]),
    )
    print(
        "the server's CPU per live message, split (bench/live_apps.py, same uvicorn options, "
        "one client; process CPU from schedstat; x: of the forward's CPU in process (hot) and "
        "in the server (cold)):"
    )
    for label, seconds in rows:
        print(
            f"  {label:32s} {seconds * 1e6:7.1f} us = {seconds / fwd:5.2f}x hot, "
            f"{seconds / cold:5.2f}x cold"
        )
    timed, forward = split["timed"]["median"], split["forward"]["median"]
    print(
        f"  medians in the server: answer {timed['cpu'] * 1e6:.1f} us CPU "
        f"({timed['cpu'] / fwd:.2f}x hot; in process {t['message'][1] * 1e6:.1f} us), "
        f"preprocess {timed['preprocess_cpu'] * 1e6:.1f} us, forward {forward['cpu'] * 1e6:.1f} us"
    )
    print(
        f"  round trips p50: echo {split['echo']['rt'] * 1e3:.3f} ms, timed app "
        f"{split['timed']['rt'] * 1e3:.3f} ms; live message, all, per round (us): "
        + ", ".join(f"{c * 1e6:.0f}" for c in split["timed"]["cpus"])
    )


if __name__ == "__main__":
    main()
