"""The one resolver every DNS need goes through: `make_resolver`.

Host lookups (`dns.host`), MX, SPF, DKIM and DMARC all ask the same `Resolver`, so
`--nameserver` and `--timeout` mean the same thing everywhere: the servers named by
`--nameserver` (each with its own port) instead of the system resolver, and one overall
deadline for a whole DNS check rather than one per query.

`Resolver` implements `dnsapi.DnsLookup` over `dns.asyncresolver`. Whatever goes wrong
comes out as a `DnsError` whose kind tells a missing name (NXDOMAIN), a name without that
record type (NODATA), a temporary failure (SERVFAIL, timeout), a machine without resolver
configuration and anything else apart; no dnspython exception escapes. Names may be given
in Unicode: they are converted once, with `validate.hostname` (IDNA 2008 / UTS 46).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import dns.asyncresolver
import dns.exception
import dns.inet
import dns.message
import dns.name
import dns.nameserver
import dns.resolver
import dns.reversename

from smtp_wizard import validate
from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, MxRecord, SrvRecord, TxtAnswer

__all__ = ["RESOLV_CONF", "Nameserver", "Resolver", "make_resolver"]

# Where the system resolver's configuration is read from; a module constant so that a test
# can point it at a missing file (a container without /etc/resolv.conf).
RESOLV_CONF: str = "/etc/resolv.conf"
RESOLV_CONF_VARIABLE = "SMTP_WIZARD_RESOLV_CONF"
"""Names a resolv.conf to use instead of /etc/resolv.conf (a container's own, or the tests'
loopback one). When set, host names are resolved by dnspython from that file too, not by the
system's getaddrinfo, so every query goes where that file says."""


def _resolv_conf() -> str:
    return os.environ.get(RESOLV_CONF_VARIABLE) or RESOLV_CONF


DEFAULT_TIMEOUT: Final = 10.0
# No single query may use more than this of the overall deadline, so one dead name cannot
# starve the other lookups of a check.
MAX_QUERY_TIMEOUT: Final = 3.0
# dnspython's own per-attempt timeout; with several servers each gets an equal share.
MAX_ATTEMPT_TIMEOUT: Final = 2.0

LOCALHOST_ADDRESSES: Final = ("127.0.0.1", "::1")

T = TypeVar("T")


# --------------------------------------------------------------------------- nameservers

_BRACKETED = re.compile(r"^\[(?P<address>[^\]]+)\](?::(?P<port>[^:]*))?$")
_IPV4_WITH_PORT = re.compile(r"^(?P<address>[0-9.]+):(?P<port>[^:]*)$")
_NAMESERVER_HINT: Final = "use an IP address, optionally with :PORT (127.0.0.1:5353, [::1]:5353)"


@dataclass(frozen=True)
class Nameserver:
    """A DNS server to ask instead of the system resolver: an IP literal and a port.

    Only IP addresses: finding a DNS server by name would itself need DNS.
    """

    address: str  # IPv4 or IPv6 literal
    port: int = 53

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise ValueError(f"{self.address!r} is not an IP address; {_NAMESERVER_HINT}") from None
        validate.port(self.port)

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        """`127.0.0.1`, `127.0.0.1:5353`, `::1` or `[::1]:5353` (an IPv6 port needs brackets)."""
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a nameserver; {_NAMESERVER_HINT}")
        try:
            value = validate.no_control(text).strip()
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a nameserver: {exc}") from None
        if not value:
            raise ValueError(f"the nameserver is empty; {_NAMESERVER_HINT}")
        match = _BRACKETED.match(value) or _IPV4_WITH_PORT.match(value)
        address, port_text = (match["address"], match["port"]) if match else (value, None)
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address; {_NAMESERVER_HINT}") from None
        if value.startswith("[") and parsed.version != 6:
            raise ValueError(f"{value!r}: brackets are for IPv6 addresses; {_NAMESERVER_HINT}")
        if port_text is None:
            return cls(str(parsed))
        try:
            port = validate.port(port_text)
        except ValueError as exc:
            raise ValueError(f"{value!r} has a bad port: {exc}") from None
        return cls(str(parsed), port)

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


