"""The config file `smtp-wizard.toml`: model, validation, and a save that loses nothing.

The file holds where the password lives, never the password. Loading validates every
field and names the file, the key and what is allowed; keys this version does not know
are carried through a load/save round trip untouched. Saving is atomic and keeps the
previous file as `<name>.bak`. A file that does not parse is never overwritten.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    "# show` validates it). Comments are kept when smtp-wizard changes a value.\n\n"
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
        return cls(path=Path(path), id=_new_id(), id_saved=False)

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


def _new_id() -> str:
    """A new config's id: 12 random hex digits (what `secrets.token_hex(6)` gives, without
    loading `secrets` at every start)."""
    return os.urandom(6).hex()


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
    import tomli_w

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
        import difflib

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
        file_id = _new_id()
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
    import difflib

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


# --- profiles: add, rename, delete (validated as loading validates) -----------------------


def _checked_profile_name(name: str) -> str:
    try:
        return validate.profile_name(name)
    except ValueError as exc:
        raise UsageError(
            f"That profile name is not allowed: {exc}.", "Nothing was changed."
        ) from None


def add_profile(config: Config, name: str) -> Config:
    """A copy of `config` with a new, empty profile `name`; UsageError for a bad or taken name.

    The first profile of a file becomes its default (as `config init` makes it).
    """
    _checked_profile_name(name)
    if name in config.profiles:
        raise UsageError(
            f"There is already a profile {name!r} in {config.path}.",
            "Pick another name. Nothing was changed.",
        )
    document = config.to_toml()
    document["profiles"][name] = {}
    if not config.profiles:
        document["default_profile"] = name
    return _revalidated(config, document, f"profiles.{name}")


def rename_profile(config: Config, old: str, new: str) -> Config:
    """A copy of `config` with profile `old` named `new`, in the same place of the file.

    `default_profile` follows the rename, and a `password` that points at the keyring
    entry this file names after `old` (`keyring_ref(old)`) now points at `keyring_ref(new)`:
    the caller moves the entry itself (`SecretStore.move`), or the reference dangles.
    UsageError for an unknown `old`, a bad `new` or one that is taken.
    """
    config.profile(old)  # the usual "no profile" error
    _checked_profile_name(new)
    if new in config.profiles:
        raise UsageError(
            f"There is already a profile {new!r} in {config.path}; profile {old!r} was not "
            "renamed.",
            "Pick another name, or delete that profile first.",
        )
    document = config.to_toml()
    document["profiles"] = {
        (new if name == old else name): table for name, table in document["profiles"].items()
    }
    table = document["profiles"][new]
    if table.get("password") == config.keyring_ref(old).to_toml():
        table["password"] = config.keyring_ref(new).to_toml()
    if document["default_profile"] == old:
        document["default_profile"] = new
    return _revalidated(config, document, f"profiles.{new}")


def delete_profile(config: Config, name: str) -> Config:
    """A copy of `config` without profile `name`; its keyring entry is the caller's to remove.

    The last profile is never deleted (a config names at least one way to send). When the
    default profile goes, the first remaining one becomes the default.
    """
    config.profile(name)
    if len(config.profiles) == 1:
        raise UsageError(
            f"Profile {name!r} is the only profile in {config.path}; it was not deleted.",
            "Add another profile first, or delete the file itself to start over.",
        )
    document = config.to_toml()
    del document["profiles"][name]
    if document["default_profile"] == name:
        document["default_profile"] = next(iter(document["profiles"]))
    return _revalidated(config, document, "default_profile")


# --- saving only what changed ------------------------------------------------------------

REWRITTEN_WARNING = (
    "{path} was written whole rather than edited in place (its layout - dotted keys, inline "
    "profile tables or very long values - is beyond the in-place editor): every value and "
    "unknown key was kept, its comments were not. The previous version is in {backup}."
)
_EDIT_LIMIT = 256 * 1024
"""Files larger than this are written whole: the in-place editor parses statement by
statement, which is quick for any real config but not for a megabyte of arrays."""
_STATEMENT_LINES = 200
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ROOT_ORDER = ("version", "id", "default_profile")


def save_changes(config: Config, *, renamed: Mapping[str, str] | None = None) -> WriteResult | None:
    """Write `config`, changing in the file only the values that differ; None: none did.

    The file is read again and compared with `config`, value by value. A changed value is
    replaced where it stands (same line, same key spelling, same trailing comment), a new
    one goes to the end of its table, a removed one goes with its lines, a removed profile
    with its tables; everything else - comments, blank lines, order, quoting, keys this
    version does not know, values changed on disk by someone else meanwhile - stays byte
    for byte. `renamed` maps old profile names to new ones, so a renamed profile keeps its
    place and comments instead of being deleted and added again.

    The edited text is parsed back and must equal `config`. Where the file's layout defeats
    the in-place edit (dotted keys, profiles as inline tables), the file is written whole
    by `save`: every value kept, comments not, and the result's warnings say so. A missing
    file is written whole (`save`), with the header `config init` writes. A file that does
    not parse raises ConfigError and is left alone, as with `save`. `.bak` keeps the
    previous version either way.
    """
    path = config.path
    if not path.exists():
        return save(config)
    before = load(path)  # ConfigError for a corrupt file, before anything is written
    wanted = config.to_toml()
    current = before.to_toml()
    renamed = dict(renamed or {})
    if renamed:
        current["profiles"] = {
            renamed.get(name, name): table for name, table in current["profiles"].items()
        }
    if current == wanted and not renamed:
        return None
    raw = read_regular_file(path, limit=MAX_SIZE, what="config file", error=ConfigError)
    try:
        text = _edited(raw.decode("utf-8"), current, wanted, renamed)
        written = _from_toml(path, tomllib.loads(text))
        if written.to_toml() != wanted:
            raise _NotInPlace("the edited text does not read back as intended")
    except (_NotInPlace, tomllib.TOMLDecodeError, ConfigError, UnicodeDecodeError, RecursionError):
        result = save(config)
        note = REWRITTEN_WARNING.format(path=path, backup=result.backup or backup_path(path))
        return WriteResult(result.path, result.backup, (*result.warnings, note))
    result = write_file(path, text.encode("utf-8"), backup=True)
    config.id_saved = True
    return result


class _NotInPlace(Exception):
    """The file's layout is beyond the in-place editor: write it whole instead."""


