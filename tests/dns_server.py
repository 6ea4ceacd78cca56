"""A real authoritative DNS server on 127.0.0.1 for tests, serving `tests/zones/*.zone`.

The DNS checks are tested against real DNS traffic, not a mock resolver: this server
speaks UDP and TCP on the same port, truncates (TC bit) UDP answers that do not fit, so
clients retry over TCP as they would against any real server, and follows CNAMEs within
the zones it serves. Faults a real network produces (a server failing, a packet never
answered, a slow answer) are switched on per name through methods of the server object,
so one test can break one name while everything else keeps answering.

It runs its own asyncio event loop in a background thread: sync tests, async tests and
subprocesses (the CLI with `--nameserver 127.0.0.1:PORT`) can all use it.

Adding a zone is adding a file `tests/zones/<origin>.zone` (with `$ORIGIN`, or the file
name without `.zone` is taken as the origin, and an SOA and NS at the apex).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import threading
from collections import Counter
from collections.abc import Coroutine, Iterable
from pathlib import Path
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

ZONES_DIR: Final = Path(__file__).parent / "zones"
ALL: Final = "*"  # `delay(ALL, seconds)`: every name
LOCALHOST: Final = "127.0.0.1"
UDP_LIMIT_WITHOUT_EDNS: Final = 512  # RFC 1035 §4.2.1
MAX_CNAME_CHAIN: Final = 8
START_TIMEOUT: Final = 10.0


def _key(name: str | dns.name.Name) -> str:
    """A name as the fault and counter tables key it: lower case, no trailing dot."""
    text = name.to_text() if isinstance(name, dns.name.Name) else name
    return text.strip().rstrip(".").lower()


def load_zones(directory: Path = ZONES_DIR) -> dict[dns.name.Name, dns.zone.Zone]:
    """Every `*.zone` file of `directory`, keyed by origin; a duplicate origin is an error."""
    zones: dict[dns.name.Name, dns.zone.Zone] = {}
    sources: dict[dns.name.Name, Path] = {}
    for path in sorted(directory.glob("*.zone")):
        try:
            zone = dns.zone.from_file(str(path), origin=None, relativize=False)
        except dns.zone.UnknownOrigin:
            zone = dns.zone.from_file(str(path), origin=path.stem, relativize=False)
        except dns.exception.DNSException as exc:
            raise ValueError(f"{path}: {exc}") from exc
        assert zone.origin is not None
        if zone.origin in zones:
            raise ValueError(f"{path} and {sources[zone.origin]} both serve {zone.origin}")
        zones[zone.origin] = zone
        sources[zone.origin] = path
    return zones


class Zones:
    """Authoritative answers from a set of zones; pure, no sockets (tested through them)."""

    def __init__(self, zones: dict[dns.name.Name, dns.zone.Zone]) -> None:
        self.zones = zones

    def zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        """The served zone holding `name`: the longest origin it is under."""
        for depth in range(len(name)):
            zone = self.zones.get(name.split(len(name) - depth)[1])
            if zone is not None:
                return zone
        return None

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The response to `query` (no faults): records, CNAME chain, NXDOMAIN or NODATA."""
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