class _CountingNameserver(dns.nameserver.Do53Nameserver):
    """dnspython's plain UDP/TCP nameserver, counting every query it actually sends."""

    def __init__(self, address: str, port: int, on_send: Callable[[], None]) -> None:
        super().__init__(address, port)
        self._on_send = on_send

    async def async_query(self, *args: Any, **kwargs: Any) -> dns.message.Message:
        self._on_send()
        return await super().async_query(*args, **kwargs)


# --------------------------------------------------------------------------- errors

# dnspython's exceptions, most specific first is not needed: the lookup walks each
# exception's MRO, so a subclass finds its own row before its base class's.
_KINDS: Final[dict[type[BaseException], DnsErrorKind]] = {
    dns.resolver.NXDOMAIN: DnsErrorKind.NXDOMAIN,
    dns.resolver.NoAnswer: DnsErrorKind.NODATA,
    dns.resolver.NoNameservers: DnsErrorKind.SERVFAIL,  # refined by _RCODE_KINDS below
    dns.exception.Timeout: DnsErrorKind.TIMEOUT,  # dns.resolver.LifetimeTimeout
    TimeoutError: DnsErrorKind.TIMEOUT,  # our own deadline (asyncio.timeout)
    dns.resolver.NoResolverConfiguration: DnsErrorKind.NO_RESOLVER,
    dns.resolver.YXDOMAIN: DnsErrorKind.ERROR,
    dns.exception.DNSException: DnsErrorKind.ERROR,
    OSError: DnsErrorKind.ERROR,
    ValueError: DnsErrorKind.ERROR,
}

# What each server of a NoNameservers said. SERVFAIL is temporary and wins when several
# servers disagree; the others mean the server will not answer this question at all.
_RCODE_KINDS: Final[dict[str, DnsErrorKind]] = {
    "SERVFAIL": DnsErrorKind.SERVFAIL,
    "REFUSED": DnsErrorKind.ERROR,
    "NOTIMP": DnsErrorKind.ERROR,
    "FORMERR": DnsErrorKind.ERROR,
}
_RCODE_WORDS: Final[dict[str, str]] = {
    "SERVFAIL": "answered SERVFAIL",
    "REFUSED": "refused the query (REFUSED: it does not serve this name)",
    "NOTIMP": "does not implement this query (NOTIMP)",
    "FORMERR": "could not parse the query (FORMERR)",
}

# getaddrinfo's errors (the system path of `addresses`); EAI_NODATA is not on every OS.
_GAI_KINDS: Final[dict[int, DnsErrorKind]] = {
    socket.EAI_NONAME: DnsErrorKind.NXDOMAIN,
    socket.EAI_AGAIN: DnsErrorKind.TIMEOUT,  # "temporary failure in name resolution"
    **({socket.EAI_NODATA: DnsErrorKind.NODATA} if hasattr(socket, "EAI_NODATA") else {}),
}


def _kind_of(exc: BaseException) -> DnsErrorKind:
    for cls in type(exc).__mro__:
        if cls in _KINDS:
            return _KINDS[cls]
    return DnsErrorKind.ERROR


def _nameserver_failure(exc: dns.resolver.NoNameservers, rdtype: str) -> tuple[DnsErrorKind, str]:
    """Which kind of failure all servers gave, and what each said, from dnspython's trace."""
    errors = exc.kwargs.get("errors") or []
    kinds: list[DnsErrorKind] = []
    said: list[str] = []
    for error in errors:
        where, what = _server_text(str(error[0]), error[2]), error[3]
        if isinstance(what, str):
            kinds.append(_RCODE_KINDS.get(what, DnsErrorKind.ERROR))
            said.append(f"{where} {_RCODE_WORDS.get(what, f'answered {what}')}")
        else:
            kinds.append(_kind_of(what))
            said.append(f"{where}: {what}")
    if DnsErrorKind.SERVFAIL in kinds:
        kind = DnsErrorKind.SERVFAIL
    elif kinds:
        kind = kinds[0]
    else:
        kind = DnsErrorKind.ERROR
    return kind, f"{rdtype} query: " + ("; ".join(said) if said else "no server answered")