def _edited(
    text: str, current: dict[str, Any], wanted: dict[str, Any], renamed: Mapping[str, str]
) -> str:
    """`text` with the differences between `current` and `wanted` edited in."""
    if len(text) > _EDIT_LIMIT:
        raise _NotInPlace("too large to edit in place")
    editor = _TomlEditor(text)
    for old, new in renamed.items():
        editor.rename_table(("profiles", old), ("profiles", new))
    for key in [*wanted, *(k for k in current if k not in wanted)]:
        if key == "profiles":
            continue
        if key not in wanted:
            editor.remove((), key)
        elif current.get(key) != wanted[key]:
            editor.set((), key, wanted[key], _ROOT_ORDER)
    old_profiles, new_profiles = current["profiles"], wanted["profiles"]
    for name in old_profiles:
        if name not in new_profiles:
            editor.remove(("profiles",), name)
    for name, table in new_profiles.items():
        if name not in old_profiles:
            editor.add_table(("profiles", name), table)
            continue
        before = old_profiles[name]
        for key in [*table, *(k for k in before if k not in table)]:
            if key not in table:
                editor.remove(("profiles", name), key)
            elif before.get(key) != table[key]:
                editor.set(("profiles", name), key, table[key], PROFILE_KEYS)
    return editor.text()


@dataclass(frozen=True)
class _Item:
    """A table header or a key/value statement of the file, by its lines [start, end)."""

    header: bool
    table: tuple[str, ...]
    """A header's own path; for a statement, the table it belongs to."""
    key: tuple[str, ...]
    """A statement's dotted key, as parsed (quotes removed); () for a header."""
    start: int
    end: int
    array: bool = False
    """A header of an array of tables (`[[...]]`)."""

    @property
    def path(self) -> tuple[str, ...]:
        return self.table + self.key


