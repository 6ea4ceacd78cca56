"""Which ports and TLS modes does a server offer? All probed at once, one recommended.

Every port gets the same probe as `check` (without a login), all concurrently and under
one deadline, so the whole run takes about one timeout however many ports stay silent.
A port answering in the other TLS mode (465 speaking STARTTLS, say) is probed again in
that mode with the time that is left. The recommendation follows RFC 8314: implicit TLS
(465) or STARTTLS (587) with a valid certificate; 2525 when those are blocked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from smtp_wizard.checks.dnsapi import DnsError, SrvRecord
from smtp_wizard.checks.facts import Outcome, ProbeFacts
from smtp_wizard.checks.model import CheckResult, Status, running
from smtp_wizard.checks.smtp import SmtpProbe, SmtpSettings, Stage, Transcript
from smtp_wizard.providers import Provider

STANDARD_PORTS: tuple[tuple[int, str], ...] = (
    (587, "starttls"),
    (465, "ssl"),
    (2525, "starttls"),
    (25, "starttls"),
)
EXTRA_PORTS: tuple[tuple[int, str], ...] = ((2587, "starttls"), (2465, "ssl"))
# RFC 8314 §3: implicit TLS preferred, then STARTTLS on 587; the alternates after.
PREFERENCE: tuple[tuple[int, str], ...] = (
    (465, "ssl"),
    (587, "starttls"),
    (2465, "ssl"),
    (2587, "starttls"),
    (2525, "starttls"),
    (25, "starttls"),
)
STATUSES = ("ok", "refused", "timeout", "unreachable", "not-smtp", "tls-failed", "error")

# How a probe ended -> discover's port status (DESIGN.md pins the vocabulary).
_STATUS_OF_OUTCOME: dict[Outcome, str] = {
    Outcome.OK: "ok",
    Outcome.REFUSED: "refused",
    Outcome.TIMEOUT: "timeout",
    Outcome.UNREACHABLE: "unreachable",
    Outcome.NOT_SMTP: "not-smtp",
    Outcome.TLS_FAILED: "tls-failed",
    Outcome.WRONG_MODE: "tls-failed",
}


@dataclass
class PortReport:
    port: int
    security: str
    status: str
    summary: str
    detail: str = ""
    mechanisms: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.OK
    facts: ProbeFacts | None = None
    """What the probe learned (TLS version, certificate, mechanisms), typed."""
    results: tuple[CheckResult, ...] = ()
    """The probe's own results, for a screen that shows the port's rows."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "security": self.security,
            "status": self.status,
            "summary": self.summary,
            "detail": self.detail,
        }


@dataclass
class Discovery:
    host: str
    ports: list[PortReport]
    recommended: PortReport | None
    reason: str
    srv: list[tuple[str, SrvRecord]] = field(default_factory=list)
    srv_problem: str = ""
    elapsed_ms: int = 0

    @property
    def exit_code(self) -> int:
        return 0 if self.recommended is not None else 1

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "host": self.host,
            "elapsed_ms": self.elapsed_ms,
            "ports": [p.to_json() for p in self.ports],
            "recommended": (
                {"port": self.recommended.port, "security": self.recommended.security}
                if self.recommended
                else None
            ),
            "reason": self.reason,
        }
        if self.srv or self.srv_problem:
            document["srv"] = [
                {
                    "service": service,
                    "target": r.target,
                    "port": r.port,
                    "priority": r.priority,
                    "weight": r.weight,
                }
                for service, r in self.srv
            ]
        return document


def ports_for(provider: Provider | None) -> list[tuple[int, str]]:
    """587, 465, 2525 and 25, plus every other port the provider's preset lists."""
    ports = list(STANDARD_PORTS)
    if provider is not None:
        ports += [
            (p.port, p.security)
            for p in provider.ports
            if p.port not in {port for port, _ in ports} and p.security != "none"
        ]
    return ports


