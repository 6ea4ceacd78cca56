"""The wizard's one door to the core's checks: the screens never touch a socket or DNS.

Every network action of the wizard goes through `Core`, which holds the run's options
(`--nameserver`, `--cafile`, `--timeout`) and calls the core's check functions with them.
The screens only start workers around these calls and render what comes back, so when a
signature in `smtp_wizard.checks` moves, this file is the only one that changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smtp_wizard.checks.model import CheckResult, Status

if TYPE_CHECKING:
    from smtp_wizard.checks.discover import PortReport
    from smtp_wizard.checks.dns import Resolver
    from smtp_wizard.checks.facts import ProbeFacts
    from smtp_wizard.checks.run import CheckRun
    from smtp_wizard.checks.smtp import SmtpSettings, Transcript
    from smtp_wizard.providers import Provider
    from smtp_wizard.records import RecordPlan
    from smtp_wizard.secret import Secret
    from smtp_wizard.settings import Settings
    from smtp_wizard.suggest import Suggestions


PRELOAD = (
    "smtp_wizard.checks.smtp",
    "smtp_wizard.checks.run",
    "smtp_wizard.checks.discover",
    "smtp_wizard.checks.dns",
    "smtp_wizard.checks.domain",
    "smtp_wizard.suggest",
)
"""The modules every check needs, loaded in a thread after the first frame (`preload`)."""


def label(check_id: str) -> str:
    """The short on-screen name of a check id (`smtp.tls` -> `TLS`)."""
    from smtp_wizard.checks.plan import LABELS

    return LABELS.get(check_id, check_id)


@dataclass(frozen=True)
class CheckEnv:
    """The options every check of one wizard session uses (the same flags as `check`)."""

    nameservers: tuple[str, ...] = ()
    cafile: Path | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class HostLookup:
    """The addresses of a host name, or why there are none (`problem`)."""

    host: str
    addresses: tuple[str, ...] = ()
    problem: str = ""


class Core:
    """The checks the wizard runs, each with this session's nameservers, CA file, timeout."""

    def __init__(self, env: CheckEnv) -> None:
        self.env = env

    def preload(self) -> None:
        """Import every check module and build the TLS context, off the event loop.

        The wizard runs this in a thread once its first frame is out: importing dnspython
        alone takes a few hundred milliseconds, and the first check would otherwise freeze
        the screen for that long. Nothing here touches the network."""
        from importlib import import_module

        for name in PRELOAD:
            import_module(name)
        from dns.asyncbackend import get_backend

        get_backend("asyncio")  # dnspython imports its asyncio backend on first use
        from smtp_wizard.checks.smtp import tls_context
        from smtp_wizard.errors import WizardError

        with contextlib.suppress(WizardError, OSError):
            tls_context(self.env.cafile)  # the system trust store: tens of milliseconds

    def resolver(self) -> Resolver:
        from smtp_wizard.checks.dns import make_resolver

        return make_resolver(self.env.nameservers, timeout=self.env.timeout)

    # -- settings -------------------------------------------------------------------------

    def smtp_settings(
        self,
        effective: Settings,
        *,
        password: Secret | None = None,
        send_to: str | None = None,
        allow_plaintext_auth: bool = False,
    ) -> SmtpSettings:
        """What one probe needs; UsageError (with a message for the screen) when it cannot run."""
        from smtp_wizard.settings import smtp_settings

        return smtp_settings(
            effective,
            given=password,
            send_to=send_to,
            cafile=self.env.cafile,
            timeout=self.env.timeout,
            allow_plaintext_auth=allow_plaintext_auth,
        )

    # -- host -----------------------------------------------------------------------------

    async def host_addresses(self, host: str) -> HostLookup:
        """The host's addresses through the session's resolver (never raises for DNS)."""
        from smtp_wizard.checks.dnsapi import DnsError

        try:
            found = await self.resolver().addresses(host)
        except DnsError as error:
            return HostLookup(host, problem=str(error))
        except ValueError as error:
            return HostLookup(host, problem=str(error))
        return HostLookup(host, tuple(found))

    # -- SMTP -----------------------------------------------------------------------------

    def probe(
        self, settings: SmtpSettings, stage: str, transcript: Transcript | None = None
    ) -> Probe:
        """A probe of `settings` up to `stage` ("connection", "login" or "send")."""
        return Probe(self, settings, stage, transcript)

    async def discover(
        self, host: str, *, provider: Provider | None, ports: Sequence[tuple[int, str]]
    ) -> AsyncIterator[PortReport]:
        """Each port's report as soon as it is known."""
        from smtp_wizard.checks.discover import discover_ports
        from smtp_wizard.checks.model import running

        stream = discover_ports(
            host,
            resolve=self.resolver().addresses,
            cafile=self.env.cafile,
            timeout=self.env.timeout,
            provider=provider,
            ports=list(ports),
        )
        async with running(stream) as reports:
            async for report in reports:
                yield report

    @staticmethod
    def recommend(reports: list[PortReport]) -> tuple[PortReport | None, str]:
        from smtp_wizard.checks.discover import recommend

        return recommend(reports)

    @staticmethod
    def standard_ports(provider: Provider | None) -> list[tuple[int, str]]:
        from smtp_wizard.checks.discover import ports_for

        return ports_for(provider)

    @staticmethod
    def smtp_plan(security: str, stage: str) -> tuple[str, ...]:
        from smtp_wizard.checks.stages import Stage, smtp_plan

        return smtp_plan(security, Stage(stage))

    def check_run(
        self,
        effective: Settings,
        *,
        password: Secret | None = None,
        send_to: str | None = None,
        allow_plaintext_auth: bool = False,
        transcript: Transcript | None = None,
        scope: Sequence[str] = ("smtp", "dns"),
    ) -> CheckRun:
        """Every check of `effective`, as `check` runs them (same verdicts, same options).

        UsageError when the settings cannot be probed (no host, a bad value)."""
        from smtp_wizard.checks.run import CheckRun, RunOptions

        return CheckRun(
            effective,
            RunOptions(self.env.nameservers, self.env.cafile, self.env.timeout),
            scope=scope,
            given=password,
            send_to=send_to,
            allow_plaintext_auth=allow_plaintext_auth,
            transcript=transcript,
        )

    # -- the domain -----------------------------------------------------------------------

    def domain(self, effective: Settings) -> DomainRun:
        return DomainRun(self, effective)

    async def suggest(self, domain: str) -> Suggestions:
        """Presets the domain already uses (SPF, MX, DKIM), best first; empty on DNS trouble,
        with `.reason` saying why."""
        from smtp_wizard.suggest import suggest_providers

        return await suggest_providers(
            domain, nameservers=self.env.nameservers, timeout=min(self.env.timeout, 5.0)
        )

    @staticmethod
    def selectors(effective: Settings) -> tuple[str, ...]:
        """The DKIM selectors the domain checks ask for: the profile's, else the preset's."""
        from smtp_wizard.checks.plan import selectors_of

        return selectors_of(effective)


