"""A real authoritative DNS server on 127.0.0.1 for tests, serving `tests/zones/*.zone`.

The DNS checks are tested against real DNS traffic, not a mock resolver. The server itself
is the package's (`smtp_wizard.sandbox.dnsserver`, which the demo runs too): UDP and TCP
on the same port, truncated (TC bit) UDP answers that do not fit, so clients retry over
TCP as they would against any real server, and CNAMEs followed within the zones it
serves. What this module adds is what tests need: the zone files, and the faults a real
network produces (a server failing, a packet never answered, a slow answer), switched on
per name through methods of the server object, so one test can break one name while
everything else keeps answering, and counters of the queries received.

It runs its own asyncio event loop in a background thread: sync tests, async tests and
subprocesses (the CLI with `--nameserver 127.0.0.1:PORT`) can all use it.

Adding a zone is adding a file `tests/zones/<origin>.zone` (with `$ORIGIN`, or the file
name without `.zone` is taken as the origin, and an SOA and NS at the apex).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Final

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from smtp_wizard.sandbox.dnsserver import LOCALHOST, DnsServer, Zones, formerr
from smtp_wizard.sandbox.dnsserver import name_key as _key

__all__ = ["ALL", "LOCALHOST", "ZONES_DIR", "DnsTestServer", "Zones", "load_zones"]

ZONES_DIR: Final = Path(__file__).parent / "zones"
ALL: Final = "*"  # `delay(ALL, seconds)`: every name


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


class DnsTestServer(DnsServer):
    """The served zones on 127.0.0.1:`port` (UDP and TCP), with per-name faults.

    Faults, by the name asked (any type; case and a trailing dot do not matter):
    `servfail(name)` answers SERVFAIL, `drop(name)` never answers, `delay(name, seconds)`
    (or `delay(ALL, seconds)`) answers late. `reset()` clears faults and counters.
    `count(name, rdtype=None)` tells how many queries arrived, retries and TCP included.
    """

    def __init__(self, zones: Path | dict[dns.name.Name, dns.zone.Zone] = ZONES_DIR) -> None:
        super().__init__(Zones(load_zones(zones) if isinstance(zones, Path) else zones))
        self._lock = threading.Lock()
        self._servfail: set[str] = set()
        self._drop: dict[str, frozenset[str]] = {}
        self._delay: dict[str, float] = {}
        self._counts: Counter[tuple[str, str]] = Counter()

    # ------------------------------------------------------------------ control API

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
        super().start()
        return self

    def __enter__(self) -> DnsTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ answering

    async def respond(self, wire: bytes) -> dns.message.Message | None:
        """The response to one query message, after faults; None: do not answer."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return formerr(wire)
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
