"""`smtp-wizard config init/set/unset/list/show/delete-password`, as a user runs them.

Every test runs the real command in a subprocess, in the temporary folder the autouse
fixture gives it, and reads back the file it wrote with the real loader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtp_wizard import config
from smtp_wizard.secret_store import SecretStore

TOML = Path("smtp-wizard.toml")


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "smtp_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def clean(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr


def test_init_fills_what_the_preset_knows_and_saves_the_id_once() -> None:
    result = run("config", "init", "--provider", "sendgrid", "--from", "app@example.com")
    clean(result)
    saved = config.load(TOML)
    profile = saved.profile()
    assert (profile.provider, profile.host, profile.port, profile.security) == (
        "sendgrid",
        "smtp.sendgrid.net",
        587,
        "starttls",
    )
    assert profile.username == "apikey"
    assert profile.from_address == "app@example.com"
    assert f'id = "{saved.id}"' in TOML.read_text()
    assert "config set-password" in result.stderr  # the next step is named
    first, second = run("config", "show"), run("config", "show")
    clean(first)
    assert first.stdout == second.stdout
    assert saved.id in first.stdout


def test_a_file_written_by_hand_without_an_id_never_shows_a_different_one() -> None:
    TOML.write_text('[profiles.default]\nhost = "smtp.example.test"\n')
    outputs = {run("config", "show").stdout for _ in range(2)}
    assert len(outputs) == 1
    assert "none yet" in outputs.pop()
    clean(run("config", "set", "port", "2525"))
    saved = config.load(TOML)
    assert saved.id_saved
    assert saved.id in run("config", "show").stdout


def test_init_refuses_to_overwrite_and_adds_profiles_with_profile() -> None:
    clean(run("config", "init", "--host", "smtp.example.test"))
    again = run("config", "init", "--host", "smtp.other.test")
    clean(again, 2)
    assert "already exists" in again.stderr and "--profile NAME" in again.stderr
    clean(
        run("config", "init", "--profile", "staging", "--provider", "zeptomail", "--region", "EU")
    )
    saved = config.load(TOML)
    assert set(saved.profiles) == {"default", "staging"}
    assert saved.default_profile == "default"
    assert saved.profiles["staging"].host == "smtp.zeptomail.eu"
    assert saved.profiles["staging"].username == "emailapikey"
    assert saved.profiles["default"].port == 587


def test_readme_staging_example_works_on_a_fresh_folder(secret_service: object) -> None:
    clean(run("config", "init", "--provider", "sendgrid"))
    clean(run("config", "init", "--profile", "staging", "--provider", "mailgun"))
    stored = run(
        "config", "set-password", "--profile", "staging", "--password-stdin", stdin="tok\n"
    )
    clean(stored)
    saved = config.load(TOML)
    ref = saved.profiles["staging"].password
    assert ref == saved.keyring_ref("staging")
    assert SecretStore(ref.service).get(ref.key).reveal() == "tok"
    deleted = run("config", "delete-password", "--profile", "staging")
    clean(deleted)
    assert "Deleted" in deleted.stderr
    assert SecretStore(ref.service).get(ref.key) is None
    assert config.load(TOML).profiles["staging"].password is None
    again = run("config", "delete-password", "--profile", "staging")
    clean(again)
    assert "held no password" in again.stderr


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", "abc", "not a port number"),
        ("port", "70000", "1 to 65535"),
        ("security", "tls", "starttls"),
        ("host", "smtp example.com", "space"),
        ("from_address", "not-an-address", "name@example.com"),
        ("password", "hunter2", "never the password itself"),
        ("default_profile", "nope", "no profile 'nope'"),
    ],
)
def test_set_validates_as_loading_does_and_changes_nothing_when_refused(
    key: str, value: str, expected: str
) -> None:
    clean(run("config", "init", "--host", "smtp.example.test"))
    before = TOML.read_bytes()
    result = run("config", "set", key, value)
    clean(result, 2)
    assert expected in result.stderr
    assert TOML.read_bytes() == before
    if key == "password":
        assert "hunter2" not in result.stderr


def test_set_and_unset_change_one_value_and_keep_the_rest() -> None:
    clean(run("config", "init", "--provider", "sendgrid"))
    TOML.write_text(TOML.read_text() + 'future_key = "kept"\n')
    clean(run("config", "set", "from", "app@example.com"))
    clean(run("config", "set", "dkim_selectors", "s1, s2"))
    clean(run("config", "set", "password", "env:SENDGRID_KEY"))
    clean(run("config", "unset", "port"))
    profile = config.load(TOML).profile()
    assert profile.from_address == "app@example.com"
    assert profile.dkim_selectors == ["s1", "s2"]
    assert profile.password == config.EnvRef("SENDGRID_KEY")
    assert profile.port is None
    assert profile.extra == {"future_key": "kept"}
    typo = run("config", "set", "from_adress", "x@example.com")
    clean(typo, 2)
    assert "Did you mean `from_address`?" in typo.stderr


def test_list_names_every_profile_and_the_default() -> None:
    clean(run("config", "init", "--provider", "sendgrid"))
    clean(run("config", "init", "--profile", "eu", "--provider", "mailgun", "--region", "EU"))
    listed = run("config", "list")
    clean(listed)
    assert "* default" in listed.stdout and "smtp.sendgrid.net:587" in listed.stdout
    assert "eu" in listed.stdout and "smtp.eu.mailgun.org" in listed.stdout
    document = json.loads(run("config", "list", "--json").stdout)
    assert [p["name"] for p in document["profiles"]] == ["default", "eu"]
    assert document["profiles"][0]["default"] is True


def test_an_unknown_key_is_kept_and_reported_with_the_key_meant() -> None:
    TOML.write_text(
        'version = 1\nid = "0123456789ab"\n[profiles.default]\nhost = "smtp.example.test"\n'
        'from_adress = "app@example.com"\n'
    )
    shown = run("config", "show")
    clean(shown)
    assert "unknown key `profiles.default.from_adress`" in shown.stderr
    assert "did you mean `from_address`?" in shown.stderr
    clean(run("config", "set", "port", "2525"))
    assert config.load(TOML).profile().extra == {"from_adress": "app@example.com"}


def test_a_toml_date_in_a_profile_is_shown_not_a_crash() -> None:
    TOML.write_text(
        '[profiles.default]\nhost = "smtp.example.test"\nrenewed = 2026-01-31\n'
        "at = 2026-01-31T10:00:00Z\n"
    )
    shown = run("config", "show")
    clean(shown)
    assert "renewed = 2026-01-31" in shown.stdout
    as_json = run("config", "show", "--json")
    clean(as_json)
    assert json.loads(as_json.stdout)["profiles"]["default"]["renewed"] == "2026-01-31"


def test_a_config_nested_hundreds_deep_is_refused_with_a_message() -> None:
    TOML.write_text("[profiles.default]\nx = " + "[" * 600 + "]" * 600 + "\n")
    result = run("config", "show")
    clean(result, 2)
    assert "nest" in result.stderr
    TOML.write_text("[profiles.default]\nx = " + "[" * 40 + "]" * 40 + "\n")
    result = run("config", "show")
    clean(result, 2)
    assert "more than 32 levels" in result.stderr


def test_default_profile_missing_says_what_line_to_add() -> None:
    TOML.write_text('[profiles.prod]\nhost = "smtp.example.test"\n')
    shown = run("config", "show")
    clean(shown)
    assert 'default_profile = "prod"' in shown.stderr
    result = run("export", "--output", "-")
    clean(result, 2)
    assert 'Add default_profile = "prod"' in result.stderr
    clean(run("export", "--output", "-", "--profile", "prod"))


def test_hints_name_the_config_file_in_use() -> None:
    other = Path("staging.toml")
    clean(run("config", "init", "--config", str(other), "--host", "smtp.example.test"))
    result = run("export", "--config", str(other), "--output", "-")
    # No username, no password: nothing to hide; the hint is not needed. Ask for a password:
    clean(run("config", "set", "--config", str(other), "username", "me"))
    result = run("export", "--config", str(other), "--output", "-")
    clean(result, 2)
    assert "smtp-wizard config set-password --config staging.toml" in result.stderr


def test_set_password_says_the_entry_was_stored_when_the_config_cannot_be_saved(
    secret_service: object,
) -> None:
    clean(run("config", "init", "--host", "smtp.example.test"))
    Path("smtp-wizard.toml.bak").mkdir()  # the backup cannot be written: the save fails
    result = run("config", "set-password", "--password-stdin", stdin="tok\n")
    clean(result, 2)
    assert "was stored in the OS keyring" in result.stderr
    assert "password = { keyring" in result.stderr


def test_a_password_that_is_not_utf8_is_refused_at_the_door() -> None:
    clean(run("config", "init", "--host", "smtp.example.test"))
    result = subprocess.run(
        [sys.executable, "-m", "smtp_wizard", "config", "set-password", "--password-stdin"],
        input=b"caf\xe9\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert b"not UTF-8" in result.stderr and b"Traceback" not in result.stderr
    assert b"keyring" not in result.stderr.split(b"\n")[0]


def test_a_config_that_is_a_device_or_a_fifo_ends_at_once_with_a_message(tmp_path) -> None:
    import time

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        started = time.monotonic()
        result = run("config", "show", "--config", path)
        clean(result, 2)
        assert "not a regular file" in result.stderr
        assert time.monotonic() - started < 10


def test_export_into_a_git_work_tree_warns_unless_the_file_is_ignored() -> None:
    subprocess.run(["git", "init", "-q", "."], check=True, timeout=30)
    clean(run("config", "init", "--host", "smtp.example.test", "--password-env", "APP_PW"))
    clean(run("config", "set", "username", "me"))
    env = {"APP_PW": "tok"}
    exported = run("export", env=env)
    clean(exported)
    assert "not ignored" in exported.stderr and ".gitignore" in exported.stderr
    Path(".gitignore").write_text(".env\n")
    again = run("export", env=env)
    clean(again)
    assert "not ignored" not in again.stderr


def test_set_keeps_the_comments_and_layout_of_a_hand_written_file() -> None:
    text = (
        "# our mail settings: ask ops before changing\n"
        'version = 1\nid = "0123abcd4567"\ndefault_profile = "default"\n\n'
        "[profiles.default]\n"
        'host = "smtp.example.com"  # the relay\n'
        "port = 587\n"
        'security = "starttls"\n'
    )
    Path("smtp-wizard.toml").write_text(text, encoding="utf-8")
    clean(run("config", "set", "port", "2525"))
    after = Path("smtp-wizard.toml").read_text(encoding="utf-8")
    assert after == text.replace("port = 587", "port = 2525")
    assert Path("smtp-wizard.toml.bak").read_text(encoding="utf-8") == text
