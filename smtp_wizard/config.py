"""The config file `smtp-wizard.toml`: model, validation, and a save that loses nothing.

The file holds where the password lives, never the password. Loading validates every
field and names the file, the key and what is allowed; keys this version does not know
are carried through a load/save round trip untouched. Saving is atomic and keeps the
previous file as `<name>.bak`. A file that does not parse is never overwritten.
"""

from __future__ import annotations

import re
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from smtp_wizard import validate
from smtp_wizard.errors import ConfigError, UsageError
from smtp_wizard.fsutil import atomic_write

DEFAULT_PATH = Path("smtp-wizard.toml")
FORMAT_VERSION = 1
KEYRING_SERVICE = "smtp-wizard"

HEADER = (
    "# Written by smtp-wizard. This file holds no secrets: each password lives in the OS\n"
    "# keyring or in an environment variable, as its `password` entry says.\n"
    "# Edit it with `smtp-wizard` (or by hand: `smtp-wizard check` validates it).\n\n"
)

_ID = re.compile(r"^[0-9a-f]{8,64}$")
_PROFILE_KEYS = (
    "provider",
    "host",
    "port",
    "security",
    "username",
    "password",
    "from_address",
    "from_name",
    "domain",
    "dkim_selectors",
)


@dataclass(frozen=True)
class KeyringRef:
    """The password is in the OS keyring under `service` / `key`."""

    service: str
    key: str

    def to_toml(self) -> dict[str, str]:
        return {"keyring": self.service, "key": self.key}

    def describe(self) -> str:
        return f"OS keyring (service {self.service!r}, entry {self.key!r})"


@dataclass(frozen=True)
class EnvRef:
    """The password is read from the environment variable `var` when needed."""

    var: str

    def to_toml(self) -> dict[str, str]:
        return {"env": self.var}

    def describe(self) -> str:
        return f"environment variable ${self.var}"


PasswordRef = KeyringRef | EnvRef


@dataclass
class Profile:
    """One way to send mail: a server, its credentials' location, and the sender."""

    name: str
    provider: str | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    password: PasswordRef | None = None
    from_address: str | None = None
    from_name: str | None = None
    domain: str | None = None
    dkim_selectors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys this version does not know, kept so that a save does not drop them."""

    def to_toml(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key in _PROFILE_KEYS:
            value = getattr(self, key)
            if key == "password" and value is not None:
                value = value.to_toml()
            if value is None or value == []:
                continue
            table[key] = value
        table.update(self.extra)
        return table


@dataclass
class Config:
    """The whole file: its identity, its profiles, and what it did not understand."""

    path: Path
    id: str
    default_profile: str = "default"
    profiles: dict[str, Profile] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Accepted but doubtful values (e.g. a host given as an IP address)."""

    @classmethod
    def new(cls, path: Path = DEFAULT_PATH) -> Config:
        """An empty config with a fresh random id (it keeps two apps' secrets apart)."""
        return cls(path=Path(path), id=secrets.token_hex(6))

    def keyring_ref(self, profile: str) -> KeyringRef:
        """Where this file's `profile` keeps its password in the keyring."""
        return KeyringRef(KEYRING_SERVICE, f"{self.id}/{profile}")

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, or the default; an unknown name is a usage error."""
        wanted = name or self.default_profile
        try:
            return self.profiles[wanted]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise UsageError(
                f"No profile {wanted!r} in {self.path}.",
                f"Profiles in that file: {known}. Pick one with --profile NAME.",
            ) from None

    def to_toml(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": self.version,
            "id": self.id,
            "default_profile": self.default_profile,
        }
        document.update({k: v for k, v in self.extra.items() if k != "profiles"})
        document["profiles"] = {name: p.to_toml() for name, p in self.profiles.items()}
        return document


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def load(path: Path = DEFAULT_PATH) -> Config:
    """Read and validate `path`; ConfigError (exit 2) for anything wrong with it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"No config file at {path}.",
            "Write one (README.md, 'The config file' shows the format), or point to it with "
            "--config PATH.",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Cannot read {path}: {exc.strerror or exc}.",
            "Check the file's permissions, or point to another with --config PATH.",
        ) from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start}).",
            _restore_hint(path),
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, exc), _restore_hint(path)) from None
    return _from_toml(path, data)


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """`<file>, line L, column C: <what>` (Python 3.11's error has the place only in its text)."""
    text = str(exc)
    place = re.search(r"\(at line (\d+), column (\d+)\)$", text)
    if place is None:
        return f"{path} is not valid TOML: {text}."
    reason = text[: place.start()].strip()
    return f"{path}, line {place[1]}, column {place[2]}: not valid TOML: {reason}."


def _restore_hint(path: Path) -> str:
    hint = "Fix the file by hand; smtp-wizard will not overwrite a file it cannot read."
    backup = backup_path(path)
    if backup.exists():
        hint += f" The previous version is in {backup}."
    return hint


def save(config: Config) -> Path | None:
    """Write `config` atomically; return the path of the backup of the previous file.

    If the file on disk exists but does not parse, it is left alone: the user's only
    copy of a hand edit must not be replaced by ours.
    """
    path = config.path
    if path.exists():
        load(path)  # raises ConfigError for a corrupt file, before anything is written
    text = HEADER + tomli_w.dumps(config.to_toml())
    return atomic_write(path, text.encode("utf-8"), backup=True)


