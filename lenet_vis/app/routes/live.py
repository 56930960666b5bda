"""WebSocket /api/live: a drawing in, every layer out, as binary frames (`lenet_vis.app.live`).

Per connection two tasks share one slot: the reader takes each message as it arrives, checks
it (layout, size, rate) and puts it in the slot, replacing any drawing not yet answered; the
answerer takes the newest drawing from the slot, runs it into the connection's frame buffer
on the event loop (preprocessing and a forward pass: a fraction of a millisecond) and sends
the buffer. A drawing replaced before its turn is dropped, never answered late.

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

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from lenet_vis.app import live
from lenet_vis.app.errors import error_response
from lenet_vis.app.live import FrameError
from lenet_vis.app.offload import ServerBusy
from lenet_vis.model import checkpoints
from lenet_vis.model.lenet import LeNet, WeightsError

router = APIRouter()
log = logging.getLogger("lenet_vis")


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


@router.websocket("/api/live")
async def live_channel(ws: WebSocket) -> None:
    """The live channel (README "Live channel (WebSocket)" has the frame layout)."""
    app = ws.app
    settings = app.state.settings
    origin = ws.headers.get("origin")
    if not live.origin_allowed(origin, ws.headers.get("host"), settings.live_origins):
        await refuse_origin(ws, origin)
        return
    chan = channel(app)
    await ws.accept()
    if chan.open >= settings.live_max_connections:
        await close(
            ws,
            live.TRY_AGAIN,
            f"try again later: this worker holds its {settings.live_max_connections} "
            "live connections",
        )
        return
    chan.open += 1
    try:
        await Session(ws, chan.scratch).run()
    finally:
        chan.open -= 1


async def refuse_origin(ws: WebSocket, origin: str) -> None:
    """403 before the handshake, with the API's JSON error (or a bare 403 close)."""
    msg = f"origin {origin!r} may not open the live channel (LENET_VIS_LIVE_ORIGINS)"
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        body = [{"loc": ["header", "origin"], "msg": msg, "type": "forbidden"}]
        await ws.send_denial_response(error_response(403, body))
    else:
        await ws.close(live.POLICY, live.close_reason(msg))


async def close(ws: WebSocket, code: int, reason: str) -> None:
    """Close with a code and reason unless the connection is already closed."""
    if ws.application_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError):  # the peer went first
        await ws.close(code, live.close_reason(reason))


class Session:
    """One connection: the reader task, the slot, and the answering loop."""

    def __init__(self, ws: WebSocket, scratch: dict) -> None:
        self.ws, self.scratch = ws, scratch
        self.state = ws.app.state
        settings = self.state.settings
        self.names = checkpoints.names(self.state.net.metadata)
        self.bucket = live.TokenBucket(settings.live_rate, settings.live_burst)
        self.idle = settings.live_idle_timeout
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        self.latest: live.Drawing | None = None
        self.failure: FrameError | None = None
        self.gone = False
        self.last = self.loop.time()
        self.frame: live.Frame | None = None
        self.frame_checkpoint = -1
        self.timer = self.loop.call_at(self.last + self.idle, self.watch)

    def watch(self) -> None:
        """The idle timer: close after `idle` seconds without a message."""
        due = self.last + self.idle
        if self.loop.time() >= due:
            self.fail(FrameError(live.NORMAL, f"idle: no drawing for {self.idle:g} s"))
        else:
            self.timer = self.loop.call_at(due, self.watch)

    def fail(self, error: FrameError) -> None:
        if self.failure is None:
            self.failure = error
        self.wake.set()

    async def read(self) -> None:
        """Every message into the slot, checked; the newest replaces an unanswered one."""
        receive = self.ws.receive
        count = len(self.names)
        while True:
            try:
                message = await receive()
            except (WebSocketDisconnect, RuntimeError):  # the connection is gone
                message = {"type": "websocket.disconnect"}
            if message["type"] == "websocket.disconnect":
                self.gone = True
                self.wake.set()
                return
            self.last = self.loop.time()
            try:
                drawing = live.parse_drawing(message.get("bytes"), count)
                if not self.bucket.take():
                    settings = self.state.settings
                    raise FrameError(
                        live.POLICY,
                        f"too many messages: at most {settings.live_rate:g}/s "
                        f"(bursts of {settings.live_burst}); keep one drawing in flight",
                    )
            except FrameError as exc:
                self.fail(exc)
                return
            self.latest = drawing
            self.wake.set()

    async def run(self) -> None:
        reader = asyncio.create_task(self.read())
        try:
            await self.answer_loop()
        finally:
            self.timer.cancel()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader  # so no exception of it goes unretrieved

    async def answer_loop(self) -> None:
        ws = self.ws
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.failure is not None:
                await close(ws, self.failure.code, self.failure.reason)
                return
            if self.gone:
                return
            drawing, self.latest = self.latest, None
            if drawing is None:
                continue
            try:
                frame, net = await self.frame_for(drawing.checkpoint)
            except FrameError as exc:
                await close(ws, exc.code, exc.reason)
                return
            if self.failure is not None or self.gone or self.latest is not None:
                self.wake.set()  # said, or drawn anew, while a checkpoint was read
                continue
            data = frame.answer(net, drawing)
            try:
                await ws.send_bytes(data)
            except (WebSocketDisconnect, OSError):
                return

    async def frame_for(self, index: int) -> tuple[live.Frame, LeNet]:
        """The frame buffer and network for checkpoint `index` (0: the final weights)."""
        name = None if index == 0 else self.names[index - 1]
        net = self.state.net if name is None else await self.checkpoint_net(name)
        if self.frame is None or self.frame_checkpoint != index:
            self.frame, self.frame_checkpoint = live.Frame(name, self.scratch), index
        return self.frame, net

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
