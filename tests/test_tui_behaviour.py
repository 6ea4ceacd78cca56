"""How the wizard behaves while it checks: keys never wait, wrong input never reaches the
wire, failures become messages, server text is text, every action has a key and a name."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.worker import WorkerState

from smtp_wizard.checks.model import Status
from smtp_wizard.tui.app import WizardApp
from smtp_wizard.tui.core import Core
from smtp_wizard.tui.steps.base import Note
from tests import smtp_servers as servers
from tests.test_tui_support import SIZE, paste, rows, screen_text, settle, statuses, wizard


def write_config(folder: Path, **profile: object) -> Path:
    """A saved config with one profile, written as a user (or `config init`) would."""
    lines = ['version = 1', 'id = "0123456789ab"', 'default_profile = "default"', "",
             "[profiles.default]"]  # fmt: skip
    for key, value in profile.items():
        shown = str(value) if isinstance(value, int) else f'"{value}"'
        lines.append(f"{key} = {shown}")
    path = folder / "smtp-wizard.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def probe_worker(app: WizardApp, group: str):  # type: ignore[no-untyped-def]
    return next(w for w in app.workers if w.group == group)


def test_keys_are_handled_while_a_probe_waits_on_a_silent_server(tmp_path: Path, scripted) -> None:
    silent = scripted(servers.no_banner)
    config = write_config(tmp_path, host="localhost", port=silent.port, security="starttls")

    async def scenario() -> None:
        app = wizard(config, timeout=8.0, start="port")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.2)
            waiting = probe_worker(app, "probe")
            assert waiting.state is WorkerState.RUNNING
            assert "checking…" in screen_text(app)  # the rows say they are running
            app.query_one("#port-other").focus()
            await pilot.press("2", "5")
            assert app.query_one("#port-other").value == "25"
            assert waiting.state is WorkerState.RUNNING  # the key did not wait for it
            await pilot.press("enter")  # a new port: the old probe is cancelled
            async with asyncio.timeout(3):  # (its connection says QUIT, briefly)
                while waiting.state is WorkerState.RUNNING:
                    await pilot.pause(0.05)
            assert waiting.state is WorkerState.CANCELLED
            assert app.draft.get("port") == 25
            app.workers.cancel_all()

    asyncio.run(scenario())


def test_465_with_starttls_is_explained_and_fixed_with_one_key(
    tmp_path: Path, smtpd, certs
) -> None:
    implicit = smtpd(implicit_tls=certs.good())
    config = write_config(tmp_path, host="localhost", port=implicit.port, security="starttls")

    async def scenario() -> None:
        # (a 2 s deadline: the probe waits half of it for a greeting before trying TLS)
        app = wizard(config, cafile=certs.cafile, timeout=2.0, start="port")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert rows(app, "port-results")["smtp.tls"].status is Status.FAIL
            assert "ctrl+f switches to SSL/TLS" in str(app.query_one("#port-mismatch").render())
            assert "Fix TLS mode" in screen_text(app)  # the key is in the footer
            await pilot.press("ctrl+f")
            await settle(pilot, app)
            assert app.draft.get("security") == "ssl"
            assert statuses(app, "port-results")["smtp.tls"] is Status.PASS

    asyncio.run(scenario())


def test_credentials_without_encryption_need_a_visible_confirmation(
    tmp_path: Path, scripted
) -> None:
    server = scripted(servers.recording_smtp)
    config = write_config(
        tmp_path, host="localhost", port=server.port, security="none", username="app"
    )

    async def scenario() -> None:
        app = wizard(config, timeout=4.0, start="login")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.query_one("#login-password").focus()
            await paste(pilot, "pw-in-clear")
            await pilot.press("ctrl+r")
            await settle(pilot, app)
            assert "not encrypted" in str(app.query_one("#login-password-message").render())
            assert server.received.connections == 0  # nothing was sent
            confirm = app.query_one("#login-plaintext")
            assert confirm.display
            confirm.focus()
            await pilot.press("space", "ctrl+r")
            await settle(pilot, app)
            assert statuses(app, "login-results")["smtp.auth"] is not Status.SKIP
            assert "AUTH" in server.received.verbs()

    asyncio.run(scenario())


async def bracket_banner(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    writer.write(b"554 5.7.1 [red]no[/red] entry for [b]you\r\n")
    await writer.drain()


def test_text_from_a_server_is_shown_as_text_never_as_markup(tmp_path: Path, scripted) -> None:
    server = scripted(bracket_banner)
    config = write_config(tmp_path, host="localhost", port=server.port, security="starttls")

    async def scenario() -> None:
        app = wizard(config, timeout=3.0, start="port")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot, app)
            assert rows(app, "port-results")["smtp.greeting"].failed
            assert "[red]no[/red] entry for [b]you" in screen_text(app)

    asyncio.run(scenario())


def test_the_host_is_checked_as_typed_and_an_address_warns(tmp_path: Path) -> None:
    config = write_config(tmp_path, host="smtp.example.test")

    async def scenario() -> None:
        app = wizard(config, nameservers=("127.0.0.1:9",), timeout=1.0, start="host")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            field = app.query_one("#host-input")
            message = app.query_one("#host-message", Note)
            field.focus()
            await pilot.press("ctrl+u")
            await paste(pilot, "bad host")
            assert "contains a space" in str(message.render())
            assert app.draft.get("host") == "smtp.example.test"  # not taken
            assert field.value == "bad host"  # nor lost
            await pilot.press("ctrl+u")
            await paste(pilot, "smtp\x01.example.test")
            assert "control character" in str(message.render())
            await pilot.press("ctrl+u", *"192.0.2.7")
            assert "certificates name hosts" in str(message.render())
            assert app.draft.get("host") == "192.0.2.7"
            app.workers.cancel_all()

    asyncio.run(scenario())


def test_a_failed_check_becomes_a_message_and_the_wizard_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def explode(self: Core, host: str) -> None:
        raise RuntimeError("resolver exploded")

    monkeypatch.setattr(Core, "host_addresses", explode)
    config = write_config(tmp_path, host="smtp.example.test")

    async def scenario() -> None:
        app = wizard(config, start="host")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            shown = rows(app, "host-results")["dns.host"]
            assert shown.failed and "resolver exploded" in shown.summary
            assert any("resolver exploded" in n.message for n in app._notifications)
            await pilot.press("ctrl+n")  # still alive, still moving
            assert app.current == "port"
            app.workers.cancel_all()

    asyncio.run(scenario())


def test_every_binding_has_an_id_to_remap_it_by() -> None:
    from smtp_wizard.tui.steps.review import ReviewList
    from smtp_wizard.tui.steps.sender import RecordTable
    from smtp_wizard.tui.widgets.button import ActionButton
    from smtp_wizard.tui.widgets.chrome import StepList
    from smtp_wizard.tui.widgets.modals import Dialog, TextScreen

    for owner in (WizardApp, ReviewList, RecordTable, Dialog, TextScreen, StepList, ActionButton):
        for binding in owner.BINDINGS:
            assert binding.system or binding.id, f"{owner.__name__}: {binding.key} has no id"
