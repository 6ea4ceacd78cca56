"""Pictures of every screen of the wizard, compared with the accepted ones in __snapshots__/.

Each screen is drawn at 80×24 (the smallest terminal the wizard promises to work in) and at
120×36, from the fixed world of `tests.tui_fixtures` (SendGrid at smtp.sendgrid.net, a
domain whose DNS has a pass, a fail and a warning): no network, no clock, no temporary
path on screen, the cursor drawn still and animations off, so a picture changes only when
the screen does.

    .venv/bin/python -m pytest tests/test_tui_snapshots.py                    # compare
    .venv/bin/python -m pytest tests/test_tui_snapshots.py --snapshot-update  # accept

`snap_compare` runs the app with its own event loop: these tests are synchronous.
A failed comparison writes snapshot_report.html (the picture beside the accepted one).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from smtp_wizard.draft import Draft
from smtp_wizard.tui.app import WizardApp
from tests.tui_fixtures import (
    CONFIG_NAME,
    FROM_ADDRESS,
    PASSWORD,
    WRONG_PASSWORD,
    FixedCore,
    fixed_app,
    new_draft,
    quiet,
    saved_config,
    sendgrid_draft,
    settle,
)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]

Compare = Callable[..., bool]
Steps = Callable[[Pilot[Any]], Any]


@pytest.fixture(autouse=True)
def _still_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same picture every run: the cursor never blinks away, colours are on.

    conftest sets NO_COLOR for the command line's tests; Textual pops it when the first
    app starts, so without this only the first picture of a run would be monochrome.
    """
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


def shows(snap_compare: Compare, app: WizardApp, size: tuple[int, int], steps: Steps) -> None:
    """Drive `app` with `steps`, wait for every check, and compare the picture."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await steps(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def opened_saved() -> Draft:
    """The saved SendGrid profile at ./smtp-wizard.toml (the test runs in its own folder)."""
    saved_config(Path.cwd())
    return Draft.open(Path(CONFIG_NAME))


# -- the six steps ------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_start_on_first_launch_asks_for_the_from_address(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    shows(snap_compare, fixed_app(), size, quiet)


@pytest.mark.parametrize("size", SIZES)
def test_start_suggests_the_provider_the_domains_spf_already_names(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def typed(pilot: Pilot[Any]) -> None:
        await pilot.press(*FROM_ADDRESS)
        await quiet(pilot)

    shows(snap_compare, fixed_app(), size, typed)


@pytest.mark.parametrize("size", SIZES)
def test_host_shows_the_preset_host_resolved_and_where_it_came_from(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    shows(snap_compare, fixed_app(sendgrid_draft(), start="host"), size, quiet)


@pytest.mark.parametrize("size", SIZES)
def test_port_after_discovery_marks_each_port_and_recommends_one(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def discovered(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+d")
        await quiet(pilot)

    shows(snap_compare, fixed_app(sendgrid_draft(), start="port"), size, discovered)


@pytest.mark.parametrize("size", SIZES)
def test_port_465_with_starttls_is_explained_with_its_one_key_fix(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    draft = new_draft(provider="sendgrid", from_address=FROM_ADDRESS, port=465)
    draft.edit("security", "starttls")
    shows(snap_compare, fixed_app(draft, start="port"), size, quiet)


@pytest.mark.parametrize("size", SIZES)
def test_login_explains_a_535_with_the_providers_advice(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def wrong_key(pilot: Pilot[Any]) -> None:
        await pilot.press(*WRONG_PASSWORD, "ctrl+r")
        await quiet(pilot)

    shows(snap_compare, fixed_app(sendgrid_draft(), start="login"), size, wrong_key)


@pytest.mark.parametrize("size", SIZES)
def test_sender_shows_each_dns_verdict_and_the_record_to_change(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    shows(snap_compare, fixed_app(sendgrid_draft(), start="sender"), size, quiet)


@pytest.mark.parametrize("size", SIZES)
def test_review_of_a_saved_config_runs_every_check_at_once(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    shows(snap_compare, fixed_app(opened_saved()), size, quiet)


@pytest.mark.parametrize("size", SIZES)
def test_review_rows_wait_with_a_still_spinner_while_checks_run(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def running(pilot: Pilot[Any]) -> None:
        await pilot.pause(0.1)  # the checks are held back for a minute: rows are running

    app = fixed_app(opened_saved(), core=FixedCore(delay=60.0))
    assert snap_compare(app, terminal_size=size, run_before=running)


@pytest.mark.parametrize("size", SIZES)
def test_review_after_a_test_send_with_a_new_password_unsaved(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def sent(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, WizardApp)
        app.go("login")
        await settle(pilot)
        app.screen.query_one("#login-password", Input).value = PASSWORD
        app.go("review")
        await settle(pilot)
        app.screen.query_one("#review-to", Input).value = "you@example.com"
        await pilot.press("ctrl+t")
        await quiet(pilot)
        app.screen.query_one("#review-send-message").scroll_visible(animate=False)
        await pilot.pause()

    shows(snap_compare, fixed_app(opened_saved()), size, sent)


# -- dialogs and failures -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_export_asks_for_a_format_and_a_file(snap_compare: Compare, size: tuple[int, int]) -> None:
    async def export(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

    shows(snap_compare, fixed_app(opened_saved()), size, export)


@pytest.mark.parametrize("size", SIZES)
def test_export_shows_where_it_wrote_and_the_snippet_without_wrapping(
    snap_compare: Compare, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)

    async def exported(pilot: Pilot[Any]) -> None:
        await quiet(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("enter")
        await quiet(pilot)

    shows(snap_compare, fixed_app(opened_saved()), size, exported)


@pytest.mark.parametrize("size", SIZES)
def test_leaving_with_unsaved_changes_asks_first(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def leave(pilot: Pilot[Any]) -> None:
        await pilot.press(*FROM_ADDRESS)
        await quiet(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)

    shows(snap_compare, fixed_app(), size, leave)


@pytest.mark.parametrize("size", SIZES)
def test_a_check_that_breaks_is_a_message_on_screen_not_a_crash(
    snap_compare: Compare, size: tuple[int, int]
) -> None:
    async def broken(pilot: Pilot[Any]) -> None:
        await settle(pilot)  # the toast saying what broke stays in the picture

    app = fixed_app(sendgrid_draft(), start="port", core=FixedCore(broken=["probe"]))
    shows(snap_compare, app, size, broken)