_DNSPYTHON_SERVER = re.compile(r"^\w+:(?P<address>.+)@(?P<port>\d+)$")  # Do53:127.0.0.1@53


def _server_text(server: str, port: object) -> str:
    """dnspython's `Do53:127.0.0.1@5353` as a user writes it: `127.0.0.1:5353`."""
    match = _DNSPYTHON_SERVER.match(server)
    address = match["address"] if match else server
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _timeout_detail(exc: BaseException, rdtype: str) -> str:
    """dnspython's timeout, said briefly: how long, and which servers stayed silent."""
    kwargs = getattr(exc, "kwargs", {}) or {}
    seconds = kwargs.get("timeout")
    servers = sorted({_server_text(str(error[0]), error[2]) for error in kwargs.get("errors", [])})
    waited = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    source = f" from {', '.join(servers)}" if servers else ""
    return f"{rdtype} query: no answer{source}{waited}"


# The text after each kind's own description (DnsError adds "does not exist (NXDOMAIN)",
# "has no TXT record", ...): it names the type asked, and dnspython's wording only where
# it adds something.
_DETAILS: Final[dict[DnsErrorKind, Callable[[BaseException, str], str]]] = {
    DnsErrorKind.NXDOMAIN: lambda exc, rdtype: f"{rdtype} query",
    DnsErrorKind.NODATA: lambda exc, rdtype: "",
    DnsErrorKind.SERVFAIL: lambda exc, rdtype: f"{rdtype} query: {exc}",
    DnsErrorKind.TIMEOUT: _timeout_detail,
    DnsErrorKind.NO_RESOLVER: lambda exc, rdtype: _no_resolver_hint(),
    DnsErrorKind.ERROR: lambda exc, rdtype: f"{rdtype} query: {exc or type(exc).__name__}",
}


def _no_resolver_hint() -> str:
    path = _resolv_conf()
    if not os.path.exists(path):
        return f"no {path}; pass --nameserver IP"
    return f"{path} names no usable DNS server; pass --nameserver IP"


def _to_dns_error(exc: BaseException, name: str, rdtype: str) -> DnsError:
    """Any exception of a lookup, as the DnsError callers handle."""
    if isinstance(exc, DnsError):
        return exc
    if isinstance(exc, dns.resolver.NoNameservers):
        kind, detail = _nameserver_failure(exc, rdtype)
        return DnsError(kind, name, rdtype, detail)
    kind = _kind_of(exc)
    detail = _DETAILS[kind](exc, rdtype)
    target = _missing_cname_target(exc)
    if target is not None and target != name:
        # The name itself exists (it is a CNAME): the name that does not is its target,
        # e.g. a DKIM selector pointing at a provider's key that was never published.
        detail = f"{name} is a CNAME to {target}, which does not exist; {detail}"
    return DnsError(kind, name, rdtype, detail)


def _missing_cname_target(exc: BaseException) -> str | None:
    """For NXDOMAIN at the end of a CNAME chain, the last name of the chain."""
    if not isinstance(exc, dns.resolver.NXDOMAIN):
        return None
    try:
        return _text(exc.canonical_name)
    except Exception:  # no responses kept, or no chain to follow
        return None


# --------------------------------------------------------------------------- names

_SERVICE_LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")


