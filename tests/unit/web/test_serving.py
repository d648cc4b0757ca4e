"""One write per response: what a client's socket sees from `boxoffice serve`."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from boxoffice.web.serving import GatheringTransport, OneWritePerResponse


class RecordingTransport(asyncio.Transport):
    """Records what reaches the socket, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def answer(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"15")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})


async def serve_one(request: bytes) -> RecordingTransport:
    config = Config(answer, http=OneWritePerResponse, log_config=None, access_log=False)
    config.load()
    protocol = config.http_protocol_class(  # type: ignore[call-arg]
        config=config, server_state=ServerState(), app_state={}
    )
    socket = RecordingTransport()
    protocol.connection_made(socket)
    protocol.data_received(request)
    for _ in range(20):
        await asyncio.sleep(0)
    return socket


async def test_a_response_leaves_in_one_write_headers_and_body_together() -> None:
    socket = await serve_one(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")

    assert len(socket.writes) == 1
    assert socket.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert socket.writes[0].endswith(b'\r\n\r\n{"status":"ok"}')


async def test_two_pipelined_requests_get_two_complete_answers_in_order() -> None:
    request = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    socket = await serve_one(request + request)

    sent = b"".join(socket.writes)
    assert sent.count(b"HTTP/1.1 200 OK") == 2
    assert sent.endswith(b'{"status":"ok"}')


async def test_what_is_written_in_one_step_is_sent_once_at_its_end() -> None:
    socket = RecordingTransport()
    gathering = GatheringTransport(socket, asyncio.get_running_loop())

    gathering.write(b"HTTP/1.1 200 OK\r\n\r\n")
    gathering.write(b"body")
    assert socket.writes == []  # not yet: the step is still running
    await asyncio.sleep(0)

    assert socket.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]


async def test_a_lone_write_is_not_held_back_waiting_for_another() -> None:
    socket = RecordingTransport()
    gathering = GatheringTransport(socket, asyncio.get_running_loop())

    gathering.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await asyncio.sleep(0)

    assert socket.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


async def test_closing_sends_what_was_written_first() -> None:
    socket = RecordingTransport()
    gathering = GatheringTransport(socket, asyncio.get_running_loop())

    gathering.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    gathering.close()

    assert socket.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"]
    assert socket.closed
    await asyncio.sleep(0)
    assert len(socket.writes) == 1  # the scheduled flush finds nothing left to send


async def test_nothing_is_written_to_a_connection_closed_under_it() -> None:
    socket = RecordingTransport()
    gathering = GatheringTransport(socket, asyncio.get_running_loop())

    gathering.write(b"late")
    socket.close()  # the peer went away before the step ended
    await asyncio.sleep(0)

    assert socket.writes == []
