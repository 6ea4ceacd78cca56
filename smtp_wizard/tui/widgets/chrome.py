"""The frame around the steps: the title bar (profile, file, unsaved) and the step list."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import ListItem, ListView, Static

from smtp_wizard.tui.state import STEPS


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


class TitleBar(Horizontal):
    """`smtp-wizard · profile default · smtp-wizard.toml` ... `unsaved`."""

    def compose(self) -> ComposeResult:
        yield Static("", id="title-left", markup=False)
        yield Static("", id="title-right", markup=False)

    shown: tuple[object, ...] = ()

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
        self.query_one("#title-left", Static).update(left)
        if dirty:
            right = Text("● unsaved", style="bold")
        else:
            right = Text("not saved yet" if new else "saved")
        self.query_one("#title-right", Static).update(right)
        self.set_class(dirty, "-dirty")


class StepItem(ListItem):
    def __init__(self, step: str, title: str) -> None:
        super().__init__(id=f"step-{step}", classes="step-item")
        self.step = step
        self.title = title

    def compose(self) -> ComposeResult:
        yield Static("", markup=False)

    def show(self, glyph: str, current: bool) -> None:
        if getattr(self, "_shown", None) == (glyph, current):
            return
        self._shown = (glyph, current)
        marker = "▸" if current else " "
        self.query_one(Static).update(Text(f"{marker} {glyph} {self.title}"))
        self.set_class(current, "-current")
        for name in ("pass", "warn", "fail"):
            self.set_class(glyph == {"pass": "✓", "warn": "!", "fail": "✗"}[name], f"-{name}")


class StepList(ListView):
    """Where am I, what is done, what is wrong: one line per step, each a way there."""

    class Chosen(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self) -> None:
        super().__init__(*(StepItem(s.id, s.title) for s in STEPS), id="steps")

    def show(self, glyphs: dict[str, str], current: str) -> None:
        for item in self.query(StepItem):
            item.show(glyphs.get(item.step, "·"), item.step == current)
        index = [s.id for s in STEPS].index(current)
        if self.index != index:
            self.index = index

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        if isinstance(event.item, StepItem):
            self.post_message(self.Chosen(event.item.step))


__all__ = ["StepItem", "StepList", "TitleBar"]
