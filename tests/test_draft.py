"""The wizard's model of one profile: edits, saving only what changed, the keyring, exports.

Real parts only: files in the test's own folder, the real Secret Service through the
`secret_service` fixture (without it, keyring's failing backend: no keyring at all), and
the real command line in a subprocess where a test compares with what it does.
"""

from __future__ import annotations

import difflib
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dotenv import dotenv_values

from smtp_wizard import config
from smtp_wizard.draft import ENV_SNIPPET, Draft
from smtp_wizard.errors import ConfigError, SecretError, UsageError
from smtp_wizard.secret import Secret
from smtp_wizard.secret_store import ENV_ALTERNATIVE, SecretStore

PASSWORD = "s3cr3t $HOME #x 'q' \"d\" é🔑"
TOML = Path("smtp-wizard.toml")
FROM = ("--from", "app@shop.example")

SAVED = """\
# Our mail settings. Ask Kim before changing the relay.
version = 1
id = "5f0c2b9e4d7a"
default_profile = "default"
team = "mail-ops"                      # a key this version does not know

[future_section]
colour = "blue"

# production
[profiles.default]
provider = "sendgrid"
host = "smtp.sendgrid.net"   # the US endpoint
port = 587 # submission
security = "starttls"
username = "apikey"
password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }
from_address = "noreply@example.com"
dkim_selectors = [
    "s1",  # SendGrid's first key
    "s2",
]
pool = { size = 3, names = ["a", "b"] }  # unknown, nested

# a local catcher
[profiles.staging]
host = "localhost"
port = 2525
security = "none"
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smtp_wizard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def diff(before: str, after: str) -> list[str]:
    """The changed lines, as `-old` / `+new`."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++")]


def saved_file(text: str = SAVED) -> Path:
    TOML.write_text(text)
    return TOML


def no_file_holds(secret: str, folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


# --- editing and saving only what changed --------------------------------------------------


def test_an_edit_saves_only_that_key_and_keeps_the_rest_byte_for_byte() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("port", 2525)
    assert draft.dirty
    assert draft.changes() == [("port", 587, 2525)]
    outcome = draft.save()
    after = TOML.read_text()
    assert diff(SAVED, after) == ["-port = 587 # submission", "+port = 2525 # submission"]
    assert outcome.written == ("port",)
    assert outcome.backup == config.backup_path(TOML)
    assert outcome.backup.read_text() == SAVED
    assert not draft.dirty
    assert config.load(TOML).profile().port == 2525


def test_unknown_keys_comments_and_other_profiles_survive_every_kind_of_change() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("from_name", "Example Shop")  # a key the profile does not have yet
    draft.unset("dkim_selectors")  # a multi-line value removed
    draft.edit("host", "smtp.eu.sendgrid.net")
    draft.save()
    dkim = 'dkim_selectors = [\n    "s1",  # SendGrid\'s first key\n    "s2",\n]\n'
    assert TOML.read_text() == SAVED.replace(
        '"smtp.sendgrid.net"   #', '"smtp.eu.sendgrid.net"   #'
    ).replace(dkim, 'from_name = "Example Shop"\n')
    loaded = config.load(TOML)
    assert loaded.extra == {"team": "mail-ops", "future_section": {"colour": "blue"}}
    assert loaded.profiles["default"].extra == {"pool": {"size": 3, "names": ["a", "b"]}}
    assert loaded.profiles["staging"].to_toml() == {
        "host": "localhost",
        "port": 2525,
        "security": "none",
    }


def test_an_unchanged_draft_writes_nothing() -> None:
    saved_file()
    before = TOML.stat().st_mtime_ns
    draft = Draft.open(TOML)
    draft.edit("port", "587")  # the saved value: no change
    draft.edit("host", "SMTP.SendGrid.net.")  # the same host, as loading spells it
    assert not draft.dirty
    assert draft.changes() == []
    outcome = draft.save()
    assert outcome.written == () and outcome.backup is None
    assert TOML.read_text() == SAVED
    assert TOML.stat().st_mtime_ns == before
    assert not config.backup_path(TOML).exists()


def test_an_empty_edit_drops_it_and_the_saved_value_applies_again() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("port", 465)
    draft.edit("port", "")
    assert not draft.dirty
    assert draft.get("port") == 587


def test_settings_come_from_the_one_resolution_and_name_the_field_or_the_preset() -> None:
    draft = Draft.open(TOML)  # no file yet
    draft.choose_provider("sendgrid")
    effective = draft.settings()
    assert effective.explain("host") == "host smtp.sendgrid.net — from the Twilio SendGrid preset"
    assert effective.explain("username") == "username apikey — from the Twilio SendGrid preset"
    draft.edit("port", 2525)
    assert draft.settings().explain("port") == "port 2525 — from the Port field"
    draft.edit("from", "noreply@shop.example")  # the CLI's alias works here too
    assert draft.settings().explain("domain") == (
        "domain shop.example — the domain of the from address"
    )


def test_given_is_what_was_typed_or_saved_without_the_presets_values() -> None:
    draft = Draft.open(TOML)  # no file yet
    draft.choose_provider("sendgrid")
    assert draft.get("host") == "smtp.sendgrid.net"  # the preset's
    assert draft.given("host") is None  # nobody typed or saved one
    assert draft.given("provider") == "sendgrid"
    draft.edit("from", "noreply@shop.example")
    assert draft.given("from_address") == "noreply@shop.example"
    saved_file()
    draft = Draft.open(TOML)
    assert draft.given("port") == 587
    draft.edit("port", 2525)
    assert draft.given("port") == 2525
    draft.unset("port")
    assert draft.given("port") is None


def test_choosing_another_preset_lets_it_supply_the_server_again() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.choose_provider("mailgun", region="EU")
    effective = draft.settings()
    assert (effective.provider, effective.host, effective.port) == (
        "mailgun",
        "smtp.eu.mailgun.org",
        587,
    )
    assert effective.explain("port") == "port 587 — from the Mailgun preset"
    draft.save()
    profile = config.load(TOML).profile()
    assert (profile.host, profile.port, profile.security, profile.username) == (
        "smtp.eu.mailgun.org",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("host", "smtp.example.com\r\nRCPT TO:<x@evil.test>", "control character U+000D"),
        ("from_name", "Shop\nBcc: x@evil.test", "control character U+000A"),
        ("port", "abc", "not a port number"),
        ("port", 70000, "out of range"),
        ("security", "tls", "starttls, ssl (implicit TLS) or none"),
        ("from_address", "not an address", "not an email address"),
        ("password", "hunter2", "never the password itself"),
    ],
)
def test_a_refused_value_raises_the_error_config_set_gives_and_changes_nothing(
    key: str, value: object, words: str
) -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("username", "apikey2")
    with pytest.raises(UsageError) as refused:
        draft.edit(key, value)
    with pytest.raises(UsageError) as cli:
        config.set_value(config.load(TOML), "default", key, str(value))
    assert str(refused.value) == str(cli.value)
    assert words in str(refused.value)
    assert dict(draft.edits()) == {"username": "apikey2"}
    assert draft.get(key) == getattr(config.load(TOML).profile(), key)


