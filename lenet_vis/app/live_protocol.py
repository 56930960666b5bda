"""uvicorn's WebSocket protocol for `lenet-vis serve`, with one fault handled as the live
channel handles every other: a text frame of invalid UTF-8 is closed 1007 with a reason; and
one thing told: how many received messages wait for the app.

uvicorn's sans-I/O websockets protocol decodes text frames itself and, for invalid UTF-8,
logs a traceback and closes 1007 without a reason; here the frame is checked first and closed
quietly, with the reason.

The live channel answers only the newest of the drawings waiting for it; uvicorn keeps them in
the protocol's queue, out of the app's sight. The scope's extensions carry
`WAITING: {"count": callable}`, the number of messages in that queue (each one `receive()`
then returns at once). Everything else is uvicorn's.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from lenet_vis.app.live import INVALID

BAD_TEXT = "a text frame of invalid UTF-8; the channel takes binary drawings"
WAITING = "lenet_vis.waiting"  # the scope's extension: {"count": () -> messages waiting}


class LiveWebSockets(WebSocketsSansIOProtocol):
    def handle_connect(self, event) -> None:
        super().handle_connect(event)  # makes the scope (the app's task has not run yet)
        scope = getattr(self, "scope", None)
        if scope is not None and scope.get("type") == "websocket":
            scope["extensions"][WAITING] = {"count": self.queue.qsize}

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            try:
                bytes(data).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.conn.send_close(INVALID, BAD_TEXT)
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()