class _TomlEditor:
    """Line-based edits of a TOML document that leave every other line as it was.

    The document is split into header lines and statements (a statement's extent found by
    parsing it alone, so multi-line arrays and strings are whole); anything it does not
    recognise raises _NotInPlace. The caller checks the result by parsing it.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"
        self.ended_blank = text.endswith(("\n\n", "\r\n\r\n"))
        self.items = _scan(self.lines)

    def text(self) -> str:
        lines = self.lines
        if not self.ended_blank:
            while len(lines) > 1 and not lines[-1].strip():
                lines.pop()
        return "".join(lines)

    def _replace(self, start: int, end: int, new: list[str]) -> None:
        if start > 0 and not self.lines[start - 1].endswith("\n"):
            self.lines[start - 1] += self.newline
        self.lines[start:end] = new
        self.items = _scan(self.lines)

    # -- queries

    def _header(self, path: tuple[str, ...]) -> _Item | None:
        return next((i for i in self.items if i.header and i.table == path and not i.array), None)

    def _section(self, header: _Item) -> tuple[int, int]:
        """The lines of a header's table: comments right above it, up to the next one's."""
        index = self.items.index(header)
        following = next((i for i in self.items[index + 1 :] if i.header), None)
        start = self._attached_comments(header.start, index)
        if following is None:
            return start, len(self.lines)
        return start, self._attached_comments(following.start, self.items.index(following))

    def _attached_comments(self, line: int, index: int) -> int:
        floor = self.items[index - 1].end if index > 0 else 0
        while line > floor and self.lines[line - 1].lstrip().startswith("#"):
            line -= 1
        return line

    # -- edits

    def set(self, table: tuple[str, ...], key: str, value: Any, order: tuple[str, ...]) -> None:
        path = (*table, key)
        exact = [i for i in self.items if not i.header and i.path == path]
        deeper = [
            i
            for i in self.items
            if (i.header and i.table[: len(path)] == path)
            or (not i.header and len(i.path) > len(path) and i.path[: len(path)] == path)
        ]
        if len(exact) == 1 and not deeper:
            item = exact[0]
            self._replace(item.start, item.end, [self._restated(item, value)])
            return
        if exact or deeper:
            self.remove(table, key)
        self._insert(table, key, value, order)

    def remove(self, table: tuple[str, ...], key: str) -> None:
        path = (*table, key)
        spans = [
            (i.start, i.end)
            for i in self.items
            if not i.header and i.path[: len(path)] == path and len(i.path) >= len(path)
        ]
        spans += [self._section(i) for i in self.items if i.header and i.table[: len(path)] == path]
        merged: list[list[int]] = []
        for start, end in sorted(spans):  # a table's statements lie inside its section
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            self._replace(start, end, [])

    def add_table(self, path: tuple[str, ...], table: Mapping[str, Any]) -> None:
        if any(i.path[: len(path)] == path for i in self.items):
            raise _NotInPlace(f"{'.'.join(path)} is already defined")
        block = [] if not self.lines or not self.lines[-1].strip() else [self.newline]
        block.append(_header_text(path) + self.newline)
        block += [f"{_key_text(k)} = {_inline(v)}{self.newline}" for k, v in table.items()]
        end = len(self.lines)
        self._replace(end, end, block)

    def rename_table(self, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        headers = [i for i in self.items if i.header and i.table[: len(old)] == old]
        if not headers or any(
            not i.header and len(i.table) < len(old) and i.path[: len(old)] == old
            for i in self.items
        ):
            raise _NotInPlace(f"{'.'.join(old)} is not written as its own table")
        for item in headers:
            line = self.lines[item.start]
            indent = line[: len(line) - len(line.lstrip())]
            _, rest = _parse_key(line, len(indent) + (2 if item.array else 1))
            path = new + item.table[len(old) :]
            brackets = ("[[", "]]") if item.array else ("[", "]")
            text = brackets[0] + ".".join(_key_text(p) for p in path)
            self._replace(item.start, item.end, [indent + text + rest.lstrip()])

    def _insert(self, table: tuple[str, ...], key: str, value: Any, order: tuple[str, ...]) -> None:
        own = [i for i in self.items if not i.header and i.table == table]
        if table and self._header(table) is None:
            raise _NotInPlace(f"{'.'.join(table)} has no table header of its own")
        if table:
            header = self._header(table)
            assert header is not None
            index = self.items.index(header)
            own = []
            for item in self.items[index + 1 :]:
                if item.header:
                    break
                own.append(item)
        rank = order.index(key) if key in order else len(order)
        earlier = [i for i in own if i.key[0] in order and order.index(i.key[0]) < rank]
        if earlier:
            at, like = earlier[-1].end, earlier[-1]
        elif own and key in order:
            at, like = own[0].start, own[0]
        elif own:
            at, like = own[-1].end, own[-1]
        elif table:
            at, like = self._header(table).end, None  # type: ignore[union-attr]
        else:
            first = next((i for i in self.items if i.header), None)
            at = self._attached_comments(first.start, self.items.index(first)) if first else 0
            like = None
        indent = ""
        if like is not None:
            line = self.lines[like.start]
            indent = line[: len(line) - len(line.lstrip())]
        new = [f"{indent}{_key_text(key)} = {_inline(value)}{self.newline}"]
        if not table and not own and at < len(self.lines):
            new.append(self.newline)  # a blank line between the new top and the tables
        self._replace(at, at, new)

    def _restated(self, item: _Item, value: Any) -> str:
        """The statement with a new value: its indentation, key spelling and comment kept."""
        first = self.lines[item.start]
        indent = first[: len(first) - len(first.lstrip())]
        _, rest = _parse_key(first, len(indent))
        key_text = first[len(indent) : len(first) - len(rest)].rstrip()
        comment = _trailing_comment(first) if item.end - item.start == 1 else ""
        return f"{indent}{key_text} = {_inline(value)}{comment}{self.newline}"


def _scan(lines: list[str]) -> list[_Item]:
    items: list[_Item] = []
    table: tuple[str, ...] = ()
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        if stripped.startswith("["):
            array = stripped.startswith("[[")
            path, rest = _parse_key(stripped, 2 if array else 1)
            closing = "]]" if array else "]"
            rest = rest.lstrip()
            if not rest.startswith(closing) or not _only_comment(rest[len(closing) :]):
                raise _NotInPlace("a header the editor does not read")
            table = path
            items.append(_Item(True, path, (), index, index + 1, array))
            index += 1
            continue
        key, rest = _parse_key(lines[index], 0)
        if not rest.lstrip().startswith("="):
            raise _NotInPlace("a line that is neither a header nor a key")
        end = _statement_end(lines, index)
        items.append(_Item(False, table, key, index, end))
        index = end
    return items


def _statement_end(lines: list[str], start: int) -> int:
    """The line after the statement at `start`: the first prefix that parses on its own."""
    for end in range(start + 1, min(len(lines), start + _STATEMENT_LINES) + 1):
        try:
            tomllib.loads("".join(lines[start:end]))
        except tomllib.TOMLDecodeError:
            continue
        return end
    raise _NotInPlace("a statement too long to edit in place")


def _parse_key(text: str, pos: int) -> tuple[tuple[str, ...], str]:
    """The dotted key starting at `pos` (after blanks), and the text after it."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            raise _NotInPlace("a key is missing")
        if text[pos] in "\"'":
            quote = text[pos]
            end = pos + 1
            while end < len(text) and text[end] != quote:
                end += 2 if quote == '"' and text[end] == "\\" else 1
            if end >= len(text):
                raise _NotInPlace("a quoted key is not closed")
            try:
                parts.append(tomllib.loads(f"k = {text[pos : end + 1]}")["k"])
            except tomllib.TOMLDecodeError:
                raise _NotInPlace("a quoted key the editor does not read") from None
            pos = end + 1
        else:
            match = _BARE_KEY.match(text, pos)
            if match is None:
                raise _NotInPlace("a key the editor does not read")
            parts.append(match[0])
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return tuple(parts), text[pos:]


def _only_comment(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped.startswith("#")


def _trailing_comment(line: str) -> str:
    """`  # why` at the end of a one-line statement (blanks before it kept), or ""."""
    body = line.rstrip("\r\n")
    try:
        whole = tomllib.loads(body)
    except tomllib.TOMLDecodeError:
        return ""
    for match in re.finditer("#", body):
        head = body[: match.start()]
        try:
            if tomllib.loads(head) == whole:
                return body[len(head.rstrip()) :]
        except tomllib.TOMLDecodeError:
            continue
    return ""


def _key_text(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _inline(key)


def _header_text(path: tuple[str, ...]) -> str:
    return "[" + ".".join(_key_text(part) for part in path) + "]"


def _inline(value: Any) -> str:
    """`value` as TOML on one line: tables inline, `{ keyring = "...", key = "..." }`."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key_text(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    import tomli_w

    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")
