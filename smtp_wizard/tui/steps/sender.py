"""Sender and DNS: the from address and domain, MX/SPF/DKIM/DMARC live, the records to add."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Input

from smtp_wizard.errors import WizardError
from smtp_wizard.tui.steps.base import Field, Note, StepPane
from smtp_wizard.tui.validators import (
    domain_rule,
    email_rule,
    selectors_rule,
    split_selectors,
    text_rule,
)
from smtp_wizard.tui.widgets.results import ResultList

if TYPE_CHECKING:
    from smtp_wizard.records import RecordPlan, RecordRow

DEBOUNCE = 0.6
"""Seconds of no typing before the domain is checked again."""
DNS_IDS = ("dns.mx", "dns.spf", "dns.dkim", "dns.dmarc")
CLIPBOARD_NOTE = (
    "c copies the highlighted row's value through the terminal (OSC 52; some terminals, "
    "macOS Terminal among them, ignore it): the value is also shown in full above."
)
VALUE_WIDTH = 22
"""Characters of a value shown in the table; the row's detail shows all of it."""


class RecordTable(DataTable[str]):
    """The records to add, one per row; `c` copies the row's value."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_row", "Copy", id="copy-record", tooltip="Copy this record's value"),
    ]

    def __init__(self) -> None:
        super().__init__(id="records", cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.records: list[RecordRow] = []

    def on_mount(self) -> None:
        self.add_columns("Do", "Type", "Name", "Value")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.screen is self.app.screen  # hidden while a dialog is on top

    def show(self, rows: Iterable[RecordRow]) -> None:
        self.clear()
        self.records = [row for row in rows if row.action != "keep"]
        for index, row in enumerate(self.records):
            value = (
                row.value if len(row.value) <= VALUE_WIDTH else row.value[: VALUE_WIDTH - 1] + "…"
            )
            self.add_row(
                Text(row.action), Text(row.type), Text(row.host), Text(value), key=str(index)
            )

    @property
    def current(self) -> RecordRow | None:
        if not self.records or self.cursor_row is None:
            return None
        if 0 <= self.cursor_row < len(self.records):
            return self.records[self.cursor_row]
        return None

    def action_copy_row(self) -> None:
        row = self.current
        if row is None:
            return
        if row.action == "delete":
            self.app.notify("Nothing to copy: this row says which record to delete.", timeout=4)
            return
        self.app.copy_to_clipboard(row.value)
        self.app.notify(
            f"Copied the {row.type} value for {row.host} (OSC 52: if your terminal ignores "
            "it, select the value shown below).",
            markup=False,
            timeout=5,
        )


def record_detail(row: RecordRow) -> Text:
    """A record in full: every character a registrar's form needs, never cut."""
    text = Text()
    verb = {"add": "Add", "replace": "Replace with", "delete": "Delete"}.get(row.action, row.action)
    text.append(f"{verb} {row.type} at ", style="bold")
    text.append(f"{row.host}", style="bold")
    text.append(f"  ({row.name})\n")
    text.append(row.value)
    if row.note:
        text.append(f"\n{row.note}")
    if row.placeholder:
        text.append("\nReplace the <...> part with the value your provider's dashboard shows.")
    return text


