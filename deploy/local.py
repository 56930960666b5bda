"""N replicas of the app behind nginx, all on loopback: for local use, the tests and the bench.

    .venv/bin/python deploy/local.py --replicas 3 --port 8080

starts three `lenet-vis serve` processes on free loopback ports and Debian's nginx (as the
current user, its prefix, config, pid, logs and temp files in a fresh folder) with
deploy/nginx.conf rendered for them, prints the address, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy.nginx_conf import render  # noqa: E402

ACCESS_LINE = re.compile(
    r'^(?P<client>\S+) \[(?P<time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+)[^"]*" '
    r'(?P<status>\d+) (?P<bytes>\d+) rt=(?P<rt>\S+) ua="(?P<upstreams>[^"]*)" '
    r'us="(?P<upstream_statuses>[^"]*)" urt="(?P<urt>[^"]*)"$'
)


def find_nginx() -> str | None:
    """nginx on PATH, or Debian's /usr/sbin/nginx (not on a normal user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering /healthz")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer {url}/healthz within {timeout:.0f} s")
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    """The processes whose parent is pid (nginx's workers), read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@dataclass
class AccessRecord:
    """One line of nginx's access log: which replicas a request tried, with what answers."""

    method: str
    path: str
    status: int
    upstreams: list[str]  # in the order tried; empty when nginx answered itself
    upstream_statuses: list[str]

    @property
    def retried(self) -> bool:
        return len(self.upstreams) > 1


class Cluster:
    """`replicas` app processes and one nginx in front; a context manager that stops them all.

    settings: nginx directives to override (e.g. {"client_header_timeout": "1s"}).
    env: extra environment for the replicas (e.g. LENET_VIS_* settings).
    """

    def __init__(
        self,
        replicas: int = 2,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.nginx = nginx
        self.replica_count = replicas
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = dict(settings or {})
        self.env = {**os.environ, **(env or {})}
        self.replicas: list[subprocess.Popen] = []
        self.replica_addrs: list[str] = []
        self.proc: subprocess.Popen | None = None
        self.prefix = Path(tempfile.mkdtemp(prefix="lenet-vis-nginx-"))
        self.prefix.chmod(0o755)  # nginx workers started by root run as an unprivileged user

    def start(self) -> Cluster:
        try:
            for i in range(self.replica_count):
                self.start_replica(i)
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def start_replica(self, i: int) -> None:
        port = free_port()
        addr = f"127.0.0.1:{port}"
        log = (self.prefix / f"replica{i}.log").open("w")
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "lenet_vis.app.cli", *serve],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.replicas.append(proc)
        self.replica_addrs.append(addr)
        wait_healthy(f"http://{addr}", proc, f"replica {i}")

    def write_config(self, replicas: list[str]) -> Path:
        settings = {
            "error_log": f"{self.prefix / 'error.log'} info",
            "access_log": f"{self.prefix / 'access.log'} upstreams",
            **self.settings,
        }
        conf = self.prefix / "nginx.conf"
        conf.write_text(render(replicas, f"127.0.0.1:{self.port}", settings))
        return conf

    def start_nginx(self) -> None:
        conf = self.write_config(self.replica_addrs)
        out = (self.prefix / "nginx.out").open("w")
        self.proc = subprocess.Popen(
            [
                self.nginx,
                "-p",
                str(self.prefix),
                "-c",
                str(conf),
                "-e",
                "stderr",
                "-g",
                "daemon off;",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        try:
            wait_healthy(self.url, self.proc, "nginx", timeout=30)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{(self.prefix / 'nginx.out').read_text()}") from None

    def kill(self, i: int) -> str:
        """Kill replica i at once (SIGKILL, as a crash would); returns its address."""
        self.replicas[i].kill()
        self.replicas[i].wait()
        return self.replica_addrs[i]

    def drain(self, i: int) -> str:
        """Take replica i out of nginx (new config, graceful reload), then stop it (SIGTERM).

        The old nginx workers finish what they have in flight before they exit; only then is
        the replica stopped, so no request is lost (a rolling restart does this per replica).
        """
        assert self.proc is not None
        addr = self.replica_addrs[i]
        keep = [
            a
            for j, a in enumerate(self.replica_addrs)
            if j != i and self.replicas[j].poll() is None
        ]
        old_workers = children(self.proc.pid)
        self.write_config(keep)
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in old_workers):
            if time.monotonic() > deadline:
                raise RuntimeError("nginx's old workers did not exit within 30 s of the reload")
            time.sleep(0.05)
        self.replicas[i].terminate()
        self.replicas[i].wait(timeout=30)
        return addr

    def access_log(self) -> list[AccessRecord]:
        records = []
        for line in (self.prefix / "access.log").read_text().splitlines():
            m = ACCESS_LINE.match(line)
            if m is None:
                continue
            split = [s.strip() for s in re.split(r"[,:] ", m["upstreams"]) if s.strip()]
            records.append(
                AccessRecord(
                    method=m["method"],
                    path=m["path"],
                    status=int(m["status"]),
                    upstreams=[] if split == ["-"] else split,
                    upstream_statuses=[
                        s.strip() for s in re.split(r"[,:] ", m["upstream_statuses"])
                    ],
                )
            )
        return records

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self, keep: bool = False) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for proc in self.replicas:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.replicas:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not keep:
            shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1")
    args = parser.parse_args(argv)
    cluster = Cluster(args.replicas, args.port)
    print(f"starting {args.replicas} replicas and nginx (files in {cluster.prefix})...", flush=True)
    cluster.start()
    replicas = ", ".join(cluster.replica_addrs)
    print(f"lenet-vis: open {cluster.url} (nginx -> {replicas}); Ctrl-C stops", flush=True)
    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stop:
            for i, proc in enumerate(cluster.replicas):
                if proc.returncode is None and proc.poll() is not None:
                    addr = cluster.replica_addrs[i]
                    print(f"replica {i} ({addr}) exited with {proc.returncode}", flush=True)
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        cluster.stop(keep=True)
        print(f"logs kept in {cluster.prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
