"""The config file `smtp-wizard.toml`: model, validation, and a save that loses nothing.

The file holds where the password lives, never the password. Loading validates every
field and names the file, the key and what is allowed; keys this version does not know
are carried through a load/save round trip untouched. Saving is atomic and keeps the
previous file as `<name>.bak`. A file that does not parse is never overwritten.
"""

from __future__ import annotations

import difflib
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
from smtp_wizard.fsutil import WriteResult, read_regular_file, write_file

DEFAULT_PATH = Path("smtp-wizard.toml")
FORMAT_VERSION = 1
KEYRING_SERVICE = "smtp-wizard"

HEADER = (
    "# Written by smtp-wizard. This file holds no secrets: each password lives in the OS\n"
    "# keyring or in an environment variable, as its `password` entry says.\n"
    "# Change it with `smtp-wizard config set KEY VALUE` (or by hand: `smtp-wizard config\n"
    "# show` validates it). Comments added here are not kept when smtp-wizard saves.\n\n"
)
MAX_DEPTH = 32
"""Tables and arrays nested deeper than this are refused (no config needs more)."""
MAX_SIZE = 1 << 20
"""A config file larger than 1 MiB is refused before it is parsed."""
_TOP_KEYS = ("version", "id", "default_profile", "profiles")

_ID = re.compile(r"^[0-9a-f]{8,64}$")
PROFILE_KEYS = (
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
        for key in PROFILE_KEYS:
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
    """Accepted but doubtful values (e.g. a host given as an IP address, an unknown key)."""
    id_saved: bool = True
    """False while `id` was made up in memory (a new file, or one written by hand without
    an id): the next save writes it, and until then it names no keyring entry."""

    @classmethod
    def new(cls, path: Path = DEFAULT_PATH) -> Config:
        """An empty config with a fresh random id (it keeps two apps' secrets apart)."""
        return cls(path=Path(path), id=secrets.token_hex(6), id_saved=False)

    def keyring_ref(self, profile: str) -> KeyringRef:
        """Where this file's `profile` keeps its password in the keyring."""
        return KeyringRef(KEYRING_SERVICE, f"{self.id}/{profile}")

    def profile(self, name: str | None = None) -> Profile:
        """The named profile, or the default; an unknown name is a usage error."""
        if name is None and self.profiles and self.default_profile not in self.profiles:
            first = next(iter(self.profiles))
            raise ConfigError(
                f"{self.path} has no profile named {self.default_profile!r} and no "
                f"`default_profile` line to say which of its profiles "
                f"({', '.join(self.profiles)}) to use.",
                f'Add default_profile = "{first}" at the top of {self.path} (above the first '
                "[profiles...] table), or pick one each time with --profile NAME.",
            )
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
        raw = read_regular_file(path, limit=MAX_SIZE, what="config file", error=ConfigError)
    except FileNotFoundError:
        raise ConfigError(
            f"No config file at {path}.",
            "Create one with `smtp-wizard config init` (--provider ID or --host HOST), or "
            "point to it with --config PATH.",
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
    except RecursionError:
        raise ConfigError(
            f"{path} nests tables or arrays too deeply to read (more than {MAX_DEPTH} levels "
            "is never needed).",
            _restore_hint(path),
        ) from None
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


def save(config: Config) -> WriteResult:
    """Write `config` atomically; the result names the backup and any warnings.

    If the file on disk exists but does not parse, it is left alone: the user's only
    copy of a hand edit must not be replaced by ours.
    """
    path = config.path
    if path.exists():
        load(path)  # raises ConfigError for a corrupt file, before anything is written
    text = HEADER + tomli_w.dumps(config.to_toml())
    result = write_file(path, text.encode("utf-8"), backup=True)
    config.id_saved = True
    return result


class _Reader:
    """Walks the parsed TOML, turning each bad value into a ConfigError that names it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []

    def fail(self, key: str, reason: str) -> ConfigError:
        error = ConfigError(
            f"{self.path}: `{key}` is not allowed: {reason}.",
            f"Edit `{key}` in {self.path}.",
        )
        error.key, error.reason = key, reason
        return error

    def unknown(self, at: str, key: str, known: tuple[str, ...]) -> None:
        """Warn about a key this version does not know (it is kept, for newer versions)."""
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        meant = f"; did you mean `{close[0]}`?" if close else ""
        where = f"{at}.{key}" if at else key
        self.warnings.append(
            f"{self.path}: unknown key `{where}` (kept, but not used by this version{meant})"
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

    def no_control_anywhere(self, key: str, value: Any, depth: int = 0) -> None:
        """Refuse control characters in every string, keys this version ignores included,
        and nesting deeper than MAX_DEPTH (the walk, and a later save, recurse)."""
        if depth > MAX_DEPTH:
            raise self.fail(key, f"tables or arrays are nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, str):
            self.check(key, value, validate.no_control)
        elif isinstance(value, dict):
            for sub, item in value.items():
                self.check(f"{key}.{sub}" if key else sub, sub, validate.no_control)
                self.no_control_anywhere(f"{key}.{sub}" if key else sub, item, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.no_control_anywhere(f"{key}[{index}]", item, depth + 1)


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
    id_saved = file_id is not None
    if file_id is None:
        file_id = secrets.token_hex(6)
    elif not isinstance(file_id, str) or not _ID.match(file_id):
        raise reader.fail("id", f"{file_id!r}; expected 8 to 64 lower-case hex digits")

    default_given = "default_profile" in data
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
    if profiles and default not in profiles and not default_given:
        reader.warnings.append(
            f"{path}: no `default_profile` line and no profile named 'default': add "
            f'default_profile = "{next(iter(profiles))}" at the top, or pass --profile NAME'
        )
    if profiles and default not in profiles and default_given:
        raise reader.fail(
            "default_profile", f"{default!r} names no profile (profiles: {', '.join(profiles)})"
        )
    for key in data:
        reader.unknown("", key, _TOP_KEYS)

    return Config(
        path=path,
        id=file_id,
        default_profile=default,
        profiles=profiles,
        version=version,
        extra=data,
        warnings=reader.warnings,
        id_saved=id_saved,
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
    for key in table:
        reader.unknown(at, key, PROFILE_KEYS)
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


# --- changing one value (`config set` / `config unset`), validated as loading validates ---

_ALIASES = {"from": "from_address", "dkim_selector": "dkim_selectors", "selector": "dkim_selectors"}
_FILE_KEYS = ("default_profile",)


def canonical_key(key: str) -> str:
    """The profile key a user meant by `key` (`from` is `from_address`), or UsageError."""
    wanted = key.strip().lower().replace("-", "_")
    wanted = _ALIASES.get(wanted, wanted)
    if wanted in PROFILE_KEYS or wanted in _FILE_KEYS:
        return wanted
    choices = [*PROFILE_KEYS, *_FILE_KEYS]
    close = difflib.get_close_matches(wanted, choices, n=1, cutoff=0.6)
    meant = f"Did you mean `{close[0]}`? " if close else ""
    raise UsageError(
        f"`{key}` is not a key smtp-wizard sets.",
        f"{meant}Keys: {', '.join(choices)}.",
    )


def _typed_value(config: Config, profile: str, key: str, text: str) -> Any:
    """`text` from the command line as the TOML value loading expects for `key`."""
    if key == "port":
        try:
            return validate.port(text)
        except ValueError as exc:
            raise UsageError(
                f"`port` cannot be set to that: {exc}.", "Nothing was changed."
            ) from None
    if key == "dkim_selectors":
        return [part.strip() for part in text.split(",") if part.strip()]
    if key == "password":
        kind, _, rest = text.partition(":")
        if kind == "keyring" and not rest:
            return config.keyring_ref(profile).to_toml()
        if kind == "env" and rest:
            return {"env": rest}
        raise UsageError(
            "`password` takes where the password lives, never the password itself: "
            "env:VAR (an environment variable) or keyring (this profile's keyring entry).",
            "To store the password in the keyring: smtp-wizard config set-password.",
        )
    return text


def set_value(config: Config, profile: str, key: str, text: str) -> Config:
    """A copy of `config` with `key` of `profile` set from `text`; UsageError if not allowed.

    The whole file is validated again by the loader's own rules, so `config set` accepts
    exactly what a hand edit followed by a load would accept. A profile that does not exist
    yet is created.
    """
    key = canonical_key(key)
    document = config.to_toml()
    if key == "default_profile":
        document["default_profile"] = text
        if text not in document["profiles"]:
            known = ", ".join(document["profiles"]) or "none"
            raise UsageError(
                f"There is no profile {text!r} in {config.path} to make the default.",
                f"Profiles: {known}. Create it with `smtp-wizard config init --profile {text}`.",
            )
    else:
        if profile not in document["profiles"]:
            raise UsageError(
                f"No profile {profile!r} in {config.path}.",
                f"Create it with `smtp-wizard config init --profile {profile}`.",
            )
        document["profiles"][profile][key] = _typed_value(config, profile, key, text)
    return _revalidated(config, document, key)


def unset_value(config: Config, profile: str, key: str) -> tuple[Config, str | None]:
    """A copy of `config` without `key` in `profile`, and the key removed (None: absent)."""
    wanted = key.strip().lower().replace("-", "_")
    wanted = _ALIASES.get(wanted, wanted)
    document = config.to_toml()
    table = document["profiles"].get(profile)
    if table is None:
        config.profile(profile)  # raises the usual "no profile" error
    if wanted == "default_profile":
        raise UsageError(
            "`default_profile` cannot be removed, only changed.",
            "smtp-wizard config set default_profile NAME",
        )
    if wanted not in table:
        if wanted not in PROFILE_KEYS:
            canonical_key(key)  # unknown and absent: say what was meant
        return config, None
    del table[wanted]
    return _revalidated(config, document, wanted), wanted


def _revalidated(config: Config, document: dict[str, Any], key: str) -> Config:
    try:
        changed = _from_toml(config.path, document)
    except ConfigError as error:
        if error.reason is None:
            raise
        raise UsageError(
            f"`{error.key or key}` cannot be set to that: {error.reason}.",
            "Nothing was changed.",
        ) from None
    changed.id, changed.id_saved = config.id, config.id_saved
    return changed
