"""A light button: a label that Enter, space or a click presses.

Textual's Button brings a stylesheet of a few hundred lines (every variant, every border
style) that is parsed when the first one is mounted, and each Button is several layers
of styles: together they cost the wizard's first frame tens of milliseconds. The wizard
draws only compact, one-line buttons, so this is all it needs: the label in a block of
colour, a focus style that reads without colour (bold, reversed), and a `Pressed`
message that says which button (its `name` is the action it stands for).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget


class ActionButton(Widget, can_focus=True):
    """A one-line button; `variant` is "default", "primary" or "error"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "press", "Press", show=False, id="press-button"),
    ]

    class Pressed(Message):
        """The button was pressed (a key or a click)."""

        def __init__(self, button: ActionButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> ActionButton:
            return self.button

    def __init__(
        self,
        label: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str = "",
        variant: str = "default",
    ) -> None:
        super().__init__(name=name, id=id, classes=f"-{variant} {classes}".strip())
        self._label = label

    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, value: str) -> None:
        self._label = value
        self.refresh(layout=True)

    def render(self) -> Text:
        return Text(self._label, no_wrap=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return Text(self._label).cell_len

    def action_press(self) -> None:
        self.post_message(self.Pressed(self))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_press()


__all__ = ["ActionButton"]
