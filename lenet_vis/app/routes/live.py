"""WebSocket /api/live: a drawing in, every layer out, as binary frames (`lenet_vis.app.live`).

The channel is served by `LiveDispatch`, a pure-ASGI layer outside the app (main.py adds it
last): a WebSocket scope for /api/live goes straight to `live_channel`, with uvicorn's own
receive and send, past FastAPI's routing, Starlette's WebSocket wrapper and the HTTP
middleware (which pass WebSockets through anyway); every other scope goes on to the app.

Per connection one task: it takes a message, then every message already waiting behind it
(uvicorn's protocol says how many: `LiveWebSockets` puts the count in the scope's
extensions), checking each (layout, size, rate); only the newest is answered: run into the
connection's frame buffer on the event loop (preprocessing and a forward pass: a fraction of
a millisecond) and sent. A drawing with a newer one waiting is dropped, never answered late.
Under a server without the count every drawing is answered, in order.

Limits (config.Settings, live_*): Origin (403 before the handshake), connections per worker
(1013), message size (1009; uvicorn's ws_max_size refuses larger frames as they arrive),
messages per second (token bucket, 1008), idle time (1000); frames off the layout: 1003 or
1007, an unknown checkpoint 1008. Every close carries a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers

from lenet_vis.app import live
from lenet_vis.app.errors import error_response
from lenet_vis.app.live import FrameError
from lenet_vis.app.live_protocol import WAITING
from lenet_vis.app.offload import ServerBusy
from lenet_vis.model import checkpoints
from lenet_vis.model.lenet import LeNet, WeightsError

router = APIRouter()
log = logging.getLogger("lenet_vis")
PATH = "/api/live"


class Channel:
    """The worker's live connections: how many are open, and the convolutions' scratch
    buffers they share (every answer runs on the event loop's thread, one at a time)."""

    def __init__(self) -> None:
        self.open = 0
        self.scratch: dict = {}


def channel(app) -> Channel:
    state = app.state
    if not hasattr(state, "live_channel"):
        state.live_channel = Channel()
    return state.live_channel


class LiveDispatch:
    """Pure ASGI: WebSocket /api/live to `live_channel`, everything else to `app`.

    Added as the app's outermost middleware, so `scope["app"]` is the FastAPI app (its state:
    settings, weights, the CPU pool)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket" and route_path(scope) == PATH:
            await live_channel(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def route_path(scope) -> str:
    """The scope's path below its root_path (as Starlette's router matches it)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


async def live_channel(scope, receive, send) -> None:
    """The live channel (README "Live channel (WebSocket)" has the frame layout)."""
    app = scope["app"]
    settings = app.state.settings
    if (await receive())["type"] != "websocket.connect":
        return
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if not live.origin_allowed(origin, headers.get("host"), settings.live_origins):
        await refuse_origin(scope, send, origin)
        return
    chan = channel(app)
    await send({"type": "websocket.accept"})
    if chan.open >= settings.live_max_connections:
        await close(
            send,
            live.TRY_AGAIN,
            f"try again later: this worker holds its {settings.live_max_connections} "
            "live connections",
        )
        return
    chan.open += 1
    try:
        await Session(scope, receive, send, app.state, chan.scratch).run()
    finally:
        chan.open -= 1


async def refuse_origin(scope, send, origin: str) -> None:
    """403 before the handshake, with the API's JSON error (or a bare 403 close)."""
    msg = f"origin {origin!r} may not open the live channel (LENET_VIS_LIVE_ORIGINS)"
    if "websocket.http.response" in scope.get("extensions", {}):
        body = [{"loc": ["header", "origin"], "msg": msg, "type": "forbidden"}]
        response = error_response(403, body)
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "websocket.http.response.body", "body": response.body})
    else:
        await close(send, live.POLICY, msg)


async def close(send, code: int, reason: str) -> None:
    """Close with a code and reason unless the connection is already closed."""
    with contextlib.suppress(OSError, RuntimeError):  # the peer went first (ClientDisconnected)
        await send({"type": "websocket.close", "code": code, "reason": live.close_reason(reason)})


class Gone(Exception):
    """The peer closed the connection."""


def nothing_waiting() -> int:
    return 0


