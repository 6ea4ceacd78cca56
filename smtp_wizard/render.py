"""Check results as terminal text: rows in a fixed order, filled in live, then the advice.

A run's rows are known before anything runs (`check_plan`, `domain_plan`), but the results
arrive in whatever order the network answers (`checks.model.merge`). `show_results` puts
each result in its row, so the output reads the same on every run:

- on a terminal every row is drawn at once with a spinner and fills in place as its check
  finishes (cursor movement; only changed lines are rewritten);
- into a pipe (or a file, or `TERM=dumb`) a line is written as soon as it and every line
  before it are known, so the bytes are deterministic and `tail -f` still sees progress.

Everything else here is pure: wrapping that never splits a command, colour, the advice
block with each piece of advice said once, and the summary line.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import textwrap
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from smtp_wizard.checks.model import MARKS, CheckResult, Report, Status

ID_WIDTH = 21
"""Columns for the check id: the summaries start in one column (2 + ID_WIDTH)."""
PIPE_WIDTH = 100
"""Width when not writing to a terminal and $COLUMNS is not set."""
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK_SECONDS = 0.1

COLOR_CHOICES: tuple[str, ...] = ("never", "auto", "always")

# -- style ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How to write to one stream: live redraw or not, colour or not, and how wide.

    `tty` means "a terminal that understands cursor movement": rows are drawn at once and
    filled in place. `height` bounds the live area (rows that would scroll out of reach are
    written once, in order, instead).
    """

    tty: bool = False
    color: bool = False
    width: int = PIPE_WIDTH
    height: int = 24

    @classmethod
    def detect(
        cls,
        stream: TextIO,
        color: str = "auto",
        env: Mapping[str, str] | None = None,
    ) -> Style:
        """The style for `stream`, from `--color`, the environment and the stream itself.

        Colour: `--color always` and `--color never` win over everything; with `auto`
        (the default) colour is on only on a terminal, and never when `NO_COLOR` is set to
        a non-empty value or `TERM=dumb`. That is the rule of no-color.org ("command-line
        arguments should override NO_COLOR") and what ripgrep, git and ls do: the variable
        is a default, the flag an explicit request for this one run.

        Live redraw needs a terminal that is not `TERM=dumb`. Width: $COLUMNS when set
        (the convention of `shutil.get_terminal_size`), else the terminal's own width, else
        100. Height likewise from $LINES or the terminal.
        """
        if color not in COLOR_CHOICES:
            raise ValueError(f"color must be one of {', '.join(COLOR_CHOICES)}, not {color!r}")
        env = os.environ if env is None else env
        dumb = env.get("TERM", "") == "dumb"
        try:
            isatty = stream.isatty()
        except (AttributeError, ValueError, OSError):
            isatty = False
        tty = isatty and not dumb
        use_color = color == "always" or (color == "auto" and tty and not env.get("NO_COLOR"))
        size: os.terminal_size | None = None
        if isatty:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                size = os.get_terminal_size(stream.fileno())
        width = _env_int(env, "COLUMNS") or (size.columns if size else 0) or PIPE_WIDTH
        height = _env_int(env, "LINES") or (size.lines if size else 0) or 24
        return cls(tty=tty, color=use_color, width=width, height=height)


def _env_int(env: Mapping[str, str], name: str) -> int:
    try:
        value = int(env.get(name, ""))
    except ValueError:
        return 0
    return value if value > 0 else 0


_SGR = {
    Status.PASS: "32",  # green
    Status.WARN: "33",  # yellow
    Status.FAIL: "31",  # red
    Status.SKIP: "2",  # dim
}
_SPIN_SGR = "36"  # cyan
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def paint(text: str, sgr: str, style: Style | None) -> str:
    """`text` in the SGR colour `sgr` when the style has colour; unchanged otherwise."""
    if style is None or not style.color or not text:
        return text
    return f"\x1b[{sgr}m{text}\x1b[0m"


def columns(text: str) -> int:
    """Display width of `text` (escape codes excluded, East Asian wide characters 2)."""
    plain = _ANSI_RE.sub("", text)
    width = 0
    for char in plain:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# -- plans: which rows, in which order ---------------------------------------------------

