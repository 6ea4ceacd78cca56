"""A small authoritative DNS server on loopback: UDP and TCP on one port, zones in memory.

The demo's DNS step must be checked by the same resolver and the same checks as a real
domain, so this is a real server on the wire, not a stub resolver: it speaks UDP and TCP
on the same port, truncates (TC bit) UDP answers that do not fit so clients retry over
TCP, answers NXDOMAIN / NODATA with the zone's SOA, and follows CNAMEs within the zones it
serves (a DKIM CNAME into the provider's zone is answered with the whole chain, as a
recursive resolver would hand it over). Names outside its zones are REFUSED: nothing is
ever forwarded, so no query leaves loopback.

`Zones` may change while the server runs (the demo publishes records): every answer and
every edit holds `Zones.lock`, so a query sees a zone before or after an edit, never half.

The server runs on any event loop (`await server.open()` / `await server.close()`), or on
a thread of its own (`start()` / `stop()`, or `with DnsServer(zones) as server:`).
`respond()` is the one place a query becomes an answer: a subclass can override it (the
test suite's fault-injecting server does).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Final

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from smtp_wizard.sandbox.listener import TcpListener

LOCALHOST: Final = "127.0.0.1"
UDP_LIMIT_WITHOUT_EDNS: Final = 512  # RFC 1035 §4.2.1
MAX_CNAME_CHAIN: Final = 8
START_TIMEOUT: Final = 10.0
PORT_ATTEMPTS: Final = 50  # tries to find a port free for both UDP and TCP


def name_key(name: str | dns.name.Name) -> str:
    """A name as tables key it: lower case, no trailing dot."""
    text = name.to_text() if isinstance(name, dns.name.Name) else name
    return text.strip().rstrip(".").lower()


class Zones:
    """Authoritative answers from a set of zones (absolute names); no sockets."""

    def __init__(self, zones: dict[dns.name.Name, dns.zone.Zone]) -> None:
        self.zones = zones
        self.lock = threading.RLock()
        """Held for every answer and every edit: edits are seen whole or not at all."""

    def zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        """The served zone holding `name`: the longest origin it is under."""
        for depth in range(len(name)):
            zone = self.zones.get(name.split(len(name) - depth)[1])
            if zone is not None:
                return zone
        return None

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The response to `query`: records, CNAME chain, NXDOMAIN, NODATA or REFUSED."""
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.NOTIMP)
            return response
        if len(query.question) != 1:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        with self.lock:
            zone = self.zone_for(question.name)
            if zone is None or question.rdclass != dns.rdataclass.IN:
                response.flags &= ~dns.flags.AA
                response.set_rcode(dns.rcode.REFUSED)
                return response
            self._fill(response, zone, question.name, question.rdtype)
        return response

    def _fill(
        self,
        response: dns.message.Message,
        zone: dns.zone.Zone,
        name: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
    ) -> None:
        """Answer `name`/`rdtype` from `zone`, chasing CNAMEs into any served zone."""
        for _ in range(MAX_CNAME_CHAIN):
            node = zone.get_node(name)
            if node is None:
                if not self._empty_non_terminal(zone, name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                self._add_soa(response, zone)
                return
            rdatasets = (
                list(node.rdatasets)
                if rdtype == dns.rdatatype.ANY
                else [rds for rds in node.rdatasets if rds.rdtype == rdtype]
            )
            if rdatasets:
                for rdataset in rdatasets:
                    response.answer.append(_rrset(name, rdataset))
                return
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                self._add_soa(response, zone)  # NODATA: the name exists without this type
                return
            response.answer.append(_rrset(name, cname))
            name = cname[0].target
            next_zone = self.zone_for(name)
            if next_zone is None:
                return  # the chain leaves our zones: the client's resolver would go on
            zone = next_zone

    @staticmethod
    def _empty_non_terminal(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
        """A name with no records but names below it exists (RFC 8020): NODATA, not NXDOMAIN."""
        return any(owner != name and owner.is_subdomain(name) for owner in zone.nodes)

    @staticmethod
    def _add_soa(response: dns.message.Message, zone: dns.zone.Zone) -> None:
        assert zone.origin is not None
        soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(zone.origin, soa))


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    return rrset


class DnsServer:
    """`zones` served on `address` (UDP and TCP, one ephemeral port)."""

    def __init__(self, zones: Zones, address: str = LOCALHOST) -> None:
        self.zones = zones
        self.address = address
        self.port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: TcpListener | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None  # start(): the thread's loop
        self._thread: threading.Thread | None = None

    @property
    def nameserver(self) -> str:
        """What `--nameserver` takes: `127.0.0.1:PORT`."""
        return f"{self.address}:{self.port}"

    # ------------------------------------------------------------------ on a running loop

    async def open(self) -> None:
        """UDP on an ephemeral port, then TCP on the same number; again if TCP's is taken."""
        loop = asyncio.get_running_loop()
        for _ in range(PORT_ATTEMPTS):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.address, 0), family=socket.AF_INET
            )
            port = udp.get_extra_info("sockname")[1]
            tcp = TcpListener(self._tcp_protocol, self.address, port)
            try:
                await tcp.open()
            except OSError as exc:
                udp.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            self._udp, self._tcp, self.port = udp, tcp, port
            return
        raise OSError(errno.EADDRINUSE, f"no port free for both UDP and TCP on {self.address}")

    async def close(self) -> None:
        """Close both sockets and every connection still open; idempotent."""
        udp, tcp = self._udp, self._tcp
        self._udp = self._tcp = None
        if udp is not None:
            udp.close()
        if tcp is not None:
            await tcp.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ on a thread of its own

    def start(self) -> DnsServer:
        """Serve in a background thread; returns once both sockets listen."""
        if self._thread is not None:
            raise RuntimeError("the DNS server is already running")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="dns-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.open(), loop).result(START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the sockets and every open connection, end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self.close(), loop)
            future.result(START_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        self._loop = None
        self._thread = None

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    # ------------------------------------------------------------------ answering

    async def respond(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query message; None: do not answer.

        Overridable; the server turns an exception raised here into SERVFAIL.
        """
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return formerr(wire)
        if query.flags & dns.flags.QR:
            return None  # a response sent to us: never answer those
        return self.zones.answer(query)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _udp_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        self._spawn(self._answer_udp(data, addr))

    async def _wire_response(self, wire: bytes, *, tcp: bool) -> bytes | None:
        """The answer to `wire` in wire format (length-prefixed over TCP; truncated to what
        the client accepts over UDP), or None: no answer.

        A bug in answering becomes SERVFAIL, as a real server reports its own failure,
        rather than an exception nobody retrieves.
        """
        response = None
        try:
            response = await self.respond(wire)
            if response is None:
                return None
            if tcp:
                return response.to_wire(max_size=65535, prepend_length=True)
            return response.to_wire(max_size=_udp_limit(response), prefer_truncation=True)
        except Exception:
            failure = servfail(wire, response)
            return None if failure is None else failure.to_wire(prepend_length=tcp)

    async def _answer_udp(self, data: bytes, addr: tuple[str, int]) -> None:
        answer = await self._wire_response(data, tcp=False)
        udp = self._udp
        if answer is not None and udp is not None and not udp.is_closing():
            udp.sendto(answer, addr)

    def _tcp_protocol(self) -> asyncio.StreamReaderProtocol:
        return asyncio.StreamReaderProtocol(asyncio.StreamReader(), self._serve_tcp)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: length-prefixed queries until the client closes (RFC 7766)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # so that close() ends the connections still open
            task.add_done_callback(self._tasks.discard)
        try:
            while True:
                length = int.from_bytes(await reader.readexactly(2), "big")
                answer = await self._wire_response(await reader.readexactly(length), tcp=True)
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        except asyncio.CancelledError:
            # close() ends the connections still open. Not re-raised: Python 3.11's stream
            # callback would log a cancelled connection task as an error.
            pass
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._udp_datagram(data, addr)


def _udp_limit(response: dns.message.Message) -> int:
    """What fits in one UDP answer: 512 bytes, or the EDNS payload the client offered."""
    if response.edns < 0:
        return UDP_LIMIT_WITHOUT_EDNS
    return max(UDP_LIMIT_WITHOUT_EDNS, response.request_payload)


def servfail(wire: bytes, response: dns.message.Message | None) -> dns.message.Message | None:
    """SERVFAIL for the query in `wire` (its question kept when it parses), or None when
    there is not even an ID to answer to."""
    if response is not None:
        response.answer.clear()
        response.authority.clear()
        response.additional.clear()
        response.set_rcode(dns.rcode.SERVFAIL)
        return response
    try:
        failure = dns.message.make_response(dns.message.from_wire(wire))
    except Exception:
        failure = formerr(wire)
        if failure is None:
            return None
    failure.set_rcode(dns.rcode.SERVFAIL)
    return failure


def formerr(wire: bytes) -> dns.message.Message | None:
    """FORMERR for a message that does not parse, if it has at least an ID to answer to."""
    if len(wire) < 2:
        return None
    response = dns.message.Message(id=int.from_bytes(wire[:2], "big"))
    response.flags = dns.flags.QR
    response.set_rcode(dns.rcode.FORMERR)
    return response
