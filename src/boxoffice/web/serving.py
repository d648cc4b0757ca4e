"""uvicorn's HTTP protocol, sending each response in one write instead of two.

uvicorn writes a response's status line and headers, then its body, as two
`transport.write` calls, and uvloop sends each at once: two syscalls and two
TCP segments per response, so the client's event loop wakes up twice to read
one answer. On a box where the service, its clients and its acquirer share
two cores, that is a syscall and a wake-up per request spent for nothing
(docs/benchmarks.md measures it).

`OneWritePerResponse` hands uvicorn a transport that gathers what is written
during one step of the event loop and sends it when the step ends: the
headers and the body of a response written back to back (as Starlette and
FastAPI do, without yielding in between) leave together, in one write. Any
write is sent within the same loop iteration, so nothing waits on it: not a
`100 Continue`, not a streamed chunk, not a close (which sends what is
gathered first).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class GatheringTransport:
    """A transport whose writes within one loop step leave as one write at the step's end.

    Everything else (close, flow control, extra info) is the wrapped transport's own.
    """

    __slots__ = ("_gathered", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._gathered: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._gathered:
            self._loop.call_soon(self.flush)
        self._gathered.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        gathered = self._gathered
        if not gathered:
            return
        self._gathered = []
        if self._transport.is_closing():
            return
        self._transport.write(gathered[0] if len(gathered) == 1 else b"".join(gathered))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._gathered))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWritePerResponse(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `GatheringTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        gathering = GatheringTransport(transport, asyncio.get_running_loop())
        super().connection_made(gathering)  # type: ignore[arg-type]
