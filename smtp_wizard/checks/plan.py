"""Which checks a run will report, known before anything runs.

A screen (or the live terminal output) shows every row as "waiting" at once and fills each
one in as its result arrives; for that it needs the ids, what each is about, a short
name, which step of the wizard it belongs to, and what it waits for. The SMTP checks are a
chain (each needs the one before: no TLS, no AUTH); the domain checks need nothing but the
domain and run side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smtp_wizard.checks.stages import Stage, smtp_plan

if TYPE_CHECKING:
    from smtp_wizard.settings import Settings

LABELS: dict[str, str] = {
    "dns.host": "host",
    "smtp.connect": "connect",
    "smtp.greeting": "greeting",
    "smtp.ehlo": "EHLO",
    "smtp.tls": "TLS",
    "tls.version": "TLS version",
    "tls.certificate": "certificate",
    "smtp.auth_mechanisms": "AUTH offered",
    "smtp.auth": "login",
    "smtp.send": "test send",
    "dns.mx": "MX",
    "dns.spf": "SPF",
    "dns.spf.ip": "SPF for IP",
    "dns.dkim": "DKIM",
    "dns.dmarc": "DMARC",
    "delivery.received": "received",
    "delivery.folder": "folder",
    "delivery.authentication": "authentication",
    "delivery.dkim": "DKIM verified",
    "delivery.alignment": "alignment",
}
"""The short name of each check, as a screen's row shows it."""

STEPS: dict[str, str] = {
    "dns.host": "host",
    "smtp.connect": "port",
    "smtp.greeting": "port",
    "smtp.ehlo": "port",
    "smtp.tls": "port",
    "tls.version": "port",
    "tls.certificate": "port",
    "smtp.auth_mechanisms": "port",
    "smtp.auth": "login",
    "smtp.send": "review",
    "dns.mx": "dns",
    "dns.spf": "dns",
    "dns.spf.ip": "dns",
    "dns.dkim": "dns",
    "dns.dmarc": "dns",
}
"""Which wizard step each check belongs to (the step that changes what it checks)."""


@dataclass(frozen=True)
class PlannedCheck:
    """One row that a run will fill in."""

    id: str
    subject: str | None
    """What it checks (`smtp.example.com:587`, `s1._domainkey.example.com`), if known."""
    depends_on: tuple[str, ...] = ()
    """The checks whose failure makes this one a skip."""

    @property
    def label(self) -> str:
        return LABELS.get(self.id, self.id)

    @property
    def step(self) -> str:
        return STEPS.get(self.id, "review")

    @property
    def key(self) -> tuple[str, str | None]:
        """How a result finds its row: the id, and the subject where ids repeat (DKIM)."""
        return (self.id, self.subject if self.id == "dns.dkim" else None)


def smtp_rows(
    security: str, stage: Stage = Stage.SEND, endpoint: str | None = None, host: str | None = None
) -> list[PlannedCheck]:
    """The SMTP conversation's rows in wire order, each depending on the one before."""
    rows: list[PlannedCheck] = []
    previous: tuple[str, ...] = ()
    for check_id in smtp_plan(security, stage):
        subject = host if check_id == "dns.host" else endpoint
        rows.append(PlannedCheck(check_id, subject, previous))
        previous = (check_id,)
    return rows


def domain_rows(domain: str | None, selectors: Sequence[str] = ()) -> list[PlannedCheck]:
    """MX, SPF, one DKIM row per selector, DMARC: independent of each other."""
    name = domain.rstrip(".") if domain else None
    unique = list(dict.fromkeys(selectors))
    dkim = [
        PlannedCheck("dns.dkim", f"{sel}._domainkey.{name}" if name else None) for sel in unique
    ] or [PlannedCheck("dns.dkim", None)]
    dmarc = f"_dmarc.{name}" if name else None
    return [PlannedCheck("dns.mx", name), PlannedCheck("dns.spf", name), *dkim,
            PlannedCheck("dns.dmarc", dmarc)]  # fmt: skip


def check_plan(
    security: str | None,
    *,
    stage: Stage = Stage.LOGIN,
    endpoint: str | None = None,
    host: str | None = None,
    domain: str | None = None,
    with_domain: bool = True,
    selectors: Sequence[str] = (),
) -> list[PlannedCheck]:
    """Every row of a run: the SMTP conversation (None: not run), then the domain's."""
    rows = smtp_rows(security, stage, endpoint, host) if security is not None else []
    if with_domain:
        rows += domain_rows(domain, selectors)
    return rows


def selectors_of(effective: Settings) -> tuple[str, ...]:
    """The DKIM selectors to check: the profile's (or flags'), else the preset's."""
    if effective.dkim_selectors:
        return tuple(effective.dkim_selectors)
    return tuple(effective.hints.dkim_selectors) if effective.hints is not None else ()


__all__ = [
    "LABELS",
    "STEPS",
    "PlannedCheck",
    "check_plan",
    "domain_rows",
    "selectors_of",
    "smtp_rows",
]
