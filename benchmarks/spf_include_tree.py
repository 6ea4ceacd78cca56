"""SPF analysis of a nine-include tree under 50 ms of injected DNS latency.

The claim (issue 4): include trees are resolved one level at a time, all names of a level
at once, so the time is not the sum of the queries while the lookup count stays the RFC's.
The baseline, in the same run, is the same analysis with every query forced to wait for
the one before it (a lock around the resolver): one-at-a-time resolution.

A real DNS server on 127.0.0.1 serves the zone from memory and delays every answer.

    python benchmarks/spf_include_tree.py [--latency 0.05] [--rounds 5]

Run by hand, not by CI. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import dns.name
import dns.zone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smtp_wizard.checks.dns import make_resolver
from smtp_wizard.checks.dnsapi import TxtAnswer
from smtp_wizard.checks.spf import analyse_spf
from tests.dns_server import ALL, DnsTestServer

INCLUDES = 9
ZONE = "\n".join(
    [
        "$ORIGIN bench.test.",
        "$TTL 300",
        "@ SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300",
        "@ NS ns.bench.test.",
        "ns A 127.0.0.1",
        '@ TXT "v=spf1 '
        + " ".join(f"include:i{n}.bench.test" for n in range(1, INCLUDES + 1))
        + ' -all"',
        *(f'i{n} TXT "v=spf1 ip4:192.0.2.{n} -all"' for n in range(1, INCLUDES + 1)),
    ]
)


class OneAtATime:
    """A DnsLookup that lets one query run at a time: the sequential baseline."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.lock = asyncio.Lock()

    async def txt(self, name: str) -> TxtAnswer:
        async with self.lock:
            return await self.inner.txt(name)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        method = getattr(self.inner, name)

        async def serial(*args: object) -> object:
            async with self.lock:
                return await method(*args)

        return serial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    zone = dns.zone.from_text(ZONE, origin="bench.test.", relativize=False)
    with DnsTestServer({dns.name.from_text("bench.test."): zone}) as server:
        server.delay(ALL, options.latency)

        def timed(serial: bool) -> tuple[float, int]:
            resolver = make_resolver([server.nameserver], timeout=30)
            lookup = OneAtATime(resolver) if serial else resolver
            begin = time.monotonic()
            report = asyncio.run(analyse_spf("bench.test", lookup, None))  # type: ignore[arg-type]
            return time.monotonic() - begin, report.lookups

        together = [timed(False) for _ in range(options.rounds)]
        serial = [timed(True) for _ in range(options.rounds)]

    lookups = {count for _, count in together + serial}
    assert lookups == {INCLUDES}, lookups
    fast = statistics.median(t for t, _ in together)
    slow = statistics.median(t for t, _ in serial)
    print(f"include tree            1 record + {INCLUDES} includes, {INCLUDES} lookups (RFC count)")
    print(f"injected latency        {options.latency * 1000:.0f} ms per answer")
    print(f"concurrent (per level)  {fast * 1000:.0f} ms  (median of {options.rounds})")
    print(f"one at a time           {slow * 1000:.0f} ms")
    print(f"ratio                   {fast / slow:.2f}  (concurrent / one at a time)")


if __name__ == "__main__":
    main()
