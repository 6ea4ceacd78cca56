"""Result rows: one glyph, a short name, the summary; detail and advice when it matters.

A row is waiting (`·`) until its check runs, shows a spinner while it runs, then its
verdict's glyph. Selecting a row opens its detail and advice; a failing row shows its
advice without being asked. The glyph always carries the verdict, colour only supports it
(the screen reads the same in monochrome). Text from servers and DNS goes into `Text`
objects, never into markup: a `[` in a reply is shown as a `[`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import ListItem, ListView

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.tui.core import label
from smtp_wizard.tui.state import GLYPHS, WAITING, key_of

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STILL = "⠿"
"""The running glyph when animations are off (tests, snapshots, TEXTUAL_ANIMATIONS=none)."""
NAME_WIDTH = 14
INDENT = 2 + NAME_WIDTH
"""Where the summary and the detail start: under the summary, not under the glyph."""


@dataclass
class Row:
    """What one row shows: the plan's id (and subject), then its result when known."""

    id: str
    subject: str | None = None
    result: CheckResult | None = None
    running: bool = False
    name: str | None = None
    """The name column, when not the check's label."""
    heading: bool = False
    """A group's title (the review's steps), not a check."""


class ResultItem(ListItem):
    """One row of a result list, drawn as text (one widget per row keeps layout cheap).

    `glyph name summary` on the first line, the summary wrapped under itself; below it,
    when the row is selected or failing, the detail and the advice, wrapped the same way
    (commands and record values are never split: `render.wrap`).
    """

    frame: reactive[int] = reactive(0)

    def __init__(self, row: Row, *, still: bool | None = None) -> None:
        super().__init__(
            classes="result-heading" if row.heading else "result", disabled=row.heading
        )
        self.row = row
        self.still = still
        self.removing = False

    def watch_frame(self) -> None:
        if self.row.running:
            self.refresh()

    def watch_highlighted(self, value: bool) -> None:
        super().watch_highlighted(value)
        if self.detail_text() is not None:
            self.refresh(layout=True)

    def update_row(self) -> None:
        """Show the row's current state (called after its result changed)."""
        self.refresh(layout=True)

    def _glyph(self) -> str:
        row = self.row
        if row.running:
            still = self.still if self.still is not None else self.app.animation_level == "none"
            return STILL if still else SPINNER[self.frame % len(SPINNER)]
        if row.result is None:
            return WAITING
        return GLYPHS[row.result.status]

    def summary(self) -> str:
        row, result = self.row, self.row.result
        if row.running:
            return "checking…"
        if result is None:
            return "waiting"
        summary = result.summary
        if result.id == "dns.dkim" and result.subject:
            selector = result.subject.split("._domainkey")[0]
            if selector not in summary:
                summary = f"{selector}: {summary}"
        return summary

    def detail_text(self) -> str | None:
        result = self.row.result
        if result is None or self.row.running or self.row.heading:
            return None
        parts = []
        if result.detail and result.detail not in result.summary:
            parts.append(result.detail)
        if result.advice:
            parts.append(f"→ {result.advice}")
        return "\n".join(parts) or None

    def _detail_shown(self) -> bool:
        result = self.row.result
        failing = result is not None and result.status is Status.FAIL and not self.row.running
        return self.detail_text() is not None and (failing or self.highlighted)

    def lines(self, width: int) -> list[Text]:
        """The row wrapped to `width` columns, styled (never markup: server text is text)."""
        row = self.row
        if row.heading:
            return [Text(row.name or "", style=self._style("result--heading"))]
        from smtp_wizard.render import wrap  # the rows are drawn after the first frame

        width = max(width, INDENT + 10)
        status = "running" if row.running else (row.result.status if row.result else None)
        glyph_style = self._style(f"result--{status}") if status else Style()
        dim = self._style("result--skip") if status == Status.SKIP else Style()
        name = (row.name or label(row.id))[: NAME_WIDTH - 1].ljust(NAME_WIDTH)
        wrapped = wrap(self.summary(), width - INDENT) or [""]
        first = Text.assemble((self._glyph(), glyph_style), " ", (name, dim), (wrapped[0], dim))
        if status == Status.FAIL:
            first.stylize(glyph_style, 2, 2 + NAME_WIDTH)
        out = [first]
        out += [Text(" " * INDENT + line, style=dim) for line in wrapped[1:]]
        if self._detail_shown():
            muted = self._style("result--detail")
            for paragraph in (self.detail_text() or "").split("\n"):
                style = Style() if paragraph.startswith("→ ") else muted  # advice: in full
                for line in wrap(paragraph, width - INDENT):
                    out.append(Text(" " * INDENT + line, style=style))
        return out

    def _style(self, component: str) -> Style:
        """A component style of the list (`result--fail`): the list holds them, not each
        row, so a row costs the stylesheet one node instead of eight."""
        owner = self.parent if isinstance(self.parent, ResultList) else None
        if owner is None:
            return Style()
        try:
            return owner.get_component_rich_style(component, partial=True)
        except KeyError:
            return Style()

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_region.width or self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))