class _Reader:
    """Walks the parsed TOML, turning each bad value into a ConfigError that names it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(
            f"{self.path}: `{key}` is not allowed: {reason}.",
            f"Edit `{key}` in {self.path}.",
        )

    def check(self, key: str, value: Any, rule: Callable[[Any], Any]) -> Any:
        try:
            return rule(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def string(self, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, found {type(value).__name__}")
        return self.check(key, value, validate.no_control)

    def no_control_anywhere(self, key: str, value: Any) -> None:
        """Refuse control characters in every string, keys this version ignores included."""
        if isinstance(value, str):
            self.check(key, value, validate.no_control)
        elif isinstance(value, dict):
            for sub, item in value.items():
                self.check(f"{key}.{sub}" if key else sub, sub, validate.no_control)
                self.no_control_anywhere(f"{key}.{sub}" if key else sub, item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.no_control_anywhere(f"{key}[{index}]", item)


def _from_toml(path: Path, data: dict[str, Any]) -> Config:
    reader = _Reader(path)
    reader.no_control_anywhere("", data)
    data = dict(data)

    version = data.pop("version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise reader.fail("version", f"{version!r}; expected {FORMAT_VERSION}")
    if version > FORMAT_VERSION:
        raise ConfigError(
            f"{path} has version {version}, written by a newer smtp-wizard "
            f"(this one reads version {FORMAT_VERSION}).",
            "Upgrade smtp-wizard (pip install --upgrade smtp-wizard) before editing it.",
        )

    file_id = data.pop("id", None)
    if file_id is None:
        file_id = secrets.token_hex(6)
    elif not isinstance(file_id, str) or not _ID.match(file_id):
        raise reader.fail("id", f"{file_id!r}; expected 8 to 64 lower-case hex digits")

    default = data.pop("default_profile", "default")
    reader.check("default_profile", default, validate.profile_name)

    raw_profiles = data.pop("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise reader.fail("profiles", "expected tables like [profiles.default]")
    profiles = {}
    for name, table in raw_profiles.items():
        reader.check(f"profiles.{name}", name, validate.profile_name)
        if not isinstance(table, dict):
            raise reader.fail(f"profiles.{name}", "expected a table")
        profiles[name] = _profile(reader, name, table)
    if profiles and default not in profiles:
        raise reader.fail(
            "default_profile", f"{default!r} names no profile (profiles: {', '.join(profiles)})"
        )

    return Config(
        path=path,
        id=file_id,
        default_profile=default,
        profiles=profiles,
        version=version,
        extra=data,
        warnings=reader.warnings,
    )


def _profile(reader: _Reader, name: str, table: dict[str, Any]) -> Profile:
    table = dict(table)
    at = f"profiles.{name}"
    profile = Profile(name=name)

    if "provider" in table:
        profile.provider = reader.string(f"{at}.provider", table.pop("provider"))
    if "host" in table:
        host, warning = reader.check(f"{at}.host", table.pop("host"), validate.host)
        profile.host = host
        if warning:
            reader.warnings.append(f"{reader.path}: `{at}.host`: {warning}")
    if "port" in table:
        profile.port = reader.check(f"{at}.port", table.pop("port"), _strict_port)
    if "security" in table:
        profile.security = reader.check(f"{at}.security", table.pop("security"), _strict_security)
    if "username" in table:
        profile.username = reader.string(f"{at}.username", table.pop("username"))
    if "password" in table:
        profile.password = _password(reader, f"{at}.password", table.pop("password"))
    if "from_address" in table:
        profile.from_address = reader.check(
            f"{at}.from_address", table.pop("from_address"), validate.email_address
        )
    if "from_name" in table:
        profile.from_name = reader.string(f"{at}.from_name", table.pop("from_name"))
    if "domain" in table:
        profile.domain = reader.check(f"{at}.domain", table.pop("domain"), _domain)
    if "dkim_selectors" in table:
        selectors = table.pop("dkim_selectors")
        if not isinstance(selectors, list):
            raise reader.fail(f"{at}.dkim_selectors", 'expected a list such as ["s1", "s2"]')
        profile.dkim_selectors = [
            reader.check(f"{at}.dkim_selectors[{i}]", s, validate.dkim_selector)
            for i, s in enumerate(selectors)
        ]
    profile.extra = table
    return profile


def _strict_port(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number; write the port without quotes, e.g. 587")
    return validate.port(value)


def _strict_security(value: Any) -> str:
    if isinstance(value, str) and value in validate.SECURITY_MODES:
        return value
    raise ValueError(f"{value!r}; use one of starttls, ssl (implicit TLS) or none")


def _domain(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a domain")
    return validate.hostname(value)


def _password(reader: _Reader, key: str, value: Any) -> PasswordRef:
    if isinstance(value, str):
        raise ConfigError(
            f"{reader.path}: `{key}` holds a password in clear text; this file must not.",
            "Remove the line and store the password with `smtp-wizard config set-password`, "
            'or write password = { env = "SMTP_PASSWORD" } and set that variable.',
        )
    if not isinstance(value, dict):
        raise reader.fail(
            key, 'expected { keyring = "smtp-wizard", key = "..." } or { env = "VAR" }'
        )
    if set(value) == {"env"}:
        return EnvRef(reader.check(f"{key}.env", value["env"], validate.env_name))
    if set(value) == {"keyring", "key"}:
        service = reader.string(f"{key}.keyring", value["keyring"])
        entry = reader.string(f"{key}.key", value["key"])
        if not service or not entry:
            raise reader.fail(key, "keyring and key must not be empty")
        return KeyringRef(service, entry)
    raise reader.fail(key, 'expected { keyring = "smtp-wizard", key = "..." } or { env = "VAR" }')
