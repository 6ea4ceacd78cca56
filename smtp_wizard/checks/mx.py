"""`dns.mx`: can replies and bounces reach the sending domain?

A sending domain needs somewhere for replies and bounces to go. Without an MX record mail
falls back to the domain's A record (RFC 5321 §5.1), which works but is rarely meant; an
MX whose target does not resolve is a dead end; a null MX (RFC 7505) says the domain takes
no mail at all, so every bounce is lost.
"""

from __future__ import annotations

import asyncio
import time

from smtp_wizard.checks.dnsapi import DnsError, DnsLookup, MxRecord
from smtp_wizard.checks.dnsverdict import dns_verdict
from smtp_wizard.checks.model import CheckResult, Status, ascii_domain


async def _resolves(lookup: DnsLookup, host: str) -> bool | DnsError:
    """True when `host` has an A or AAAA record, False when it has neither (NXDOMAIN, no
    data), else the error that kept it from being told (a temporary one first)."""
    answers = await asyncio.gather(lookup.a(host), lookup.aaaa(host), return_exceptions=True)
    errors = []
    for answer in answers:
        if isinstance(answer, list) and answer:
            return True
        if isinstance(answer, DnsError):
            if not answer.void:
                errors.append(answer)
        elif isinstance(answer, BaseException):
            raise answer
    if not errors:
        return False
    return min(errors, key=lambda error: not dns_verdict(error).temporary)


async def mx_check(domain: str, lookup: DnsLookup) -> CheckResult:
    started = time.monotonic()

    def result(status: Status, summary: str, detail: str = "", advice: str = "") -> CheckResult:
        return CheckResult("dns.mx", status, summary, detail, advice, subject=domain).timed(started)

    name = ascii_domain("dns.mx", domain)
    if isinstance(name, CheckResult):
        return name
    domain = name  # the ASCII form, as every other check reports
    try:
        records = await lookup.mx(domain)
    except DnsError as exc:
        if exc.void:
            return result(
                Status.WARN,
                f"{domain} has no MX record",
                str(exc),
                "Replies and bounces fall back to the domain's A record. Publish an MX for "
                "the mailbox provider that should receive them.",
            )
        verdict = dns_verdict(exc)
        return result(
            verdict.status,
            f"The MX record of {domain} could not be read ({verdict.label})",
            str(exc),
            verdict.advice,
        )
    if any(r.exchange == "" for r in records):
        return result(
            Status.WARN,
            f"{domain} publishes a null MX: it receives no mail (RFC 7505)",
            "MX 0 .",
            "Bounces and replies to this domain are refused. Use a From domain that "
            "receives mail, or replace the null MX.",
        )
    verdicts = await asyncio.gather(*(_resolves(lookup, r.exchange) for r in records))
    dangling = [r for r, ok in zip(records, verdicts, strict=True) if ok is False]
    unknown = [r for r, ok in zip(records, verdicts, strict=True) if isinstance(ok, DnsError)]
    listing = ", ".join(f"{r.preference} {r.exchange}" for r in records)
    if dangling and len(dangling) == len(records):
        return result(
            Status.FAIL,
            f"No MX target of {domain} resolves: {_names(dangling)}",
            f"MX: {listing}",
            "Mail to the domain (replies, bounces) cannot be delivered. Fix the MX records "
            "to point at your mailbox provider's hosts.",
        )
    if dangling:
        return result(
            Status.WARN,
            f"Dangling MX: {_names(dangling)} {'does' if len(dangling) == 1 else 'do'} not resolve",
            f"MX: {listing}",
            "Remove the record or point it at an existing host; senders waste time on it.",
        )
    if unknown:
        errors = [ok for ok in verdicts if isinstance(ok, DnsError)]
        verdict = dns_verdict(errors[0])
        label = "temporary DNS failure" if verdict.temporary else verdict.label
        return result(
            Status.WARN,
            f"Could not check {_names(unknown)} ({label})",
            "\n".join([f"MX: {listing}", *(str(e) for e in errors)]),
            verdict.advice,
        )
    return result(Status.PASS, f"MX: {listing}")


def _names(records: list[MxRecord]) -> str:
    return ", ".join(r.exchange for r in records)
