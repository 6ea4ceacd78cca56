"""Review and test: every check in one list, a test send, save and export."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.errors import WizardError
from smtp_wizard.tui.state import STEPS, step_of
from smtp_wizard.tui.steps.base import Note, StepPane
from smtp_wizard.tui.validators import email_rule
from smtp_wizard.tui.widgets.button import ActionButton
from smtp_wizard.tui.widgets.results import ResultList, Row, summary_of

SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "DKIM-Signature", "Received")
DELIVERY_WAIT = 10.0


class ReviewList(ResultList):
    """The review's rows: Enter leads to the row's step, r re-runs its part."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r", "rerun_row", "Re-run row", id="rerun-row", tooltip="Run this row's checks again"
        ),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.screen is self.app.screen  # hidden while a dialog is on top

    def action_rerun_row(self) -> None:
        row = self.current
        if row is not None:
            pane = self.screen.query_one("#review", ReviewPane)
            pane.rerun(row.id)


def grouped(check_ids: Sequence[str]) -> list[Row]:
    """The plan's rows under their steps' names, in the order of the steps."""
    rows: list[Row] = []
    for step in STEPS:
        mine = [cid for cid in check_ids if step_of(cid) == step.id]
        if mine:
            rows.append(Row("", name=step.title, heading=True))
            rows += [Row(cid) for cid in mine]
    return rows


def delivered_text(message: Any) -> Text:
    """A delivered message's envelope and chosen headers (text from the wire: no markup)."""
    text = Text()
    text.append("Delivered to the demo mailbox\n", style="bold")
    text.append(f"Envelope  from {message.mail_from} to {', '.join(message.rcpt_tos)}\n")
    # In SHOWN_HEADERS' order (From, To, Subject first; the long Received last), so the
    # lines a user looks for come first on a small screen.
    for wanted in SHOWN_HEADERS:
        for name, value in message.headers:
            if name.lower() == wanted.lower():
                shown = value if len(value) <= 200 else value[:199] + "…"
                text.append(f"{name}: ", style="bold")
                text.append(shown.replace("\r", "").replace("\n", " ") + "\n")
    return text


