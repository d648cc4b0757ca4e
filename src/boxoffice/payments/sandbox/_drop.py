"""Answers that are not answers: a lost response and a request that hangs.

`drop_after_capture` must look, to the client, like a network failure after
the charge: a connection closed with no HTTP status at all, so that the SDK
raises a connection error and the service cannot mistake it for a decline.
ASGI has no message for "close without answering", so:

- under uvicorn the server's own `send` (kept in the scope by `SandboxApp`,
  outside every middleware) is bound to the request cycle, whose transport we
  close; uvicorn then sees a disconnected client and stays quiet;
- elsewhere (mounted behind other middleware, or an in-process transport) we
  start a response that promises a body and raise: every server must then cut
  the connection, and an in-process transport raises into the client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

RAW_SEND = "boxoffice.sandbox.raw_send"


class ConnectionDropped(Exception):
    """Raised to make a server cut a connection it cannot otherwise be told to cut."""


class DroppedResponse(Response):
    """Close the connection without sending a status line."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop_connection(scope, send)


class HangResponse(Response):
    """Say nothing until the client gives up (or `seconds` pass, then drop)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(status_code=504)
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await asyncio.wait_for(_until_disconnect(receive), timeout=self.seconds)
        except TimeoutError:
            await drop_connection(scope, send)


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def drop_connection(scope: Scope, send: Send) -> None:
    transport = _server_transport(scope)
    if transport is not None:
        transport.close()
        # Let the server run its connection_lost callback before the app returns, so
        # it knows the client is gone and does not try to answer for us.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    raise ConnectionDropped("sandbox fault: connection dropped after capture")


def _server_transport(scope: Scope) -> Any:
    """uvicorn's transport for this request, if reachable (asyncio's or uvloop's: duck-typed)."""
    cycle = getattr(scope.get(RAW_SEND), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if callable(getattr(transport, "close", None)) and callable(
        getattr(transport, "is_closing", None)
    ):
        return transport
    return None