def test_an_unknown_provider_is_refused_with_the_nearest_preset_named() -> None:
    draft = Draft.open(TOML)
    with pytest.raises(UsageError, match="Did you mean 'sendgrid'"):
        draft.edit("provider", "sendgrd")
    assert not draft.dirty


def test_a_corrupt_config_raises_the_config_error_the_cli_shows_and_nothing_is_written() -> None:
    TOML.write_text('version = 1\n[profiles.default]\nhost = "smtp.example.com\n')
    with pytest.raises(ConfigError) as caught:
        Draft.open(TOML)
    cli = run("config", "show")
    assert cli.returncode == 2
    assert f"smtp-wizard: {caught.value.message}" in cli.stderr
    assert "line 3" in caught.value.message


def test_a_file_broken_while_editing_is_left_alone_at_save() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("port", 465)
    broken = SAVED.replace("port = 2525", "port = 2525 2526")
    TOML.write_text(broken)
    with pytest.raises(ConfigError, match="not valid TOML"):
        draft.save()
    assert TOML.read_text() == broken
    assert not config.backup_path(TOML).exists()
    assert draft.dirty  # the edit is not lost


def test_a_value_changed_on_disk_meanwhile_is_kept() -> None:
    saved_file()
    draft = Draft.open(TOML)
    draft.edit("port", 465)
    result = run("config", "set", "from_name", "Set Elsewhere")
    assert result.returncode == 0, result.stderr
    draft.save()
    profile = config.load(TOML).profile()
    assert (profile.port, profile.from_name) == (465, "Set Elsewhere")


