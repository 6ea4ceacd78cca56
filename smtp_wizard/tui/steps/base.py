"""What every step pane shares: a heading, a scrolling body, a bar of buttons.

A pane reads and writes the draft through the app (`self.wizard`), never holds a value of
its own that the draft does not know, and so loses nothing when the user jumps away and
back. Network work runs in the pane's workers; the pane renders what they hand back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static
from textual.worker import Worker

from smtp_wizard.tui.state import STEPS
from smtp_wizard.tui.validators import describe_failure

if TYPE_CHECKING:
    from smtp_wizard.tui.app import WizardApp


class Note(Static):
    """A line of plain text (never markup: it may quote a server or a value typed)."""

    def __init__(self, text: str | Text = "", *, id: str | None = None, classes: str = "") -> None:
        super().__init__(text, id=id, classes=f"note {classes}".strip(), markup=False)
        self.display = bool(text)
        self._said: str | Text | None = text

    def say(self, text: str | Text | None) -> None:
        """Show `text`, or hide the line when there is nothing to say.

        Saying the same again changes nothing (no new layout while the user types)."""
        if text == self._said and self.display == bool(text):
            return
        self._said = text
        self.update(text or "")
        self.display = bool(text)


class Field(Horizontal):
    """A label and a compact input on one line."""

    def __init__(self, label: str, field: Input, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="field")
        self.label = label
        self.input = field

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="field-label", markup=False)
        yield self.input


class Body(VerticalScroll):
    """A step's scrolling body: empty until the step is first shown."""

    def __init__(self, pane: StepPane) -> None:
        super().__init__(classes="body")
        self.pane = pane

    def compose(self) -> ComposeResult:
        if self.pane.built:
            yield from self.pane.body()


class StepPane(Vertical):
    """One step of the wizard."""

    STEP: ClassVar[str]
    BUTTONS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(label, action) of the buttons between Back and Next."""

    def __init__(self) -> None:
        super().__init__(id=self.STEP, classes="step")
        self.built = False
        """The body is mounted when the step is first shown (a fast first frame); until
        then the app does not call `reload` or `draft_changed`."""

    @property
    def wizard(self) -> WizardApp:
        from smtp_wizard.tui.app import WizardApp

        app = self.app
        assert isinstance(app, WizardApp)
        return app

    @property
    def heading(self) -> str:
        return next(s.heading for s in STEPS if s.id == self.STEP)

    def compose(self) -> ComposeResult:
        yield Static(self.heading, classes="heading", markup=False)
        yield from self.top()
        yield Body(self)
        with Horizontal(classes="buttons"):
            if STEPS[0].id != self.STEP:
                yield Button("Back", name="back", compact=True, classes="nav")
            for label, action in self.BUTTONS:
                yield Button(label, name=action, compact=True, id=f"{self.STEP}-{action}")
            if STEPS[-1].id != self.STEP:
                yield Button("Next", name="next", compact=True, variant="primary", classes="nav")

    def body(self) -> Iterable[Widget]:
        return ()

    def top(self) -> Iterable[Widget]:
        """Lines above the scrolling body that stay in view (the review's summary)."""
        return ()

    # -- the app calls these ----------------------------------------------------------------

    async def build(self) -> None:
        """Mount the body (once), then show the draft in it."""
        if self.built:
            return
        self.built = True
        await self.query_one(Body).recompose()
        self.setup()
        self.reload()

    def setup(self) -> None:
        """Once, after the body is mounted and before the first `reload`."""

    def entered(self) -> None:
        """The step was just shown: start what it checks by itself, focus its first field."""

    def reload(self) -> None:
        """Show the draft's values again (another profile, or a preset that changed them)."""

    def draft_changed(self, keys: set[str]) -> None:
        """Values changed (here or on another step): refresh what depends on `keys`."""

    def say_no_host(self, message: Note) -> None:
        message.say("No host yet: set one on the Host step.")

    def focus_first(self) -> None:
        for widget in self.query("Input, RadioSet, OptionList, ListView, DataTable, Checkbox"):
            if widget.focusable and widget.display:
                widget.focus()
                return

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.wizard.on_worker_state_changed(event)

    # -- helpers ----------------------------------------------------------------------------

    def set_input(self, field: Input, value: str) -> None:
        """Set a field's text without it counting as the user's edit."""
        if field.value != value:
            with field.prevent(Input.Changed):
                field.value = value

    def edit(self, key: str, field: Input, message: Note, *, value: object = None) -> bool:
        """The field's text into the draft (`value` when given), or the reason on screen.

        An invalid value stays in the field (nothing typed is lost) but not in the draft.
        """
        failure = describe_failure(field.validate(field.value))
        if failure is not None:
            message.say(failure)
            message.set_class(True, "-error")
            return False
        problem = self.wizard.edit(key, field.value.strip() if value is None else value)
        message.say(problem)
        message.set_class(problem is not None, "-error")
        return problem is None


__all__ = ["Field", "Note", "StepPane"]
