"""A TCP listener that can end every connection it accepted, even one still in its handshake.

`asyncio.Server` (Python 3.11) stops listening on `close()` but forgets the connections it
accepted, and an implicit-TLS connection whose handshake has not finished is reachable from
nowhere: stopping the demo would leave such sockets open until the garbage collector finds
them. This listener accepts each socket itself, hands it to the protocol through
`loop.connect_accepted_socket` (TLS included), and keeps every transport and every pending
handshake, so `close()` ends them all before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import weakref
from collections.abc import Callable
from typing import Final

HANDSHAKE_TIMEOUT: Final = 10.0  # seconds a client may take to start TLS on the implicit port
BACKLOG: Final = 64


class TcpListener:
    """`protocol_factory` served on `address`:`port` (0: an ephemeral port), TLS from the
    first byte when `tls` is given."""

    def __init__(
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        address: str,
        port: int = 0,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.protocol_factory = protocol_factory
        self.address = address
        self.port = port
        self.tls = tls
        self._socket: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._connecting: set[asyncio.Task[None]] = set()
        self._transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()

    async def open(self) -> None:
        """Listen (raises OSError when the address cannot be bound)."""
        listener = socket.create_server((self.address, self.port), backlog=BACKLOG)
        listener.setblocking(False)
        self._socket = listener
        self.port = listener.getsockname()[1]
        self._accepting = asyncio.get_running_loop().create_task(self._accept(listener))

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(listener)
            except OSError:
                if listener.fileno() == -1:
                    return  # closed by close()
                await asyncio.sleep(0.01)  # e.g. out of file descriptors: try again
                continue
            task = loop.create_task(self._connect(connection))
            self._connecting.add(task)
            task.add_done_callback(self._connecting.discard)

    async def _connect(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.connect_accepted_socket(
                self.protocol_factory,
                connection,
                ssl=self.tls,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT if self.tls else None,
            )
        except (OSError, TimeoutError):
            # A failed TLS handshake (a client that does not speak TLS here, or leaves):
            # asyncio has closed the transport; the client sees the connection end.
            with contextlib.suppress(OSError):
                connection.close()
            return
        self._transports.add(transport)

    async def close(self) -> None:
        """Stop listening, then end every connection: established or still in its TLS
        handshake. Idempotent."""
        listener, accepting = self._socket, self._accepting
        self._socket = self._accepting = None
        if accepting is not None:
            accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await accepting
        if listener is not None:
            listener.close()
        pending = list(self._connecting)
        for task in pending:
            task.cancel()  # asyncio closes the transport of a handshake it abandons
        await asyncio.gather(*pending, return_exceptions=True)
        for transport in list(self._transports):
            transport.abort()
        # Closing happens in callbacks (connection_lost): let them run before returning.
        for _ in range(3):
            await asyncio.sleep(0)
