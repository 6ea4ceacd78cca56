"""The details a first-time user meets: what shows after a test send, after a broken check,
while a dialog is open, after an export, while the password is retyped, and keys typed
faster than the screen takes them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import events
from textual.widgets import Input, TextArea

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.draft import Draft
from smtp_wizard.providers import UNKNOWN, load_providers
from smtp_wizard.sandbox.world import demo_provider
from smtp_wizard.tui.steps.port import PortPane
from smtp_wizard.tui.steps.start import provider_detail
from smtp_wizard.tui.widgets.modals import ExportScreen, TextScreen
from smtp_wizard.tui.widgets.results import ResultList, in_wizard_words
from tests import smtp_servers as servers
from tests.test_tui_support import SIZE, rows, screen_text, statuses, wizard
from tests.tui_fixtures import (
    CONFIG_NAME,
    PASSWORD,
    WRONG_PASSWORD,
    FixedCore,
    fixed_app,
    quiet,
    saved_config,
    sendgrid_draft,
    settle,
)


def saved_draft() -> Draft:
    saved_config(Path.cwd())
    return Draft.open(Path(CONFIG_NAME))


def test_after_a_test_send_the_outcome_is_in_view_at_80x24() -> None:
    async def scenario() -> None:
        app = fixed_app(saved_draft())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.screen.query_one("#review-to", Input).value = "you@example.com"
            await pilot.press("ctrl+t")
            await settle(pilot)
            body = app.screen.query_one("#review .body")
            shown = app.screen.query_one("#review-send-message")
            assert "Sent to you@example.com" in str(shown.render())
            assert body.scroll_y > 0  # scrolled down to the send section
            assert shown.region.y >= body.region.y
            assert shown.region.bottom <= body.region.bottom  # and it is on screen
            assert "Sent to you@example.com" in screen_text(app)

    asyncio.run(scenario())


def test_a_broken_check_says_so_once_and_the_other_rows_say_they_did_not_run() -> None:
    async def scenario() -> None:
        app = fixed_app(sendgrid_draft(), start="port", core=FixedCore(broken=["probe"]))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            shown = app.screen.query_one("#port-results", ResultList).results()
            failed = [r for r in shown if r.status is Status.FAIL]
            assert len(failed) == 1 and shown[0] is failed[0]
            assert "broke on purpose" in failed[0].summary and failed[0].advice
            others = shown[1:]
            assert others and all(r.status is Status.SKIP for r in others)
            assert all(r.summary.startswith("not run: ") for r in others)
            assert all("broke on purpose" not in r.summary and not r.advice for r in others)

    asyncio.run(scenario())


def test_while_a_dialog_is_open_the_footer_shows_only_its_keys_and_step_keys_wait() -> None:
    async def scenario() -> None:
        app = fixed_app(saved_draft())
        async with app.run_test(size=SIZE) as pilot:
            await quiet(pilot)
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, ExportScreen)
            footer = screen_text(app).splitlines()[-1]
            assert "Close" in footer
            for other in ("Next", "Back", "Save", "Export", "Quit", "Re-run"):
                assert other not in footer, other
            await pilot.press("ctrl+n", "ctrl+q")  # nothing happens behind the dialog
            await pilot.pause()
            assert isinstance(app.screen, ExportScreen) and app.current == "review"

    asyncio.run(scenario())


def test_the_exported_snippet_is_shown_unwrapped_selectable_and_copied_whole(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)

    async def scenario() -> None:
        app = fixed_app(saved_draft())
        async with app.run_test(size=SIZE) as pilot:
            await quiet(pilot)
            await pilot.press("ctrl+o")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, TextScreen)
            area = app.screen.query_one("#snippet", TextArea)
            assert area.read_only and not area.soft_wrap
            snippet = app.exported.snippet
            assert area.text == snippet.rstrip("\n")
            longest = max(snippet.splitlines(), key=len)
            assert len(longest) > 70  # wider than the dialog: it scrolls, it does not wrap
            assert area.wrapped_document.height == len(snippet.rstrip("\n").splitlines())
            await pilot.press("c")
            assert app.clipboard == snippet

    asyncio.run(scenario())


def test_retyping_the_password_makes_the_login_untested_again() -> None:
    async def scenario() -> None:
        app = fixed_app(sendgrid_draft(), start="login")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press(*WRONG_PASSWORD, "ctrl+r")
            await settle(pilot)
            assert statuses(app, "login-results") == {"smtp.auth": Status.FAIL}
            assert app.glyphs()["login"] == "✗"
            await pilot.press("x")
            await pilot.pause()
            assert statuses(app, "login-results") == {}  # waiting: no verdict shown
            assert "· login" in screen_text(app)
            assert app.glyphs()["login"] == "·"
            assert app.glyphs()["port"] == "✓"  # the port's verdicts stand

    asyncio.run(scenario())


def test_keys_typed_faster_than_the_field_takes_them_are_tested_not_cancelled() -> None:
    async def scenario() -> None:
        app = fixed_app(sendgrid_draft(), start="login")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.focused is not None and app.focused.id == "login-password"
            driver = app._driver
            assert driver is not None
            for key in [*PASSWORD, "ctrl+r"]:  # all at once, as a terminal delivers them
                event = events.Key(key, key if len(key) == 1 else None)
                event.set_sender(app)
                driver.send_message(event)
            await settle(pilot)
            assert app.draft.password is not None and app.draft.password.reveal() == PASSWORD
            assert statuses(app, "login-results") == {"smtp.auth": Status.PASS}

    asyncio.run(scenario())


def test_no_password_asks_for_it_in_the_field_not_on_the_command_line(
    tmp_path: Path, smtpd, certs
) -> None:
    server = smtpd(starttls=certs.good())
    config = tmp_path / "smtp-wizard.toml"
    config.write_text(
        'version = 1\nid = "0123456789ab"\ndefault_profile = "default"\n\n'
        f'[profiles.default]\nhost = "localhost"\nport = {server.port}\n'
        f'security = "starttls"\nusername = "{servers.USERNAME}"\n'
    )

    async def scenario() -> None:
        app = wizard(config, cafile=certs.cafile, timeout=5.0, start="login")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+r")
            await settle(pilot)
            auth = rows(app, "login-results")["smtp.auth"]
            assert auth.status is Status.FAIL and auth.summary == "No password available"
            assert "Password field above" in auth.advice
            for cli_words in ("set-password", "--password", "config set"):
                assert cli_words not in auth.advice + auth.detail, cli_words

    asyncio.run(scenario())


def test_core_advice_in_command_line_terms_is_said_in_the_wizards_terms() -> None:
    core = CheckResult(
        "smtp.auth",
        Status.FAIL,
        "No password available",
        detail="Profile 'default' has no password: store one with `smtp-wizard config "
        "set-password`, or pass --password-stdin or --password-env VAR.",
        advice="Give it with --password-stdin or --password-env VAR, or store it with "
        "`smtp-wizard config set-password`.",
    )
    here = in_wizard_words(core, "login")
    there = in_wizard_words(core, "review")
    assert "field above" in here.advice and "Login step" in there.advice
    assert "--password" not in here.detail + here.advice + there.detail + there.advice
    read = CheckResult("smtp.auth", Status.FAIL, "No password available", detail="$X is unset")
    assert in_wizard_words(read, "login").detail == "$X is unset"  # why, when it says why
    passed = CheckResult("smtp.auth", Status.PASS, "Logged in")
    assert in_wizard_words(passed, "login") is passed


def test_a_preset_without_documentation_shows_no_docs_line_and_the_demo_says_what_it_is() -> None:
    demo = demo_provider(2587, 2465)
    assert "unknown" not in provider_detail(demo).plain
    assert "Docs: built into smtp-wizard" in provider_detail(demo).plain
    sendgrid = load_providers()["sendgrid"]
    assert f"Docs: {sendgrid.docs}" in provider_detail(sendgrid).plain
    from dataclasses import replace

    assert "Docs" not in provider_detail(replace(sendgrid, docs=UNKNOWN)).plain


def test_the_host_steps_discover_button_discovers() -> None:
    async def scenario() -> None:
        app = fixed_app(sendgrid_draft(), start="host")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.click("#host-discover")
            await settle(pilot)
            assert app.current == "port"
            assert app.screen.query_one(PortPane).reports

    asyncio.run(scenario())