class Session:
    """One connection: one task receiving, dropping stale drawings, answering the newest."""

    def __init__(self, scope, receive, send, state, scratch: dict) -> None:
        self.receive, self.send, self.state, self.scratch = receive, send, state, scratch
        waiting = scope.get("extensions", {}).get(WAITING)
        self.waiting = waiting["count"] if waiting else nothing_waiting
        settings = state.settings
        self.names = checkpoints.names(state.net.metadata)
        self.bucket = live.TokenBucket(settings.live_rate, settings.live_burst)
        self.idle = settings.live_idle_timeout
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()
        self.idled = False
        self.task: asyncio.Task | None = None
        self.frame: live.Frame | None = None
        self.frame_checkpoint = -1
        self.frame_net: LeNet | None = None
        self.sending: dict | None = None  # the send event of the frame's buffer
        self.timer = self.loop.call_at(self.last + self.idle, self.watch)

    def watch(self) -> None:
        """The idle timer: after `idle` seconds without a message, stop the task (it closes
        the connection with a reason)."""
        due = self.last + self.idle
        if self.loop.time() >= due:
            self.idled = True
            if self.task is not None:
                self.task.cancel()
        else:
            self.timer = self.loop.call_at(due, self.watch)

    async def run(self) -> None:
        self.task = asyncio.current_task()
        try:
            await self.answer_loop()
        except FrameError as exc:
            await close(self.send, exc.code, exc.reason)
        except Gone:
            pass
        except asyncio.CancelledError:
            if not self.idled:
                raise
            self.task.uncancel()
            await close(self.send, live.NORMAL, f"idle: no drawing for {self.idle:g} s")
        finally:
            self.timer.cancel()

    def take(self, message: dict) -> live.Drawing:
        """A received message -> its Drawing, checked; Gone or FrameError."""
        if message["type"] == "websocket.disconnect":
            raise Gone
        self.last = self.loop.time()
        drawing = live.parse_drawing(message.get("bytes"), len(self.names))
        if not self.bucket.take():
            settings = self.state.settings
            raise FrameError(
                live.POLICY,
                f"too many messages: at most {settings.live_rate:g}/s "
                f"(bursts of {settings.live_burst}); keep one drawing in flight",
            )
        return drawing

    async def answer_loop(self) -> None:
        receive, waiting, take = self.receive, self.waiting, self.take
        while True:
            drawing = take(await receive())
            while waiting():  # already here, behind it: the newest one wins
                drawing = take(await receive())
            if drawing.checkpoint != self.frame_checkpoint:
                await self.use_checkpoint(drawing.checkpoint)
                if waiting():  # drawn anew while a checkpoint was read
                    continue
            self.frame.answer(self.frame_net, drawing)  # into self.sending's buffer
            try:
                await self.send(self.sending)
            except OSError:  # the peer went (uvicorn's ClientDisconnected)
                raise Gone from None

    async def use_checkpoint(self, index: int) -> None:
        """The frame buffer and network for checkpoint `index` (0: the final weights)."""
        name = None if index == 0 else self.names[index - 1]
        net = self.state.net if name is None else await self.checkpoint_net(name)
        self.frame = live.Frame(name, self.scratch)
        self.frame_checkpoint, self.frame_net = index, net
        self.sending = {"type": "websocket.send", "bytes": self.frame.buffer}

    async def checkpoint_net(self, name: str) -> LeNet:
        """A checkpoint's network, read once in the CPU pool and kept (shared with HTTP's
        ?checkpoint=)."""
        nets = self.state.checkpoint_nets
        if name not in nets:
            try:
                nets[name] = await self.state.cpu.run(
                    checkpoints.load_checkpoint,
                    self.state.settings.weights,
                    name,
                    self.state.net.metadata,
                )
            except ServerBusy:
                raise FrameError(live.TRY_AGAIN, "server busy loading weights; try again") from None
            except WeightsError as exc:
                log.warning("live: checkpoint %s unavailable: %s", name, exc)
                raise FrameError(live.SERVER_ERROR, f"checkpoint {name} unavailable") from None
        return nets[name]


# ---------------------------------------------------------------------------- /docs/live

