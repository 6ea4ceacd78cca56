"""Dialogs: a question, a text to read (transcript, snippet), export, profiles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from smtp_wizard.tui.validators import describe_failure, profile_rule
from smtp_wizard.tui.widgets.button import ActionButton
from smtp_wizard.tui.widgets.chrome import KeyBar


class Dialog(ModalScreen[object]):
    """A centred box; escape closes it with None."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    .dialog {
        width: 66;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    .dialog-wide {
        width: 90%;
        height: 90%;
    }
    .dialog-title {
        text-style: bold;
        height: 1;
    }
    .dialog-body {
        margin-top: 1;
        height: auto;
    }
    .dialog-scroll {
        height: 1fr;
        margin-top: 1;
    }
    .dialog-subtitle {
        text-style: bold;
        margin-top: 1;
    }
    .dialog-snippet {
        width: 90%;
    }
    #snippet {
        height: auto;
        max-height: 20;
        background: $background;
    }
    .dialog-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    .dialog-buttons > ActionButton {
        margin-left: 1;
        min-width: 6;
    }
    #profile-list {
        height: auto;
        max-height: 8;
        margin-top: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="close-dialog")]

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog):
    """A question with a few answers; returns the chosen answer's id (None on escape)."""

    def __init__(
        self, title: str, question: str | Text, choices: Sequence[tuple[str, str]]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.question, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for index, (answer, label) in enumerate(self.choices):
                    yield ActionButton(
                        label,
                        id=f"answer-{answer}",
                        name=answer,
                        variant="primary" if index == 0 else "default",
                    )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query(ActionButton).first().focus()

    @on(ActionButton.Pressed)
    def answered(self, event: ActionButton.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.name)


class TextScreen(Dialog):
    """Something to read in full (a transcript, a delivered message, an export snippet).

    With a `snippet` (what to paste into an app), `text` is the story above it and the
    snippet is shown as it will be pasted: no soft-wrapping (a comment line that does not
    fit scrolls sideways instead of breaking into ragged pieces), in a read-only text area
    where it can be selected with keys or the mouse; `c` copies all of it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close-dialog"),
        Binding("c", "copy", "Copy", id="copy-text", tooltip="Copy the text (OSC 52)"),
    ]

    def __init__(
        self,
        title: str,
        text: str | Text,
        *,
        copy: str | None = None,
        snippet: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.snippet = snippet
        self.copy_text = copy if copy is not None else snippet

    def compose(self) -> ComposeResult:
        wide = "dialog-wide" if self.snippet is None else "dialog-snippet"
        with Vertical(classes=f"dialog {wide}"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.snippet is None:
                with VerticalScroll(classes="dialog-scroll"):
                    yield Static(self.text, classes="dialog-text", markup=False)
            else:
                from textual.widgets import TextArea

                yield Static(self.text, classes="dialog-body", markup=False)
                yield Static(
                    "What your app reads (c copies all of it):",
                    classes="dialog-subtitle",
                    markup=False,
                )
                yield TextArea(
                    self.snippet.rstrip("\n"),
                    read_only=True,
                    soft_wrap=False,
                    show_line_numbers=False,
                    compact=True,
                    id="snippet",
                )
            with Horizontal(classes="dialog-buttons"):
                if self.copy_text is not None:
                    yield ActionButton("Copy", name="copy")
                yield ActionButton("Close", name="close", id="text-close", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.snippet is not None:
            from textual.widgets import TextArea

            area = self.query_one("#snippet", TextArea)
            area.cursor_blink = False  # a still cursor: it marks where a selection starts
            area.focus()
        else:
            self.query_one(".dialog-scroll").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return self.copy_text is not None
        return True

    def action_copy(self) -> None:
        if self.copy_text is not None:
            self.app.copy_to_clipboard(self.copy_text)
            self.app.notify(
                "Copied (OSC 52: if your terminal ignores it, select the text instead).",
                timeout=4,
            )

    @on(ActionButton.Pressed)
    def pressed(self, event: ActionButton.Pressed) -> None:
        event.stop()
        if event.button.name == "copy":
            self.action_copy()
        else:
            self.dismiss(None)


class ExportScreen(Dialog):
    """Pick a format and a path; returns (format, path) or None."""

    def __init__(self, formats: Sequence[str], folder: Path | None, default: str = "env") -> None:
        super().__init__()
        self.formats = formats
        self.folder = folder
        self.default = default

    def _path_for(self, fmt: str) -> str:
        from smtp_wizard.export import default_output

        path = default_output(fmt)
        return str(self.folder / path) if self.folder is not None else str(path)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Export the settings for your app", classes="dialog-title")
            yield Static(
                "The format names the variables your framework reads; an existing file "
                "keeps every line smtp-wizard does not own. The password is written into "
                "the file (mode 0600): keep it out of version control.",
                classes="dialog-body",
                markup=False,
            )
            with Horizontal(classes="field"):
                yield Static("Format", classes="field-label")
                yield Select(
                    [(fmt, fmt) for fmt in self.formats],
                    value=self.default,
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Static("File", classes="field-label")
                yield Input(self._path_for(self.default), id="export-path", compact=True)
            yield Static("", id="export-message", classes="message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield ActionButton("Export", name="export", variant="primary")
                yield ActionButton("Cancel", name="cancel")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()  # Enter exports; shift+tab: the format

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one("#export-path", Input).value = self._path_for(event.value)

    @on(Input.Submitted, "#export-path")
    def path_submitted(self) -> None:
        self._finish()

    @on(ActionButton.Pressed)
    def pressed(self, event: ActionButton.Pressed) -> None:
        event.stop()
        if event.button.name == "export":
            self._finish()
        else:
            self.dismiss(None)

    def _finish(self) -> None:
        fmt = self.query_one("#export-format", Select).value
        path = self.query_one("#export-path", Input).value.strip()
        if not path:
            self.query_one("#export-message", Static).update("Give the file to write.")
            return
        self.dismiss((str(fmt), Path(path).expanduser()))


class ProfilesScreen(Dialog):
    """The file's profiles: switch, add, rename, delete. Returns (action, name) or None."""

    def __init__(self, profiles: Sequence[str], current: str, default: str | None) -> None:
        super().__init__()
        self.profiles = list(profiles)
        self.current = current
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Profiles of this file", classes="dialog-title")
            yield Static(
                "Enter switches to the highlighted profile. Type a name to add a profile or "
                "rename the open one. Delete asks first and removes its keyring entry too.",
                classes="dialog-body",
                markup=False,
            )
            yield OptionList(
                *(Option(self._prompt(name), id=name) for name in self.profiles),
                id="profile-list",
            )
            with Horizontal(classes="field"):
                yield Static("Name", classes="field-label")
                yield Input(
                    placeholder="new or renamed profile",
                    id="profile-name",
                    validators=[profile_rule()],
                    compact=True,
                )
            yield Static("", id="profile-message", classes="message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield ActionButton("Switch", name="switch", id="profile-switch", variant="primary")
                yield ActionButton("Add", name="add", id="profile-add")
                yield ActionButton("Rename", name="rename", id="profile-rename")
                yield ActionButton("Delete", name="delete", id="profile-delete", variant="error")
                yield ActionButton("Close", name="close", id="profile-close")
        yield KeyBar()

    def _prompt(self, name: str) -> Text:
        text = Text(("▸ " if name == self.current else "  ") + name)
        if name == self.default:
            text.append(" (default)")
        if name == self.current:
            text.append(" (open)")
        return text

    def on_mount(self) -> None:
        listing = self.query_one("#profile-list", OptionList)
        listing.focus()
        if self.current in self.profiles:
            listing.highlighted = self.profiles.index(self.current)

    def _chosen(self) -> str | None:
        listing = self.query_one("#profile-list", OptionList)
        option = listing.highlighted_option
        return option.id if option is not None else None

    def _name(self) -> str | None:
        field = self.query_one("#profile-name", Input)
        failure = describe_failure(field.validate(field.value))
        if failure is not None:
            self.query_one("#profile-message", Static).update(failure)
            return None
        return field.value.strip()

    @on(OptionList.OptionSelected, "#profile-list")
    def selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(("switch", event.option.id))

    @on(ActionButton.Pressed)
    def pressed(self, event: ActionButton.Pressed) -> None:
        event.stop()
        action = event.button.name or "close"
        if action == "close":
            self.dismiss(None)
            return
        if action in ("switch", "delete"):
            chosen = self._chosen()
            if chosen is not None:
                self.dismiss((action, chosen))
            return
        name = self._name()
        if name is not None:
            self.dismiss((action, name))


__all__ = ["ConfirmScreen", "Dialog", "ExportScreen", "ProfilesScreen", "TextScreen"]
