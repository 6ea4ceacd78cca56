"""Check results as terminal text: one line per check as it arrives, then the advice.

Pure functions over results, shared by every command that prints checks.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from smtp_wizard.checks.model import MARKS, CheckResult, Report, Status

ID_WIDTH = 21


def result_line(result: CheckResult) -> str:
    """`✓ smtp.tls              STARTTLS completed (TLSv1.3, ...)`"""
    subject = ""
    if result.id.startswith("dns.dkim") and result.subject and result.subject not in result.summary:
        subject = f" [{result.subject}]"
    return f"{MARKS[result.status]} {result.id:<{ID_WIDTH}}{result.summary}{subject}"


def advice_block(results: Iterable[CheckResult], width: int = 100) -> str:
    """For each failure and warning: what was seen, and what to do about it."""
    blocks = []
    for result in results:
        if result.status not in (Status.FAIL, Status.WARN):
            continue
        lines = [f"{MARKS[result.status]} {result.id}: {result.summary}"]
        for label, text in (("", result.detail), ("→ ", result.advice)):
            for paragraph in text.splitlines():
                lines += textwrap.wrap(
                    paragraph,
                    width=width,
                    initial_indent=f"    {label}",
                    subsequent_indent="    " + " " * len(label),
                ) or [""]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def summary_line(report: Report) -> str:
    counts = {status: 0 for status in Status}
    for result in report.checks:
        counts[result.status] += 1
    parts = [
        f"{counts[Status.FAIL]} failed",
        f"{counts[Status.WARN]} warning" + ("s" if counts[Status.WARN] != 1 else ""),
        f"{counts[Status.PASS]} passed",
    ]
    if counts[Status.SKIP]:
        parts.append(f"{counts[Status.SKIP]} skipped")
    return f"{', '.join(parts)} ({report.elapsed_ms} ms)"