DELIVERY_ORDER = (
    "delivery.received",
    "delivery.folder",
    "delivery.authentication",
    "delivery.dkim",
    "delivery.alignment",
)


def domain_plan(selectors: Sequence[str] = (), *, ip: bool = False) -> list[str]:
    """Rows of the domain checks: MX, SPF, one DKIM row per selector, DMARC [, SPF for --ip].

    Pass the selectors that will be checked (flags, else the profile's, else the preset's),
    so each gets a row from the start; with none known there is one DKIM row, and any
    further DKIM results are added right after it.
    """
    dkim = ["dns.dkim"] * max(1, len(dict.fromkeys(selectors)))
    plan = ["dns.mx", "dns.spf", *dkim, "dns.dmarc"]
    if ip:
        plan.append("dns.spf.ip")
    return plan


def check_plan(
    security: str | None,
    *,
    send: bool = False,
    selectors: Sequence[str] = (),
    domain: bool = True,
    domain_ip: bool = False,
    verify_imap: bool = False,
) -> list[str]:
    """The rows `check` shows, in the order of the SMTP conversation, then the domain's.

    `security` is the SMTP probe's mode, or None when the SMTP checks do not run
    (`--only dns`); under implicit TLS (`"ssl"`) the TLS rows come before the greeting, as
    on the wire. `smtp.send` is a row only when a send was asked for (`--send-to`): a step
    the user did not ask for is not a line of output (its skip result stays in `--json`).
    `domain` follows `--only`; `selectors` as for `domain_plan`; `domain_ip` adds
    `dns.spf.ip`, `verify_imap` the `delivery.*` rows.
    """
    from smtp_wizard.checks.stages import Stage, smtp_plan

    plan: list[str] = []
    if security is not None:
        plan += smtp_plan(security, Stage.SEND if send else Stage.LOGIN)
    if domain:
        plan += domain_plan(selectors)
    if domain_ip:
        plan.append("dns.spf.ip")
    if verify_imap and send:
        plan += DELIVERY_ORDER
    return plan


def _group(check_id: str) -> int:
    """Which block of the output a check id belongs to (the SMTP conversation first)."""
    if check_id == "dns.host" or check_id.startswith(("smtp.", "tls.")):
        return 0
    if check_id.startswith("dns."):
        return 1
    if check_id.startswith("delivery."):
        return 2
    return 3


@dataclass
class _Row:
    id: str
    result: CheckResult | None = None


@dataclass
class Board:
    """The rows in display order: the plan's, filled as results arrive, plus any extras.

    Pure bookkeeping, shared by the terminal and the pipe display. `frozen` rows are on
    the screen for good (written into a pipe, or scrolled out of the live area): nothing
    is ever inserted above them.
    """

    plan: Sequence[str]
    rows: list[_Row] = field(init=False)
    frozen: int = 0

    def __post_init__(self) -> None:
        self.rows = [_Row(check_id) for check_id in self.plan]
        self._planned = set(self.plan)

    def place(self, result: CheckResult) -> int | None:
        """Put `result` in its row and return the row's index; None when it is not shown.

        A skip of a check that is not in the plan was not asked for, so it has no line.
        Otherwise the first empty row with the same id takes it; a result with no empty row
        (a second DKIM selector, `dns.spf.ip`) is inserted after the last row with its id,
        else at the end of its group, never above a frozen row.
        """
        if result.status is Status.SKIP and result.id not in self._planned:
            return None
        for index, row in enumerate(self.rows):
            if row.id == result.id and row.result is None and index >= self.frozen:
                row.result = result
                return index
        index = self._insertion_point(result.id)
        self.rows.insert(index, _Row(result.id, result))
        return index

    def _insertion_point(self, check_id: str) -> int:
        same = [i for i, row in enumerate(self.rows) if row.id == check_id]
        if same:
            index = same[-1] + 1
        else:
            group = _group(check_id)
            index = len(self.rows)
            for i, row in enumerate(self.rows):
                if _group(row.id) > group:
                    index = i
                    break
        return max(index, self.frozen)

    def ready(self) -> int:
        """How many leading rows are known (a row is printable when all before it are)."""
        for index, row in enumerate(self.rows):
            if row.result is None:
                return index
        return len(self.rows)

    def finish(self) -> None:
        """The stream has ended: rows that never got a result are not shown."""
        self.rows = [
            row for i, row in enumerate(self.rows) if row.result is not None or i < self.frozen
        ]

    def results(self) -> list[CheckResult]:
        return [row.result for row in self.rows if row.result is not None]


