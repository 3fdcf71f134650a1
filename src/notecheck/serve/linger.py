"""uvicorn's h11 protocol with a lingering close (as nginx's ``lingering_close``).

The service answers 413 (or 415, 503) before it has read the body, and closes the connection so
that the client stops sending. Closing a socket that still holds unread bytes makes the kernel reset
the connection at once, dropping the answer that was not yet sent: the client sees a reset, not the
413. So a close here sends what is queued, half-closes (the client reads the answer, then the end),
and reads and drops what the client still sends, for at most ``LINGER_SECONDS`` or
``LINGER_BYTES``, before it closes the socket.

This module imports uvicorn; ``notecheck.serve`` imports it only when it starts a server.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

LINGER_SECONDS = 2.0
LINGER_BYTES = 1 << 20


class LingeringH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_LingeringTransport(transport, self))


class _LingeringTransport:
    """The connection's transport, but ``close()`` lingers; every other call goes to the transport."""

    def __init__(self, transport: asyncio.Transport, protocol: asyncio.Protocol):
        self._transport = transport
        self._protocol = protocol
        self._lingering = False

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self._lingering or self._transport.is_closing()

    def write(self, data) -> None:
        if not self._lingering:
            self._transport.write(data)

    def close(self) -> None:
        transport = self._transport
        if self._lingering or transport.is_closing():
            return
        self._lingering = True
        if not transport.can_write_eof():
            transport.close()
            return
        drain = _Drain(transport, self._protocol)
        transport.set_protocol(drain)
        transport.resume_reading()
        transport.write_eof()  # after what is queued: the client gets the whole answer, then the end
        drain.timer = asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)


class _Drain(asyncio.Protocol):
    """Reads and drops what a client sends after the answer; hands the end of the connection back."""

    def __init__(self, transport: asyncio.Transport, protocol: asyncio.Protocol):
        self.transport = transport
        self.protocol = protocol
        self.dropped = 0
        self.timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        self.dropped += len(data)
        if self.dropped > LINGER_BYTES:
            self.transport.close()

    def eof_received(self) -> bool:
        return False  # the client is done too: close

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.protocol.connection_lost(exc)
