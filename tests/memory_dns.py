"""An in-memory `DnsLookup` for unit tests: a dict of names to records, no sockets.

The SPF, DKIM and DMARC code only ever talks to the `DnsLookup` protocol, so handing it
this zone exercises exactly the code path the real resolver uses. It behaves like a
recursive resolver would, as far as the checks can tell:

- names are case-insensitive, a trailing dot is ignored;
- CNAMEs are followed for every type (TXT answers report the chain); a CNAME loop is an
  `error`;
- a name without any record is NXDOMAIN, unless a longer name below it exists (then it is
  an empty non-terminal: NODATA, as in real DNS); a name with records of other types only
  is NODATA;
- faults: `("TIMEOUT", None)` in a name's entries makes every type not listed *before* it
  time out (the semantics of the RFC 7208 test suite's zone data); `("SERVFAIL", None)`
  does the same with SERVFAIL; a value of `TIMEOUT` / `SERVFAIL` for one type fails only
  that type;
- `delay` seconds of latency per query (`asyncio.sleep`), to show that lookups run
  concurrently; `queries` logs every query as `(type, name)`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, MxRecord, SrvRecord, TxtAnswer

TIMEOUT = "TIMEOUT"
SERVFAIL = "SERVFAIL"
_FAULTS = {TIMEOUT: DnsErrorKind.TIMEOUT, SERVFAIL: DnsErrorKind.SERVFAIL}
_MAX_CNAMES = 16

Entry = tuple[str, Any]


def _name(name: str) -> str:
    return name.strip().rstrip(".").lower()


class MemoryDns:
    """A zone held in a dict: `{"example.com": [("TXT", "v=spf1 -all"), ("A", "192.0.2.1")]}`.

    Values: TXT a string or a list of strings (joined, as TXT character-strings are); A
    and AAAA an address; MX `(preference, exchange)` ("" for a null MX); PTR and CNAME a
    name; SRV `(priority, weight, port, target)`.
    """

    def __init__(
        self, zone: Mapping[str, Iterable[Entry]] | None = None, *, delay: float = 0.0
    ) -> None:
        self.zone: dict[str, list[Entry]] = {}
        self.delay = delay
        self.queries: list[tuple[str, str]] = []
        for name, entries in (zone or {}).items():
            for rtype, value in entries:
                self.add(name, rtype, value)

    def add(self, name: str, rtype: str, value: Any = None) -> MemoryDns:
        """Add one record (or a fault marker); returns self so calls can be chained."""
        self.zone.setdefault(_name(name), []).append((rtype.upper(), value))
        return self

    def count(self, rtype: str | None = None) -> int:
        """How many queries were made (of one type, if given)."""
        return sum(1 for kind, _ in self.queries if rtype is None or kind == rtype)

    # -- the lookup core ---------------------------------------------------------------

    def _exists_below(self, name: str) -> bool:
        suffix = "." + name
        return any(other.endswith(suffix) for other in self.zone)

    def _answer(self, name: str, rtype: str) -> tuple[list[Any], str, tuple[str, ...]]:
        """Values of `rtype` at `name` after CNAMEs: (values, canonical name, chain)."""
        chain: list[str] = []
        current = name
        for _ in range(_MAX_CNAMES):
            entries = self.zone.get(current)
            if entries is None:
                kind = DnsErrorKind.NODATA if self._exists_below(current) else None
                if kind is None:
                    raise DnsError(DnsErrorKind.NXDOMAIN, name, rtype)
                raise DnsError(kind, name, rtype)
            values: list[Any] = []
            seen = False
            cname: str | None = None
            for kind, value in entries:
                if kind in _FAULTS:
                    if not seen:
                        raise DnsError(_FAULTS[kind], name, rtype, "injected fault")
                    break
                if kind == rtype:
                    seen = True
                    if isinstance(value, str) and value in _FAULTS:
                        raise DnsError(_FAULTS[value], name, rtype, "injected fault")
                    values.append(value)
                elif kind == "CNAME":
                    cname = _name(value)
            if values or cname is None or rtype == "CNAME":
                if not values:
                    raise DnsError(DnsErrorKind.NODATA, name, rtype)
                return values, current, tuple(chain)
            if cname in chain or cname == name:
                raise DnsError(DnsErrorKind.ERROR, name, rtype, "CNAME loop")
            chain.append(cname)
            current = cname
        raise DnsError(DnsErrorKind.ERROR, name, rtype, "CNAME chain too long")

    async def _query(self, name: str, rtype: str) -> tuple[list[Any], str, tuple[str, ...]]:
        key = _name(name)
        self.queries.append((rtype, key))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._answer(key, rtype)

    # -- DnsLookup ---------------------------------------------------------------------

    async def txt(self, name: str) -> TxtAnswer:
        values, canonical, chain = await self._query(name, "TXT")
        records = tuple(v if isinstance(v, str) else "".join(v) for v in values)
        return TxtAnswer(records, canonical, chain)

    async def a(self, name: str) -> list[str]:
        values, _, _ = await self._query(name, "A")
        return [str(ipaddress.IPv4Address(v)) for v in values]

    async def aaaa(self, name: str) -> list[str]:
        values, _, _ = await self._query(name, "AAAA")
        return [str(ipaddress.IPv6Address(v)) for v in values]

    async def mx(self, name: str) -> list[MxRecord]:
        values, _, _ = await self._query(name, "MX")
        records = [MxRecord(int(pref), _name(str(host))) for pref, host in values]
        return sorted(records, key=lambda r: (r.preference, r.exchange))

    async def ptr(self, address: str) -> list[str]:
        reverse = ipaddress.ip_address(address).reverse_pointer
        values, _, _ = await self._query(reverse, "PTR")
        return [_name(v) for v in values]

    async def srv(self, name: str) -> list[SrvRecord]:
        values, _, _ = await self._query(name, "SRV")
        return [SrvRecord(int(p), int(w), int(port), _name(t)) for p, w, port, t in values]


def zone_from_rfc7208(zonedata: Mapping[str, Sequence[Any]]) -> MemoryDns:
    """The zone of one scenario of the RFC 7208 test suite (pyspf's YAML format).

    Entries are `{TYPE: value}` maps or the bare word TIMEOUT. As pyspf's driver does,
    type SPF (99) records are copied to TXT unless the name lists TXT records of its own
    (RFC 7208 dropped type SPF, so the suite relies on this copy); `TXT: NONE` means "no
    TXT record" and only stops the copying. The copies come last, after any TIMEOUT.
    """
    dns = MemoryDns()
    for name, entries in zonedata.items():
        copies: list[Any] = []
        has_txt = False
        for entry in entries:
            if entry == TIMEOUT:
                dns.add(name, TIMEOUT)
                continue
            ((rtype, value),) = entry.items()
            if rtype == "TXT":
                has_txt = True
                if value == "NONE":
                    continue
            if rtype == "SPF":
                copies.append(value)
            dns.add(name, rtype, value)
        if not has_txt:
            for value in copies:
                dns.add(name, "TXT", value)
        dns.zone.setdefault(_name(name), [])
    return dns