class ResultList(ListView):
    """The rows of one step's checks, filled as results arrive.

    `plan(ids)` shows every row as waiting at once; `running()` turns them into spinners;
    `show(result)` fills a row as soon as its result exists; `done()` marks what never came.
    """

    DEFAULT_CSS = """
    ResultList {
        height: auto;
        overflow-y: hidden;
        margin-top: 1;
        background: $surface;
    }
    ResultList > ResultItem {
        height: auto;
    }
    ResultList > .result--pass {
        color: $text-success;
    }
    ResultList > .result--warn {
        color: $text-warning;
    }
    ResultList > .result--fail {
        color: $text-error;
        text-style: bold;
    }
    ResultList > .result--skip {
        color: $text-muted;
    }
    ResultList > .result--running {
        color: $accent;
    }
    ResultList > .result--detail {
        color: $text-muted;
    }
    ResultList > .result--heading {
        text-style: bold;
    }
    ResultList > .result-heading {
        height: 1;
        margin-top: 1;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "result--pass",
        "result--warn",
        "result--fail",
        "result--skip",
        "result--running",
        "result--detail",
        "result--heading",
    }
    """The rows' styles (each ResultItem draws with its list's)."""

    class RowChosen(Message):
        """Enter or a click on a row (the review leads to the row's step)."""

        def __init__(self, result_list: ResultList, row: Row) -> None:
            super().__init__()
            self.result_list = result_list
            self.row = row

        @property
        def control(self) -> ResultList:
            return self.result_list

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str = "",
        rows: Iterable[str | Row] = (),
        running: bool = False,
    ) -> None:
        """`rows` are mounted with the list (in the step's first frame, not one after)."""
        planned = _rows(rows, running)
        super().__init__(
            *(ResultItem(row) for row in planned),
            initial_index=None,  # no cursor until a result or the user puts one
            id=id,
            classes=f"results {classes}".strip(),
        )
        self.rows: list[Row] = planned
        self._tick = 0

    @property
    def still(self) -> bool:
        return self.app.animation_level == "none"

    def on_mount(self) -> None:
        if not self.still:
            self._timer = self.set_interval(0.1, self._spin, pause=True)
            self._wake()

    def _wake(self) -> None:
        """Spin while some row is running; the timer sleeps otherwise (no idle wake-ups)."""
        timer = getattr(self, "_timer", None)
        if timer is not None and any(row.running for row in self.rows):
            timer.resume()

    def _spin(self) -> None:
        if not any(row.running for row in self.rows):
            self._timer.pause()
            return
        self._tick += 1
        for item in self.query_children(ResultItem):
            if item.row.running:
                item.frame = self._tick

    # -- filling the list -------------------------------------------------------------------

    def plan(self, ids: Iterable[str | Row], *, running: bool = False) -> None:
        """Replace the rows with the planned checks, waiting (or running) with no result.

        Items already on screen are reused when the number of rows is the same, so a
        re-run changes text in place instead of rebuilding the list.
        """
        rows = _rows(ids, running)
        self.rows = rows
        items = [item for item in self.query_children(ResultItem) if not item.removing]
        same_shape = len(items) == len(rows) and all(
            i.row.heading == r.heading for i, r in zip(items, rows, strict=False)
        )
        if same_shape:
            for item, row in zip(items, rows, strict=True):
                item.row = row
                item.update_row()
            self._wake()
            return
        for item in items:
            item.removing = True
        self.clear()
        self.extend(ResultItem(row, still=self.still) for row in rows)
        self._wake()

    def running(self) -> None:
        for row in self.rows:
            if not row.heading:
                row.running = True
                row.result = None
        self._refresh_all()

    def show(self, result: CheckResult, *, name: str | None = None) -> None:
        """Put `result` in its row: the first open row with its id, else a new one after
        the last row with that id (a second DKIM selector), else at the end."""
        result = in_wizard_words(result, (self.id or "").partition("-")[0])
        row = self._row_for(result)
        if row is None:
            if result.status is Status.SKIP and not any(r.id == result.id for r in self.rows):
                return  # a check not asked for has no row
            row = Row(result.id, result.subject, name=name, result=result)
            same = [i for i, r in enumerate(self.rows) if r.id == result.id]
            index = same[-1] + 1 if same else len(self.rows)
            after = self._item_of(self.rows[index - 1]) if index > 0 else None
            self.rows.insert(index, row)
            item = ResultItem(row, still=self.still)
            if after is not None:
                self.mount(item, after=after)
            else:
                self.mount(item)
            return
        row.result, row.running = result, False
        if name is not None:
            row.name = name
        self._refresh_row(row)

    def _item_of(self, row: Row) -> ResultItem | None:
        for item in self.query_children(ResultItem):
            if item.row is row and not item.removing:
                return item
        return None

    def _row_for(self, result: CheckResult) -> Row | None:
        key = key_of(result)
        for row in self.rows:
            if row.result is not None and key_of(row.result) == key:
                return row
        for row in self.rows:
            open_row = row.result is None or row.running
            if row.id == result.id and open_row and row.subject in (None, result.subject):
                return row
        return None

    def done(self, reason: str = "did not run") -> None:
        """The run ended: rows still running show that they got no result."""
        for row in self.rows:
            if row.running:
                row.running = False
                if row.result is None:
                    row.result = CheckResult(row.id, Status.SKIP, reason)
                self._refresh_row(row)

    def fail_running(self, summary: str, advice: str = "", *, others: str = "not run") -> None:
        """The run broke: the first row still running fails with the reason and the advice
        (never a crash); the other rows still running say `others` (why they did not run),
        not the same error again."""
        first = True
        for row in self.rows:
            if row.running:
                row.running = False
                if first:
                    row.result = CheckResult(row.id, Status.FAIL, summary, advice=advice)
                    first = False
                else:
                    row.result = CheckResult(row.id, Status.SKIP, others)
                self._refresh_row(row)

    def results(self) -> list[CheckResult]:
        return [row.result for row in self.rows if row.result is not None]

    def highlight_first(self) -> None:
        """Put the cursor on the first failing row (its advice shows), else the first row."""
        checks = [i for i, row in enumerate(self.rows) if not row.heading]
        failing = [i for i in checks if self.rows[i].result and self.rows[i].result.failed]
        chosen = (failing or checks or [None])[0]
        if chosen is not None and self.index != chosen:
            self.index = chosen

    @property
    def current(self) -> Row | None:
        item = self.highlighted_child
        return item.row if isinstance(item, ResultItem) and not item.row.heading else None

    def _refresh_row(self, row: Row) -> None:
        item = self._item_of(row)
        if item is not None:
            item.update_row()

    def _refresh_all(self) -> None:
        for item in self.query_children(ResultItem):
            item.update_row()
        self._wake()

    # -- choosing -----------------------------------------------------------------------

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        if event.list_view is not self:
            return
        event.stop()
        item = event.item
        if isinstance(item, ResultItem) and not item.row.heading:
            self.post_message(self.RowChosen(self, item.row))


