"""Host: the SMTP server's name, checked as typed and resolved when the field is left."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.widget import Widget
from textual.widgets import Input

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.tui.steps.base import Field, Note, StepPane
from smtp_wizard.tui.validators import host_rule, host_warning
from smtp_wizard.tui.widgets.results import ResultList


class HostPane(StepPane):
    STEP = "host"
    BUTTONS = (("Discover", "discover"),)

    def __init__(self) -> None:
        super().__init__()
        self.resolved: str | None = None
        """The host whose addresses the row shows (None: not looked up yet)."""

    def body(self) -> Iterable[Widget]:
        yield Note("The SMTP server your app connects to. Checked as you type; looked up "
                   "when you leave the field (Enter or Tab).")  # fmt: skip
        yield Field(
            "Host",
            Input(
                placeholder="smtp.example.com",
                id="host-input",
                validators=[host_rule()],
                validate_on=["changed", "submitted", "blur"],
                compact=True,
            ),
        )
        yield Note(id="host-message", classes="message")
        yield ResultList(id="host-results", rows=["dns.host"])
        yield Note(id="host-origin", classes="origin")
        yield Note(
            "Discover (ctrl+d) tries 587, 465, 2525, 25 and the preset's ports at once, in "
            "the TLS mode each expects; the next step shows each port as it answers.",
            classes="hint",
        )

    def reload(self) -> None:
        field = self.query_one("#host-input", Input)
        self.set_input(field, self.wizard.draft.get("host") or "")
        self.resolved = None
        self.query_one("#host-results", ResultList).plan(["dns.host"])
        self._origin()
        self._warn(field.value)

    def draft_changed(self, keys: set[str]) -> None:
        if keys & {"host", "provider"}:
            field = self.query_one("#host-input", Input)
            if not field.has_focus:
                self.set_input(field, self.wizard.draft.get("host") or "")
            self._origin()
            if self.resolved != (self.wizard.draft.get("host") or None):
                self.workers.cancel_group(self, "resolve")
                self.wizard.forget(["dns.host"])
                self.query_one("#host-results", ResultList).plan(["dns.host"])
                self.resolved = None

    def _origin(self) -> None:
        effective = self.wizard.effective()
        line = self.query_one("#host-origin", Note)
        if effective is None or not effective.host:
            line.say(None)
            return
        line.say(effective.explain("host"))

    def _warn(self, value: str) -> None:
        warning = host_warning(value) if value.strip() else None
        message = self.query_one("#host-message", Note)
        if warning:
            message.say(Text.assemble(("! ", "bold"), warning))
            message.set_class(False, "-error")

    def entered(self) -> None:
        self.query_one("#host-input", Input).focus()
        host = self.wizard.draft.get("host")
        if host and self.resolved != host:
            self.action_resolve()

    # -- typing and leaving ---------------------------------------------------------------

    @on(Input.Changed, "#host-input")
    def host_changed(self, event: Input.Changed) -> None:
        if not self.taken(event.input):
            self.take(event.input)

    def take(self, field: Input) -> None:
        if self.edit("host", field, self.query_one("#host-message", Note)):
            self._warn(field.value)

    @on(Input.Blurred, "#host-input")
    @on(Input.Submitted, "#host-input")
    def host_left(self, event: Input.Blurred | Input.Submitted) -> None:
        host = self.wizard.draft.get("host")
        if host and host != self.resolved and event.input.is_valid:
            self.action_resolve()

    def action_resolve(self) -> None:
        self.flush()
        host = self.wizard.draft.get("host")
        if not host:
            self.query_one("#host-message", Note).say("Type the host first.")
            return
        self.resolve(host)

    @work(exclusive=True, group="resolve", exit_on_error=False, description="Host lookup")
    async def resolve(self, host: str) -> None:
        rows = self.query_one("#host-results", ResultList)
        rows.plan(["dns.host"], running=True)
        self.resolved = host
        await self.wizard.checks_loaded()
        found = await self.wizard.core.host_addresses(host)
        if found.problem:
            result = CheckResult("dns.host", Status.FAIL, found.problem, subject=host)
        else:
            shown = ", ".join(found.addresses[:4])
            more = len(found.addresses) - 4
            summary = f"{host} → {shown}" + (f" (+{more} more)" if more > 0 else "")
            result = CheckResult("dns.host", Status.PASS, summary, subject=host)
        rows.show(result)
        self.wizard.record(result)

    async def action_discover(self) -> None:
        await self.wizard.action_discover()


__all__ = ["HostPane"]
