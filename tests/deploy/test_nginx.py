"""Two replicas behind Debian's nginx (deploy/nginx.conf) on loopback: failover and edge limits.

nginx runs as the current user from a temporary prefix with the committed configuration,
rendered with the replicas' ports and, here, one-second header and body timeouts.
"""

from __future__ import annotations

import re
import select
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local import Cluster, find_nginx

pytestmark = pytest.mark.skipif(
    find_nginx() is None,
    reason="nginx is not installed (apt-get install --no-install-recommends nginx; "
    "scripts/test.sh and .ci/run install it)",
)

TEST_SETTINGS = {"client_header_timeout": "1s", "client_body_timeout": "1s"}
THREADS, PER_THREAD, KILL_AFTER = 4, 80, 100


@pytest.fixture(scope="module")
def cluster():
    with Cluster(replicas=2, settings=TEST_SETTINGS) as c:
        yield c


@dataclass
class Outcome:
    method: str
    status: int | None  # None: the connection to nginx itself failed
    started: float
    body: str


def drive_load(url: str, digit: list, on_count) -> list[Outcome]:
    """THREADS clients, each sending PER_THREAD requests: GET /api/model and POST /api/predict."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in range(PER_THREAD):
                method = "GET" if i % 2 else "POST"
                started = time.monotonic()
                try:
                    if method == "GET":
                        r = http.get("/api/model")
                    else:
                        r = http.post("/api/predict", json={"image": digit})
                    outcome = Outcome(method, r.status_code, started, r.text[:300])
                except httpx.HTTPError as exc:
                    outcome = Outcome(method, None, started, repr(exc))
                with lock:
                    outcomes.append(outcome)
                    on_count(len(outcomes))

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def run_with_loss(lose, digits) -> tuple[list[Outcome], list, str, str, float]:
    """The bounded load through a fresh two-replica cluster; `lose(cluster)` at KILL_AFTER."""
    images, _ = digits
    lost: dict = {}
    with Cluster(replicas=2, settings=TEST_SETTINGS) as cluster:

        def on_count(n: int) -> None:
            if n == KILL_AFTER:
                lost["at"] = time.monotonic()
                lost["addr"] = lose(cluster)

        outcomes = drive_load(cluster.url, images[0].tolist(), on_count)
        time.sleep(0.5)  # let nginx write its last log lines
        records = [r for r in cluster.access_log() if r.path.startswith("/api/")]
        errors = cluster.error_log()
    assert len(outcomes) == THREADS * PER_THREAD
    return outcomes, records, errors, lost["addr"], lost["at"]


def test_a_crashed_replica_fails_only_requests_in_flight_on_it(digits, capsys):
    """SIGKILL one of two replicas during a bounded load through nginx.

    A request that had not begun to be answered is resent to the live replica if it is a GET,
    or if it is a POST that never reached the dead replica (connection refused). A POST
    already sent to the dead replica is answered 503 and not resent (`non_idempotent` is not
    set: the replica may have acted on it). A response already passed on in part (headers
    sent) cannot be resent by any proxy: nginx closes that connection, GET or POST.
    """
    outcomes, records, errors, dead, killed_at = run_with_loss(lambda c: c.kill(0), digits)
    failed = [o for o in outcomes if o.status != 200]
    assert len(failed) <= THREADS, "more requests failed than could have been in flight"
    unanswered = [o for o in failed if o.status == 503 and '"type":"unavailable"' in o.body]
    cut_short = [o for o in failed if o.status is None and "complete message body" in o.body]
    assert len(unanswered) + len(cut_short) == len(failed), failed
    assert all(o.method == "POST" for o in unanswered), "a GET was not resent"

    sent_to_dead = [r for r in records if r.upstreams == [dead]]
    not_resent = [r for r in sent_to_dead if r.status == 503 and r.upstream_statuses == ["502"]]
    assert len(not_resent) == len(unanswered)
    assert all(r.method == "POST" for r in not_resent)
    retried = [r for r in records if r.retried]
    for r in retried:  # first the dead replica, then the live one, which answered
        assert r.upstreams[0] == dead and r.status == 200, r
    last = sorted(outcomes, key=lambda o: o.started)[-100:]  # all sent well after the kill
    assert last[0].started > killed_at and all(o.status == 200 for o in last)

    refused = errors.count("(111: Connection refused) while connecting to upstream")
    count = lambda rows, m: sum(r.method == m for r in rows)  # noqa: E731
    with capsys.disabled():
        print(
            f"\nnginx, replica killed (SIGKILL) after {KILL_AFTER} of {len(outcomes)} requests "
            f"from {THREADS} clients: resent to the live replica {count(retried, 'GET')} GET, "
            f"{count(retried, 'POST')} POST ({refused} refused connections); failed "
            f"{len(unanswered)} POST answered 503 (already sent to the dead replica, not "
            f"resent), {count(cut_short, 'GET')} GET and {count(cut_short, 'POST')} POST cut "
            "off mid-response (headers already passed on)"
        )


def test_a_drained_replica_stops_without_failing_a_request(digits, capsys):
    """Take a replica out of nginx (graceful reload), then stop it: nothing fails."""
    outcomes, records, _, _, _ = run_with_loss(lambda c: c.drain(0), digits)
    assert [o for o in outcomes if o.status != 200] == []
    assert not [r for r in records if r.retried]
    with capsys.disabled():
        print(
            f"\nnginx, replica drained then stopped after {KILL_AFTER} of {len(outcomes)} "
            "requests: 0 failed, 0 resent"
        )


def open_raw(cluster: Cluster) -> socket.socket:
    return socket.create_connection(("127.0.0.1", cluster.port), timeout=5)


def closed_within(sock: socket.socket, trickle: bytes | None, limit: float) -> tuple[bool, bytes]:
    """Send `trickle` every 0.2 s (or nothing) until nginx closes the connection or `limit` s.

    Returns whether it closed and whatever nginx sent before closing.
    """
    received = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if trickle:
                sock.sendall(trickle)
            ready, _, _ = select.select([sock], [], [], 0.2)
            if ready:
                chunk = sock.recv(4096)
                if not chunk:
                    return True, received
                received += chunk
        except (BrokenPipeError, ConnectionResetError):
            return True, received
    return False, received


def test_trickled_headers_are_cut_off_after_client_header_timeout(cluster):
    with open_raw(cluster) as sock:
        sock.sendall(b"GET /api/model HTTP/1.1\r\nHost: x\r\n")
        closed, got = closed_within(sock, b"X-Slow: 1\r\n", limit=20)
    assert closed, "nginx kept a connection that never finished its headers"
    assert b"200 OK" not in got
    assert httpx.get(f"{cluster.url}/healthz").status_code == 200


def test_stalled_body_is_cut_off_after_client_body_timeout(cluster):
    with open_raw(cluster) as sock:
        sock.sendall(
            b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b'{"image": [[0,' + b"0," * 100
        )
        closed, got = closed_within(sock, None, limit=20)
    assert closed, "nginx kept a connection whose body stalled"
    assert b"200 OK" not in got


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def test_stalled_bodies_hold_no_replica_memory_and_are_all_cut_off(cluster):
    """40 clients each send 1 MiB of a 4 MiB body, then stall: nginx holds and drops them."""
    before = sum(rss_kib(p.pid) for p in cluster.replicas)
    head = (
        b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4194304\r\n\r\n"
    )
    socks = [open_raw(cluster) for _ in range(40)]
    try:
        for sock in socks:
            sock.sendall(head + b" " * 1048576)
        during = sum(rss_kib(p.pid) for p in cluster.replicas)
        assert all(closed_within(sock, None, limit=20)[0] for sock in socks)
    finally:
        for sock in socks:
            sock.close()
    assert during - before < 8 * 1024, f"replicas grew by {during - before} KiB"
    assert httpx.get(f"{cluster.url}/healthz").status_code == 200


def test_oversized_headers_are_refused_with_400(cluster):
    long_line = {"X-Big": "a" * 9000}  # one header line over the 8 KiB buffer
    assert httpx.get(f"{cluster.url}/api/model", headers=long_line).status_code == 400
    many = {f"X-Big-{i}": "a" * 7000 for i in range(5)}  # more than 4 large buffers
    assert httpx.get(f"{cluster.url}/api/model", headers=many).status_code == 400
    assert httpx.get(f"{cluster.url}/api/model").status_code == 200


def test_oversized_body_is_a_json_413_with_security_headers(cluster):
    r = httpx.post(
        f"{cluster.url}/api/predict",
        content=b" " * (8 * 1024 * 1024 + 1),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["detail"][0]["type"] == "too_large"
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_app_responses_keep_the_apps_headers_once_and_static_files_are_gzipped(cluster):
    r = httpx.get(f"{cluster.url}/static/js/main.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        assert len(r.headers.get_list(name)) == 1, name
    assert "script-src 'self'" in r.headers["content-security-policy"]  # the app's own

    api = httpx.get(f"{cluster.url}/api/model", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in api.headers  # the JSON API is passed as the app sends it


def test_no_replica_left_is_a_json_503_with_retry_after():
    with Cluster(replicas=1, settings=TEST_SETTINGS) as cluster:
        cluster.kill(0)
        r = httpx.get(f"{cluster.url}/api/model")
    assert r.status_code == 503
    assert r.json()["detail"][0]["type"] == "unavailable"
    assert r.headers["retry-after"] == "2"
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
