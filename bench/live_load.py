"""Many live connections drawing at once: errors, answers per second, latency, server memory.

Starts `lenet-vis serve` on loopback and opens `--connections` WebSocket /api/live clients
(default 200), spread over `--client-processes` processes. Each client draws on a 60 Hz clock
and, as the page does, keeps at most one drawing in flight: on a tick it sends the pad's next
140x140 drawing and waits for the answer; ticks that pass while it waits are skipped (counted),
never queued, so no drawing is ever dropped by the server here. The server's resident memory
(every process of it) is sampled every half second. Printed: errors, answers per second (and
per connection), round-trip latency p50/p95/p99, skipped ticks, RSS at start/peak/end.
Run: python bench/live_load.py [--connections 200] [--seconds 30] [--hz 60] [--workers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lenet_vis.app.cli import one_blas_thread  # noqa: E402

one_blas_thread(os.environ)

import httpx  # noqa: E402
import numpy as np  # noqa: E402

from tests.app.live_clients import Load, drive  # noqa: E402
from tests.app.serving import rss_bytes, serving  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import blas_settings  # noqa: E402


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (a server with workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        stack.extend(children.get(p, []))
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for p in process_tree(pid):
        try:
            total += rss_bytes(p)
        except (OSError, RuntimeError):
            continue
    return total


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far (Linux /proc)."""
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def poll_health(url: str, stop: threading.Event, times: list[float]) -> None:
    """GET /healthz every 100 ms until stopped: how long the event loop keeps HTTP waiting."""
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            t = time.perf_counter()
            client.get("/healthz").raise_for_status()
            times.append(time.perf_counter() - t)
            stop.wait(0.1)


def client_part(args: tuple) -> Load:
    url, connections, seconds, hz = args
    return drive(url, connections, seconds, hz)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--hz", type=float, default=60.0, help="drawings per second per client")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()
    for line in blas_settings():
        print(line)

    with serving(workers=args.workers) as (url, proc):
        time.sleep(1)
        start_rss = tree_rss(proc.pid)
        start_cpu = tree_cpu(proc.pid)
        samples = [start_rss]
        n = args.client_processes
        parts = [
            (
                url,
                args.connections * (i + 1) // n - args.connections * i // n,
                args.seconds,
                args.hz,
            )
            for i in range(n)
        ]
        print(
            f"{args.connections} connections x {args.hz:g} Hz for {args.seconds:g} s "
            f"({n} client processes, {args.workers} server worker(s)); server RSS "
            f"{start_rss / 2**20:.1f} MiB",
            file=sys.stderr,
            flush=True,
        )
        ctx = multiprocessing.get_context("spawn")
        health: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll_health, args=(url, stop, health), daemon=True)
        with ctx.Pool(n) as pool:
            pending = pool.map_async(client_part, parts)
            poller.start()
            t0 = time.monotonic()
            shown = 0.0
            while not pending.ready():
                pending.wait(0.5)
                samples.append(tree_rss(proc.pid))
                elapsed = time.monotonic() - t0
                if elapsed - shown >= 5:
                    shown = elapsed
                    print(
                        f"  {elapsed:5.1f} s: server RSS {samples[-1] / 2**20:.1f} MiB",
                        file=sys.stderr,
                        flush=True,
                    )
            loads = pending.get()
        stop.set()
        poller.join()
        server_cpu = tree_cpu(proc.pid) - start_cpu
        time.sleep(1)  # the connections' handlers end
        end_rss = tree_rss(proc.pid)
        samples.append(end_rss)

    errors = [e for load in loads for e in load.errors]
    answers = [a for load in loads for a in load.answers]
    latencies = np.array([t for load in loads for t in load.latencies])
    skipped = sum(load.skipped for load in loads)
    elapsed = max(load.elapsed for load in loads)
    total = int(sum(answers))
    print(f"connections {len(answers)}, errors {len(errors)}")
    for e in errors[:10]:
        print("  " + e)
    print(
        f"answers {total} in {elapsed:.1f} s: {total / args.seconds:.0f}/s "
        f"({total / args.seconds / max(1, len(answers)):.1f}/s per connection, "
        f"asked {args.hz:g}); fewest per connection {min(answers) if answers else 0}; "
        f"ticks skipped while a drawing was in flight {skipped}"
    )
    if latencies.size:
        p50, p95, p99, top = np.percentile(latencies, [50, 95, 99, 100]) * 1e3
        print(f"round trip ms: p50 {p50:.2f}  p95 {p95:.2f}  p99 {p99:.2f}  max {top:.1f}")
    if health:
        h50, h99, hmax = np.percentile(health, [50, 99, 100]) * 1e3
        print(
            f"GET /healthz during the load ({len(health)} polls): p50 {h50:.1f} ms  "
            f"p99 {h99:.1f} ms  max {hmax:.1f} ms"
        )
    if total:
        print(
            f"server CPU {server_cpu:.1f} s: {server_cpu / total * 1e6:.0f} us per answer "
            f"({server_cpu / elapsed * 100:.0f}% of a core)"
        )
    print(
        f"server RSS MiB: start {start_rss / 2**20:.1f}  peak {max(samples) / 2**20:.1f}  "
        f"end {end_rss / 2**20:.1f}"
    )


if __name__ == "__main__":
    main()