def _ascii_name(name: str) -> str:
    """`name` in ASCII (IDNA 2008 / UTS 46 via `validate.hostname`), lower case, no dot.

    Host names have no underscore, but the names DNS checks ask for do (`_dmarc.`,
    `sel._domainkey.`, `_submission._tcp.`): the labels up to the last one holding an
    underscore are taken as ASCII labels, the rest is a host name.
    """
    text = validate.no_control(name).strip().rstrip(".")
    if text.isascii():
        # DNS labels may hold any octet (RFC 2181 §11): names built by SPF macros carry
        # colons, spaces and percent signs, and must be asked for exactly as they are.
        labels = text.split(".")
        if len(text) > 253 or any(not 0 < len(label) <= 63 for label in labels):
            raise ValueError(f"{name!r} has an empty or over-long label, or is over 253 bytes")
        return text.lower()
    labels = text.split(".")
    last_service = max((i for i, label in enumerate(labels) if "_" in label), default=-1)
    head = [_service_label(label, name) for label in labels[: last_service + 1]]
    tail = labels[last_service + 1 :]
    full = ".".join([*head, validate.hostname(".".join(tail))] if tail else head)
    if len(full) > 253:
        raise ValueError(f"{name!r} is longer than the 253 characters DNS allows")
    return full


def _service_label(label: str, name: str) -> str:
    """One label left of a `_service` label: ASCII as it is (lower case), else IDNA."""
    if _SERVICE_LABEL.match(label.lower()):
        return label.lower()
    if "_" not in label and label:
        return validate.hostname(label)
    raise ValueError(f"{name!r} is not a DNS name: bad label {label!r}")


def _text(name: dns.name.Name) -> str:
    """A dnspython name as the interface spells names: lower case, no trailing dot."""
    return name.to_text(omit_final_dot=True).lower() if name != dns.name.root else ""


# --------------------------------------------------------------------------- resolver


