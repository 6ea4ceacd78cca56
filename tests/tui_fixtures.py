"""A fixed world for pictures of the wizard: the same screen on every run, no network.

Snapshot tests and benchmarks need the wizard's screens with results that never change:
no elapsed milliseconds, no ephemeral ports, no dates that move, no temporary paths.
`FixedCore` is the wizard's door to the checks (`smtp_wizard.tui.core.Core`) with the
network replaced by a script:

- DNS is real check code over an in-memory zone (`tests.memory_dns.MemoryDns`): the host
  lookup, the provider suggestion and the MX/SPF/DKIM/DMARC checks with their records plan
  give the verdicts and wording the core gives today.
- SMTP is scripted after what the real probe says to a real server (captured from the demo
  world): SendGrid's host with 587, 465 and 2525 answering, 25 silent (a network that
  blocks it), a 535 for a wrong key, wrong-mode answers for 465 with STARTTLS.

Everything else (settings resolution, plans, recommendations) is the real `Core`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerState

from smtp_wizard.checks import advice
from smtp_wizard.checks.discover import PortReport
from smtp_wizard.checks.facts import (
    AuthFacts,
    CertificateFacts,
    ConnectFacts,
    HostFacts,
    Outcome,
    ProbeFacts,
    ReplyFacts,
    TlsFacts,
)
from smtp_wizard.checks.model import CheckResult, Status, merge
from smtp_wizard.checks.plan import PlannedCheck, check_plan
from smtp_wizard.checks.smtp import SmtpSettings, Stage, Transcript
from smtp_wizard.draft import Draft
from smtp_wizard.providers import Provider
from smtp_wizard.secret import Secret
from smtp_wizard.settings import Settings
from smtp_wizard.tui.app import WizardApp
from smtp_wizard.tui.core import CheckEnv, Core, HostLookup
from tests.memory_dns import MemoryDns

HOST = "smtp.sendgrid.net"
ADDRESSES = ("203.0.113.25", "203.0.113.26")
"""Documentation addresses (RFC 5737): shown on screen, never contacted."""
DOMAIN = "example.com"
FROM_ADDRESS = "noreply@example.com"
PROVIDER = "sendgrid"
USERNAME = "apikey"
PASSWORD = "SG.fixed-key-for-pictures"  # a fake key for a scripted server
WRONG_PASSWORD = "SG.typo"
RECIPIENT = "you@example.com"
CONFIG_NAME = "smtp-wizard.toml"
CONFIG_ID = "5a1ed0c0ffee"

OPEN_PORTS = {587: "starttls", 465: "ssl", 2525: "starttls"}
"""Port -> the TLS mode it speaks. Other ports: 25 never greets, the rest refuse."""
SILENT_PORTS = frozenset({25})
EXTENSIONS = ("SIZE 31457280", "8BITMIME", "PIPELINING", "STARTTLS")
MECHANISMS = ("PLAIN", "LOGIN")
CERTIFICATE = CertificateFacts(
    subject=HOST,
    issuer="Example Trust RSA CA",
    not_after=datetime(2026, 9, 14, tzinfo=UTC),
    days_left=212,
    names=(HOST,),
)
TLS13 = "TLS_AES_256_GCM_SHA384"

# The zone: SPF already names SendGrid (so the provider is suggested), no DKIM key at the
# selector s1, DMARC at p=none without reports: a pass, a fail and a warning to show.
ZONE: dict[str, list[tuple[str, Any]]] = {
    DOMAIN: [
        ("MX", (10, "mx.example.com")),
        ("TXT", "v=spf1 mx include:sendgrid.net ~all"),
    ],
    "mx.example.com": [("A", "198.51.100.10")],
    f"_dmarc.{DOMAIN}": [("TXT", "v=DMARC1; p=none")],
    "sendgrid.net": [("TXT", "v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 ~all")],
    HOST: [("A", ADDRESSES[0]), ("A", ADDRESSES[1])],
}


def fixed_dns() -> MemoryDns:
    return MemoryDns(ZONE)


class _Resolver:
    """The in-memory zone with the two extras a `checks.dns.Resolver` has."""

    def __init__(self, zone: MemoryDns) -> None:
        self._zone = zone
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._zone, name)

    async def addresses(self, host: str) -> list[str]:
        """A and AAAA at once; an error only when neither has an address (as `dns.py`)."""
        answers = await asyncio.gather(self._zone.a(host), self._zone.aaaa(host),
                                       return_exceptions=True)  # fmt: skip
        found = [a for answer in answers if isinstance(answer, list) for a in answer]
        if found:
            return found
        error = answers[0]
        raise error if isinstance(error, BaseException) else LookupError(host)


# -- the scripted SMTP server ---------------------------------------------------------------


def _skip_all(ids: Sequence[str], reason: str, subject: str) -> list[CheckResult]:
    return [CheckResult(i, Status.SKIP, reason, subject=subject) for i in ids]


def conversation(
    settings: SmtpSettings, stage: str, *, saved_password_works: bool = True
) -> tuple[list[CheckResult], ProbeFacts]:
    """What the real probe reports for `settings` against the scripted server, in order.

    The words are the core's own (captured from the demo world); only host, port, dates and
    the reply texts are this world's.
    """
    from smtp_wizard.checks.smtp import smtp_plan

    plan = list(smtp_plan(settings.security, Stage(stage)))
    endpoint = settings.endpoint
    port, mode = settings.port, settings.security
    out: list[CheckResult] = []
    facts: dict[str, Any] = {"addresses": ADDRESSES, "address": ADDRESSES[0]}

    def add(check_id: str, status: Status, summary: str, **more: Any) -> None:
        if check_id in plan:
            out.append(CheckResult(check_id, status, summary, subject=endpoint, **more))

    def rest(reason: str) -> list[CheckResult]:
        done = {r.id for r in out}
        return _skip_all([i for i in plan if i not in done], reason, endpoint)

    if settings.host != HOST:
        out.append(
            CheckResult(
                "dns.host",
                Status.FAIL,
                f"{settings.host} does not exist (NXDOMAIN): A query",
                subject=settings.host,
            )
        )
        return out + rest("no address"), ProbeFacts(Outcome.DNS)
    out.append(
        CheckResult(
            "dns.host",
            Status.PASS,
            f"{HOST} resolves to {', '.join(ADDRESSES)}",
            subject=HOST,
            facts=HostFacts(ADDRESSES),
        )
    )
    if port in SILENT_PORTS:
        add(
            "smtp.connect",
            Status.PASS,
            f"Connected to {endpoint} ({ADDRESSES[0]})",
            facts=ConnectFacts(ADDRESSES[0], port, 0),
        )
        deadline = f"{settings.timeout:g} s"
        add(
            "smtp.greeting",
            Status.FAIL,
            f"No greeting within the {deadline} deadline",
            advice="The server stopped answering (or answers too slowly). A firewall may drop "
            "the traffic; try again, or raise --timeout.",
        )
        return out + rest(f"the {deadline} deadline was reached"), ProbeFacts(
            Outcome.TIMEOUT, **facts
        )
    if port not in OPEN_PORTS:
        add(
            "smtp.connect",
            Status.FAIL,
            f"Connection refused: {endpoint}",
            detail=f"{ADDRESSES[0]}: Connect call failed ('{ADDRESSES[0]}', {port})",
            advice="Nothing listens on that port: check the port number and the host. Many "
            "networks block outgoing 25 and sometimes 587; try 465 or 2525.",
        )
        return out + rest("no connection"), ProbeFacts(Outcome.REFUSED, ADDRESSES)
    add(
        "smtp.connect",
        Status.PASS,
        f"Connected to {endpoint} ({ADDRESSES[0]})",
        facts=ConnectFacts(ADDRESSES[0], port, 0),
    )
    wanted = OPEN_PORTS[port]
    if mode != wanted:
        if wanted == "ssl":
            add(
                "smtp.greeting",
                Status.FAIL,
                "No SMTP greeting: the server is waiting for a TLS handshake",
            )
            add(
                "smtp.tls",
                Status.FAIL,
                f"Wrong TLS mode: port {port} expects TLS from the first byte: choose ssl",
                detail="A second connection completed a TLS handshake with this port.",
                advice=f"Use security ssl for port {port} (implicit TLS).",
            )
            reason = "the port expects implicit TLS (ssl)"
        else:
            add(
                "smtp.tls",
                Status.FAIL,
                f"Wrong TLS mode: port {port} speaks plain SMTP first (STARTTLS): choose starttls",
                detail="OpenSSL: WRONG_VERSION_NUMBER",
                advice=f"Use security starttls for port {port}.",
            )
            reason = "no TLS"
        return out + rest(reason), ProbeFacts(Outcome.WRONG_MODE, **facts, right_mode=wanted)

    tls = TlsFacts("TLSv1.3", "implicit" if mode == "ssl" else "starttls", TLS13)
    greeting = f"{HOST} ESMTP service ready"

    def hello() -> None:
        add("smtp.greeting", Status.PASS, f"Greeting: 220 {greeting}",
            facts=ReplyFacts(220, None, greeting))  # fmt: skip
        add("smtp.ehlo", Status.PASS, f"EHLO accepted; {len(EXTENSIONS)} extensions",
            detail=f"Offered: {', '.join(EXTENSIONS)}")  # fmt: skip

    def handshake() -> None:
        words = "TLS from the first byte" if mode == "ssl" else "STARTTLS completed"
        add("smtp.tls", Status.PASS, f"{words} (TLSv1.3, {TLS13})", facts=tls)
        add("tls.version", Status.PASS, "TLSv1.3 negotiated", facts=tls)
        add(
            "tls.certificate",
            Status.PASS,
            f"Trusted, names {HOST}, valid until 2026-09-14",
            detail=f"Issued to {HOST} by {CERTIFICATE.issuer}; valid until 2026-09-14.",
            facts=CERTIFICATE,
        )

    if mode == "ssl":
        handshake()
        hello()
    else:
        hello()
        handshake()
    add("smtp.auth_mechanisms", Status.PASS, f"AUTH offered: {' '.join(MECHANISMS)}",
        detail="smtp-wizard will use PLAIN.", facts=AuthFacts(MECHANISMS, MECHANISMS))  # fmt: skip
    done = dict(facts, tls=tls, certificate=CERTIFICATE, mechanisms=MECHANISMS, greeting=greeting)
    if "smtp.auth" not in plan:
        return out, ProbeFacts(Outcome.OK, **done)

    if settings.password is not None:
        right = settings.password.reveal() == PASSWORD and settings.username == USERNAME
    elif settings.password_source is not None:
        right = saved_password_works
    else:
        add(
            "smtp.auth",
            Status.FAIL,
            "No password available",
            detail=settings.password_problem,
            advice="Give it with --password-stdin or --password-env VAR, or store it with "
            "`smtp-wizard config set-password`.",
        )
        return out + rest("no login"), ProbeFacts(Outcome.AUTH_FAILED, **done)
    if not right:
        reply = "5.7.8 Authentication failed: Bad username / password"
        explained = advice.explain_auth(535, reply, settings.provider)
        add(
            "smtp.auth",
            Status.FAIL,
            explained.summary,
            detail=f"535 {reply}",
            advice=explained.advice,
            facts=ReplyFacts(535, "5.7.8", reply),
        )
        return out + rest("the login failed"), ProbeFacts(Outcome.AUTH_FAILED, **done)
    add("smtp.auth", Status.PASS, f"Logged in as {settings.username} (PLAIN)")
    if settings.send_to:
        add(
            "smtp.send",
            Status.PASS,
            f"Test message accepted for {settings.send_to}",
            detail="250 Ok: queued as 9mXtCq3TQwO1J2x2b8iFrw",
        )
    return out, ProbeFacts(Outcome.OK, **done, logged_in=True)


TRANSCRIPT = (
    f"* connected to {ADDRESSES[0]} port 587",
    f"S: 220 {HOST} ESMTP service ready",
    "C: EHLO [192.0.2.1]",
    *(f"S: 250-{e}" for e in EXTENSIONS[:-1]),
    f"S: 250 {EXTENSIONS[-1]}",
    "C: STARTTLS",
    "S: 220 Ready to start TLS",
    f"* TLS: TLSv1.3 {TLS13}",
    "C: EHLO [192.0.2.1]",
    "S: 250-AUTH PLAIN LOGIN",
    "S: 250 8BITMIME",
    "C: AUTH PLAIN <redacted>",
    "S: 235 Authentication successful",
)


# -- the fixed core --------------------------------------------------------------------------


class FixedProbe:
    """`tui.core.Probe` with the scripted conversation (same attributes, same stream)."""

    def __init__(self, core: FixedCore, settings: SmtpSettings, stage: str) -> None:
        self.settings = settings
        self.plan = core.smtp_plan(settings.security, stage)
        self._results, self._facts = conversation(settings, stage)
        self._core = core
        self.facts: ProbeFacts | None = None

    async def results(self) -> AsyncIterator[CheckResult]:
        if "probe" in self._core.broken:
            raise RuntimeError("the fixed core broke on purpose")
        await self._core.wait()
        for result in self._results:
            yield result
        self.facts = self._facts


class FixedDomainRun:
    """`tui.core.DomainRun` over the in-memory zone: the real checks and records plan."""

    def __init__(self, core: FixedCore, effective: Settings) -> None:
        from smtp_wizard.checks.domain import DomainReport

        self.domain = effective.domain
        self.selectors = core.selectors(effective)
        self._core = core
        self._report = DomainReport(
            effective.domain,
            provider=effective.hints,
            selectors=self.selectors,
            resolver_factory=core.resolver,
        )

    async def results(self) -> AsyncIterator[CheckResult]:
        await self._core.wait()
        async for result in self._report.results():
            yield result

    async def plan(self) -> Any:
        return await self._report.plan()


class FixedRun:
    """`checks.run.CheckRun` with the scripted SMTP part and the real DNS part."""

    def __init__(
        self,
        core: FixedCore,
        effective: Settings,
        *,
        settings: SmtpSettings | None,
        send_to: str | None,
        scope: Sequence[str],
        transcript: Transcript | None,
    ) -> None:
        self._core = core
        self.effective = effective
        self.scope = tuple(scope)
        self.smtp = settings
        self.stage = Stage.SEND if send_to else Stage.LOGIN
        self.transcript = transcript
        self.selectors = core.selectors(effective)
        self.plan: list[PlannedCheck] = check_plan(
            settings.security if settings is not None else None,
            stage=self.stage,
            endpoint=settings.endpoint if settings is not None else None,
            host=settings.host if settings is not None else None,
            domain=effective.domain,
            with_domain="dns" in self.scope,
            selectors=self.selectors,
        )
        self._stream: AsyncIterator[CheckResult] | None = None

    async def _smtp(self) -> AsyncIterator[CheckResult]:
        assert self.smtp is not None
        results, _ = conversation(self.smtp, str(self.stage))
        if self.transcript is not None:
            self.transcript.lines.extend(TRANSCRIPT)
        for result in results:
            yield result

    async def __aenter__(self) -> FixedRun:
        await self._core.wait()
        sources: list[AsyncIterator[CheckResult]] = []
        if self.smtp is not None:
            sources.append(self._smtp())
        if "dns" in self.scope:
            sources.append(FixedDomainRun(self._core, self.effective)._report.results())
        self._stream = merge(sources)
        return self

    def __aiter__(self) -> AsyncIterator[CheckResult]:
        assert self._stream is not None
        return self._stream

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()  # type: ignore[attr-defined]


class FixedCore(Core):
    """The wizard's `Core` with the network replaced by the fixed world above.

    `broken={"probe"}` makes the port probe raise (a bug in a check: the wizard must turn
    it into a message). `delay` holds every check back that long (seconds), for a picture
    of rows while they run.
    """

    def __init__(
        self, *, broken: Sequence[str] = (), delay: float = 0.0, timeout: float = 10.0
    ) -> None:
        super().__init__(CheckEnv(timeout=timeout))
        self.zone = fixed_dns()
        self.broken = frozenset(broken)
        self.delay = delay

    async def wait(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)

    def resolver(self) -> Any:
        return _Resolver(self.zone)

    async def host_addresses(self, host: str) -> HostLookup:
        await self.wait()
        from smtp_wizard.checks.dnsapi import DnsError

        try:
            found = await self.resolver().addresses(host)
        except DnsError as error:
            return HostLookup(host, problem=str(error))
        return HostLookup(host, tuple(found))

    def probe(  # type: ignore[override]
        self, settings: SmtpSettings, stage: str, transcript: Transcript | None = None
    ) -> FixedProbe:
        return FixedProbe(self, settings, stage)

    async def discover(
        self, host: str, *, provider: Provider | None, ports: Sequence[tuple[int, str]]
    ) -> AsyncIterator[PortReport]:
        """Each port's report, in a fixed order (the scripted server answers at once)."""
        await self.wait()
        # A silent port answers last, when its deadline passes.
        ordered = sorted(ports, key=lambda chosen: chosen[0] in SILENT_PORTS)
        for port, security in ordered:
            settings = SmtpSettings(host=host, port=port, security=security, timeout=10.0)
            results, facts = conversation(settings, "connection")
            if facts.right_mode:
                settings = SmtpSettings(host=host, port=port, security=facts.right_mode)
                results, facts = conversation(settings, "connection")
                security = facts.right_mode or settings.security
            failed = next((r for r in results if r.failed), None)
            if failed is None:
                tls = next(r for r in results if r.id == "smtp.tls")
                summary = (
                    f"{tls.summary}; certificate: Trusted, names {HOST}, valid until "
                    f"2026-09-14; AUTH {' '.join(MECHANISMS)}"
                )
                status = "ok"
            else:
                summary = failed.summary
                status = str(facts.outcome)
            yield PortReport(
                port,
                security,
                status,
                summary,
                detail=failed.advice if failed else "",
                mechanisms=list(facts.mechanisms),
                outcome=facts.outcome,
                facts=facts,
                results=tuple(results),
            )

    def check_run(  # type: ignore[override]
        self,
        effective: Settings,
        *,
        password: Secret | None = None,
        send_to: str | None = None,
        allow_plaintext_auth: bool = False,
        transcript: Transcript | None = None,
        scope: Sequence[str] = ("smtp", "dns"),
    ) -> FixedRun:
        settings = None
        if "smtp" in scope:
            effective.require_host()
            settings = self.smtp_settings(
                effective,
                password=password,
                send_to=send_to,
                allow_plaintext_auth=allow_plaintext_auth,
            )
        return FixedRun(
            self, effective, settings=settings, send_to=send_to, scope=scope, transcript=transcript
        )

    def domain(self, effective: Settings) -> FixedDomainRun:  # type: ignore[override]
        return FixedDomainRun(self, effective)

    async def suggest(self, domain: str) -> Any:
        from smtp_wizard.suggest import suggest_providers

        await self.wait()
        return await suggest_providers(domain, resolver=self.zone)