class ReviewPane(StepPane):
    STEP = "review"
    BUTTONS = (
        ("Re-run all", "rerun"),
        ("Save", "save"),
        ("Export", "export"),
        ("Profiles", "profiles"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.transcript: Any = None
        """The last SMTP conversation (`checks.smtp.Transcript`), redacted."""
        self.ran: tuple[object, ...] | None = None
        self.delivered: Any = None
        self.last_outcome: str | Text | None = None
        self._placed: int | None = None
        """Where the cursor was put after the last run (None: the user has it)."""
        self._entering = False
        """Shown before `fill` planned the rows: `fill` finishes what `entered` starts."""

    def top(self) -> Iterable[Widget]:
        yield Note(id="review-summary", classes="top")
        yield Note(id="review-changes", classes="top changes")

    def lower(self) -> list[Widget]:
        """The body: the rows, then the test send. Mounted by `fill`, a frame after the
        step is first drawn (the summary above says the checks are starting): planning the
        rows resolves the settings, presets included, and they are most of the screen."""
        return [
            ReviewList(id="review-results", rows=[]),
            Note("Send a test message (optional)", id="review-send-heading", classes="subheading"),
            Horizontal(
                Static("To", classes="field-label"),
                Input(
                    id="review-to",
                    placeholder="you@example.com",
                    validators=[email_rule("The recipient")],
                    compact=True,
                ),
                ActionButton("Send", name="send_test", id="review-send"),
                ActionButton("Transcript", name="transcript", id="review-transcript"),
                classes="field",
            ),
            Note(id="review-send-message", classes="message"),
            Note(id="review-delivered"),
            Note(id="review-outcome"),
        ]

    def reload(self) -> None:
        self.ran = None
        self.show_changes()
        if self.completed:
            self._plan()
            self.query_one("#review-delivered", Note).say(None)
            self.query_one("#review-outcome", Note).say(self.last_outcome)

    def _ids(self, *, send: bool = False) -> list[str]:
        """Every check of the profile as it stands, in the order they are shown."""
        effective = self.wizard.effective()
        ids: list[str] = []
        if effective is not None:
            security = effective.security or "starttls"
            stage = "send" if send else "login"
            if effective.host:
                ids += list(self.wizard.core.smtp_plan(security, stage))
            selectors = self.wizard.core.selectors(effective)
            ids += ["dns.mx", "dns.spf", *(["dns.dkim"] * max(1, len(selectors))), "dns.dmarc"]
        return ids

    def _plan(self, *, running: bool = False, send: bool = False) -> list[str]:
        ids = self._ids(send=send)
        rows = self.query_one("#review-results", ReviewList)
        rows.plan(grouped(ids), running=running)
        if not running:
            for result in self.wizard.board.results.values():
                if result.id in ids:
                    rows.show(result)
        self._summary()
        return ids

    def _summary(self) -> None:
        rows = self.query_one("#review-results", ReviewList)
        results = rows.results()
        draft = self.wizard.draft
        line = Text(f"Profile {draft.profile}: ")
        if any(row.running for row in rows.rows):
            done = f" ({summary_of(results)} so far)" if results else ""
            line.append(f"checking every setting…{done}")
            self.query_one("#review-summary", Note).say(line)
            return
        line.append(summary_of(results))
        failing = [r for r in results if r.status is Status.FAIL]
        if failing:
            line.append(". Enter on a row opens its step; r re-runs it.")
        else:
            line.append(". Enter on a row opens its step.")
        self.query_one("#review-summary", Note).say(line)

    def show_changes(self) -> None:
        draft = self.wizard.draft
        changes = draft.changes()
        line = self.query_one("#review-changes", Note)
        if draft.creating and changes:
            line.say(f"Not saved yet: ctrl+s writes profile {draft.profile} to {draft.path.name}.")
            return
        if not changes:
            line.say("No unsaved changes." if draft.exists else None)
            return
        text = Text("Unsaved: ", style="bold")
        parts = []
        for key, saved, new in changes:
            if key == "password":
                parts.append("password (new)")
            elif saved in (None, "", [], ()):
                parts.append(f"{key} {_shown(new)}")
            else:
                parts.append(f"{key} {_shown(saved)} → {_shown(new)}")
        text.append("; ".join(parts))
        line.say(text)

    def draft_changed(self, keys: set[str]) -> None:
        self.show_changes()
        if self.wizard.current != self.STEP:
            self.ran = None

    def _target(self) -> tuple[object, ...]:
        draft = self.wizard.draft
        return (tuple(sorted((k, repr(v)) for k, v in draft.edits().items())), id(draft.password))

    async def fill(self) -> None:
        await self.query_one(".body").mount_all(self.lower())
        world = self.wizard.world
        if world is not None:
            self.set_input(self.query_one("#review-to", Input), world.recipient)
        self.query_one("#review-outcome", Note).say(self.last_outcome)
        if self._entering:
            self._entering = False
            self._start()
            self._focus_rows()
        else:
            self._plan()

    def entered(self) -> None:
        # Focus restyles the list and every row: after this frame, not before it.
        self.call_after_refresh(self._focus_rows)
        self.show_changes()
        if not self.completed:  # the first frame: the rows and the run follow (`fill`)
            self._entering = True
            line = Text(f"Profile {self.wizard.draft.profile}: checking every setting…")
            self.query_one("#review-summary", Note).say(line)
            return
        self._start()

    def _start(self) -> None:
        """Run every check when the settings changed since the last run, else show it."""
        if self.ran != self._target():
            # Every row shows a spinner now; the checks start once this frame is out.
            self.ran = self._target()
            self._plan(running=True)
            self.call_after_refresh(self.action_rerun)
        else:
            self._plan()
            self.query_one("#review-results", ReviewList).highlight_first()

    def _focus_rows(self) -> None:
        if not self.completed:
            return  # `fill` focuses them once they are there
        if self.wizard.current == self.STEP and not isinstance(self.app.screen, ModalScreen):
            self.query_one("#review-results", ReviewList).focus()

    # -- running everything ---------------------------------------------------------------

    def action_rerun(self) -> None:
        self.run_checks(scope=("smtp", "dns"))

    def rerun(self, check_id: str) -> None:
        self.run_checks(scope=(_scope(check_id),))

    def run_checks(self, scope: tuple[str, ...], send_to: str | None = None) -> None:
        if not self.completed:
            return  # the rows are not there yet: `fill` starts the run
        effective = self.wizard.effective()
        if effective is None:
            rows = self.query_one("#review-results", ReviewList)
            rows.done("not run: the settings are incomplete (see the message)")
            self._summary()
            return
        if "smtp" in scope and not effective.host:
            scope = tuple(s for s in scope if s != "smtp")
            if not scope:
                self.query_one("#review-send-message", Note).say(
                    "No host yet: set one on the Host step."
                )
                return
        self.ran = self._target()
        if scope == ("dns",):
            self._run_dns()
        else:
            self._run_smtp(send_to)
            if "dns" in scope:
                self._run_dns()

    @work(exclusive=True, group="review-smtp", exit_on_error=False, description="SMTP checks")
    async def _run_smtp(self, send_to: str | None) -> None:
        await self._run(("smtp",), send_to)

    @work(exclusive=True, group="review-dns", exit_on_error=False, description="DNS checks")
    async def _run_dns(self) -> None:
        await self._run(("dns",), None)

    async def _run(self, scope: tuple[str, ...], send_to: str | None) -> None:
        await self.wizard.checks_loaded()
        effective = self.wizard.effective()
        if effective is None:
            return
        from smtp_wizard.checks.smtp import Transcript

        rows = self.query_one("#review-results", ReviewList)
        transcript = Transcript() if "smtp" in scope else None
        try:
            run = self.wizard.core.check_run(
                effective,
                password=self.wizard.draft.password,
                send_to=send_to,
                allow_plaintext_auth=self.wizard.allow_plaintext,
                transcript=transcript,
                scope=scope,
            )
        except WizardError as error:
            self.query_one("#review-send-message", Note).say(str(error))
            for row in rows.rows:
                if row.running and _scope(row.id) in scope:
                    row.running = False
                    row.result = CheckResult(row.id, Status.SKIP, "not run: see the message below")
            rows._refresh_all()
            self._summary()
            return
        if transcript is not None:
            self.transcript = transcript
        planned = [check.id for check in run.plan]
        if send_to and "smtp.send" not in [r.id for r in rows.rows]:
            self._plan(send=True)
        for row in rows.rows:
            if row.id in planned:
                row.running, row.result = True, None
        rows._refresh_all()
        self.wizard.forget(planned)
        async with run:
            async for result in run:
                rows.show(result)
                self.wizard.record(result)
                self._summary()
        for row in rows.rows:
            if row.running and row.id in planned:
                row.running = False
                row.result = row.result or CheckResult(row.id, Status.SKIP, "did not run")
        rows._refresh_all()
        self._summary()
        if rows.index is None or rows.index == self._placed:
            # Not moved by the user since we put it: onto the first failing row, which
            # may have come from the other half of the run (SMTP and DNS end apart).
            before = rows.index
            rows.highlight_first()
            self._placed = rows.index
            item = rows.highlighted_child
            # (the list itself never scrolls; a test send shows its own section instead)
            if item is not None and rows.index != before and send_to is None:
                self.call_after_refresh(item.scroll_visible, animate=False)

    # -- the test send --------------------------------------------------------------------

    @on(Input.Submitted, "#review-to")
    def to_submitted(self) -> None:
        self.action_send_test()

    def action_send_test(self) -> None:
        if not self.completed:
            return
        field = self.query_one("#review-to", Input)
        message = self.query_one("#review-send-message", Note)
        if not field.value.strip():
            message.say("Type the address to send the test to.")
            field.focus()
            return
        if not field.is_valid:
            message.say("That is not an email address.")
            return
        message.say(f"Sending a test message to {field.value.strip()}…")
        self.show_send()
        self.send(field.value.strip())

    def show_send(self) -> None:
        """Bring the test send into view: below the rows, it is out of sight at 80×24, and
        its outcome (and the delivered message) is what the user just asked for."""
        heading = self.query_one("#review-send-heading", Note)
        self.call_after_refresh(heading.scroll_visible, top=True, animate=False)

    @work(exclusive=True, group="review-smtp", exit_on_error=False, description="Test send")
    async def send(self, to: str) -> None:
        world = self.wizard.world
        before = len(world.mailbox.messages()) if world is not None else 0
        await self._run(("smtp",), to)
        rows = self.query_one("#review-results", ReviewList)
        sent = next((r for r in rows.results() if r.id == "smtp.send"), None)
        message = self.query_one("#review-send-message", Note)
        if sent is None or sent.status is not Status.PASS:
            message.say(
                "The test was not sent: see the rows above; Transcript shows the conversation."
            )
            self.show_send()
            return
        message.say(f"Sent to {to}. The transcript button shows the conversation (redacted).")
        self.show_send()
        if world is None or to.lower() != world.recipient.lower():
            return
        delivered = self.query_one("#review-delivered", Note)
        delivered.say("Waiting for the demo mailbox…")
        try:
            messages = await world.mailbox.wait(before + 1, DELIVERY_WAIT)
        except (TimeoutError, WizardError) as error:
            delivered.say(f"Nothing arrived in the demo mailbox ({error or 'timeout'}).")
            self.show_send()
            return
        self.delivered = messages[-1]
        delivered.say(delivered_text(self.delivered))
        self.show_send()

    def action_transcript(self) -> None:
        from smtp_wizard.tui.widgets.modals import TextScreen

        if self.transcript is None or not self.transcript.lines:
            self.wizard.notify("No conversation yet: re-run the checks or send a test.", timeout=4)
            return
        text = "\n".join(self.transcript.lines)
        self.app.push_screen(TextScreen("SMTP transcript (AUTH redacted)", text, copy=text))

    # -- choosing a row -------------------------------------------------------------------

    @on(ResultList.RowChosen, "#review-results")
    def row_chosen(self, event: ResultList.RowChosen) -> None:
        self.wizard.go(step_of(event.row.id))

    def outcome(self, text: str | Text | None) -> None:
        """What the last save or export did (kept until the step is built to show it)."""
        self.last_outcome = text
        if self.completed:
            line = self.query_one("#review-outcome", Note)
            line.say(text)
            if text and self.wizard.current == self.STEP:  # below the rows: bring it in view
                self.call_after_refresh(line.scroll_visible, animate=False)


def _scope(check_id: str) -> str:
    """Which part of a run a check belongs to: "dns" (the domain's) or "smtp"."""
    return "dns" if check_id.startswith("dns.") and check_id != "dns.host" else "smtp"


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return "(none)" if value in (None, "") else str(value)


__all__ = ["ReviewList", "ReviewPane", "delivered_text", "grouped"]