def test_a_new_file_is_created_as_config_init_creates_it(tmp_path: Path) -> None:
    elsewhere = tmp_path / "by-the-cli"
    elsewhere.mkdir()
    cli = subprocess.run(
        [sys.executable, "-m", "smtp_wizard", "config", "init", "--provider", "sendgrid", *FROM],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    draft = Draft.open(TOML)
    assert not draft.exists and not draft.dirty
    draft.choose_provider("sendgrid")
    draft.edit("from_address", "app@shop.example")
    outcome = draft.save()
    ours, theirs = config.load(TOML), config.load(elsewhere / "smtp-wizard.toml")
    assert (ours.version, ours.default_profile) == (theirs.version, theirs.default_profile)
    assert ours.profiles["default"].to_toml() == theirs.profiles["default"].to_toml()
    assert ours.id_saved and ours.id != theirs.id
    assert TOML.read_text().startswith(config.HEADER)
    assert outcome.backup is None
    assert set(outcome.written) == set(ours.profiles["default"].to_toml())
    assert draft.exists and draft.default_profile() == "default"


# --- the password ----------------------------------------------------------------------------


def test_the_typed_password_goes_to_the_keyring_and_is_read_back(
    secret_service: object, tmp_path: Path
) -> None:
    draft = Draft.open(TOML)
    draft.choose_provider("sendgrid")
    draft.set_password(Secret(PASSWORD))
    keys = ["provider", "host", "port", "security", "username", "password"]
    assert [change[0] for change in draft.changes()] == keys
    outcome = draft.save()
    assert outcome.secret_stored and outcome.secret_problem == ""
    saved = config.load(TOML)
    ref = saved.keyring_ref("default")
    assert saved.profile().password == ref
    assert f'key = "{saved.id}/default"' in TOML.read_text()
    assert SecretStore().get(ref.key) == Secret(PASSWORD)
    assert draft.password is None and not draft.dirty
    assert Draft.open(TOML).saved_password() == (Secret(PASSWORD), "")
    no_file_holds(PASSWORD, tmp_path)


def test_a_new_password_for_a_saved_profile_changes_only_the_keyring_entry(
    secret_service: object,
) -> None:
    saved_file()
    SecretStore().set("5f0c2b9e4d7a/default", Secret("old one"))
    draft = Draft.open(TOML)
    draft.set_password(Secret(PASSWORD))
    outcome = draft.save()
    assert outcome.secret_stored and outcome.written == ()
    assert TOML.read_text() == SAVED  # the reference was already right
    assert SecretStore().get("5f0c2b9e4d7a/default") == Secret(PASSWORD)


def test_without_a_keyring_the_config_is_saved_and_the_problem_offers_the_environment(
    tmp_path: Path,
) -> None:
    # the autouse fixture leaves keyring on its failing backend: no keyring at all
    draft = Draft.open(TOML)
    draft.edit("host", "smtp.example.com")
    draft.set_password(Secret(PASSWORD))
    outcome = draft.save()
    assert not outcome.secret_stored
    assert "No OS keyring is available" in outcome.secret_problem
    assert ENV_ALTERNATIVE in outcome.secret_problem
    assert PASSWORD not in outcome.secret_problem
    profile = config.load(TOML).profile()
    assert profile.host == "smtp.example.com" and profile.password is None
    assert not draft.dirty
    assert draft.password == Secret(PASSWORD)  # still there for this session's checks
    assert draft.current_password() == (Secret(PASSWORD), "")
    no_file_holds(PASSWORD, tmp_path)


def test_the_password_is_never_shown_in_a_repr_or_an_error(tmp_path: Path) -> None:
    draft = Draft.open(TOML)
    draft.edit("host", "smtp.example.com")
    draft.set_password(Secret(PASSWORD))
    shown = [repr(draft), repr(draft.changes()), str(draft.changes())]
    shown.append(repr(draft.save()))
    with pytest.raises(UsageError) as refused:
        draft.set_password(Secret(PASSWORD + "\n"))
    shown.append(str(refused.value))
    with pytest.raises(TypeError) as wrong:
        draft.set_password(PASSWORD)  # type: ignore[arg-type]
    shown.append(str(wrong.value))
    for text in shown:
        assert PASSWORD not in text
    assert "********" in shown[0]


def test_a_password_with_a_line_break_is_refused_at_once() -> None:
    draft = Draft.open(TOML)
    with pytest.raises(UsageError, match="line break"):
        draft.set_password(Secret("abc\r\ndef"))
    assert draft.password is None and not draft.dirty


# --- profiles --------------------------------------------------------------------------------


def test_rename_moves_the_keyring_entry_and_the_default_follows(secret_service: object) -> None:
    saved_file()
    store = SecretStore()
    store.set("5f0c2b9e4d7a/default", Secret(PASSWORD))
    draft = Draft.open(TOML)
    draft.edit("port", 465)  # a pending edit goes along
    messages = draft.rename_profile("production")
    assert "Renamed profile 'default' to 'production'" in messages[0]
    assert store.get("5f0c2b9e4d7a/production") == Secret(PASSWORD)
    assert store.get("5f0c2b9e4d7a/default") is None
    saved = config.load(TOML)
    assert saved.default_profile == "production"
    assert list(saved.profiles) == ["production", "staging"]
    assert saved.profiles["production"].password == saved.keyring_ref("production")
    assert diff(SAVED, TOML.read_text()) == [
        '-default_profile = "default"',
        '+default_profile = "production"',
        "-[profiles.default]",
        "+[profiles.production]",
        '-password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }',
        '+password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/production" }',
    ]
    assert draft.profile == "production" and dict(draft.edits()) == {"port": 465}
    assert Draft.open(TOML).saved_password() == (Secret(PASSWORD), "")


def test_rename_refuses_a_taken_name_and_changes_nothing() -> None:
    saved_file()
    draft = Draft.open(TOML)
    with pytest.raises(UsageError, match="already a profile 'staging'"):
        draft.rename_profile("staging")
    with pytest.raises(UsageError, match="not a profile name"):
        draft.rename_profile("bad name")
    assert TOML.read_text() == SAVED


def test_rename_is_refused_when_the_keyring_cannot_move_the_password() -> None:
    saved_file()  # its password is in the keyring, and there is no keyring here
    draft = Draft.open(TOML)
    with pytest.raises(SecretError, match="was not renamed") as caught:
        draft.rename_profile("production")
    assert "No OS keyring is available" in str(caught.value)
    assert TOML.read_text() == SAVED
    assert draft.profile == "default"


def test_delete_removes_the_keyring_entry_and_moves_the_default(secret_service: object) -> None:
    saved_file()
    store = SecretStore()
    store.set("5f0c2b9e4d7a/default", Secret(PASSWORD))
    store.set("5f0c2b9e4d7a/staging", Secret("the other one"))
    draft = Draft.open(TOML, "staging")
    messages = draft.delete_profile("default")
    assert "Deleted profile 'default'" in messages[0]
    assert "'staging' is now the default profile." in messages
    assert any("Removed its password from the OS keyring" in m for m in messages)
    assert store.get("5f0c2b9e4d7a/default") is None
    assert store.get("5f0c2b9e4d7a/staging") == Secret("the other one")
    saved = config.load(TOML)
    assert list(saved.profiles) == ["staging"] and saved.default_profile == "staging"
    assert saved.extra == {"team": "mail-ops", "future_section": {"colour": "blue"}}
    after = TOML.read_text()
    assert "# a local catcher\n[profiles.staging]" in after  # its comment stays with it
    assert "# production" not in after  # the deleted table's own comment goes with it
    assert draft.profiles() == ["staging"]


def test_deleting_the_profile_being_edited_turns_the_draft_to_the_default() -> None:
    saved_file(
        SAVED.replace('password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }\n', "")
    )
    draft = Draft.open(TOML, "staging")
    draft.edit("port", 2526)
    messages = draft.delete_profile("staging")
    assert messages[-1] == "Now editing profile 'default'."
    assert draft.profile == "default" and not draft.dirty


def test_a_profile_deleted_without_a_keyring_says_its_entry_could_not_be_removed() -> None:
    saved_file()
    messages = Draft.open(TOML, "staging").delete_profile("default")
    assert "staging" in config.load(TOML).profiles and "default" not in config.load(TOML).profiles
    assert any(
        "entry '5f0c2b9e4d7a/default' could not be removed" in m and "No OS keyring" in m
        for m in messages
    )


def test_a_profile_not_saved_yet_is_renamed_in_the_draft_only() -> None:
    draft = Draft.open(TOML)
    draft.edit("host", "smtp.example.com")
    assert draft.rename_profile("production") == [
        "Profile 'default' is now called 'production' (not saved yet)."
    ]
    assert not TOML.exists()
    draft.save()
    saved = config.load(TOML)
    assert saved.default_profile == "production"
    assert saved.profile().host == "smtp.example.com"


def test_a_host_given_as_an_address_is_taken_with_the_warning_loading_gives() -> None:
    draft = Draft.open(TOML)
    warnings = draft.edit("host", "192.0.2.10")
    assert len(warnings) == 1 and "certificates name hosts" in warnings[0]
    assert draft.get("host") == "192.0.2.10"
    assert draft.edit("host", "smtp.example.com") == []


def test_the_last_profile_is_never_deleted() -> None:
    Draft.open(TOML).save()  # nothing typed: no file
    assert not TOML.exists()
    draft = Draft.open(TOML)
    draft.edit("host", "smtp.example.com")
    draft.save()
    before = TOML.read_text()
    with pytest.raises(UsageError, match="only profile"):
        draft.delete_profile("default")
    assert TOML.read_text() == before


def test_add_switch_and_make_default() -> None:
    saved_file()
    draft = Draft.open(TOML)
    added = draft.add_profile("eu")
    assert added.dirty and added.profiles() == ["default", "staging", "eu"]
    with pytest.raises(UsageError, match="already a profile"):
        draft.add_profile("staging")
    added.choose_provider("mailgun", region="EU")
    added.save()
    added.make_default()
    saved = config.load(TOML)
    assert saved.default_profile == "eu"
    assert saved.profiles["eu"].host == "smtp.eu.mailgun.org"
    assert TOML.read_text().startswith(SAVED.replace('"default"\nteam', '"eu"\nteam'))
    other = added.switch("staging")
    assert other.profile == "staging" and other.get("port") == 2525


# --- export ----------------------------------------------------------------------------------


def test_export_writes_what_the_cli_writes_merging_into_the_env_with_mode_0600() -> None:
    saved_file(
        SAVED.replace(
            '{ keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }', '{ env = "SMTP_PASSWORD" }'
        )
    )
    existing = "# the app's own\nDEBUG=1\nEMAIL_HOST=old.example.com\n"
    Path("ours.env").write_text(existing)
    Path("theirs.env").write_text(existing)
    os.environ["SMTP_PASSWORD"] = PASSWORD
    try:
        outcome = Draft.open(TOML).export("django", Path("ours.env"))
        cli = run("export", "--format", "django", "--output", "theirs.env")
    finally:
        del os.environ["SMTP_PASSWORD"]
    assert cli.returncode == 0, cli.stderr
    assert Path("ours.env").read_text() == Path("theirs.env").read_text()
    assert stat.S_IMODE(Path("ours.env").stat().st_mode) == 0o600
    assert Path("ours.env").read_text().startswith("# the app's own\nDEBUG=1\nEMAIL_HOST=smtp")
    assert "EMAIL_HOST = os.environ" in outcome.snippet
    assert PASSWORD not in outcome.snippet + outcome.preview + repr(outcome)
    assert "EMAIL_HOST_PASSWORD='<hidden>'" in outcome.preview


def test_export_of_env_beside_the_config_with_the_typed_password(tmp_path: Path) -> None:
    folder = tmp_path / "app" / "deploy"
    folder.mkdir()
    draft = Draft.open(folder / "smtp-wizard.toml")
    draft.choose_provider("sendgrid")
    draft.set_password(Secret(PASSWORD))
    outcome = draft.export("env")
    assert outcome.path == folder / ".env"
    written = dotenv_values(outcome.path)
    assert (written["SMTP_HOST"], written["SMTP_PASSWORD"]) == ("smtp.sendgrid.net", PASSWORD)
    assert outcome.snippet == ENV_SNIPPET
    assert "SMTP_URL='smtp://apikey:<hidden>@smtp.sendgrid.net:587'" in outcome.preview


def test_export_without_a_readable_password_says_why() -> None:
    saved_file()  # keyring reference, no keyring here
    with pytest.raises(SecretError, match="No OS keyring is available"):
        Draft.open(TOML).export("env")
    assert not Path(".env").exists()


# --- the writer behind save (config.save_changes) ----------------------------------------------


def test_crlf_line_endings_and_a_password_subtable_are_handled_in_place() -> None:
    text = (
        SAVED.replace('password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }\n', "")
        + '\n[profiles.default.password]\nenv = "OLD"\n'
    )
    TOML.write_bytes(text.replace("\n", "\r\n").encode())
    draft = Draft.open(TOML)
    draft.edit("password", "env:NEW")
    draft.save()
    after = TOML.read_bytes().decode()
    assert "\n" not in after.replace("\r\n", "")
    assert 'password = { env = "NEW" }\r\n' in after
    assert "[profiles.default.password]" not in after
    assert config.load(TOML).profile().password == config.EnvRef("NEW")


def test_a_layout_beyond_the_in_place_editor_is_written_whole_with_a_warning() -> None:
    TOML.write_text(
        'version = 1\nid = "5f0c2b9e4d7a"\n# dotted keys\n'
        'profiles.default.host = "smtp.example.com"\nprofiles.default.pool = 3\n'
    )
    draft = Draft.open(TOML)
    draft.edit("port", 2525)
    outcome = draft.save()
    assert any("written whole" in w and "comments were not" in w for w in outcome.warnings)
    saved = config.load(TOML)
    assert saved.profile().port == 2525
    assert saved.profile().extra == {"pool": 3}
    assert tomllib.loads(TOML.read_text())["profiles"]["default"]["host"] == "smtp.example.com"