class Probe:
    """One SMTP conversation up to a stage; `results()` streams, `facts` after the end."""

    def __init__(
        self, core: Core, settings: SmtpSettings, stage: str, transcript: Transcript | None
    ) -> None:
        from smtp_wizard.checks.smtp import SmtpProbe, Stage

        self.settings = settings
        self.plan = core.smtp_plan(settings.security, stage)
        self._probe = SmtpProbe(settings, core.resolver().addresses, transcript, stage=Stage(stage))

    async def results(self) -> AsyncIterator[CheckResult]:
        """The probe's results in order; leaving early closes the connection at once."""
        from smtp_wizard.checks.model import running

        if self.settings.password_source is not None:
            # Read a saved password beside connect and TLS; AUTH awaits the same read.
            warm = asyncio.ensure_future(self.settings.password_source())
        else:
            warm = None
        try:
            async with running(self._probe.run()) as results:
                async for result in results:
                    yield result
        finally:
            if warm is not None and not warm.done():
                warm.cancel()
                with contextlib.suppress(BaseException):
                    await warm

    @property
    def facts(self) -> ProbeFacts | None:
        return getattr(self._probe, "facts", None)


class DomainRun:
    """MX, SPF, DKIM and DMARC of the sending domain, and the records to add."""

    def __init__(self, core: Core, effective: Settings) -> None:
        from smtp_wizard.checks.domain import domain_report

        self.domain = effective.domain
        self.selectors = core.selectors(effective)
        self._report = domain_report(
            effective.domain,
            nameservers=core.env.nameservers,
            timeout=core.env.timeout,
            provider=effective.hints,
            selectors=self.selectors,
        )

    async def results(self) -> AsyncIterator[CheckResult]:
        from smtp_wizard.checks.model import running

        async with running(self._report.results()) as results:
            async for result in results:
                yield result

    async def plan(self) -> RecordPlan | None:
        """The records to add, once the checks are consumed (None when DNS did not answer)."""
        return await self._report.plan()


def worst(results: Sequence[CheckResult]) -> Status | None:
    """The worst status of `results` (skips count as nothing), or None when there are none."""
    order = {Status.FAIL: 3, Status.WARN: 2, Status.PASS: 1, Status.SKIP: 0}
    shown = [r.status for r in results]
    if not shown:
        return None
    return max(shown, key=lambda status: order[status])


__all__ = ["CheckEnv", "Core", "DomainRun", "HostLookup", "Probe", "label", "worst"]
