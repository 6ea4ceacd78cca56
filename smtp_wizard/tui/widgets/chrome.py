"""The frame around the steps: the title bar (profile, file, unsaved), the step list, the
footer of keys."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget

from smtp_wizard.tui.state import STEPS

BOLD = Style(bold=True)
DIM = Style(dim=True)


def short_path(path: Path, width: int = 36) -> str:
    """`path` as short as it stays recognisable: relative to here, else its last parts."""
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        shown = str(path)
    if len(shown) <= width:
        return shown
    parts = Path(shown).parts
    for keep in range(len(parts) - 1, 0, -1):
        tail = str(Path(*parts[-keep:]))
        if len(tail) + 2 <= width:
            return "…/" + tail
    return "…/" + parts[-1]


class TitleBar(Widget):
    """`smtp-wizard · profile default · smtp-wizard.toml` ... `unsaved` (one line, one
    widget)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"titlebar--dirty"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[object, ...] = ()
        self._left = Text()
        self._right = Text()

    def show(self, *, profile: str, path: str, dirty: bool, demo: bool, new: bool) -> None:
        if self.shown == (profile, path, dirty, demo, new):
            return
        self.shown = (profile, path, dirty, demo, new)
        left = Text()
        left.append("smtp-wizard", style="bold")
        if demo:
            left.append(" DEMO", style="bold reverse")
        left.append(f" · profile {profile} · {short_path(Path(path))}")
        if new:
            left.append(" (new)")
        self._left = left
        if dirty:
            self._right = Text("● unsaved", style="bold")
        else:
            self._right = Text("not saved yet" if new else "saved")
        self.set_class(dirty, "-dirty")
        self.refresh()

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        right = self._right.copy()
        if self.has_class("-dirty"):
            right.stylize(self.get_component_rich_style("titlebar--dirty", partial=True))
        left = self._left.copy()
        left.truncate(max(0, width - right.cell_len - 1), overflow="ellipsis")
        gap = max(1, width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="crop")


class StepList(Widget, can_focus=True):
    """Where am I, what is done, what is wrong: one line per step, each a way there.

    Drawn as text by one widget (a list view of six items costs the first frame about
    a tenth of a second): ↑↓ move the cursor, Enter or a click goes to the step.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False, id="steps-up"),
        Binding("down", "cursor(1)", "Down", show=False, id="steps-down"),
        Binding("enter", "choose", "Go", show=False, id="steps-go"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"steps--cursor", "steps--warn", "steps--fail"}

    class Chosen(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    cursor: reactive[int] = reactive(0)

    def __init__(self) -> None:
        super().__init__(id="steps")
        self.glyphs: dict[str, str] = {}
        self.current = STEPS[0].id

    def show(self, glyphs: dict[str, str], current: str) -> None:
        if (glyphs, current) == (self.glyphs, self.current):
            return
        self.glyphs, self.current = dict(glyphs), current
        self.cursor = [s.id for s in STEPS].index(current)
        self.refresh()

    def render(self) -> Text:
        lines = []
        for index, step in enumerate(STEPS):
            glyph = self.glyphs.get(step.id, "·")
            current = step.id == self.current
            line = Text(f"{'▸' if current else ' '} {glyph} {step.title}")
            if glyph == "✗":
                line.stylize(self._style("steps--fail"))
            elif glyph == "!":
                line.stylize(self._style("steps--warn"))
            if current:
                line.stylize(BOLD)
            if self.has_focus and index == self.cursor:
                line.stylize(self._style("steps--cursor"))
            lines.append(line)
        return Text("\n").join(lines)

    def _style(self, component: str) -> Style:
        try:
            return self.get_component_rich_style(component, partial=True)
        except KeyError:
            return Style()

    def watch_cursor(self) -> None:
        self.refresh()

    def _on_focus(self) -> None:
        self.refresh()

    def _on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        self.cursor = max(0, min(len(STEPS) - 1, self.cursor + step))

    def action_choose(self) -> None:
        self.post_message(self.Chosen(STEPS[self.cursor].id))

    def on_click(self, event: events.Click) -> None:
        line = event.y - self.gutter.top
        if 0 <= line < len(STEPS):
            self.cursor = line
            self.post_message(self.Chosen(STEPS[line].id))


class KeyBar(Widget):
    """The footer: the keys that work here, `^n Next ^b Back ...`, the palette's key on
    the right. A click on a key presses it; hovering shows what it does.

    One widget drawn as text: Textual's Footer mounts a widget per key and mounts them
    all again whenever the keys change (each focus change), which cost the first frame
    tens of milliseconds and every step change a few more.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--hover"}
    """(The descriptions take the bar's own colour; each component class costs the
    stylesheet a node.)"""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str, str, bool]] = []
        """(start, end, key, tooltip, enabled) of each key drawn, for clicks and hovers."""
        self._hover: int | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def _keys(self) -> tuple[list[tuple[str, str, str, str, bool]], tuple[str, ...] | None]:
        """(key, shown key, description, tooltip, enabled) per action, and the palette's."""
        app = self.app
        active = self.screen.active_bindings
        keys: list[tuple[str, str, str, str, bool]] = []
        seen: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            shown = app.get_key_display(binding)
            keys.append((binding.key, shown, binding.description, tooltip or "", enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            shown = app.get_key_display(binding)
            palette = (binding.key, shown, binding.description, binding.tooltip, enabled)
        return keys, palette

    def render(self) -> Text:
        keys, palette = self._keys()
        key_style = self._style("keybar--key")
        text_style = Style()
        text = Text(no_wrap=True, overflow="crop")
        spans: list[tuple[int, int, str, str, bool]] = []
        for index, (key, shown, description, tooltip, enabled) in enumerate(keys):
            start = text.cell_len
            text.append(shown, key_style)
            text.append(f" {description}", text_style)
            end = text.cell_len
            if not enabled:
                text.stylize(DIM, start, end)
            if index == self._hover:
                text.stylize(self._style("keybar--hover"), start, end)
            spans.append((start, end, key, tooltip or description, enabled))
            text.append(" ")
        if palette is not None:
            key, shown, description, tooltip, enabled = palette
            tail = Text.assemble(("▏", DIM), (shown, key_style))
            tail.append(f" {description}", text_style)
            width = self.content_region.width or self.size.width
            start = max(text.cell_len, width - tail.cell_len)
            text.append(" " * (start - text.cell_len))
            spans.append((start + 1, start + tail.cell_len, key, tooltip or description, True))
            if self._hover == len(spans) - 1:
                tail.stylize(self._style("keybar--hover"), 1)
            text.append_text(tail)
        self._spans = spans
        return text

    def _style(self, component: str) -> Style:
        try:
            return self.get_component_rich_style(component, partial=True)
        except KeyError:
            return Style()

    def _span_at(self, x: int) -> int | None:
        for index, (start, end, _key, _tooltip, _enabled) in enumerate(self._spans):
            if start <= x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._span_at(event.x)
        if index != self._hover:
            self._hover = index
            self.tooltip = self._spans[index][3] if index is not None else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._span_at(event.x)
        if index is None:
            return
        _start, _end, key, _tooltip, enabled = self._spans[index]
        if enabled:
            self.app.simulate_key(key)
        else:
            self.app.bell()


__all__ = ["KeyBar", "StepList", "TitleBar"]
