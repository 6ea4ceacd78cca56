"""Port and encryption: which port, STARTTLS or implicit TLS, probed live as chosen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, RadioButton, RadioSet, Static

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.errors import WizardError
from smtp_wizard.settings import IMPLICIT_TLS_PORTS
from smtp_wizard.tui.steps.base import Field, Note, StepPane
from smtp_wizard.tui.validators import port_rule
from smtp_wizard.tui.widgets.choice import Choice
from smtp_wizard.tui.widgets.results import ResultList

if TYPE_CHECKING:
    from smtp_wizard.checks.discover import PortReport
    from smtp_wizard.checks.facts import ProbeFacts

WHY = {
    587: "the standard for apps",
    465: "encrypted from the first byte",
    2525: "when a network blocks 587",
    25: "server-to-server relay; often blocked",
    2587: "alternate of 587",
    2465: "alternate of 465",
}
MODES = ("starttls", "ssl", "none")
MODE_WORDS = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "none"}
MODE_HELP = {
    "starttls": "plain hello, then upgraded to TLS before anything secret",
    "ssl": "implicit TLS: encrypted from the first byte",
    "none": "no encryption: only for a relay on this machine or network",
}
STATUS_GLYPH = {"ok": "✓"}
DEBOUNCE = 0.3
"""Seconds after a choice before the probe starts (arrowing through choices is free)."""


def present(result: CheckResult) -> CheckResult:
    """The TLS and certificate rows in the words of their typed facts: `TLS 1.3, STARTTLS`,
    `Let's Encrypt, 212 days left`; the core's own summary moves to the row's detail."""
    from smtp_wizard.checks.facts import CertificateFacts, TlsFacts

    facts = result.facts
    if result.status is Status.SKIP or result.failed:
        return result
    detail = "\n".join(part for part in (result.summary, result.detail) if part)
    if result.id == "tls.certificate" and isinstance(facts, CertificateFacts):
        left = f"{facts.days_left} days left" if facts.days_left >= 0 else "expired"
        return replace(result, summary=f"{facts.issuer}, {left}", detail=detail)
    if result.id == "smtp.tls" and isinstance(facts, TlsFacts):
        version = facts.version.replace("TLSv", "TLS ")
        mode = "implicit TLS" if facts.mode == "implicit" else "STARTTLS"
        return replace(result, summary=f"{version}, {mode}", detail=detail)
    return result


def usual_mode(port: int) -> str:
    return "ssl" if port in IMPLICIT_TLS_PORTS else "starttls"


def mismatch(port: int, security: str) -> str | None:
    """The mode a port is known to want when `security` is the other one, else None."""
    if security == "starttls" and port in IMPLICIT_TLS_PORTS:
        return "ssl"
    if security == "ssl" and port in (587, 25, 2525, 2587):
        return "starttls"
    return None


class PortPane(StepPane):
    STEP = "port"
    BUTTONS = (("Probe", "probe"), ("Discover", "discover"))
    DEFAULT_CSS = """
    #port-set {
        margin-top: 1;
    }
    #mode-line {
        height: 1;
        margin-top: 1;
    }
    #mode-set {
        layout: horizontal;
        height: 1;
        width: 1fr;
    }
    #mode-set > RadioButton {
        width: auto;
        margin-right: 2;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[tuple[int, str], PortReport] = {}
        self.ports: list[tuple[int, str]] = []
        self.probed: tuple[str, int, str] | None = None
        """(host, port, security) of the rows on screen."""
        self.facts: ProbeFacts | None = None
        self.right_mode: str | None = None
        self.discovering = False

    def body(self) -> Iterable[Widget]:
        self.ports = self._port_list()
        yield self._port_set()
        with Horizontal(id="mode-line"):
            yield Static("Encryption", classes="field-label")
            yield RadioSet(
                *(Choice(Content(MODE_WORDS[m]), id=f"mode-{m}") for m in MODES),
                id="mode-set",
                compact=True,
            )
        yield Note(id="mode-help", classes="hint")
        yield Note(id="port-mismatch", classes="warning")
        yield Note(id="port-discovery")
        yield ResultList(id="port-results", rows=self._row_ids())
        yield Note(id="port-origin", classes="origin")
        yield Field(
            "Other port",
            Input(
                placeholder="e.g. 8025, Enter",
                id="port-other",
                validators=[port_rule()],
                compact=True,
            ),
        )
        yield Note(id="port-message", classes="message")

    # -- showing the choice ---------------------------------------------------------------

    def _port_list(self) -> list[tuple[int, str]]:
        effective = self.wizard.effective()
        hints = effective.hints if effective is not None else None
        ports = list(self.wizard.core.standard_ports(hints))
        current = self.wizard.draft.get("port")
        if current and current not in {p for p, _ in ports}:
            ports.append((int(current), self.wizard.draft.get("security") or usual_mode(current)))
        for port, mode in self.reports:
            if port not in {p for p, _ in ports}:
                ports.append((port, mode))
        return ports

    def _label(self, port: int, mode: str) -> Content:
        """`587   STARTTLS  ✓ works    the standard for apps`: the status never cut off."""
        effective = self.wizard.effective()
        why = WHY.get(port)
        if why is None and effective is not None and effective.hints is not None:
            why = next((p.note for p in effective.hints.ports if p.port == port and p.note), None)
            why = why or f"listed by the {effective.hints.name} preset"
        report = self.reports.get((port, mode)) or next(
            (r for (p, _), r in self.reports.items() if p == port), None
        )
        if report is not None:
            status = "✓ works" if report.ok else f"✗ {report.status}"
        else:
            status = "…" if self.discovering else ""
        status = f"{status:<12} " if self.reports or self.discovering else ""
        return Content(
            f"{port:<5} {MODE_WORDS.get(mode, mode):<8} {status}{why or 'a port of your own'}"
        )

    def _show_ports(self) -> None:
        """Relabel the port choices, or rebuild them when the list itself changed."""
        ports = self._port_list()
        if ports != self.ports:
            self.ports = ports
            self.call_later(self._rebuild_ports)
            return
        current = self.wizard.draft.get("port")
        radio = self.query_one("#port-set", RadioSet)
        for button, (port, mode) in zip(radio.query(RadioButton), ports, strict=False):
            button.label = self._label(port, mode)
            if port == current and not button.value:
                button.value = True  # the set's Changed is ignored: it is the draft's value

    def _port_set(self) -> RadioSet:
        current = self.wizard.draft.get("port")
        return RadioSet(
            *(Choice(self._label(p, m), value=(p == current), name=str(p)) for p, m in self.ports),
            id="port-set",
            compact=True,
        )

    async def _rebuild_ports(self) -> None:
        old = self.query_one("#port-set", RadioSet)
        focused = old.has_focus
        new = self._port_set()
        body = old.parent
        assert body is not None
        await old.remove()
        await body.mount(new, before=0)
        if focused:
            new.focus()

    def _show_mode(self) -> None:
        security = self.wizard.draft.get("security") or "starttls"
        button = self.query_one(f"#mode-{security}", RadioButton)
        if not button.value:
            button.value = True  # the set's Changed is ignored: it is the draft's value
        help_line = self.query_one("#mode-help", Note)
        help_line.say(
            f"{MODE_WORDS[security]}: {MODE_HELP[security]}" if security == "none" else None
        )
        self._show_mismatch()

    def _show_mismatch(self) -> None:
        port = self.wizard.draft.get("port") or 587
        security = self.wizard.draft.get("security") or "starttls"
        wanted = self.right_mode or mismatch(port, security)
        line = self.query_one("#port-mismatch", Note)
        if wanted is None or wanted == security:
            line.say(None)
            self.wizard.refresh_bindings()
            return
        if self.right_mode:
            why = (
                f"The server on port {port} answered in {MODE_WORDS[wanted]}, "
                f"not {MODE_WORDS[security]}."
            )
        elif wanted == "ssl":
            why = (
                f"Port {port} expects TLS from the first byte (SSL/TLS); STARTTLS there "
                "waits and fails."
            )
        else:
            why = f"Port {port} expects STARTTLS (a plain hello first); SSL/TLS there fails."
        line.say(Text.assemble(("! ", "bold"), why, f" ctrl+f switches to {MODE_WORDS[wanted]}."))
        self.wizard.refresh_bindings()

    @property
    def fixable(self) -> str | None:
        """The mode to switch to with ctrl+f, when the choice is known to be wrong."""
        port = self.wizard.draft.get("port") or 587
        security = self.wizard.draft.get("security") or "starttls"
        wanted = self.right_mode or mismatch(port, security)
        return wanted if wanted and wanted != security else None

    def _origin(self) -> None:
        effective = self.wizard.effective()
        line = self.query_one("#port-origin", Note)
        if effective is None:
            line.say(None)
            return
        port, security = effective.origin("port"), effective.origin("security")
        if port is not None and port == security:
            line.say(f"port {effective.port}, {effective.security} — {port.describe()}")
        else:
            line.say(f"{effective.explain('port')}; {effective.explain('security')}")

    def reload(self) -> None:
        self.right_mode = None
        self._show_ports()
        self._show_mode()
        self._origin()
        self._plan_rows()

    def _row_ids(self) -> list[str]:
        security = self.wizard.draft.get("security") or "starttls"
        return [i for i in self.wizard.core.smtp_plan(security, "connection") if i != "dns.host"]

    def _plan_rows(self, running: bool = False) -> None:
        self.query_one("#port-results", ResultList).plan(self._row_ids(), running=running)

    def draft_changed(self, keys: set[str]) -> None:
        if keys & {"host", "port", "security", "provider"}:
            self.workers.cancel_group(self, "probe")
            if keys & {"host", "provider"}:
                self.workers.cancel_group(self, "discover")
                self.reports.clear()
                self.query_one("#port-discovery", Note).say(None)
            if self.probed != self._target():
                self.right_mode = None
                self.probed = None
                self._plan_rows()
            self._show_ports()
            self._show_mode()
            self._origin()

    def _target(self) -> tuple[str, int, str]:
        draft = self.wizard.draft
        return (
            draft.get("host") or "",
            draft.get("port") or 587,
            draft.get("security") or "starttls",
        )

    def entered(self) -> None:
        self.query_one("#port-set", RadioSet).focus()
        if self.wizard.draft.get("host") and self.probed != self._target():
            self.action_probe()

    # -- choosing ---------------------------------------------------------------------------

    @on(RadioSet.Changed, "#port-set")
    def port_chosen(self, event: RadioSet.Changed) -> None:
        port = int(event.pressed.name or 0)
        if port == self.wizard.draft.get("port"):
            return  # shown from the draft, not chosen
        mode = dict(self.ports).get(port) or usual_mode(port)
        self.query_one("#port-message", Note).say(None)
        self.wizard.edit_many({"port": port, "security": mode})
        self.action_probe(wait=DEBOUNCE)

    @on(RadioSet.Changed, "#mode-set")
    def mode_chosen(self, event: RadioSet.Changed) -> None:
        mode = (event.pressed.id or "mode-starttls").removeprefix("mode-")
        if mode == self.wizard.draft.get("security"):
            return  # shown from the draft, not chosen
        self.wizard.edit("security", mode)
        self.action_probe(wait=DEBOUNCE)

    @on(Input.Submitted, "#port-other")
    def other_port(self, event: Input.Submitted) -> None:
        message = self.query_one("#port-message", Note)
        if not event.value.strip():
            return
        port = int(event.value.strip()) if event.value.strip().isdigit() else 0
        if self.edit("port", event.input, message, value=port):
            self.wizard.edit("security", usual_mode(port))
            self.set_input(event.input, "")
            self._show_ports()
            self.action_probe()

    def action_fix_mode(self) -> None:
        wanted = self.fixable
        if wanted is None:
            return
        self.right_mode = None
        self.wizard.edit("security", wanted)
        self.wizard.notify(f"Encryption switched to {MODE_WORDS[wanted]}.", timeout=3)
        self.action_probe()

    # -- the live probe -----------------------------------------------------------------------

    def action_probe(self, wait: float = 0.0) -> None:
        if not self.wizard.draft.get("host"):
            self.query_one("#port-message", Note).say("No host yet: set one on the Host step.")
            return
        self.probe(wait)

    @work(exclusive=True, group="probe", exit_on_error=False, description="Port probe")
    async def probe(self, wait: float) -> None:
        await asyncio.sleep(wait)
        rows = self.query_one("#port-results", ResultList)
        self._plan_rows(running=True)
        await self.wizard.checks_loaded()
        effective = self.wizard.effective()
        if effective is None:
            rows.done("not run: the settings are incomplete (see the message)")
            return
        try:
            settings = self.wizard.core.smtp_settings(effective)
        except WizardError as error:
            self.query_one("#port-message", Note).say(str(error))
            rows.done("not run: see the message below")
            return
        self.probed = self._target()
        self.right_mode = None
        self._show_mismatch()
        probe = self.wizard.core.probe(settings, "connection")
        rows.plan([i for i in probe.plan if i != "dns.host"], running=True)
        self.wizard.forget(probe.plan)
        async for result in probe.results():
            if result.id != "dns.host" or result.failed:  # the host's row is on its step
                rows.show(present(result))
            self.wizard.record(result)
        rows.done()
        self.facts = probe.facts
        self.right_mode = self.facts.right_mode if self.facts is not None else None
        self._show_mismatch()

    # -- discovery ----------------------------------------------------------------------------

    def action_discover(self) -> None:
        host = self.wizard.draft.get("host")
        if not host:
            self.query_one("#port-message", Note).say("No host yet: set one on the Host step.")
            return
        self.discover(host)

    @work(exclusive=True, group="discover", exit_on_error=False, description="Discovery")
    async def discover(self, host: str) -> None:
        effective = self.wizard.effective()
        hints = effective.hints if effective is not None else None
        line = self.query_one("#port-discovery", Note)
        ports = self.wizard.core.standard_ports(hints)
        self.reports.clear()
        self.discovering = True
        line.say(f"Discovering {host}: trying {len(ports)} ports at once…")
        self._show_ports()
        await self.wizard.checks_loaded()
        async for report in self.wizard.core.discover(host, provider=hints, ports=ports):
            self.reports[(report.port, report.security)] = report
            self._show_ports()
        self.discovering = False
        self._show_ports()
        best, reason = self.wizard.core.recommend(list(self.reports.values()))
        if best is None:
            line.say(Text.assemble(("✗ ", "bold"), f"Discovery: {reason}"))
            return
        text = Text.assemble(
            ("✓ ", "bold"), f"Recommended: {best.port} {MODE_WORDS[best.security]}. {reason}"
        )
        current = self.reports.get(
            (self.wizard.draft.get("port") or 0, self.wizard.draft.get("security") or "")
        )
        if current is None or not current.ok:
            self.wizard.edit_many({"port": best.port, "security": best.security})
            text.append(" Chosen for you.")
            self.action_probe()
        line.say(text)


__all__ = ["PortPane", "mismatch", "usual_mode"]