# -- wrapping ---------------------------------------------------------------------------

_NBSP = "\xa0"  # textwrap only breaks at ASCII whitespace: joined words stay on one line
_BACKTICKED = re.compile(r"`[^`\n]+`")
_SUBCOMMANDS = r"(?:check|discover|dns|send-test|export|providers|demo|config(?: [a-z][a-z-]*)?)"
_ARGUMENT = r"(?: (?!-)(?:[A-Z][A-Z0-9_]*\b|\S*[.@/:=]\S*))"
_FLAG = r"(?: --?[A-Za-z][\w-]*(?:=\S+)?(?: (?!-)(?:[A-Z][A-Z0-9_]*\b|\S+))?)"
_COMMAND = re.compile(rf"\bsmtp-wizard(?: {_SUBCOMMANDS}{_ARGUMENT}*{_FLAG}*|{_FLAG}+)")
_FLAG_WITH_PLACEHOLDER = re.compile(r"(?<!\S)--?[A-Za-z][\w-]* [A-Z][A-Z0-9_]*\b")
# DNS record values to publish are copied too: `v=spf1 a include:x ~all`, `v=DMARC1; p=none`.
_SPF_TERM = (
    r"[-~+?]?(?:all\b|include:|exists:|redirect=|exp=|ip4:|ip6:|a\b|a:|a/|mx\b|mx:|mx/|ptr\b)"
)
_RECORD = re.compile(rf"\bv=spf1(?: {_SPF_TERM}\S*)+|\bv=DMARC1;(?: [a-z]+=[^\s;]*;?)*")


def glue_commands(text: str) -> str:
    """`text` with the spaces inside commands made non-breaking, so wrapping keeps them whole.

    A command is text in backticks, an `smtp-wizard SUBCOMMAND [ARG] [--flag [VALUE]]...`
    run, a flag with its placeholder (`--dkim-selector SEL`), or an SPF or DMARC record
    value to publish. Copying one from the terminal must give it whole, not two halves and
    an indent (a terminal's own soft wrap of an over-long line copies back as one line).
    """

    def join(match: re.Match[str]) -> str:
        return match.group(0).replace(" ", _NBSP)

    for pattern in (_BACKTICKED, _COMMAND, _FLAG_WITH_PLACEHOLDER, _RECORD):
        text = pattern.sub(join, text)
    return text


def wrap(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """`text` wrapped to `width` columns without splitting a command, a URL or a hyphen.

    A unit longer than the line is left whole on its own line (the terminal wraps it):
    a broken command or record value is worse than a long line.
    """
    lines = textwrap.wrap(
        glue_commands(text),
        width=max(width, len(initial_indent) + 1, len(subsequent_indent) + 1),
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_NBSP, " ") for line in lines] or [initial_indent.rstrip()]


# -- one result -------------------------------------------------------------------------


def _label(check_id: str) -> str:
    return f"{check_id:<{ID_WIDTH - 1}} "


def _row_text(result: CheckResult) -> str:
    subject = ""
    if result.id.startswith("dns.dkim") and result.subject and result.subject not in result.summary:
        subject = f" [{result.subject}]"
    return f"{result.summary}{subject}"


def result_line(result: CheckResult) -> str:
    """`✓ smtp.tls              STARTTLS completed (TLSv1.3, ...)`, on one line."""
    return f"{MARKS[result.status]} {_label(result.id)}{_row_text(result)}"


def result_lines(result: CheckResult, style: Style | None = None) -> list[str]:
    """The row of `result` wrapped to the style's width, continuation lines under the summary.

    Colour: the mark in the status colour, a skipped row dim throughout.
    """
    width = _wrap_width(style)
    indent = " " * (2 + ID_WIDTH) if width - (2 + ID_WIDTH) >= 30 else "    "
    lines = wrap(
        _row_text(result),
        width,
        initial_indent=f"{MARKS[result.status]} {_label(result.id)}",
        subsequent_indent=indent,
    )
    sgr = _SGR[result.status]
    if result.status is Status.SKIP:
        return [paint(line, sgr, style) for line in lines]
    mark, rest = lines[0][:1], lines[0][1:]
    return [paint(mark, sgr, style) + rest, *lines[1:]]