async def _probe_port(
    settings: SmtpSettings, resolve: Callable[[str], Awaitable[list[str]]], deadline: float
) -> PortReport:
    """Probe one port; if it speaks the other TLS mode, probe again in that mode."""
    report, right_mode = await _run_probe(settings, resolve)
    remaining = deadline - time.monotonic()
    if right_mode and remaining > 0.2:
        retry = replace(settings, security=right_mode, timeout=remaining)
        second, _ = await _run_probe(retry, resolve)
        if second.ok:
            second.detail = (
                f"Probed as {settings.security} first: the port wants {right_mode}. "
                + second.detail
            ).strip()
            return second
    return report


async def _run_probe(
    settings: SmtpSettings, resolve: Callable[[str], Awaitable[list[str]]]
) -> tuple[PortReport, str | None]:
    probe = SmtpProbe(settings, resolve, Transcript(), stage=Stage.CONNECTION)
    results: dict[str, CheckResult] = {}
    async for result in probe.run():
        results[result.id] = result
    facts = probe.facts
    every = tuple(results.values())
    failed = next((r for r in every if r.failed), None)
    if failed is None or failed.id == "smtp.auth_mechanisms":
        parts = []
        if facts.tls is not None:
            parts.append(results["smtp.tls"].summary)
        cert = results.get("tls.certificate")
        if cert is not None and cert.status is not Status.SKIP:
            parts.append(f"certificate: {cert.summary}")
        mechanisms = results.get("smtp.auth_mechanisms")
        parts.append(
            f"AUTH {' '.join(facts.mechanisms)}"
            if facts.mechanisms
            else (mechanisms.summary if mechanisms else "")
        )
        greeting = results.get("smtp.greeting")
        return PortReport(
            settings.port,
            settings.security,
            "ok",
            "; ".join(p for p in parts if p),
            detail=greeting.summary if greeting else "",
            mechanisms=list(facts.mechanisms),
            outcome=Outcome.OK,
            facts=facts,
            results=every,
        ), None
    status = _STATUS_OF_OUTCOME.get(facts.outcome, "error")
    if failed.id == "tls.certificate":
        status = "tls-failed"
    detail = " ".join(x for x in (failed.detail, failed.advice) if x)
    report = PortReport(
        settings.port,
        settings.security,
        status,
        failed.summary,
        detail=detail,
        outcome=facts.outcome,
        facts=facts,
        results=every,
    )
    return report, facts.right_mode


def recommend(reports: list[PortReport]) -> tuple[PortReport | None, str]:
    """The best working port by RFC 8314's preference, and why it was chosen."""
    working = {(r.port, r.security): r for r in reports if r.status == "ok"}
    for key in PREFERENCE:
        if key in working:
            chosen = working[key]
            return chosen, _why(chosen, reports)
    others = sorted((r for r in reports if r.ok), key=lambda r: (r.security != "ssl", r.port))
    if others and len(others) > 1:
        chosen = others[0]
        mode = "implicit TLS" if chosen.security == "ssl" else chosen.security
        return chosen, (
            f"{chosen.port} with {mode}: the provider's own port"
            + (", TLS from the first byte (RFC 8314)." if chosen.security == "ssl" else ".")
        )
    if others:
        return others[0], f"{others[0].port} is the only port that works."
    if any(r.status == "tls-failed" for r in reports):
        return None, (
            "No port completed a trusted TLS session; see the ports marked "
            "tls-failed. A private CA can be added with --cafile."
        )
    return None, "No port answered as an SMTP submission server."


def _why(chosen: PortReport, reports: list[PortReport]) -> str:
    by_port = {r.port: r for r in reports}
    if chosen.port == 465:
        return (
            "465 with implicit TLS: RFC 8314 prefers TLS from the first byte, and the "
            "certificate is valid."
        )
    if chosen.port == 587:
        blocked = by_port.get(465)
        because = (
            f" 465 is not usable ({blocked.status})." if blocked and blocked.status != "ok" else ""
        )
        return f"587 with STARTTLS and a valid certificate: the standard submission port.{because}"
    blocked = ", ".join(f"{p} ({by_port[p].status})" for p in (465, 587) if p in by_port)
    return f"{chosen.port} with {chosen.security}: 465 and 587 are not usable here ({blocked})."


