"""One run of every check for a set of settings: what `check` prints and the wizard shows.

`check` and the wizard's review screen are two faces of the same run, so they give the
same verdicts on the same settings: both build a `CheckRun` from the one settings
resolution (`settings.resolve`) and the same options (`--nameserver`, `--cafile`,
`--timeout`). The plan (every row, before anything runs) comes first; the results stream
in as they are known; leaving the `async with` block at any point, cancellation included,
stops every probe and lookup and leaves no task behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from smtp_wizard.checks.model import CheckResult, merge, skipped
from smtp_wizard.checks.plan import PlannedCheck, check_plan, selectors_of
from smtp_wizard.checks.smtp import CHECK_IDS, SmtpSettings, Stage, Transcript, smtp_checks

if TYPE_CHECKING:
    from smtp_wizard.secret import Secret
    from smtp_wizard.settings import Settings

SCOPES = ("smtp", "dns")


@dataclass(frozen=True)
class RunOptions:
    """How checks reach the world: the flags `check` and the wizard share."""

    nameservers: tuple[str, ...] = ()
    """`--nameserver`: DNS goes there instead of the system resolver."""
    cafile: Path | None = None
    """`--cafile`: an extra CA to trust where TLS is probed."""
    timeout: float = 10.0
    """`--timeout`: one deadline for a whole SMTP probe and for each DNS check."""


class CheckRun:
    """Every check of `effective` (within `scope`), as one stream of results.

    `async with CheckRun(...) as run: async for result in run:` — `run.plan` is known
    before the block starts; `run.not_asked` holds the skips of checks outside the scope
    (for `--json`, which lists every id).
    """

    def __init__(
        self,
        effective: Settings,
        options: RunOptions,
        *,
        scope: Sequence[str] = SCOPES,
        stage: Stage | None = None,
        given: Secret | None = None,
        send_to: str | None = None,
        allow_plaintext_auth: bool = False,
        transcript: Transcript | None = None,
    ) -> None:
        from smtp_wizard import settings as resolution

        self.effective = effective
        self.options = options
        self.scope = tuple(scope)
        self.transcript = transcript if transcript is not None else Transcript()
        self.stage = stage or (Stage.SEND if send_to else Stage.LOGIN)
        self.smtp: SmtpSettings | None = None
        if "smtp" in self.scope:
            effective.require_host()
            self.smtp = resolution.smtp_settings(
                effective,
                given=given,
                send_to=send_to,
                cafile=options.cafile,
                timeout=options.timeout,
                allow_plaintext_auth=allow_plaintext_auth,
            )
        self.selectors = selectors_of(effective)
        self.plan: list[PlannedCheck] = check_plan(
            self.smtp.security if self.smtp is not None else None,
            stage=self.stage,
            endpoint=self.smtp.endpoint if self.smtp is not None else None,
            host=self.smtp.host if self.smtp is not None else None,
            domain=effective.domain,
            with_domain="dns" in self.scope,
            selectors=self.selectors,
        )
        self.not_asked: list[CheckResult] = []
        if "smtp" not in self.scope:
            self.not_asked += [skipped(i, "not asked for (--only dns)") for i in CHECK_IDS]
        if "dns" not in self.scope:
            from smtp_wizard.checks.domain import DOMAIN_CHECK_IDS

            self.not_asked += [skipped(i, "not asked for (--only smtp)") for i in DOMAIN_CHECK_IDS]
        self._stream: AsyncIterator[CheckResult] | None = None
        self._warm: asyncio.Future[Any] | None = None

    def _sources(self) -> list[AsyncIterator[CheckResult]]:
        from smtp_wizard.checks.dns import make_resolver
        from smtp_wizard.checks.domain import domain_checks

        sources: list[AsyncIterator[CheckResult]] = []
        if self.smtp is not None:
            resolver = make_resolver(list(self.options.nameservers), timeout=self.options.timeout)
            if self.smtp.password_source is not None and self.stage is not Stage.CONNECTION:
                # Read the saved password beside connect and TLS; AUTH awaits it.
                self._warm = asyncio.ensure_future(self.smtp.password_source())
            sources.append(
                smtp_checks(self.smtp, resolver.addresses, self.transcript, stage=self.stage)
            )
        if "dns" in self.scope:
            sources.append(
                domain_checks(
                    self.effective.domain,
                    nameservers=list(self.options.nameservers),
                    timeout=self.options.timeout,
                    provider=self.effective.hints,
                    selectors=self.selectors,
                )
            )
        return sources

    async def __aenter__(self) -> CheckRun:
        self._stream = merge(self._sources())
        return self

    def __aiter__(self) -> AsyncIterator[CheckResult]:
        if self._stream is None:
            raise RuntimeError("use `async with CheckRun(...) as run` before iterating")
        return self._stream

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()  # type: ignore[attr-defined]
        warm, self._warm = self._warm, None
        if warm is not None and not warm.done():
            warm.cancel()
            await asyncio.gather(warm, return_exceptions=True)


__all__ = ["SCOPES", "CheckRun", "RunOptions", "selectors_of"]
