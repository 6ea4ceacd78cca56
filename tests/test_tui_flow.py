"""The whole wizard by keys, against the demo world: every step real, up to save and export.

The demo world (smtp_wizard.sandbox) is real servers on loopback: SMTP with STARTTLS and
implicit TLS, AUTH, DNS for the demo domain, a mailbox. The keyring is the real Secret
Service of tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from smtp_wizard.checks.model import Status
from smtp_wizard.sandbox import DemoWorld
from smtp_wizard.tui.state import STEPS
from smtp_wizard.tui.steps.port import PortPane
from smtp_wizard.tui.steps.sender import RecordTable
from smtp_wizard.tui.widgets.modals import ConfirmScreen, ExportScreen, TextScreen
from tests.keyring_daemon import SecretServiceSession
from tests.test_tui_support import (
    SIZE,
    demo_wizard,
    paste,
    rows,
    screen_text,
    settle,
    statuses,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    with DemoWorld(tmp_path / "demo") as running:
        yield running


def test_a_newcomer_walks_the_demo_from_start_to_a_saved_config_and_an_export(
    world: DemoWorld, secret_service: SecretServiceSession
) -> None:
    async def walk() -> None:
        app = demo_wizard(world)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.current == "start"
            assert "Demo" in screen_text(app)
            assert world.password in screen_text(app)  # the credentials are shown

            await pilot.press("ctrl+n")  # Host: resolved through the demo DNS
            await settle(pilot, app)
            assert statuses(app, "host-results") == {"dns.host": Status.PASS}

            await pilot.press("ctrl+n")  # Port & TLS: probed live on arrival
            await settle(pilot, app)
            port = rows(app, "port-results")
            assert port["smtp.tls"].status is Status.PASS
            assert port["tls.certificate"].status is Status.PASS
            assert "days left" in port["tls.certificate"].summary  # the typed facts' words
            await pilot.press("ctrl+d")  # discovery finds both of the demo's ports
            await settle(pilot, app)
            found = app.query_one(PortPane).reports
            assert found[(world.starttls_port, "starttls")].ok
            assert found[(world.ssl_port, "ssl")].ok
            assert "✓ works" in screen_text(app)

            await pilot.press("ctrl+n")  # Login: a wrong password first
            await settle(pilot, app)
            assert app.focused is not None and app.focused.id == "login-password"
            await pilot.press(*"nope", "ctrl+r")
            await settle(pilot, app)
            auth = rows(app, "login-results")["smtp.auth"]
            assert auth.status is Status.FAIL and "535" in auth.summary
            assert "demo password" in auth.advice
            await pilot.press("ctrl+u")
            await paste(pilot, world.password)
            await pilot.press("enter")
            await settle(pilot, app)
            assert statuses(app, "login-results") == {"smtp.auth": Status.PASS}

            await pilot.press("ctrl+n")  # Sender & DNS: the usual mistakes, then published
            await settle(pilot, app)
            dns = statuses(app, "sender-results")
            assert dns["dns.spf"] is not Status.PASS and dns["dns.dkim"] is Status.FAIL
            table = app.query_one(RecordTable)
            table.focus()
            await pilot.press("c")  # one key copies the highlighted record's value
            assert app.clipboard == table.records[0].value
            await pilot.press("ctrl+g")
            await settle(pilot, app)
            dns = statuses(app, "sender-results")
            assert dns["dns.spf"] is Status.PASS and dns["dns.dkim"] is Status.PASS

            titles = {command.title for command in app.get_system_commands(app.screen)}
            assert {f"Go to: {step.title}" for step in STEPS} <= titles
            assert {"Save", "Export", "Profiles", "Discover ports", "Test login"} <= titles
            await pilot.press("ctrl+p", *"to: R")  # Review, through the command palette
            await pilot.pause(0.2)
            await pilot.press("enter")
            await settle(pilot, app)
            assert app.current == "review"
            review = statuses(app, "review-results")
            assert review["smtp.auth"] is Status.PASS and review["dns.dkim"] is Status.PASS
            await pilot.press("ctrl+t")
            await settle(pilot, app)
            assert statuses(app, "review-results")["smtp.send"] is Status.PASS
            delivered = app.query_one("#review-delivered").render()
            assert "Subject: smtp-wizard test message" in str(delivered)
            assert len(world.mailbox.messages()) == 1

            await pilot.press("ctrl+q")  # leaving before saving asks first
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("escape")  # stay
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, ConfirmScreen)

            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not app.draft.dirty

            await pilot.press("ctrl+o")
            await pilot.pause()
            assert isinstance(app.screen, ExportScreen)
            await pilot.press("enter")  # env, into the demo's folder
            await settle(pilot, app)
            assert isinstance(app.screen, TextScreen)  # where it went and what to paste
            await pilot.press("escape")
            await pilot.press("ctrl+q")  # saved: leaves at once
            await pilot.pause()
        assert app.return_code == 0

    asyncio.run(walk())

    saved = tomllib.loads((world.folder / "smtp-wizard.toml").read_text())
    profile = saved["profiles"]["default"]
    assert profile["provider"] == "demo"
    assert profile["username"] == "demo"
    assert profile["password"] == {"keyring": "smtp-wizard", "key": f"{saved['id']}/default"}
    assert world.password not in (world.folder / "smtp-wizard.toml").read_text()
    assert keyring.get_password("smtp-wizard", f"{saved['id']}/default") == world.password
    exported = (world.folder / ".env").read_text()
    assert "SMTP_HOST=smtp.mailer.test" in exported
    assert world.password in exported
