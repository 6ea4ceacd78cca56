"""What the wizard knows beyond the draft: the steps, and the latest result of every check.

The step list's glyphs, the review screen and each step's rows read the same `Board`, so a
check re-run anywhere (the port screen's probe, the review's full run) shows everywhere.
No Textual here: this is plain bookkeeping, tested without a screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smtp_wizard.checks.model import CheckResult, Status


@dataclass(frozen=True)
class StepInfo:
    id: str
    title: str
    """The step list's name (short: the list is 18 columns wide)."""
    heading: str
    """The pane's heading."""


STEPS: tuple[StepInfo, ...] = (
    StepInfo("start", "Start", "Start: who sends the mail"),
    StepInfo("host", "Host", "Host: the SMTP server"),
    StepInfo("port", "Port & TLS", "Port and encryption"),
    StepInfo("login", "Login", "Login"),
    StepInfo("sender", "Sender & DNS", "Sender and DNS"),
    StepInfo("review", "Review & test", "Review and test"),
)
STEP_IDS = tuple(step.id for step in STEPS)
TITLES = {step.id: step.title for step in STEPS}


def step_of(check_id: str) -> str:
    """The step whose fields a check is about (where its row leads): the core's table."""
    from smtp_wizard.checks.plan import STEPS as CHECK_STEPS

    step = CHECK_STEPS.get(check_id) or ("dns" if check_id.startswith("dns.") else "review")
    return "sender" if step == "dns" else step


GLYPHS = {Status.PASS: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "–"}
WAITING = "·"
_SEVERITY = {Status.SKIP: 0, Status.PASS: 1, Status.WARN: 2, Status.FAIL: 3}


def key_of(result: CheckResult) -> str:
    """One row per check and subject: two DKIM selectors are two rows."""
    if result.id == "dns.dkim" and result.subject:
        return f"{result.id}#{result.subject}"
    return result.id


@dataclass
class Board:
    """The latest result of every check, by row key, and which step it belongs to."""

    results: dict[str, CheckResult] = field(default_factory=dict)

    def record(self, result: CheckResult) -> None:
        self.results[key_of(result)] = result

    def clear(self, check_ids: Iterable[str]) -> None:
        """Forget the results of `check_ids`: their inputs changed, they are stale."""
        wanted = set(check_ids)
        for key in [k for k, r in self.results.items() if r.id in wanted]:
            del self.results[key]

    def for_step(self, step: str) -> list[CheckResult]:
        return [r for r in self.results.values() if step_of(r.id) == step]

    def status(self, step: str) -> Status | None:
        """The worst status among the step's checks, or None when none has run."""
        shown = [r.status for r in self.for_step(step) if r.status is not Status.SKIP]
        if not shown:
            skipped = self.for_step(step)
            return Status.SKIP if skipped else None
        return max(shown, key=lambda status: _SEVERITY[status])

    def glyph(self, step: str) -> str:
        status = self.status(step)
        return WAITING if status is None else GLYPHS[status]


__all__ = [
    "GLYPHS",
    "STEPS",
    "STEP_IDS",
    "TITLES",
    "WAITING",
    "Board",
    "StepInfo",
    "key_of",
    "step_of",
]
