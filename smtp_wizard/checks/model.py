"""What a check produces, and how results from concurrent checks reach the user in order.

A `CheckResult` is the unit every surface shows: the command line prints one line per
result, `--json` serialises them (DESIGN.md pins the six keys), the wizard renders them as
they arrive. Results are produced by async generators; `merge` interleaves several of them
so that independent checks (the SMTP conversation, each DNS lookup) run at the same time
and each result is handed over as soon as it is known.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from smtp_wizard import validate

if TYPE_CHECKING:
    from smtp_wizard.checks.facts import Facts


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


MARKS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "–"}

# How bad each status is: a check with several findings reports its worst one.
SEVERITY: Final[dict[Status, int]] = {
    Status.PASS: 0,
    Status.SKIP: 0,
    Status.WARN: 1,
    Status.FAIL: 2,
}


@dataclass(frozen=True)
class CheckResult:
    """One verdict: `summary` is one line; `detail` says what was seen; `advice` what to do."""

    id: str
    status: Status
    summary: str
    detail: str = ""
    advice: str = ""
    elapsed_ms: int = 0
    subject: str | None = None
    facts: Facts | None = field(default=None, compare=False)
    """The values behind the text (TLS version, certificate, mechanisms, ...); not in JSON."""

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def timed(self, started: float) -> CheckResult:
        """This result with `elapsed_ms` measured from `started` (a `time.monotonic()`)."""
        return replace(self, elapsed_ms=round((time.monotonic() - started) * 1000))

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": self.id,
            "status": str(self.status),
            "summary": self.summary,
            "detail": self.detail,
            "advice": self.advice,
            "elapsed_ms": self.elapsed_ms,
        }
        if self.subject is not None:
            document["subject"] = self.subject
        return document


def ascii_domain(check_id: str, domain: str, subject: str | None = None) -> str | CheckResult:
    """`domain` in its ASCII (IDNA) form, or the failed result of `check_id` saying why not.

    Every domain check starts here, so each reports a bad domain the same way.
    """
    try:
        return validate.hostname(domain)
    except ValueError as exc:
        return CheckResult(
            check_id, Status.FAIL, f"{domain!r} is not a domain: {exc}", subject=subject or domain
        )


def skipped(check_id: str, reason: str, subject: str | None = None) -> CheckResult:
    """The result of a check that did not run because `reason` (a prerequisite failed)."""
    return CheckResult(check_id, Status.SKIP, reason, subject=subject)


@dataclass
class Report:
    """All results of one run, in the order they arrived."""

    checks: list[CheckResult] = field(default_factory=list)
    elapsed_ms: int = 0

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "elapsed_ms": self.elapsed_ms,
            "checks": [result.to_json() for result in self.checks],
        }


async def merge(sources: Iterable[AsyncIterator[CheckResult]]) -> AsyncIterator[CheckResult]:
    """Run several result streams at once and yield each result as soon as it exists.

    If the consumer stops early (or is cancelled), every source task is cancelled and
    awaited before this generator finishes: no task and no socket outlives it.
    """
    queue: asyncio.Queue[tuple[int, CheckResult | BaseException | None]] = asyncio.Queue()

    async def pump(index: int, source: AsyncIterator[CheckResult]) -> None:
        try:
            async for result in source:
                await queue.put((index, result))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the consumer, raised there
            await queue.put((index, exc))
            return
        finally:
            close = getattr(source, "aclose", None)
            if close is not None:
                with contextlib.suppress(BaseException):
                    await close()
        await queue.put((index, None))

    tasks = [asyncio.create_task(pump(i, s)) for i, s in enumerate(sources)]
    running = len(tasks)
    try:
        while running:
            _, item = await queue.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def running(stream: AsyncIterator[CheckResult]) -> AsyncIterator[AsyncIterator[CheckResult]]:
    """`async with running(stream) as results:`: however the block ends, the run ends too.

    Leaving the block (normally, by `break`, an exception or cancellation) closes the
    stream, which cancels and awaits every task it started and closes every socket: a
    screen that moves on leaves nothing running behind it.
    """
    try:
        yield stream
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()


async def collect(stream: AsyncIterator[CheckResult]) -> Report:
    """Drain `stream` into a Report, timing the whole run."""
    started = time.monotonic()
    report = Report()
    async for result in stream:
        report.checks.append(result)
    report.elapsed_ms = round((time.monotonic() - started) * 1000)
    return report