# -- drafts and apps --------------------------------------------------------------------------


def saved_config(folder: Path, **extra: str) -> Path:
    """A saved SendGrid profile (password in $SMTP_PASSWORD), as `config init` writes it."""
    lines = [
        "version = 1",
        f'id = "{CONFIG_ID}"',
        'default_profile = "default"',
        "",
        "[profiles.default]",
        f'provider = "{PROVIDER}"',
        f'host = "{HOST}"',
        "port = 587",
        'security = "starttls"',
        f'username = "{USERNAME}"',
        'password = { env = "SMTP_PASSWORD" }',
        f'from_address = "{FROM_ADDRESS}"',
        f'domain = "{DOMAIN}"',
        'dkim_selectors = ["s1"]',
        *(f'{key} = "{value}"' for key, value in extra.items()),
    ]
    path = folder / CONFIG_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def new_draft(**values: Any) -> Draft:
    """An unsaved draft at ./smtp-wizard.toml (relative: the title shows no temp folder)."""
    draft = Draft.open(Path(CONFIG_NAME))
    provider = values.pop("provider", None)
    if provider:
        draft.choose_provider(provider)
    for key, value in values.items():
        draft.edit(key, value)
    return draft


def sendgrid_draft() -> Draft:
    """What the Start step leaves: SendGrid chosen, the from address typed."""
    return new_draft(provider=PROVIDER, from_address=FROM_ADDRESS, dkim_selectors=["s1"])