LIVE_DOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lenet-vis live channel</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}}
pre,code{{font:14px/1.4 ui-monospace,monospace}}pre{{background:#f4f4f4;padding:.8rem;
overflow-x:auto}}td,th{{padding:.15rem .6rem;text-align:left;vertical-align:top}}
table{{border-collapse:collapse}}tr{{border-bottom:1px solid #ddd}}td{{overflow-wrap:anywhere}}
@media (max-width:40rem){{pre{{white-space:pre-wrap;overflow-wrap:anywhere}}
h1{{font-size:1.6rem}}body{{margin-top:1rem}}}}</style></head><body>
<h1>Live channel: WebSocket <code>/api/live</code></h1>
<p>The visualizer's channel: one binary message per drawing, one binary frame per answer with
the prediction and every layer as float32. The JSON API (<a href="/docs">/docs</a>) stays for
programs. All integers little-endian.</p>
<h2>A drawing (client to server)</h2>
<table><tr><th>bytes</th><th>type</th><th>meaning</th></tr>
<tr><td>0-3</td><td>u32</td><td>seq, the page's counter, echoed</td></tr>
<tr><td>4</td><td>u8</td><td>checkpoint: 0 the final weights; i &ge; 1 the i-th entry of
<a href="/api/knowledge/checkpoints">GET /api/knowledge/checkpoints</a></td></tr>
<tr><td>5</td><td>u8</td><td>flags: bit 0 (1) the grid is already the network's field,
a 28x28 (or 32x32) MNIST digit, read as it is (as <code>preprocess: false</code>);
other bits reserved, 0</td></tr>
<tr><td>6-7</td><td>u16</td><td>side, {min_side}..{max_side}</td></tr>
<tr><td>8..</td><td>u8</td><td>side &times; side ink, row-major, 0 background, 255 ink</td></tr>
</table>
<p>Preprocessed exactly as <code>POST /api/predict</code> with the grid as <code>image</code>
(crop, scale to 20 px, centre of mass to the centre of 28x28, pad to 32x32; blank when the
brightest ink is under 16): the layers equal its answer's.</p>
<h2>An answer (server to client)</h2>
<table><tr><th>bytes</th><th>type</th><th>meaning</th></tr>
<tr><td>0-3</td><td>u32</td><td>seq of the drawing answered</td></tr>
<tr><td>4</td><td>u8</td><td>prediction, 0-9</td></tr>
<tr><td>5</td><td>u8</td><td>flags: bit 0 blank (no ink)</td></tr>
<tr><td>6-7</td><td>u16</td><td>H, the header's length</td></tr>
<tr><td>8..8+H</td><td>UTF-8</td><td>JSON header, space-padded so 8 + H is a multiple of 4</td></tr>
<tr><td>8+H..</td><td>f32</td><td>every layer's data, C order, back to back, at the header's
offsets (from the frame's start); softmax is the probabilities</td></tr></table>
<p>The header for the final weights, as this server sends it ({size:,} bytes a frame):</p>
<pre>{header}</pre>
<p>If several drawings of one connection wait, only the newest is answered; the others are
dropped, never answered late. Keep one drawing in flight.</p>
<h2>Limits and close codes</h2>
<table><tr><th>code</th><th>when</th></tr>
<tr><td>403</td><td>before the handshake: a page from another origin than this server's host
(or LENET_VIS_LIVE_ORIGINS); programs send no Origin and are let in</td></tr>
<tr><td>1000</td><td>idle: no drawing for {idle:g} s</td></tr>
<tr><td>1003</td><td>a text frame</td></tr>
<tr><td>1007</td><td>a frame off the layout: under 8 bytes, an unknown flag, flag 1 with a side
other than 28 or 32, side outside
{min_side}..{max_side}, length not 8 + side&times;side</td></tr>
<tr><td>1008</td><td>an unknown checkpoint index; more than {rate:g} messages a second
(bursts of {burst})</td></tr>
<tr><td>1009</td><td>a message over {max_message:,} bytes</td></tr>
<tr><td>1011</td><td>a checkpoint file the server cannot read</td></tr>
<tr><td>1013</td><td>this worker holds {connections} live connections, or is busy: try again
later</td></tr></table>
<p>Every close carries a short reason. README.md, "Live channel (WebSocket)", has the same and
the benchmarks.</p>
<h2>From Python</h2>
<pre>from websockets.sync.client import connect
from lenet_vis.app.live import drawing_message, read_answer
with connect("ws://127.0.0.1:8000/api/live") as ws:
    ws.send(drawing_message(1, grid))   # grid: (side, side) uint8
    answer = read_answer(ws.recv())     # seq, prediction, blank, header, layers</pre>
</body></html>"""


@router.get("/docs/live", include_in_schema=False)
async def live_docs(request: Request) -> HTMLResponse:
    """The live channel's frame layout, limits and close codes."""
    settings = request.app.state.settings
    layout = live.layout(None)
    header = layout.header[live.ANSWER_HEADER.size :].decode().rstrip()
    pretty = header.replace('"layers":[', '"layers":[\n  ').replace("],[", "],\n  [")
    return HTMLResponse(
        LIVE_DOC.format(
            min_side=live.MIN_SIDE,
            max_side=live.MAX_SIDE,
            max_message=live.MAX_MESSAGE,
            size=layout.size,
            header=html.escape(pretty),
            idle=settings.live_idle_timeout,
            rate=settings.live_rate,
            burst=settings.live_burst,
            connections=settings.live_max_connections,
        )
    )
