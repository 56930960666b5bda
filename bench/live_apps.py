"""Bench-only ASGI apps for `bench/live.py`, served exactly as `lenet-vis serve` serves the app
(one worker, the same uvicorn options: uvicorn_options(get_settings())). Not a production path.

  echo     the transport floor: accept, then answer each message with a prebuilt buffer of an
           answer's size (the final weights' frame), nothing parsed or computed
  forward  as echo, plus one `net.forward` of a fixed input per message, its time taken in
           the server: the forward pass cold, as a live message finds it (woken from epoll)
  session  the real app, LiveDispatch and the real Session (parse, rate, newest-only), with
           Frame.answer doing nothing: the answer's buffer sent as it stands
  timed    the real app (`create_app()`, LiveDispatch and the real Session), with each
           message's answer timed: parse_drawing + Frame.answer (preprocess, every layer into
           the frame, stamping), and its preprocessing (grid_input) on its own

Each answers GET /healthz, and GET /bench/stats with the per-message times taken so far
(this thread's CPU time and wall time, seconds), then forgets them (?keep=1 keeps them).

Run: python bench/live_apps.py echo|forward|session|timed --port PORT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lenet_vis.app.cli import one_blas_thread  # noqa: E402

one_blas_thread(os.environ)

import numpy as np  # noqa: E402

from lenet_vis.app import live  # noqa: E402

TIMES: list[tuple[float, float, float]] = []  # (CPU, wall, preprocess's CPU) s per message


async def http_answer(scope, receive, send) -> bool:
    """GET /healthz and /bench/stats; False for any other scope."""
    if scope["type"] != "http" or scope["path"] not in ("/healthz", "/bench/stats"):
        return False
    body = b'{"status":"ok"}'
    if scope["path"] == "/bench/stats":
        times = np.array(TIMES, float).reshape(-1, 3)
        names = ("cpu", "wall", "preprocess_cpu")
        body = json.dumps({n: times[:, i].tolist() for i, n in enumerate(names)}).encode()
        if b"keep=1" not in scope.get("query_string", b""):
            TIMES.clear()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
    return True


def prebuilt_frame() -> bytearray:
    """An answer's bytes for the final weights, as the real channel sends them (zeros)."""
    return live.Frame(None).buffer


def echo_app(work=None):
    """The raw echo session; `work()` (if given) runs, timed, before each answer."""
    message = {"type": "websocket.send", "bytes": prebuilt_frame()}

    async def app(scope, receive, send) -> None:
        if await http_answer(scope, receive, send) or scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            if work is not None:
                c, t = time.thread_time(), time.perf_counter()
                work()
                TIMES.append((time.thread_time() - c, time.perf_counter() - t, 0.0))
            await send(message)

    return app


def forward_app():
    from lenet_vis.assets import WEIGHTS
    from lenet_vis.model.lenet import LeNet
    from lenet_vis.model.preprocess import to_network_input
    from tests.app.live_clients import pad_grids

    net = LeNet.load(WEIGHTS)
    x = to_network_input(pad_grids(1)[0])
    return echo_app(lambda: net.forward(x))


def timed_app():
    """The real app, with each message's parse_drawing and Frame.answer timed (wrappers in
    this process only); a message's time is its parse's plus its answer's."""
    parse, answer, grid_input = live.parse_drawing, live.Frame.answer, live.grid_input
    parsed = [0.0, 0.0, 0.0]  # the parse's (CPU, wall) not yet counted, preprocess's CPU

    def timed_parse(data, checkpoints):
        c, t = time.thread_time(), time.perf_counter()
        out = parse(data, checkpoints)
        parsed[0] += time.thread_time() - c
        parsed[1] += time.perf_counter() - t
        return out

    def timed_grid_input(grid, out):
        c = time.thread_time()
        blank = grid_input(grid, out)
        parsed[2] = time.thread_time() - c
        return blank

    def timed_answer(self, net, drawing):
        c, t = time.thread_time(), time.perf_counter()
        out = answer(self, net, drawing)
        c, t = time.thread_time() - c + parsed[0], time.perf_counter() - t + parsed[1]
        TIMES.append((c, t, parsed[2]))
        parsed[:] = [0.0, 0.0, 0.0]
        return out

    live.parse_drawing, live.Frame.answer = timed_parse, timed_answer
    live.grid_input = timed_grid_input
    from lenet_vis.app.main import create_app

    real = create_app()

    async def app(scope, receive, send) -> None:
        if scope.get("path") != "/bench/stats" or not await http_answer(scope, receive, send):
            await real(scope, receive, send)

    return app


def session_app():
    """The real app and Session with Frame.answer doing nothing: dispatch and session only."""
    live.Frame.answer = lambda self, net, drawing: self.buffer
    from lenet_vis.app.main import create_app

    real = create_app()

    async def app(scope, receive, send) -> None:
        if scope.get("path") != "/bench/stats" or not await http_answer(scope, receive, send):
            await real(scope, receive, send)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["echo", "forward", "timed", "session"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvicorn

    from lenet_vis.app.cli import uvicorn_options
    from lenet_vis.app.config import get_settings

    kinds = {"echo": echo_app, "forward": forward_app, "timed": timed_app, "session": session_app}
    app = kinds[args.kind]()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        **uvicorn_options(get_settings()),
    )


if __name__ == "__main__":
    main()
