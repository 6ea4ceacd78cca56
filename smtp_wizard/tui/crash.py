"""What a crash prints: where it happened, never a local variable, never the password.

Textual's fatal-error path renders a Rich traceback with `show_locals=True`; a password
typed into an `Input(password=True)` then reaches stderr as `value = 'the-password'`
(TEXTUAL.md). There is no public switch, so the app overrides the private hook
`App._handle_exception` (checked against Textual 8.2.x, the range pyproject allows) with
`safe_report`: a plain traceback without locals, in which every secret the app still
holds (the password field's raw text, the draft's password) is replaced by a mask, even
in an exception's message. The process then exits non-zero (see `entry.run`).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable

from smtp_wizard.secret import MASK

HEADING = "smtp-wizard stopped on an unexpected error (a bug: please report it)."


def _variants(secret: str) -> list[str]:
    """The secret as it may appear in text: itself, escaped by repr() and by JSON."""
    import json  # only when a report is written

    variants = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    return sorted((v for v in variants if v), key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret (and its escaped forms) masked."""
    for secret in secrets:
        for variant in _variants(secret):
            text = text.replace(variant, MASK)
    return text


def safe_report(error: BaseException, secrets: Iterable[str] | None) -> str:
    """The crash report: a traceback without locals, secrets masked.

    `secrets` is None when the app could not say which secrets it holds (the crash broke
    it): then no message text is printed at all, only the exception's type and the frames.
    """
    if secrets is None:
        frames = traceback.extract_tb(error.__traceback__)
        lines = [f"  {frame.filename}:{frame.lineno} in {frame.name}" for frame in frames]
        return "\n".join([HEADING, *lines, f"{type(error).__name__} (message withheld)"])
    text = "".join(traceback.format_exception(error))
    return scrub(f"{HEADING}\n{text}".rstrip(), list(secrets))


__all__ = ["HEADING", "safe_report", "scrub"]
