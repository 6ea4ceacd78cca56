"""Helpers for the wizard's pilot tests (no tests here): build the app, wait, read the screen."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.worker import WorkerState

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.tui.app import WizardApp
from smtp_wizard.tui.entry import CONFIG_NAME, WizardOptions, make_app
from smtp_wizard.tui.widgets.results import ResultList

SIZE = (80, 24)


def wizard(
    config: Path,
    *,
    world: Any = None,
    nameservers: tuple[str, ...] = (),
    cafile: Path | None = None,
    timeout: float = 5.0,
    start: str | None = None,
) -> WizardApp:
    """The real app, as `smtp-wizard` builds it, with animations off (stable screens)."""
    options = WizardOptions(
        config_path=config, nameservers=nameservers, cafile=cafile, timeout=timeout
    )
    app = make_app(options, world=world, start=start)
    app.animation_level = "none"
    return app


def demo_wizard(world: Any, *, timeout: float = 5.0) -> WizardApp:
    return wizard(Path(world.folder) / CONFIG_NAME, world=world, timeout=timeout)


async def settle(pilot: Pilot[Any], app: WizardApp, *, limit: float = 15.0) -> None:
    """Wait until no worker is running (checks started by other checks included)."""
    async with asyncio.timeout(limit):
        while True:
            await pilot.pause()
            running = [
                w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            ]
            if not running:
                await pilot.pause()
                return
            await app.workers.wait_for_complete(running)


def rows(app: WizardApp, list_id: str) -> dict[str, CheckResult]:
    """The results a step's list shows, by check id (the last of a repeated id wins)."""
    shown = app.query_one(f"#{list_id}", ResultList).results()
    return {result.id: result for result in shown}


def statuses(app: WizardApp, list_id: str) -> dict[str, Status]:
    return {check_id: result.status for check_id, result in rows(app, list_id).items()}


def screen_text(app: WizardApp) -> str:
    """The screen as plain text, as a person reads it (no colour)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


async def paste(pilot: Pilot[Any], text: str, into: str | None = None) -> None:
    """Paste `text` into the field `into` (a selector; default: the focused one), as a
    terminal's bracketed paste delivers it."""
    if into is not None:
        pilot.app.query_one(into).focus()
        await pilot.pause()
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()