class SenderPane(StepPane):
    STEP = "sender"
    BUTTONS = (("Check again", "check_dns"),)
    DEFAULT_CSS = """
    #records {
        height: auto;
        max-height: 8;
        overflow-x: hidden;
    }
    .record-detail {
        border-left: thick $accent;
        padding-left: 1;
        margin-top: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.checked: tuple[object, ...] | None = None
        self.plan: RecordPlan | None = None

    def body(self) -> Iterable[Widget]:
        yield Field(
            "From",
            Input(
                id="sender-from",
                placeholder="noreply@example.com",
                validators=[email_rule("The from address")],
                compact=True,
            ),
        )
        yield Field(
            "Name",
            Input(
                id="sender-name",
                placeholder="Example App (optional)",
                validators=[text_rule("The name")],
                compact=True,
            ),
        )
        yield Field(
            "Domain",
            Input(id="sender-domain", validators=[domain_rule()], compact=True),
        )
        yield Field(
            "DKIM",
            Input(
                id="sender-selectors",
                placeholder="selector(s), e.g. s1 (the preset's when empty)",
                validators=[selectors_rule()],
                compact=True,
            ),
        )
        yield Note(id="sender-message", classes="message")
        yield Note(id="sender-origin", classes="origin")
        yield ResultList(id="sender-results", rows=self._row_ids())
        yield Note("Records to add", classes="subheading")
        yield Note(id="records-state")
        yield Note(id="records-published", classes="hint")
        yield RecordTable()
        yield Note(id="record-detail", classes="record-detail")
        yield Note(CLIPBOARD_NOTE, id="clipboard-note", classes="hint")
        yield Note(id="records-notes", classes="hint")

    def setup(self) -> None:
        self.query_one(RecordTable).display = False
        self.query_one("#clipboard-note", Note).display = False
        self.query_one("#record-detail", Note).say(None)

    def reload(self) -> None:
        draft = self.wizard.draft
        self.set_input(self.query_one("#sender-from", Input), draft.get("from_address") or "")
        self.set_input(self.query_one("#sender-name", Input), draft.get("from_name") or "")
        self.set_input(self.query_one("#sender-domain", Input), draft.get("domain") or "")
        selectors = draft.get("dkim_selectors") or ()
        self.set_input(self.query_one("#sender-selectors", Input), " ".join(selectors))
        self.checked = None
        self._plan_rows()
        self._explain()

    def _row_ids(self) -> list[str]:
        effective = self.wizard.effective()
        selectors = self.wizard.core.selectors(effective) if effective is not None else ()
        return ["dns.mx", "dns.spf", *(["dns.dkim"] * max(1, len(selectors))), "dns.dmarc"]

    def _plan_rows(self, running: bool = False) -> None:
        self.query_one("#sender-results", ResultList).plan(self._row_ids(), running=running)

    def _explain(self) -> None:
        effective = self.wizard.effective()
        line = self.query_one("#sender-origin", Note)
        if effective is None or not effective.domain:
            line.say("No domain yet: type the from address (or the domain).")
            return
        parts = [effective.explain("domain")]
        selectors = self.wizard.core.selectors(effective)
        if selectors and not effective.dkim_selectors and effective.hints is not None:
            parts.append(
                f"DKIM selector {', '.join(selectors)} — from the {effective.hints.name} preset"
            )
        line.say("\n".join(parts))

    def draft_changed(self, keys: set[str]) -> None:
        mine = {"from_address", "from_name", "domain", "dkim_selectors", "provider"}
        if not keys & mine:
            return
        draft = self.wizard.draft
        for key, widget_id in (
            ("from_address", "#sender-from"),
            ("from_name", "#sender-name"),
            ("domain", "#sender-domain"),
        ):
            field = self.query_one(widget_id, Input)
            if not field.has_focus:
                self.set_input(field, draft.get(key) or "")
        self._explain()
        if self._target() != self.checked:
            self.workers.cancel_group(self, "dns")
            self.wizard.forget(DNS_IDS)
            self._plan_rows()
            if self.wizard.current == self.STEP and draft.get("domain"):
                self.check(wait=DEBOUNCE)

    def _target(self) -> tuple[object, ...]:
        effective = self.wizard.effective()
        if effective is None:
            return ()
        return (effective.domain, self.wizard.core.selectors(effective), effective.hints)

    def entered(self) -> None:
        field = self.query_one("#sender-from", Input)
        field.focus()
        if self.wizard.draft.get("domain") and self.checked != self._target():
            self.check(wait=0)

    # -- fields ---------------------------------------------------------------------------

    @on(Input.Changed, "#sender-from")
    @on(Input.Changed, "#sender-name")
    @on(Input.Changed, "#sender-domain")
    @on(Input.Changed, "#sender-selectors")
    def field_changed(self, event: Input.Changed) -> None:
        if not self.taken(event.input):
            self.take(event.input)

    def take(self, field: Input) -> None:
        message = self.query_one("#sender-message", Note)
        if field.id == "sender-selectors":
            value = split_selectors(field.value) or None
            self.edit("dkim_selectors", field, message, value=value)
            return
        key = {"sender-from": "from_address", "sender-name": "from_name"}.get(
            field.id or "", "domain"
        )
        self.edit(key, field, message)

    # -- the checks -----------------------------------------------------------------------

    def action_check_dns(self) -> None:
        self.flush()
        if not self.wizard.draft.get("domain"):
            self.query_one("#sender-message", Note).say(
                "Type the from address or the domain first."
            )
            return
        self.check(wait=0)

    @work(exclusive=True, group="dns", exit_on_error=False, description="DNS checks")
    async def check(self, wait: float = 0.0) -> None:
        await asyncio.sleep(wait)
        effective = self.wizard.effective()
        if effective is None or not effective.domain:
            return
        self._plan_rows(running=True)
        await self.wizard.checks_loaded()
        self.checked = self._target()
        rows = self.query_one("#sender-results", ResultList)
        state = self.query_one("#records-state", Note)
        self.wizard.forget(DNS_IDS)
        state.say(f"Working out the records for {effective.domain}…")
        run = self.wizard.core.domain(effective)
        async for result in run.results():
            rows.show(result)
            self.wizard.record(result)
        rows.done()
        self.plan = await run.plan()
        self._show_plan()

    def _show_plan(self) -> None:
        table = self.query_one(RecordTable)
        state = self.query_one("#records-state", Note)
        plan = self.plan
        if plan is None:
            state.say("The records to add could not be worked out (DNS did not answer in time).")
            table.display = False
            self.query_one("#record-detail", Note).say(None)
            return
        notes = [note for section in plan.sections for note in section.notes]
        changes = [row for row in plan.rows if row.action != "keep"]
        table.show(plan.rows)
        table.display = bool(changes)
        if not changes:
            text = "Nothing to add: the published records already do the job."
        else:
            text = f"{len(changes)} change{'s' if len(changes) > 1 else ''} at your DNS host."
            if self.wizard.world is not None:
                text += " Demo: ctrl+g publishes them to the demo DNS and checks again."
        state.say(text)
        self.query_one("#clipboard-note", Note).display = bool(changes)
        self.query_one("#records-notes", Note).say("\n".join(notes) or None)
        self._show_record(table.current if changes else None)

    @on(DataTable.RowHighlighted, "#records")
    def record_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_record(self.query_one(RecordTable).current)

    def _show_record(self, row: RecordRow | None) -> None:
        self.query_one("#record-detail", Note).say(record_detail(row) if row else None)

    def action_publish(self) -> None:
        world = self.wizard.world
        if world is None or self.plan is None:
            return
        rows = [row for row in self.plan.rows if row.action != "keep"]
        # A real domain reads its DMARC reports for weeks before p=quarantine; the demo has
        # no weeks to wait, so the first stricter step goes out with the rest, said so.
        stricter = [row for row in self.plan.dmarc.later[:1] if "p=none" not in row.value]
        try:
            changed = world.publish(rows)
            changed += world.publish(stricter)
        except WizardError as error:
            self.wizard.notify(str(error), severity="error", markup=False)
            return
        text = "Published to the demo DNS: " + ("; ".join(changed) or "nothing changed") + "."
        if stricter:
            text += (
                " DMARC went straight to p=quarantine: on a real domain, read the reports "
                "(rua) for two to four weeks first."
            )
        # The whole story stays on the step; the notice is short (at 80×24 a long one
        # covers half the rows it is about).
        self.query_one("#records-published", Note).say(text)
        count = len(changed)
        self.wizard.notify(
            f"Published {count} record{'s' if count != 1 else ''} to the demo DNS; checking again.",
            markup=False,
            timeout=4,
        )
        self.checked = None
        self.check(wait=0)


__all__ = ["RecordTable", "SenderPane", "record_detail"]