async def discover_ports(
    host: str,
    *,
    resolve: Callable[[str], Awaitable[list[str]]],
    cafile: Any = None,
    timeout: float = 10.0,
    provider: Provider | None = None,
    ports: list[tuple[int, str]] | None = None,
) -> AsyncIterator[PortReport]:
    """Probe every port at once; yield each port's report as soon as it is known.

    One deadline covers every port. Closing the iterator early (a screen that moves on)
    cancels the probes still running and closes their sockets.
    """
    deadline = time.monotonic() + timeout
    addresses: dict[str, asyncio.Future[list[str]]] = {}

    async def resolve_once(name: str) -> list[str]:
        if name not in addresses:
            addresses[name] = asyncio.ensure_future(resolve(name))
        return await asyncio.shield(addresses[name])

    chosen_ports = ports if ports is not None else ports_for(provider)
    tasks = [
        asyncio.ensure_future(
            _probe_port(
                SmtpSettings(
                    host=host,
                    port=port,
                    security=security,
                    cafile=cafile,
                    timeout=timeout,
                    provider=provider,
                ),
                resolve_once,
                deadline,
            )
        )
        for port, security in chosen_ports
    ]
    try:
        for finished in asyncio.as_completed(tasks):
            yield await finished
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for future in addresses.values():
            future.cancel()
        await asyncio.gather(*addresses.values(), return_exceptions=True)


async def discover(
    host: str,
    *,
    resolve: Callable[[str], Awaitable[list[str]]],
    srv: Callable[[str], Awaitable[list[SrvRecord]]] | None = None,
    domain: str | None = None,
    cafile: Any = None,
    timeout: float = 10.0,
    provider: Provider | None = None,
    ports: list[tuple[int, str]] | None = None,
) -> Discovery:
    """Probe every port at once (and the SRV records of `domain`); recommend one."""
    started = time.monotonic()
    chosen_ports = ports if ports is not None else ports_for(provider)

    async def every_port() -> list[PortReport]:
        found: list[PortReport] = []
        async with running(
            discover_ports(
                host,
                resolve=resolve,
                cafile=cafile,
                timeout=timeout,
                provider=provider,
                ports=chosen_ports,
            )
        ) as reports:
            async for report in reports:
                found.append(report)
        order = {key: i for i, key in enumerate(chosen_ports)}
        return sorted(found, key=lambda r: order.get((r.port, r.security), len(order)))

    srv_task = _lookup_srv(srv, domain) if srv is not None and domain else _no_srv()
    reports, (srv_records, srv_problem) = await asyncio.gather(every_port(), srv_task)
    recommended, reason = recommend(reports)
    return Discovery(
        host=host,
        ports=reports,
        recommended=recommended,
        reason=reason,
        srv=srv_records,
        srv_problem=srv_problem,
        elapsed_ms=round((time.monotonic() - started) * 1000),
    )


async def _no_srv() -> tuple[list[tuple[str, SrvRecord]], str]:
    return [], ""


async def _lookup_srv(
    srv: Callable[[str], Awaitable[list[SrvRecord]]], domain: str
) -> tuple[list[tuple[str, SrvRecord]], str]:
    """RFC 6186 / RFC 8314 submission SRV records, both services at once."""
    services = ("_submissions._tcp", "_submission._tcp")
    answers = await asyncio.gather(
        *(srv(f"{service}.{domain}") for service in services), return_exceptions=True
    )
    found: list[tuple[str, SrvRecord]] = []
    problems: list[str] = []
    for service, answer in zip(services, answers, strict=True):
        if isinstance(answer, DnsError):
            if not answer.void:
                problems.append(str(answer))
            continue
        if isinstance(answer, BaseException):
            raise answer
        found += [(service, record) for record in answer]
    return found, "; ".join(problems)
