"""Running the wizard again: a saved config opens on its review with every check re-run, a
change saves only that change, a corrupt file is refused as the command line refuses it,
and profiles can be switched and deleted (the keyring entry goes with them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import pytest

from smtp_wizard import cli
from smtp_wizard import config as configuration
from smtp_wizard.checks.model import Status
from smtp_wizard.errors import ConfigError
from smtp_wizard.tui import run_wizard
from smtp_wizard.tui.state import step_of
from smtp_wizard.tui.widgets.modals import ConfirmScreen, ProfilesScreen
from smtp_wizard.tui.widgets.results import ResultList
from tests.keyring_daemon import SecretServiceSession
from tests.smtp_servers import PASSWORD, USERNAME
from tests.test_tui_support import SIZE, paste, settle, statuses, wizard

SAVED = """\
# my notes about this file
version = 1
id = "0123456789ab"
default_profile = "default"
team = "payments"

[profiles.default]
host = "smtp.example.test"
port = {port}
security = "starttls"
username = "{username}"
password = {{ env = "TUI_TEST_PASSWORD" }}
from_address = "noreply@example.test"
"""


@pytest.fixture
def saved(tmp_path: Path, smtpd, certs, monkeypatch: pytest.MonkeyPatch) -> Path:
    server = smtpd(starttls=certs.good())
    monkeypatch.setenv("TUI_TEST_PASSWORD", PASSWORD)
    path = tmp_path / "smtp-wizard.toml"
    path.write_text(SAVED.format(port=server.port, username=USERNAME))
    return path


def test_a_saved_config_opens_on_its_review_with_every_check_run(saved: Path, certs, dns) -> None:
    async def scenario() -> None:
        app = wizard(saved, nameservers=(dns.nameserver,), cafile=certs.cafile, timeout=3.0)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.current == "review"
            shown = statuses(app, "review-results")
            for check_id in ("dns.host", "smtp.tls", "tls.certificate", "smtp.auth"):
                assert shown[check_id] is Status.PASS, check_id
            assert {"dns.mx", "dns.spf", "dns.dmarc"} <= set(shown)
            listing = app.query_one("#review-results", ResultList)
            first = listing.current  # the cursor starts on the first failing row
            assert first is not None and first.result is not None and first.result.failed
            await pilot.press("enter")  # and it leads to its step
            await pilot.pause()
            assert app.current == step_of(first.id)

    asyncio.run(scenario())


def test_a_change_saves_only_that_change_and_keeps_the_rest(saved: Path, certs, dns) -> None:
    before = saved.read_text()

    async def scenario() -> None:
        app = wizard(
            saved, nameservers=(dns.nameserver,), cafile=certs.cafile, timeout=2.0, start="sender"
        )
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await paste(pilot, "Payments", into="#sender-name")
            assert app.draft.dirty
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not app.draft.dirty

    asyncio.run(scenario())
    after = saved.read_text()
    assert after.replace('from_name = "Payments"\n', "") == before
    assert (saved.parent / "smtp-wizard.toml.bak").read_text() == before


def test_a_corrupt_config_is_refused_with_the_cli_message_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "smtp-wizard.toml"
    path.write_text('version = 1\n[profiles.default\nhost = "x"\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError) as loading:
        configuration.load(path)
    with pytest.raises(ConfigError) as opening:
        run_wizard(config_path=path)
    assert str(opening.value) == str(loading.value)
    assert cli.main(["--config", str(path)]) == 2
    assert loading.value.message in capsys.readouterr().err
    assert path.read_bytes() == before
    assert not (tmp_path / "smtp-wizard.toml.bak").exists()


def test_deleting_a_profile_asks_and_removes_its_keyring_entry(
    tmp_path: Path, secret_service: SecretServiceSession
) -> None:
    path = tmp_path / "smtp-wizard.toml"
    path.write_text(
        'version = 1\nid = "0123456789ab"\ndefault_profile = "default"\n\n'
        '[profiles.default]\nhost = "smtp.example.test"\n\n'
        '[profiles.staging]\nhost = "smtp.staging.test"\n'
        'password = { keyring = "smtp-wizard", key = "0123456789ab/staging" }\n'
    )
    keyring.set_password("smtp-wizard", "0123456789ab/staging", "staging-secret")

    async def scenario() -> None:
        app = wizard(path, nameservers=("127.0.0.1:9",), timeout=1.0, start="start")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.run_action("profiles")
            await pilot.pause()
            assert isinstance(app.screen, ProfilesScreen)
            await pilot.press("down")  # staging
            await pilot.click("#profile-delete")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)  # deleting asks
            await pilot.press("enter")
            await pilot.pause()
            assert app.draft.profiles() == ["default"]
            app.workers.cancel_all()

    asyncio.run(scenario())
    assert "staging" not in path.read_text()
    assert keyring.get_password("smtp-wizard", "0123456789ab/staging") is None
