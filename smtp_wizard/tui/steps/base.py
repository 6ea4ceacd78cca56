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
from textual.widgets import Input, Static
from textual.worker import Worker

from smtp_wizard.tui.state import STEPS
from smtp_wizard.tui.validators import describe_failure
from smtp_wizard.tui.widgets.button import ActionButton

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
    """A step's scrolling body (the fields and rows between the heading and the buttons)."""


class StepPane(Vertical):
    """One step of the wizard."""

    STEP: ClassVar[str]
    BUTTONS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(label, action) of the buttons between Back and Next."""

    def __init__(self) -> None:
        super().__init__(id=self.STEP, classes="step")
        self._taken: dict[str, str] = {}
        """Each field's text as last put into the draft (or shown from it)."""
        self.built = False
        """Mounted and showing the draft. A step is mounted when it is first shown (the
        first frame mounts one step, not six); until then the app calls neither `reload`
        nor `draft_changed`, and `entered` reads everything from the draft again."""
        self.completed = False
        """`complete` ran: the parts drawn after the first frame are there too."""

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
        with Body(classes="body"):
            yield from self.body()
        with Horizontal(classes="buttons"):
            if STEPS[0].id != self.STEP:
                yield ActionButton("Back", name="back", classes="nav")
            for label, action in self.BUTTONS:
                yield ActionButton(label, name=action, id=f"{self.STEP}-{action}")
            if STEPS[-1].id != self.STEP:
                yield ActionButton("Next", name="next", variant="primary", classes="nav")

    def body(self) -> Iterable[Widget]:
        return ()

    def top(self) -> Iterable[Widget]:
        """Lines above the scrolling body that stay in view (the review's summary)."""
        return ()

    # -- the app calls these ----------------------------------------------------------------

    def build(self) -> None:
        """Once, when the step is mounted: show the draft in it (the app calls this)."""
        if self.built:
            return
        self.built = True
        self.setup()
        self.reload()

    async def complete(self) -> None:
        """Once, after the step's first frame: mount what is not needed to draw it.

        The first screen the wizard shows is drawn from `compose`, `setup` and `reload`
        alone; what a step fills in here (a long list, say) follows one frame later. The
        app calls this right after `build` for a step first shown later on."""
        if self.completed:
            return
        self.completed = True
        await self.fill()

    async def fill(self) -> None:
        """What `complete` mounts or fills in (nothing, unless the step says so)."""

    def setup(self) -> None:
        """Once, after the body is mounted and before the first `reload`."""

    def entered(self) -> None:
        """The step was just shown: start what it checks by itself, focus its first field."""

    def reload(self) -> None:
        """Show the draft's values again (another profile, or a preset that changed them)."""

    def draft_changed(self, keys: set[str]) -> None:
        """Values changed (here or on another step): refresh what depends on `keys`."""

    def flush(self) -> None:
        """Put what the fields hold now into the draft (before an action runs).

        A key bound to an action (ctrl+r) is handled before the Changed message of the
        key typed just before it: without this the action would use the text before the
        last key, and that Changed message would then cancel the action's check."""
        for field in self.query(Input):
            if field.id is not None and field.value != self._taken.get(field.id, field.value):
                self.take(field)

    def take(self, field: Input) -> None:
        """Put `field`'s text into the draft as its Changed handler does (the step says
        how, for each of its fields)."""

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
        if field.id is not None:
            self._taken[field.id] = value

    def taken(self, field: Input) -> bool:
        """Whether the field's text is already in the draft (a Changed message that comes
        after `flush` took the same text changes nothing, and cancels nothing)."""
        return field.id is not None and self._taken.get(field.id) == field.value

    def edit(self, key: str, field: Input, message: Note, *, value: object = None) -> bool:
        """The field's text into the draft (`value` when given), or the reason on screen.

        An invalid value stays in the field (nothing typed is lost) but not in the draft.
        """
        if field.id is not None:
            self._taken[field.id] = field.value
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
