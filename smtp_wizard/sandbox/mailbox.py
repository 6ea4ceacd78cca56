"""The demo mailbox: where every message the demo server accepts is delivered.

Messages are kept in memory (for the wizard to show) and written as `.eml` files into the
demo folder (for the user to open with any mail reader). The server delivers from its own
thread; `wait` is awaited from another event loop (the wizard's), so a delivery wakes each
waiter through its own loop's `call_soon_threadsafe`, never by touching a foreign loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.policy
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Final

MAILBOX_FOLDER: Final = "mailbox"
_UNFOLD: Final = re.compile(r"\r?\n[ \t]+")


@dataclass(frozen=True)
class DeliveredMessage:
    """One message as the mailbox holds it: the bytes stored (our Received header first)
    and the envelope it came with."""

    raw: bytes
    headers: list[tuple[str, str]]
    """Every header in order, values decoded (RFC 2047) and unfolded, for display."""
    subject: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    received_at: dt.datetime  # UTC
    path: Path | None = None  # the .eml file, when the mailbox has a folder

    def header(self, name: str) -> str | None:
        """The first header called `name` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def body(self) -> str:
        """The message's text: its text/plain part, decoded ("" when it has none)."""
        message = BytesParser(policy=email.policy.default).parsebytes(self.raw)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain",))
        if part is None:
            return ""
        try:
            return str(part.get_content())
        except (LookupError, ValueError):
            return part.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]


def parse_delivered(
    raw: bytes, mail_from: str, rcpt_tos: Sequence[str], received_at: dt.datetime
) -> DeliveredMessage:
    """A DeliveredMessage from the stored bytes; a malformed header never raises."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
    headers: list[tuple[str, str]] = []
    for key, value in message.raw_items():
        try:
            text = str(message.policy.header_factory(key, value))
        except Exception:  # a header the parser cannot make sense of: show it raw
            text = str(value)
        headers.append((key, _UNFOLD.sub(" ", text).strip()))
    subject = next((v for k, v in headers if k.lower() == "subject"), "")
    return DeliveredMessage(
        raw=raw,
        headers=headers,
        subject=subject,
        mail_from=mail_from,
        rcpt_tos=tuple(rcpt_tos),
        received_at=received_at,
    )


class Mailbox:
    """Messages delivered so far; thread-safe; `.eml` copies under `folder` when given."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._messages: list[DeliveredMessage] = []
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def messages(self) -> list[DeliveredMessage]:
        """Every message delivered so far, oldest first (a copy: safe to keep)."""
        with self._lock:
            return list(self._messages)

    def deliver(self, raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> DeliveredMessage:
        """Store one message (from any thread) and wake every waiter."""
        now = dt.datetime.now(dt.UTC)
        message = parse_delivered(raw, mail_from, rcpt_tos, now)
        with self._lock:
            index = len(self._messages) + 1
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                # unique even when a later run writes into the same folder
                path = self.folder / f"{now:%Y%m%dT%H%M%S}-{index:04d}-{secrets.token_hex(3)}.eml"
                path.write_bytes(raw)
                message = replace(message, path=path)
            self._messages.append(message)
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_wake, future)
        return message

    async def wait(self, count: int = 1, timeout: float = 10.0) -> list[DeliveredMessage]:
        """Every message, once the mailbox holds at least `count` (to wait for the next
        one: `count=len(mailbox) + 1`, read before sending). Awaitable from any event loop.

        Raises TimeoutError when fewer have arrived after `timeout` seconds.
        """
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                while True:
                    with self._lock:
                        if len(self._messages) >= count:
                            return list(self._messages)
                        future: asyncio.Future[None] = loop.create_future()
                        self._waiters.append((loop, future))
                    try:
                        await future
                    finally:
                        with self._lock:
                            if (loop, future) in self._waiters:
                                self._waiters.remove((loop, future))
        except TimeoutError:
            held = len(self)
            raise TimeoutError(
                f"the demo mailbox holds {held} message{'s' if held != 1 else ''}, "
                f"not {count}, after {timeout:g} s"
            ) from None


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
