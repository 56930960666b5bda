"""uvicorn's WebSocket protocol for `lenet-vis serve`, with one fault handled as the live
channel handles every other: a text frame of invalid UTF-8 is closed 1007 with a reason.

uvicorn's sans-I/O websockets protocol decodes text frames itself and, for invalid UTF-8,
logs a traceback and closes 1007 without a reason; here the frame is checked first and closed
quietly, with the reason. Everything else is uvicorn's.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from lenet_vis.app.live import INVALID

BAD_TEXT = "a text frame of invalid UTF-8; the channel takes binary drawings"


class LiveWebSockets(WebSocketsSansIOProtocol):
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
