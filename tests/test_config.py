"""The config file: validation names file, key and what is allowed; saves lose nothing."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from smtp_wizard import config
from smtp_wizard.config import Config, EnvRef, KeyringRef, Profile
from smtp_wizard.errors import ConfigError, UsageError

VALID = """\
version = 1
id = "5f0c2b9e4d7a"
default_profile = "default"
team = "mail-ops"                      # a key this version does not know

[future_section]
colour = "blue"

[profiles.default]
provider = "zeptomail"
host = "smtp.zeptomail.com"
port = 587
security = "starttls"
username = "emailapikey"
password = { keyring = "smtp-wizard", key = "5f0c2b9e4d7a/default" }
from_address = "noreply@example.com"
from_name = "Example"
domain = "example.com"
dkim_selectors = ["zmail"]
pool = { size = 3, names = ["a", "b"] }  # unknown, nested

[profiles.staging]
host = "localhost"
port = 2525
security = "none"
password = { env = "SMTP_PASSWORD" }
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_every_field_of_a_valid_file(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path / "smtp-wizard.toml", VALID))
    default = cfg.profile()
    assert cfg.id == "5f0c2b9e4d7a"
    assert default.host == "smtp.zeptomail.com"
    assert default.port == 587
    assert default.password == KeyringRef("smtp-wizard", "5f0c2b9e4d7a/default")
    assert default.dkim_selectors == ["zmail"]
    assert cfg.profile("staging").password == EnvRef("SMTP_PASSWORD")
    unknown = sorted(w.split("`")[1] for w in cfg.warnings)
    assert all("unknown key" in w for w in cfg.warnings)
    assert "profiles.default.pool" in unknown and "future_section" in unknown


def test_round_trip_keeps_unknown_keys_and_values(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID)
    before = tomllib.loads(VALID)
    config.save(config.load(path))
    after = tomllib.loads(path.read_text(encoding="utf-8"))
    assert after == before


def test_saved_file_starts_with_a_comment_saying_it_holds_no_secrets(tmp_path: Path) -> None:
    cfg = Config.new(tmp_path / "smtp-wizard.toml")
    cfg.profiles["default"] = Profile(name="default", host="smtp.example.com", port=465)
    config.save(cfg)
    text = cfg.path.read_text(encoding="utf-8")
    assert text.startswith("# Written by smtp-wizard.")
    assert "holds no secrets" in text.splitlines()[0] + text.splitlines()[1]


def test_save_keeps_the_previous_file_as_a_backup(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID)
    cfg = config.load(path)
    cfg.profile().port = 465
    backup = config.save(cfg).backup
    assert backup == tmp_path / "smtp-wizard.toml.bak"
    assert backup.read_text(encoding="utf-8") == VALID
    assert config.load(path).profile().port == 465


def test_save_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    config.save(Config.new(folder / "smtp-wizard.toml"))
    assert sorted(p.name for p in folder.iterdir()) == ["smtp-wizard.toml"]


def test_new_configs_get_distinct_random_ids(tmp_path: Path) -> None:
    ids = {Config.new(tmp_path / "x.toml").id for _ in range(20)}
    assert len(ids) == 20
    assert Config.new(tmp_path / "x.toml").keyring_ref("default").key.endswith("/default")


def test_corrupt_file_names_line_and_column_and_is_never_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID)
    write(tmp_path / "smtp-wizard.toml.bak", VALID)
    broken = VALID.replace("port = 587", "port = 587 587")
    write(path, broken)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert "line 12, column 12" in message
    assert "smtp-wizard.toml.bak" in message
    with pytest.raises(ConfigError):
        config.save(Config.new(path))
    assert path.read_text(encoding="utf-8") == broken


def test_file_that_is_not_utf8_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "smtp-wizard.toml"
    path.write_bytes(b'host = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        config.load(path)


def test_unreadable_path_is_explained(tmp_path: Path) -> None:
    folder = tmp_path / "smtp-wizard.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a directory, not a regular file"):
        config.load(folder)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No config file") as caught:
        config.load(tmp_path / "nope.toml")
    assert "config init" in caught.value.hint and "--config" in caught.value.hint