class DnsTestServer:
    """The served zones on 127.0.0.1:`port` (UDP and TCP), with per-name faults.

    Faults, by the name asked (any type; case and a trailing dot do not matter):
    `servfail(name)` answers SERVFAIL, `drop(name)` never answers, `delay(name, seconds)`
    (or `delay(ALL, seconds)`) answers late. `reset()` clears faults and counters.
    `count(name, rdtype=None)` tells how many queries arrived, retries and TCP included.
    """

    def __init__(self, zones: Path | dict[dns.name.Name, dns.zone.Zone] = ZONES_DIR) -> None:
        self.zones = Zones(load_zones(zones) if isinstance(zones, Path) else zones)
        self.address = LOCALHOST
        self.port = 0
        self._lock = threading.Lock()
        self._servfail: set[str] = set()
        self._drop: dict[str, frozenset[str]] = {}
        self._delay: dict[str, float] = {}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ control API

    @property
    def nameserver(self) -> str:
        """What `--nameserver` takes: `127.0.0.1:PORT`."""
        return f"{self.address}:{self.port}"

    def servfail(self, name: str) -> None:
        """Answer every query for `name` with SERVFAIL."""
        with self._lock:
            self._servfail.add(_key(name))

    def drop(self, name: str, keep: Iterable[str] = ()) -> None:
        """Never answer a query for `name` (UDP or TCP): the client must time out.

        Types in `keep` are still answered (a server that times out on some types only).
        """
        with self._lock:
            self._drop[_key(name)] = frozenset(t.upper() for t in keep)

    def delay(self, name: str, seconds: float) -> None:
        """Answer queries for `name` (or every name: `ALL`) `seconds` late."""
        with self._lock:
            self._delay[ALL if name == ALL else _key(name)] = seconds

    def reset(self) -> None:
        """No faults, counters at zero: what each test starts with."""
        with self._lock:
            self._servfail.clear()
            self._drop.clear()
            self._delay.clear()
            self._counts.clear()

    def count(self, name: str, rdtype: str | None = None) -> int:
        """Queries received for `name` (of `rdtype`, or of any type)."""
        key = _key(name)
        with self._lock:
            return sum(
                n
                for (qname, qtype), n in self._counts.items()
                if qname == key and (rdtype is None or qtype == rdtype.upper())
            )

    @property
    def counts(self) -> dict[tuple[str, str], int]:
        """Queries received per (name, type), e.g. `{("smtp.example.test", "A"): 1}`."""
        with self._lock:
            return dict(self._counts)

    @property
    def total_queries(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> DnsTestServer:
        """Serve in a background thread; returns once both sockets listen."""
        if self._thread is not None:
            raise RuntimeError("the DNS test server is already running")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="dns-test-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._open(), loop).result(START_TIMEOUT)
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
            future = asyncio.run_coroutine_threadsafe(self._close(), loop)
            future.result(START_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        self._loop = None
        self._thread = None

    def __enter__(self) -> DnsTestServer:
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

    async def _open(self) -> None:
        """UDP on an ephemeral port, then TCP on the same number; again if TCP's is taken."""
        loop = asyncio.get_running_loop()
        for _ in range(50):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.address, 0), family=socket.AF_INET
            )
            port = udp.get_extra_info("sockname")[1]
            try:
                tcp = await asyncio.start_server(self._serve_tcp, self.address, port)
            except OSError as exc:
                udp.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                continue
            self._udp, self._tcp, self.port = udp, tcp, port
            return
        raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")

    async def _close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._tcp is not None:
            await self._tcp.wait_closed()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ answering

    async def respond(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query message, after faults; None: do not answer."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return _formerr(wire)
        if query.flags & dns.flags.QR:
            return None  # a response sent to us: never answer those
        key = _key(query.question[0].name) if query.question else ""
        qtype = dns.rdatatype.to_text(query.question[0].rdtype) if query.question else ""
        with self._lock:
            self._counts[(key, qtype)] += 1
            dropped = key in self._drop and qtype not in self._drop[key]
            failing = key in self._servfail
            delay = self._delay.get(key, self._delay.get(ALL, 0.0))
        if dropped:
            return None
        if delay > 0:
            await asyncio.sleep(delay)
        if failing:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        return self.zones.answer(query)

    def _udp_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        self._spawn(self._answer_udp(data, addr))

    async def _answer_udp(self, data: bytes, addr: tuple[str, int]) -> None:
        response = await self.respond(data)
        if response is None or self._udp is None or self._udp.is_closing():
            return
        self._udp.sendto(
            response.to_wire(max_size=_udp_limit(response), prefer_truncation=True), addr
        )

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: length-prefixed queries until the client closes (RFC 7766)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # so that stop() closes the connections still open
            task.add_done_callback(self._tasks.discard)
        try:
            while True:
                length = int.from_bytes(await reader.readexactly(2), "big")
                response = await self.respond(await reader.readexactly(length))
                if response is not None:
                    writer.write(response.to_wire(max_size=65535, prepend_length=True))
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        except asyncio.CancelledError:
            # stop() ends the connections still open. Not re-raised: Python 3.11's stream
            # callback would log a cancelled connection task as an error.
            pass
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsTestServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._udp_datagram(data, addr)


def _udp_limit(response: dns.message.Message) -> int:
    """What fits in one UDP answer: 512 bytes, or the EDNS payload the client offered."""
    if response.edns < 0:
        return UDP_LIMIT_WITHOUT_EDNS
    return max(UDP_LIMIT_WITHOUT_EDNS, response.request_payload)


def _formerr(wire: bytes) -> dns.message.Message | None:
    """FORMERR for a message that does not parse, if it has at least an ID to answer to."""
    if len(wire) < 2:
        return None
    response = dns.message.Message(id=int.from_bytes(wire[:2], "big"))
    response.flags = dns.flags.QR
    response.set_rcode(dns.rcode.FORMERR)
    return response


def main() -> None:
    """Serve the test zones until Ctrl-C, for trying the CLI by hand:
    `python -m tests.dns_server`, then `smtp-wizard dns example.test --nameserver ...`.
    """
    with DnsTestServer() as server:
        print(f"serving {', '.join(sorted(map(_key, server.zones.zones)))} on {server.nameserver}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