class Resolver:
    """`DnsLookup` over dnspython: the system resolver or the given nameservers.

    `timeout` is one deadline for everything this object does (a whole DNS check),
    counted from its first lookup; `query_timeout` bounds each single query.
    `queries` counts the queries actually sent (retries and TCP fallbacks included; a
    system `getaddrinfo` call counts as one).
    """

    def __init__(
        self,
        nameservers: Sequence[Nameserver] = (),
        *,
        timeout: float = DEFAULT_TIMEOUT,
        query_timeout: float | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        if query_timeout is not None and query_timeout <= 0:
            raise ValueError(f"query_timeout must be positive, not {query_timeout!r}")
        self.nameservers: tuple[Nameserver, ...] = tuple(nameservers)
        self.timeout = float(timeout)
        self.query_timeout = float(
            min(timeout, MAX_QUERY_TIMEOUT) if query_timeout is None else query_timeout
        )
        self.queries = 0
        self._deadline: float | None = None
        self._config_error: BaseException | None = None
        self.servers = "the system resolver"  # for messages; the servers asked, once known
        self._resolver = self._make_dnspython_resolver()

    def _make_dnspython_resolver(self) -> dns.asyncresolver.Resolver:
        """A dnspython resolver that counts what it sends; never raises.

        Without /etc/resolv.conf dnspython refuses to construct a configured resolver; the
        error is kept and raised as NO_RESOLVER by the first lookup, so that building the
        checks (and lookups that need no DNS, like `localhost`) still works.
        """
        if self.nameservers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            servers: Iterable[tuple[str, int]] = ((n.address, n.port) for n in self.nameservers)
        else:
            try:
                resolver = dns.asyncresolver.Resolver(filename=_resolv_conf())
            except (dns.exception.DNSException, OSError, ValueError) as exc:
                self._config_error = exc
                return dns.asyncresolver.Resolver(configure=False)
            servers = _system_servers(resolver)
        counted = [_CountingNameserver(address, port, self._count) for address, port in servers]
        self.servers = ", ".join(_server_text(ns.address, ns.port) for ns in counted)
        if counted:
            resolver.nameservers = counted
        resolver.timeout = min(MAX_ATTEMPT_TIMEOUT, self.query_timeout / max(1, len(counted)))
        resolver.lifetime = self.query_timeout
        resolver.cache = None
        resolver.use_search_by_default = False
        return resolver

    def _count(self) -> None:
        self.queries += 1

    # ------------------------------------------------------------------ deadline

    def _remaining(self) -> float:
        """Seconds left of the overall deadline, which starts with the first lookup."""
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self.timeout
        return self._deadline - now

    def _deadline_passed(self, name: str, rdtype: str) -> DnsError:
        return DnsError(
            DnsErrorKind.TIMEOUT,
            name,
            rdtype,
            f"{rdtype} query not sent: the {self.timeout:g} s deadline for this DNS check "
            "had passed",
        )

    async def _bounded(self, name: str, rdtype: str, work: Callable[[float], Awaitable[T]]) -> T:
        """Run `work(lifetime)` within both the query timeout and the overall deadline."""
        remaining = self._remaining()
        if remaining <= 0:
            raise self._deadline_passed(name, rdtype)
        lifetime = min(self.query_timeout, remaining)
        try:
            async with asyncio.timeout(lifetime):
                return await work(lifetime)
        except TimeoutError:
            cut = f" (the {self.timeout:g} s deadline of this DNS check ran out)"
            detail = f"{rdtype} query: no answer from {self.servers} in {lifetime:.1f} s"
            raise DnsError(
                DnsErrorKind.TIMEOUT,
                name,
                rdtype,
                detail + (cut if remaining < self.query_timeout else ""),
            ) from None
        except DnsError:
            raise
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            raise _to_dns_error(exc, name, rdtype) from None

    # ------------------------------------------------------------------ queries

    def _qname(self, name: str, rdtype: str) -> tuple[str, dns.name.Name]:
        """The name once converted to ASCII, or DnsError(ERROR) saying why it is no name."""
        try:
            text = _ascii_name(name)
            return text, dns.name.from_text(text, origin=dns.name.root)
        except (ValueError, dns.exception.DNSException) as exc:
            raise DnsError(
                DnsErrorKind.ERROR, str(name), rdtype, f"not a DNS name: {exc}"
            ) from None

    async def _resolve(self, text: str, qname: dns.name.Name, rdtype: str) -> dns.resolver.Answer:
        if self._config_error is not None:
            raise _to_dns_error(self._config_error, text, rdtype)

        async def query(lifetime: float) -> dns.resolver.Answer:
            return await self._resolver.resolve(
                qname, rdtype, lifetime=lifetime, search=False, raise_on_no_answer=True
            )

        return await self._bounded(text, rdtype, query)

    async def _lookup(self, name: str, rdtype: str) -> dns.resolver.Answer:
        text, qname = self._qname(name, rdtype)
        return await self._resolve(text, qname, rdtype)

    async def txt(self, name: str) -> TxtAnswer:
        """TXT records, each record's strings joined, and the CNAMEs followed to them."""
        answer = await self._lookup(name, "TXT")
        records = tuple(
            b"".join(rdata.strings).decode("utf-8", errors="replace") for rdata in answer
        )
        chaining = answer.chaining_result
        chain = tuple(_text(rrset[0].target) for rrset in chaining.cnames if len(rrset))
        return TxtAnswer(records, _text(chaining.canonical_name), chain)

    async def a(self, name: str) -> list[str]:
        return [rdata.address for rdata in await self._lookup(name, "A")]

    async def aaaa(self, name: str) -> list[str]:
        return [rdata.address for rdata in await self._lookup(name, "AAAA")]

    async def mx(self, name: str) -> list[MxRecord]:
        """MX records by preference; a null MX (RFC 7505) has the exchange ""."""
        records = [
            MxRecord(rdata.preference, _text(rdata.exchange))
            for rdata in await self._lookup(name, "MX")
        ]
        return sorted(records, key=lambda mx: (mx.preference, mx.exchange))

    async def ptr(self, address: str) -> list[str]:
        """Names of an IP address (its reverse name is built here), or of a reverse name."""
        try:
            reverse = dns.reversename.from_address(address.strip().strip("[]"))
        except (ValueError, dns.exception.DNSException):
            text, reverse = self._qname(address, "PTR")
        else:
            text = _text(reverse)
        return sorted(_text(rdata.target) for rdata in await self._resolve(text, reverse, "PTR"))

    async def srv(self, name: str) -> list[SrvRecord]:
        """SRV records by priority, then the heavier weight first; target "" for "."."""
        records = [
            SrvRecord(rdata.priority, rdata.weight, rdata.port, _text(rdata.target))
            for rdata in await self._lookup(name, "SRV")
        ]
        return sorted(records, key=lambda srv: (srv.priority, -srv.weight, srv.target, srv.port))

    # ------------------------------------------------------------------ hosts

    async def addresses(self, host: str) -> list[str]:
        """The IPv4 and IPv6 addresses of a host, as a connection would use them.

        IP literals and `localhost` (RFC 6761: never sent to DNS) need no query. Without
        `--nameserver` the system's getaddrinfo answers, so /etc/hosts counts as it does
        for every other program; with it, A and AAAA are asked at once.
        """
        literal = host.strip().strip("[]") if isinstance(host, str) else host
        try:
            return [str(ipaddress.ip_address(literal))]
        except ValueError:
            pass
        text, qname = self._qname(host, "A/AAAA")
        if text == "localhost" or text.endswith(".localhost"):
            return list(LOCALHOST_ADDRESSES)
        if not self.nameservers and not os.environ.get(RESOLV_CONF_VARIABLE):
            return await self._system_addresses(text)
        results = await asyncio.gather(
            self._resolve(text, qname, "A"),
            self._resolve(text, qname, "AAAA"),
            return_exceptions=True,
        )
        found = [
            r.address for result in results if not isinstance(result, BaseException) for r in result
        ]
        if found:
            return found
        errors = [
            result if isinstance(result, DnsError) else _to_dns_error(result, text, "A/AAAA")
            for result in results
            if isinstance(result, BaseException)
        ]
        raise _combined_address_error(text, errors)

    async def _system_addresses(self, host: str) -> list[str]:
        self._count()
        loop = asyncio.get_running_loop()

        async def lookup(_: float) -> list[tuple[Any, ...]]:
            try:
                return await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                kind = _GAI_KINDS.get(exc.errno or 0, DnsErrorKind.ERROR)
                detail = f"system resolver (getaddrinfo): {exc.strerror or exc}"
                raise DnsError(kind, host, "A/AAAA", detail) from None

        infos = await self._bounded(host, "A/AAAA", lookup)
        found: list[str] = []
        for info in infos:
            address = str(info[4][0])
            if address not in found:
                found.append(address)
        return found


def _combined_address_error(host: str, errors: list[DnsError]) -> DnsError:
    """One error for a host whose A and AAAA lookups both failed.

    A temporary failure of either wins (the host may exist); NXDOMAIN from either means
    the name does not exist; two NODATA mean it exists without any address.
    """
    order = (
        DnsErrorKind.TIMEOUT,
        DnsErrorKind.SERVFAIL,
        DnsErrorKind.NO_RESOLVER,
        DnsErrorKind.ERROR,
        DnsErrorKind.NXDOMAIN,
        DnsErrorKind.NODATA,
    )
    worst = min(errors, key=lambda error: order.index(error.kind))
    if worst.kind is DnsErrorKind.NODATA:
        return DnsError(DnsErrorKind.NODATA, host, "A or AAAA", "the name exists without address")
    return DnsError(worst.kind, host, "A/AAAA", worst.detail)


def _system_servers(resolver: dns.resolver.BaseResolver) -> list[tuple[str, int]]:
    """The (address, port) of each server resolv.conf names (dnspython keeps them as text)."""
    servers: list[tuple[str, int]] = []
    for server in resolver.nameservers:
        if isinstance(server, dns.nameserver.Do53Nameserver):
            servers.append((server.address, server.port))
        elif isinstance(server, str) and dns.inet.is_address(server):
            servers.append((server, resolver.nameserver_ports.get(server, resolver.port)))
    return servers


def make_resolver(
    nameservers: Sequence[str | Nameserver] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    query_timeout: float | None = None,
) -> Resolver:
    """THE factory: `--nameserver` values (strings are parsed) and `--timeout` to a Resolver.

    Raises ValueError, with a message fit for the user, for a nameserver that is not an IP
    address with an optional port.
    """
    servers = [n if isinstance(n, Nameserver) else Nameserver.parse(n) for n in nameservers]
    return Resolver(servers, timeout=timeout, query_timeout=query_timeout)