@pytest.mark.parametrize(
    ("line", "replacement", "key", "allowed"),
    [
        ("port = 587", "port = 0", "profiles.default.port", "1 to 65535"),
        ("port = 587", "port = 70000", "profiles.default.port", "1 to 65535"),
        ("port = 587", 'port = "abc"', "profiles.default.port", "not a number"),
        ("port = 587", "port = true", "profiles.default.port", "not a number"),
        ('security = "starttls"', 'security = "tls"', "profiles.default.security", "starttls"),
        (
            'host = "smtp.zeptomail.com"',
            'host = "smtp zepto.com"',
            "profiles.default.host",
            "space",
        ),
        (
            'host = "smtp.zeptomail.com"',
            'host = "smtp.zepto\\u0000.com"',
            "profiles.default.host",
            "U+0000",
        ),
        ('host = "smtp.zeptomail.com"', 'host = "-bad-.com"', "profiles.default.host", "hyphen"),
        (
            'from_address = "noreply@example.com"',
            'from_address = "noreply"',
            "profiles.default.from_address",
            "name@example.com",
        ),
        (
            'from_name = "Example"',
            'from_name = "Ex\\r\\nBcc: x@evil.test"',
            "profiles.default.from_name",
            "carriage return",
        ),
        ('team = "mail-ops"', 'team = "mail\\nops"', "team", "line feed"),
        ('colour = "blue"', 'colour = "bl\\u001bue"', "future_section.colour", "U+001B"),
        ('username = "emailapikey"', 'username = "a\\tb"', "profiles.default.username", "tab"),
        (
            'dkim_selectors = ["zmail"]',
            'dkim_selectors = "zmail"',
            "profiles.default.dkim_selectors",
            "list",
        ),
        (
            'dkim_selectors = ["zmail"]',
            'dkim_selectors = ["z mail"]',
            "profiles.default.dkim_selectors[0]",
            "DKIM selector",
        ),
        (
            'default_profile = "default"',
            'default_profile = "prod"',
            "default_profile",
            "names no profile",
        ),
        ('id = "5f0c2b9e4d7a"', 'id = "../../etc"', "id", "hex"),
        (
            'password = { env = "SMTP_PASSWORD" }',
            'password = { env = "1BAD" }',
            "profiles.staging.password.env",
            "environment variable",
        ),
        (
            'password = { env = "SMTP_PASSWORD" }',
            'password = { file = "/tmp/pw" }',
            "profiles.staging.password",
            "env =",
        ),
    ],
)
def test_bad_values_name_the_file_the_key_and_what_is_allowed(
    tmp_path: Path, line: str, replacement: str, key: str, allowed: str
) -> None:
    assert line in VALID
    path = write(tmp_path / "smtp-wizard.toml", VALID.replace(line, replacement, 1))
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"`{key}`" in message
    assert allowed in message


def test_a_clear_text_password_in_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = VALID.replace('password = { env = "SMTP_PASSWORD" }', 'password = "hunter2-secret"')
    path = write(tmp_path / "smtp-wizard.toml", text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert "clear text" in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)
    assert "config set-password" in caught.value.hint


def test_an_ip_address_host_is_accepted_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID.replace("smtp.zeptomail.com", "192.0.2.7"))
    cfg = config.load(path)
    assert cfg.profile().host == "192.0.2.7"
    assert len([w for w in cfg.warnings if "unknown key" not in w]) == 1
    assert "certificates name hosts" in cfg.warnings[0]


def test_an_internationalised_host_is_stored_in_its_ascii_form(tmp_path: Path) -> None:
    path = write(
        tmp_path / "smtp-wizard.toml", VALID.replace("smtp.zeptomail.com", "mail.bücher.example")
    )
    assert config.load(path).profile().host == "mail.xn--bcher-kva.example"


def test_a_newer_format_version_is_not_touched(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID.replace("version = 1", "version = 9"))
    with pytest.raises(ConfigError, match="newer smtp-wizard"):
        config.load(path)


def test_unknown_profile_lists_the_known_ones(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path / "smtp-wizard.toml", VALID))
    with pytest.raises(UsageError) as caught:
        cfg.profile("prod")
    assert "default, staging" in caught.value.hint


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = write(tmp_path / "smtp-wizard.toml", VALID)
    path.chmod(0o640)
    config.save(config.load(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_save_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    cfg = Config.new(tmp_path / "missing" / "smtp-wizard.toml")
    with pytest.raises(UsageError, match="Cannot write"):
        config.save(cfg)
    assert not (tmp_path / "missing").exists()