def _wrap_width(style: Style | None) -> int:
    if style is None:
        return PIPE_WIDTH
    # On a terminal, keep the last column free: a line that fills it leaves the cursor in
    # the "pending wrap" state, where erasing the line eats its last character.
    return max(20, style.width - 1) if style.tty else max(20, style.width)


def _pending_line(check_id: str, frame: int, style: Style | None, width: int) -> str:
    spinner = paint(SPINNER[frame % len(SPINNER)], _SPIN_SGR, style)
    return _clip(f"{spinner} {_label(check_id)}…", width)


def _clip(line: str, width: int) -> str:
    if columns(line) <= width:
        return line
    plain = _ANSI_RE.sub("", line)
    return plain[: max(1, width - 1)] + "…"


# -- the live display ---------------------------------------------------------------------


class _PipeDisplay:
    """A line as soon as it and all lines before it are known; nothing is ever rewritten."""

    def __init__(self, board: Board, out: TextIO, style: Style) -> None:
        self.board, self.out, self.style = board, out, style

    def start(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        ready = self.board.ready()
        lines = []
        for row in self.board.rows[self.board.frozen : ready]:
            assert row.result is not None
            lines += result_lines(row.result, self.style)
        if lines:
            self.out.write("".join(f"{line}\n" for line in lines))
            self.out.flush()
        self.board.frozen = max(self.board.frozen, ready)

    def tick(self) -> None:
        """Nothing moves in a pipe."""

    def close(self) -> None:
        self.board.finish()
        self.refresh()


class _TerminalDisplay:
    """Every row at once, each filled in place; a live area that always fits the screen.

    The cursor stays at the start of the line below the live area, so every update is
    "go up n lines, rewrite, come back". Only the rows below `board.frozen` are live. When
    the live rows would not fit the screen (cursor movement cannot reach lines that have
    scrolled away), the finished rows at the top are written for good and leave the live
    area; if the rest still does not fit, the live area shows the first rows that do and a
    spinner line counting the others, which move up as the rows above them finish. So the
    scrollback always ends up in plan order, each row once.
    """

    def __init__(self, board: Board, out: TextIO, style: Style) -> None:
        self.board, self.out, self.style = board, out, style
        self.width = _wrap_width(style)
        self.screen_width = max(1, style.width)
        self.room = max(1, style.height - 1)  # one line for the cursor below the area
        self.shown: list[str] = []
        self.frame = 0

    def start(self) -> None:
        self.out.write("\x1b[?25l")  # hide the cursor while rows change under it
        self.refresh()

    def tick(self) -> None:
        self.frame += 1
        self.refresh()

    def close(self) -> None:
        self.board.finish()
        try:
            self.refresh()
        finally:
            self.out.write("\x1b[?25h")
            self.out.flush()

    # -- layout

    def _lines(self, rows: Sequence[_Row]) -> list[str]:
        lines: list[str] = []
        for row in rows:
            if row.result is None:
                lines.append(_pending_line(row.id, self.frame, self.style, self.width))
            else:
                lines += result_lines(row.result, self.style)
        return lines

    def _height(self, lines: Iterable[str]) -> int:
        return sum(max(1, math.ceil(columns(line) / self.screen_width)) for line in lines)

    def refresh(self) -> None:
        board = self.board
        live = board.rows[board.frozen :]
        want = self._lines(live)
        if self._height(want) <= self.room:
            self._update(want)
            return
        done = 0
        while done < len(live) and live[done].result is not None:
            done += 1
        head = self._lines(live[:done])
        rest = live[done:]
        tail = self._lines(rest)
        if self._height(tail) > self.room:
            tail = self._window(rest)
        self._update(head + tail)
        # The finished rows are final: they leave the live area (and may scroll away).
        self.shown = self.shown[len(head) :]
        board.frozen += done

    def _window(self, rest: Sequence[_Row]) -> list[str]:
        """The first rows of `rest` that fit, and a spinner line counting the others."""
        lines: list[str] = []
        shown = 0
        for row in rest:
            row_lines = self._lines([row])
            if self._height(lines + row_lines) > self.room - 1:
                break
            lines += row_lines
            shown += 1
        spinner = paint(SPINNER[self.frame % len(SPINNER)], _SPIN_SGR, self.style)
        more = len(rest) - shown
        return [*lines, _clip(f"{spinner} … and {more} more", self.width)]

    def _update(self, want: list[str]) -> None:
        old = self.shown
        if old == want:
            return
        first = 0
        while first < min(len(old), len(want)) and old[first] == want[first]:
            first += 1
        changed = [i for i in range(first, len(want)) if i >= len(old) or old[i] != want[i]]
        parts: list[str] = []
        if len(old) == len(want) and all(
            self._height([old[i]]) == 1 == self._height([want[i]]) for i in changed
        ):
            # Same shape: rewrite just the lines that changed (spinner frames, filled rows).
            for i in changed:
                up = self._height(old[i:])
                parts.append(f"\x1b[{up}A\r\x1b[2K{want[i]}\x1b[{up}B\r")
        else:
            # A row grew or shrank: everything from the first change down is redrawn.
            up = self._height(old[first:])
            parts.append((f"\x1b[{up}A" if up else "") + "\r\x1b[J")
            parts += [f"\r{line}\n" for line in want[first:]]
        self.out.write("".join(parts))
        self.out.flush()
        self.shown = list(want)


async def show_results(
    stream: AsyncIterator[CheckResult],
    plan: Sequence[str],
    out: TextIO,
    style: Style,
) -> Report:
    """Show the results of `stream` in the rows of `plan`, live; return them in display order.

    The returned report holds what was shown (a skip of a check the user did not ask for
    is dropped; a skip never fails, so `exit_code` is that of the whole run) and the run's
    elapsed time; pass it to `advice_block` and `summary_line`. The stream is consumed
    to its end; on cancellation (Ctrl-C) the cursor is shown again.
    """
    started = time.monotonic()
    board = Board(plan)
    display: _PipeDisplay | _TerminalDisplay
    if style.tty and style.height >= 3:
        display = _TerminalDisplay(board, out, style)
    else:
        display = _PipeDisplay(board, out, style)
    loop = asyncio.get_running_loop()
    scheduled = closed = False
    failure: list[Exception] = []  # from a redraw outside this task (a closed pipe)

    def guarded(action: Callable[[], None]) -> None:
        if closed or failure:
            return
        try:
            action()
        except Exception as exc:  # raised in this task below, not lost in the loop's log
            failure.append(exc)

    def refresh() -> None:
        nonlocal scheduled
        scheduled = False
        guarded(display.refresh)

    async def ticker() -> None:
        while not failure:
            await asyncio.sleep(TICK_SECONDS)
            guarded(display.tick)

    display.start()
    spinning = asyncio.create_task(ticker()) if isinstance(display, _TerminalDisplay) else None
    try:
        async for result in stream:
            if failure:
                break
            if board.place(result) is not None and not scheduled:
                # Drawn once the stream has no result ready: results that arrive together
                # (all DKIM selectors) are placed before anything after them is written.
                scheduled = True
                loop.call_soon(refresh)
    finally:
        if spinning is not None:
            spinning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await spinning
        closed = True
        if not failure:
            display.close()
        elif isinstance(close := getattr(stream, "aclose", None), Callable):
            await close()  # stop the checks now: nobody reads their results any more
    if failure:
        raise failure[0]
    return Report(board.results(), round((time.monotonic() - started) * 1000))


async def show_report(
    stream: AsyncIterator[CheckResult],
    plan: Sequence[str],
    out: TextIO,
    style: Style,
    *,
    summary: bool = True,
) -> Report:
    """`show_results`, then the advice block and (unless `summary=False`) the summary line.

    `dns` prints its records between the advice and the summary: it passes
    `summary=False` and writes `summary_line(report, style)` itself, last.
    """
    report = await show_results(stream, plan, out, style)
    advice = advice_block(report.checks, style=style)
    if advice:
        out.write(f"\n{advice}\n")
    if summary:
        out.write(f"\n{summary_line(report, style)}\n")
    out.flush()
    return report


# -- after the rows ----------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _repeats_summary(line: str, summary: str) -> bool:
    """A detail line that only says the summary again ("problem: <summary>")."""
    line, summary = _normal(line), _normal(summary)
    if not summary:
        return False
    if line == summary or line.endswith(": " + summary):
        return True
    return len(line) >= 20 and line in summary  # the row already said it, word for word


def advice_block(
    results: Iterable[CheckResult],
    width: int = PIPE_WIDTH,
    *,
    style: Style | None = None,
    rows_shown: bool = True,
) -> str:
    """For each failure and warning: what was seen, and what to do, each said once.

    With `rows_shown` (the rows are on the screen above) a block starts with the mark and
    id only, and detail lines that repeat the summary are left out. Results with the same
    advice next to each other (several DKIM selectors) share one advice paragraph; a
    paragraph already given for an earlier check is not repeated, the block points to it.
    """
    if style is not None:
        width = _wrap_width(style)
    shown = [r for r in results if r.status in (Status.FAIL, Status.WARN)]
    count: dict[str, int] = {}
    for result in shown:
        count[result.id] = count.get(result.id, 0) + 1
    said: dict[str, str] = {}  # advice paragraph -> id of the check that said it first
    told: set[str] = set()  # detail paragraphs (a keyring's hint can hold the advice too)
    blocks: list[list[str]] = []
    for index, result in enumerate(shown):
        following = shown[index + 1] if index + 1 < len(shown) else None
        shares_next = (
            following is not None
            and bool(result.advice.strip())
            and _normal(following.advice) == _normal(result.advice)
        )
        header = f"{paint(MARKS[result.status], _SGR[result.status], style)} {result.id}"
        if count[result.id] > 1 and result.subject:
            header += f" [{result.subject}]"
        if not rows_shown:
            header += f": {result.summary}"
        lines = [header]
        for paragraph in result.detail.splitlines():
            key = _normal(paragraph)
            if (
                not key
                or key in told
                or (rows_shown and _repeats_summary(paragraph, result.summary))
            ):
                continue
            told.add(key)
            lines += wrap(paragraph, width, "    ", "    ")
        if not shares_next:
            earlier: list[str] = []
            for paragraph in result.advice.splitlines():
                key = _normal(paragraph)
                if not key:
                    continue
                if key in told and key not in said:
                    continue  # the detail just above says it already
                if key in said:
                    if said[key] != result.id and said[key] not in earlier:
                        earlier.append(said[key])
                    continue
                said[key] = result.id
                lines += wrap(paragraph, width, "    → ", "      ")
            if earlier:
                lines += wrap(f"See also {', '.join(earlier)} above.", width, "    → ", "      ")
        if rows_shown and len(lines) == 1 and not shares_next:
            continue  # the row above said everything there is
        if blocks and _shared_with_previous(shown, index):
            blocks[-1] += lines
        else:
            blocks.append(lines)
    return "\n\n".join("\n".join(block) for block in blocks)


def _shared_with_previous(shown: Sequence[CheckResult], index: int) -> bool:
    if index == 0 or not shown[index].advice.strip():
        return False
    return _normal(shown[index - 1].advice) == _normal(shown[index].advice)


def summary_line(report: Report, style: Style | None = None) -> str:
    """`1 failed, 2 warnings, 9 passed (812 ms)`: counts of the rows that were shown."""
    counts = dict.fromkeys(Status, 0)
    for result in report.checks:
        counts[result.status] += 1
    failed = f"{counts[Status.FAIL]} failed"
    warnings = f"{counts[Status.WARN]} warning" + ("s" if counts[Status.WARN] != 1 else "")
    parts = [
        paint(failed, _SGR[Status.FAIL], style) if counts[Status.FAIL] else failed,
        paint(warnings, _SGR[Status.WARN], style) if counts[Status.WARN] else warnings,
        paint(f"{counts[Status.PASS]} passed", _SGR[Status.PASS], style),
    ]
    if counts[Status.SKIP]:
        parts.append(paint(f"{counts[Status.SKIP]} skipped", _SGR[Status.SKIP], style))
    return f"{', '.join(parts)} ({report.elapsed_ms} ms)"
