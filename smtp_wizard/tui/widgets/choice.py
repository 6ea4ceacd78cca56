"""Radio buttons and checkboxes whose state reads without colour: `(•)` / `( )`, `[x]` / `[ ]`.

Textual draws an on and an off toggle with the same character in two colours; on a
monochrome terminal (or to a colour-blind user) they look the same.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class Choice(RadioButton):
    """A radio button drawn `(•)` when chosen, `( )` when not."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble(("(", style), ("•" if self.value else " ", style), (")", style))


class Tick(Checkbox):
    """A checkbox drawn `[x]` when ticked, `[ ]` when not."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble(("[", style), ("x" if self.value else " ", style), ("]", style))


__all__ = ["Choice", "Tick"]