def fixed_app(
    draft: Draft | None = None, *, start: str | None = None, core: FixedCore | None = None
) -> WizardApp:
    """The real app on the fixed core, animations off (a spinner is drawn still)."""
    app = WizardApp(
        draft=draft if draft is not None else new_draft(),
        core=core or FixedCore(),
        start=start,
    )
    app.animation_level = "none"
    return app


def running_workers(app: WizardApp) -> list[Any]:
    return [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]


async def settle(pilot: Pilot[Any], *, limit: float = 10.0) -> None:
    """Wait until no worker runs (checks that start other checks included), then redraw."""
    app = pilot.app
    async with asyncio.timeout(limit):
        while True:
            await pilot.pause()
            running = running_workers(app)  # type: ignore[arg-type]
            if not running:
                break
            await app.workers.wait_for_complete(running)
    await pilot.pause()
    await pilot.pause()


async def quiet(pilot: Pilot[Any]) -> None:
    """Settle, then drop the toasts (their timers would make a picture depend on timing)."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


__all__ = [
    "ADDRESSES",
    "DOMAIN",
    "FROM_ADDRESS",
    "HOST",
    "PASSWORD",
    "RECIPIENT",
    "USERNAME",
    "WRONG_PASSWORD",
    "FixedCore",
    "conversation",
    "fixed_app",
    "fixed_dns",
    "new_draft",
    "quiet",
    "saved_config",
    "sendgrid_draft",
    "settle",
]
