"""What a DNS error means for a check: one table, read by every check that asks DNS.

`dns.host`, `dns.mx`, `dns.spf`, `dns.dkim` and `dns.dmarc` each meet the same errors
(`dnsapi.DnsErrorKind`). Whether an error is temporary (worth trying again), what the
summary calls it and what the user should do depends only on the kind, so it is decided
here once. What a *missing* record means differs per check (no MX warns, no SPF fails
with a record to publish): those checks decide that themselves and come here for every
other kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from smtp_wizard.checks.dnsapi import TEMPORARY_KINDS, DnsError, DnsErrorKind
from smtp_wizard.checks.model import Status

__all__ = ["DNS_VERDICTS", "DnsVerdict", "check_timed_out", "dns_verdict"]


@dataclass(frozen=True)
class DnsVerdict:
    """The meaning of one kind of DNS error for a check."""

    status: Status
    temporary: bool  # trying again later may give an answer
    label: str  # what a summary adds in brackets: "could not be read (temporary)"
    advice: str


_TRY_AGAIN: Final = "This is temporary: try again"
_RESOLVER: Final = "or another resolver (--nameserver)"


def _row(kind: DnsErrorKind, label: str, advice: str) -> tuple[DnsErrorKind, DnsVerdict]:
    return kind, DnsVerdict(Status.FAIL, kind in TEMPORARY_KINDS, label, advice)


DNS_VERDICTS: Final[dict[DnsErrorKind, DnsVerdict]] = dict(
    [
        _row(
            DnsErrorKind.SERVFAIL,
            "temporary",
            f"{_TRY_AGAIN} (the DNS server failed: SERVFAIL), {_RESOLVER}; if it persists, "
            "the domain's DNS servers are broken.",
        ),
        _row(
            DnsErrorKind.TIMEOUT,
            "temporary",
            f"{_TRY_AGAIN} (no answer in time), {_RESOLVER}, or raise --timeout.",
        ),
        _row(
            DnsErrorKind.NO_RESOLVER,
            "no DNS resolver",
            "This machine has no DNS resolver configured (/etc/resolv.conf): pass "
            "--nameserver IP, or configure one.",
        ),
        _row(
            DnsErrorKind.ERROR,
            "DNS error",
            "The DNS server would not answer this question (see the detail): check the "
            "domain's DNS servers, or pass --nameserver with a resolver that serves it.",
        ),
        _row(DnsErrorKind.NXDOMAIN, "no such name", "Check the name: it does not exist in DNS."),
        _row(DnsErrorKind.NODATA, "no record", "Publish the record, or check the name."),
    ]
)


def dns_verdict(error: DnsError) -> DnsVerdict:
    """The table's row for `error`; every kind has one."""
    return DNS_VERDICTS[error.kind]


def check_timed_out(what: str, timeout: float | None) -> tuple[str, str]:
    """Summary and advice for a whole check cut off by its deadline: a temporary failure."""
    verdict = DNS_VERDICTS[DnsErrorKind.TIMEOUT]
    return f"{what} did not finish within {timeout:g} s ({verdict.label})", verdict.advice