def in_wizard_words(result: CheckResult, step: str) -> CheckResult:
    """`result` with advice that names command-line flags put in the wizard's terms.

    The core advises the command line (`--password-stdin`, `config set-password`,
    `--allow-plaintext-auth`); on a screen the answer is a field or a step. Only the
    words change: the id, the status and the facts are the core's. `step` is where the
    row is shown ("login" says "the field above", elsewhere the step is named)."""
    if result.id != "smtp.auth" or result.status is not Status.FAIL:
        return result
    here = step == "login"
    if result.summary == "No password available":
        detail = result.detail
        if "--password" in detail or "set-password" in detail:
            detail = "No password is saved for this profile yet."
        where = (
            "Type it in the Password field above"
            if here
            else "Type it on the Login step (Enter on this row goes there)"
        )
        advice = f"{where}, then test the login; Save (ctrl+s) stores it in the OS keyring."
        return replace(result, detail=detail, advice=advice)
    if result.summary.startswith("Refusing to send the password without TLS"):
        box = "the box above" if here else "the box on the Login step"
        advice = (
            "Choose STARTTLS or SSL/TLS on the Port step. Only for a trusted relay on this "
            f"machine or network: tick {box} that allows it."
        )
        return replace(result, advice=advice)
    return result


def _rows(ids: Iterable[str | Row], running: bool) -> list[Row]:
    rows = [r if isinstance(r, Row) else Row(r) for r in ids]
    for row in rows:
        row.running = running and not row.heading
    return rows


def summary_of(results: Sequence[CheckResult]) -> str:
    """`2 passed, 1 warning, 1 failed` for a heading."""
    counts = {status: 0 for status in Status}
    for result in results:
        counts[result.status] += 1
    parts = []
    if counts[Status.PASS]:
        parts.append(f"{counts[Status.PASS]} passed")
    if counts[Status.WARN]:
        parts.append(f"{counts[Status.WARN]} warning" + ("s" if counts[Status.WARN] > 1 else ""))
    if counts[Status.FAIL]:
        parts.append(f"{counts[Status.FAIL]} failed")
    return ", ".join(parts) or "nothing checked yet"


__all__ = ["ResultItem", "ResultList", "Row", "in_wizard_words", "summary_of"]
