"""The live check display against a real pseudo-terminal and a real pipe.

The rows of a run are drawn into a pty (whose size the display reads itself) and the bytes
read from its master side are fed through a terminal emulator (pyte), so what is asserted is
the screen a user sees: every row at once with a spinner, then each filled in place, and a
final screen (and scrollback) with each row once, in plan order. Into a pipe the same run
must give each line as soon as it and the lines before it are known, and no escape code.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import os
import pty
import re
import struct
import termios
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import pyte
import pytest

from smtp_wizard.checks.model import MARKS, CheckResult, Status
from smtp_wizard.render import SPINNER, Style, check_plan, show_results

TERM_ENV = {"TERM": "xterm-256color"}
SGR = re.compile(rb"\x1b\[[0-9;]*m")


@dataclass
class Reader:
    """Non-blocking reads of one file descriptor, polled from the event loop."""

    fd: int
    data: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        os.set_blocking(self.fd, False)

    def poll(self) -> bytes:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: the pty's other side is closed
                break
            if not chunk:
                break
            self.data += chunk
        return bytes(self.data)

    async def until(self, condition: Callable[[bytes], bool], timeout: float = 3.0) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if condition(self.poll()):
                return True
            await asyncio.sleep(0.01)
        return condition(self.poll())


def screen_of(data: bytes, columns: int, lines: int) -> pyte.HistoryScreen:
    screen = pyte.HistoryScreen(columns, lines, history=1000)
    stream = pyte.ByteStream(screen)
    stream.feed(data)
    return screen


def all_lines(screen: pyte.HistoryScreen) -> list[str]:
    """Scrollback and screen, as the user would scroll through them."""
    history = [
        "".join(line[x].data for x in range(screen.columns)).rstrip() for line in screen.history.top
    ]
    return history + [line.rstrip() for line in screen.display]


def rows_in(lines: Sequence[str]) -> list[tuple[str, str]]:
    """(mark, id) of every line that starts a row."""
    marks = set(MARKS.values()) | set(SPINNER)
    found = []
    for line in lines:
        if line[:1] in marks and line[1:2] == " ":
            found.append((line[0], line[2:].split(" ", 1)[0]))
    return found


def open_pty(columns: int, lines: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    return master, slave


def result(check_id: str, status: Status = Status.PASS, summary: str = "") -> CheckResult:
    return CheckResult(check_id, status, summary or f"{check_id} {status}")


STARTTLS_PLAN = check_plan("starttls", send=False, selectors=["s1", "s2"])


def test_terminal_shows_every_row_at_once_then_fills_each_in_place() -> None:
    master, slave = open_pty(80, 24)
    out = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    reader = Reader(master)
    style = Style.detect(out, "auto", env=TERM_ENV)
    assert style.tty and style.color and (style.width, style.height) == (80, 24)
    plan = STARTTLS_PLAN
    # Arrival order: the domain checks first, then the conversation, DKIM last.
    order = [i for i in plan if i.startswith("dns.") and i != "dns.host"] + [
        i for i in plan if not i.startswith("dns.") or i == "dns.host"
    ]
    statuses = {check_id: Status.PASS for check_id in plan}
    statuses.update({"dns.spf": Status.FAIL, "dns.dmarc": Status.WARN})
    seen_before_first: list[bool] = []
    spinning: list[bool] = []

    def frames(data: bytes) -> int:
        return len({frame for frame in SPINNER if frame.encode() in data})

    def every_row_pending(data: bytes) -> bool:
        found = rows_in(all_lines(screen_of(data, 80, 24)))
        return [i for _, i in found] == plan and all(m in SPINNER for m, _ in found)

    async def stream() -> AsyncIterator[CheckResult]:
        seen_before_first.append(await reader.until(every_row_pending))
        spinning.append(await reader.until(lambda data: frames(data) >= 3))
        for check_id in order:
            await asyncio.sleep(0.02)
            yield CheckResult(check_id, statuses[check_id], f"{check_id} done")

    async def run() -> list[CheckResult]:
        report = await show_results(stream(), plan, out, style)
        await reader.until(lambda data: data.endswith(b"\x1b[?25h"))
        return report.checks

    shown = asyncio.run(run())
    out.close()
    data = reader.poll()
    os.close(master)

    assert seen_before_first == [True]
    assert spinning == [True]  # the spinner turns while nothing has arrived
    screen = screen_of(data, 80, 24)
    final = rows_in(all_lines(screen))
    assert final == [(MARKS[statuses[i]], i) for i in plan]
    assert not screen.cursor.hidden
    assert b"\x1b[31m" in data and b"\x1b[32m" in data  # red fail, green pass
    assert [r.id for r in shown] == plan


@pytest.mark.parametrize("arrival", ["reversed", "in order"])
def test_rows_beyond_the_screen_end_up_in_the_scrollback_once_in_order(arrival: str) -> None:
    columns, lines = 80, 10
    master, slave = open_pty(columns, lines)
    out = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    reader = Reader(master)
    style = Style.detect(out, "never", env=TERM_ENV)
    assert style.tty and not style.color and style.height == lines
    plan = [f"smtp.step{n:02d}" for n in range(30)]
    long_summary = "a summary long enough to wrap onto a second line " * 2

    window: list[bool] = []

    def first_rows_and_a_count(data: bytes) -> bool:
        screen = [line for line in screen_of(data, columns, lines).display if line.strip()]
        pending = [i for _, i in rows_in(screen[:-1])]
        return pending == plan[: lines - 2] and "… and 22 more" in screen[-1]

    async def stream() -> AsyncIterator[CheckResult]:
        window.append(await reader.until(first_rows_and_a_count))
        # Reversed, nothing can be written for good until the very first row is known.
        for check_id in reversed(plan) if arrival == "reversed" else plan:
            await asyncio.sleep(0.005)
            status = Status.FAIL if check_id.endswith("7") else Status.PASS
            yield CheckResult(check_id, status, long_summary if status is Status.FAIL else "ok")

    async def run() -> None:
        await show_results(stream(), plan, out, style)
        await reader.until(lambda data: data.endswith(b"\x1b[?25h"))

    asyncio.run(run())
    out.close()
    data = reader.poll()
    os.close(master)
    assert window == [True]
    text = all_lines(screen_of(data, columns, lines))
    expected = [("✗" if i.endswith("7") else "✓", i) for i in plan]
    assert rows_in(text) == expected
    assert not any(frame in line for line in text for frame in SPINNER)
    assert not SGR.search(data)  # --color never: no colour even on a terminal


def test_a_row_that_grows_pushes_the_rows_below_down() -> None:
    master, slave = open_pty(60, 24)
    out = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    reader = Reader(master)
    style = Style.detect(out, "auto", env={**TERM_ENV, "NO_COLOR": "1"})
    assert style.tty and not style.color
    plan = ["dns.host", "smtp.connect", "smtp.greeting"]
    wordy = "the server said something long " * 5

    async def stream() -> AsyncIterator[CheckResult]:
        yield result("smtp.greeting")
        await asyncio.sleep(0.15)
        yield CheckResult("smtp.connect", Status.FAIL, wordy + "`smtp-wizard discover HOST`")
        await asyncio.sleep(0.15)
        yield result("dns.host")

    async def run() -> None:
        await show_results(stream(), plan, out, style)
        await reader.until(lambda data: data.endswith(b"\x1b[?25h"))

    asyncio.run(run())
    out.close()
    data = reader.poll()
    os.close(master)
    text = all_lines(screen_of(data, 60, 24))
    assert rows_in(text) == [("✓", "dns.host"), ("✗", "smtp.connect"), ("✓", "smtp.greeting")]
    body = [line for line in text if line.strip()]
    assert body[1].startswith("✗ smtp.connect")
    assert all(line.startswith(" " * 23) for line in body[2:-1])
    assert any("`smtp-wizard discover HOST`" in line for line in body)
    assert b"\x1b[1A" in data and not SGR.search(data)  # cursor movement, but no colour


@dataclass
class PipeRun:
    """A run into a real pipe, recording how many lines were out before each result."""

    schedule: list[CheckResult]
    plan: list[str]
    lines_before: list[int] = field(default_factory=list)


def run_into_pipe(run: PipeRun, color: str = "auto") -> tuple[str, list[CheckResult]]:
    read_end, write_end = os.pipe()
    out = open(write_end, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    reader = Reader(read_end)
    style = Style.detect(out, color, env=TERM_ENV)
    assert not style.tty and style.width == 100

    def printable(results: Sequence[CheckResult]) -> int:
        """How many plan rows are known together with every row before them."""
        known = [r.id for r in results]
        count = 0
        for check_id in run.plan:
            if check_id not in known:
                break
            known.remove(check_id)
            count += 1
        return count

    async def stream() -> AsyncIterator[CheckResult]:
        for index, item in enumerate(run.schedule):
            expected = printable(run.schedule[:index])
            await reader.until(lambda data, n=expected: data.count(b"\n") >= n, timeout=1.0)
            await asyncio.sleep(0.05)  # a line written too early would show now
            run.lines_before.append(reader.poll().count(b"\n"))
            yield item

    async def main() -> list[CheckResult]:
        return (await show_results(stream(), run.plan, out, style)).checks

    shown = asyncio.run(main())
    out.close()
    data = reader.poll()
    os.close(read_end)
    return data.decode(), shown


def test_a_pipe_gets_each_line_once_it_and_the_lines_before_it_are_known() -> None:
    plan = ["dns.host", "smtp.connect", "smtp.greeting", "smtp.ehlo", "dns.mx"]
    arrival = ["smtp.connect", "dns.host", "dns.mx", "smtp.ehlo", "smtp.greeting"]
    run = PipeRun([result(i) for i in arrival], plan)
    text, shown = run_into_pipe(run)
    # Before each result: 0 (nothing yet), 0 (connect known, host not), 2 (host+connect),
    # 2 (greeting still missing), 2; greeting then releases the other three.
    assert run.lines_before == [0, 0, 2, 2, 2]
    assert [line.split()[1] for line in text.splitlines()] == plan
    assert "\x1b" not in text
    assert [r.id for r in shown] == plan


def test_a_pipe_in_arrival_order_streams_line_by_line() -> None:
    plan = check_plan("ssl", send=False)
    run = PipeRun([result(i) for i in plan], plan)
    text, _ = run_into_pipe(run)
    assert run.lines_before == list(range(len(plan)))
    assert [line.split()[1] for line in text.splitlines()] == plan


def test_a_pipe_gets_colour_only_when_asked_for_always() -> None:
    plan = ["dns.host", "smtp.connect"]
    run = PipeRun([result("dns.host"), result("smtp.connect", Status.FAIL)], plan)
    text, _ = run_into_pipe(run, color="always")
    assert "\x1b[32m✓\x1b[0m dns.host" in text and "\x1b[31m✗\x1b[0m smtp.connect" in text
    assert "\x1b[?25" not in text and "\x1b[1A" not in text  # colour, but no cursor movement


def test_results_arriving_together_keep_their_places_in_a_pipe() -> None:
    """Several DKIM results arrive at once and the plan knew of one: all precede DMARC."""
    plan = ["dns.mx", "dns.spf", "dns.dkim", "dns.dmarc"]
    dkim = [
        CheckResult("dns.dkim", Status.PASS, "key found", subject=f"s{n}._domainkey.example.com")
        for n in (1, 2, 3)
    ]

    async def together() -> AsyncIterator[CheckResult]:
        yield result("dns.mx")
        yield result("dns.dmarc")
        yield result("dns.spf")
        for item in dkim:  # one task yields them back to back, as dkim_checks' list is
            yield item

    buffer = io.StringIO()
    report = asyncio.run(show_results(together(), plan, buffer, Style()))
    ids = [line.split()[1] for line in buffer.getvalue().splitlines()]
    assert ids == ["dns.mx", "dns.spf", "dns.dkim", "dns.dkim", "dns.dkim", "dns.dmarc"]
    assert [r.subject for r in report.checks if r.id == "dns.dkim"] == [d.subject for d in dkim]


@pytest.mark.parametrize("color", ["never", "auto"])
def test_a_pipe_gets_no_escape_codes_without_always(color: str) -> None:
    plan = ["dns.host"]
    text, _ = run_into_pipe(PipeRun([result("dns.host", Status.WARN)], plan), color=color)
    assert text == "! dns.host             dns.host warn\n"


def test_a_closed_pipe_stops_the_run_with_broken_pipe_and_closes_the_checks() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    out = open(write_end, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    finished: list[str] = []

    async def stream() -> AsyncIterator[CheckResult]:
        try:
            yield result("dns.host")
            await asyncio.sleep(0.05)
            yield result("smtp.connect")
            await asyncio.sleep(30)  # a check that would keep the run alive
            yield result("smtp.greeting")
        finally:
            finished.append("closed")

    async def run() -> None:
        plan = ["dns.host", "smtp.connect", "smtp.greeting"]
        await show_results(stream(), plan, out, Style())

    with pytest.raises(BrokenPipeError):
        asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert finished == ["closed"]
    with contextlib.suppress(BrokenPipeError):
        out.close()
