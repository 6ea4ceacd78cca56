"""The DNS lookups the checks need, as an interface, and the errors they tell apart.

`checks/dns.py` implements `DnsLookup` over dnspython (system resolver, or the servers of
`--nameserver`); parsers and evaluators (SPF, DKIM, DMARC) take any `DnsLookup`, so unit
tests can hand them an in-memory zone and the real path stays the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol


class DnsErrorKind(StrEnum):
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, but has no record of this type
    SERVFAIL = "servfail"  # the server failed (temporary)
    TIMEOUT = "timeout"  # no answer in time (temporary)
    NO_RESOLVER = "no-resolver"  # no resolver configured (no /etc/resolv.conf)
    ERROR = "error"  # anything else (malformed answer, refused, ...)


# The kinds worth trying again later; every check's verdict follows this (dnsverdict.py).
TEMPORARY_KINDS: Final = frozenset({DnsErrorKind.SERVFAIL, DnsErrorKind.TIMEOUT})

_DESCRIBE = {
    DnsErrorKind.NXDOMAIN: "does not exist (NXDOMAIN)",
    DnsErrorKind.NODATA: "has no {rdtype} record",
    DnsErrorKind.SERVFAIL: "could not be looked up: the DNS server failed (SERVFAIL, temporary)",
    DnsErrorKind.TIMEOUT: "could not be looked up: no answer in time (temporary)",
    DnsErrorKind.NO_RESOLVER: "could not be looked up: no DNS resolver is configured",
    DnsErrorKind.ERROR: "could not be looked up",
}


class DnsError(Exception):
    """A lookup that gave no records, and why; `temporary` for SERVFAIL and timeouts."""

    def __init__(self, kind: DnsErrorKind, name: str, rdtype: str, detail: str = "") -> None:
        self.kind = kind
        self.name = name
        self.rdtype = rdtype
        self.detail = detail
        text = f"{name} {_DESCRIBE[kind].format(rdtype=rdtype)}"
        super().__init__(f"{text}: {detail}" if detail else text)

    @property
    def temporary(self) -> bool:
        return self.kind in TEMPORARY_KINDS

    @property
    def void(self) -> bool:
        """NXDOMAIN or no data: what RFC 7208 §4.6.4 counts as a void lookup."""
        return self.kind in (DnsErrorKind.NXDOMAIN, DnsErrorKind.NODATA)


@dataclass(frozen=True)
class TxtAnswer:
    """TXT records of a name; each record's character-strings already joined."""

    records: tuple[str, ...]
    canonical_name: str  # the name the records were found at, after any CNAMEs
    cname_chain: tuple[str, ...] = ()  # the CNAME targets followed, in order


@dataclass(frozen=True)
class MxRecord:
    preference: int
    exchange: str  # lower case, no trailing dot; "" for a null MX (RFC 7505)


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # no trailing dot; "" for "." (service not offered)


class DnsLookup(Protocol):
    """What the checks ask of DNS. Every method raises DnsError when there is no answer.

    Names are ASCII (IDNA already applied), without a trailing dot.
    """

    async def txt(self, name: str) -> TxtAnswer: ...

    async def a(self, name: str) -> list[str]: ...

    async def aaaa(self, name: str) -> list[str]: ...

    async def mx(self, name: str) -> list[MxRecord]: ...

    async def ptr(self, address: str) -> list[str]: ...

    async def srv(self, name: str) -> list[SrvRecord]: ...
