"""The one settings resolution: preset, saved profile and overrides -> effective settings.

Every command (and, later, the wizard) asks this module what the host, port, security,
username, sender and domain are, and gets each value together with where it came from:
a flag, a key of the saved profile, the provider preset, a default, or a value derived from
another (the domain of the from address). Nothing else holds precedence rules, so a profile
holding only `provider = "sendgrid"` means the same in `check`, `export` and `discover`.

Precedence, highest first: overrides (flags now, the wizard's edits later), the profile,
the preset (named by `provider`, by the profile or an override; a host that belongs to a
preset lends its advice and its recommended port, not its username), then defaults
(587 STARTTLS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtp_wizard import providers
from smtp_wizard.config import (
    DEFAULT_PATH,
    PROFILE_KEYS,
    Config,
    EnvRef,
    KeyringRef,
    PasswordRef,
    Profile,
)
from smtp_wizard.errors import SecretError, UsageError
from smtp_wizard.secret import Secret

if TYPE_CHECKING:
    from smtp_wizard.checks.smtp import SmtpSettings

FIELDS = PROFILE_KEYS
"""The profile keys a user can set, in the order the config file lists them."""

FLAGS = {
    "provider": "--provider",
    "host": "--host",
    "port": "--port",
    "security": "--security",
    "username": "--username",
    "from_address": "--from",
    "from_name": "--from-name",
    "domain": "--domain",
    "dkim_selectors": "--dkim-selector",
}
"""The flag that overrides each key, for messages that name what the user typed."""

IMPLICIT_TLS_PORTS = (465, 2465)
_SUGGESTED_COMMAND = re.compile(
    r"`smtp-wizard (config [a-z-]+|check|send-test|export|discover|dns)([^`]*)`"
)


class Source(StrEnum):
    FLAG = "flag"
    PROFILE = "profile"
    PRESET = "preset"
    DEFAULT = "default"
    DERIVED = "derived"


@dataclass(frozen=True)
class Origin:
    """Where one effective value came from, as a user would say it."""

    source: Source
    label: str
    """The flag (`--port`), the TOML key (`profiles.default.port`), the preset's name, or
    for defaults and derived values the reason (`the domain of the from address`)."""

    def describe(self) -> str:
        if self.source is Source.FLAG:
            return f"from {self.label}"
        if self.source is Source.PROFILE:
            return f"from `{self.label}`"
        if self.source is Source.PRESET:
            return f"from the {self.label} preset"
        return self.label


@dataclass(frozen=True)
class Location:
    """Which file and profile the settings were read from, for hints that name them."""

    path: Path | None = None
    profile: str | None = None
    default_profile: str | None = None

    @property
    def flags(self) -> str:
        """` --config PATH --profile NAME`, as far as they differ from the defaults."""
        words = ""
        if self.path is not None and Path(self.path) != DEFAULT_PATH:
            words += f" --config {_shell_word(str(self.path))}"
        if self.profile is not None and self.profile != self.default_profile:
            words += f" --profile {self.profile}"
        return words

    def command(self, words: str) -> str:
        """A command line to suggest: `smtp-wizard WORDS` with this file's flags added."""
        return f"smtp-wizard {words}{self.flags}"

    def contextualize(self, text: str) -> str:
        """`text` with this file's flags added to every command it suggests in backticks.

        Messages from the core say `smtp-wizard config set-password`; a user working on
        `--config staging.toml --profile eu` must be told the command that works for them.
        """
        flags = self.flags
        if not flags or "smtp-wizard" not in text:
            return text

        def add(match: re.Match[str]) -> str:
            if "--config" in match[0] or "--profile" in match[0]:
                return match[0]
            return f"`smtp-wizard {match[1]}{match[2]}{flags}`"

        return _SUGGESTED_COMMAND.sub(add, text)


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)


@dataclass(frozen=True)
class Settings:
    """The effective settings of one run, each value with its `Origin`."""

    location: Location
    preset: providers.Provider | None = None
    provider: str | None = None
    host: str | None = None
    port: int | None = None
    security: str | None = None
    username: str | None = None
    password: PasswordRef | None = None
    from_address: str | None = None
    from_name: str | None = None
    domain: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    origins: Mapping[str, Origin] = field(default_factory=dict)
    hinted_by_host: providers.Provider | None = None
    """A preset recognised from the host name alone: its hints apply, its values do not."""

    @property
    def profile_name(self) -> str:
        return self.location.profile or "default"

    @property
    def hints(self) -> providers.Provider | None:
        """The preset whose advice applies (named, or recognised from the host)."""
        return self.preset or self.hinted_by_host

    def origin(self, key: str) -> Origin | None:
        return self.origins.get(key)

    def explain(self, key: str) -> str:
        """`port 465 — from the ZeptoMail preset`, for the wizard and for messages."""
        value = getattr(self, key)
        origin = self.origins.get(key)
        shown = ", ".join(value) if isinstance(value, tuple) else value
        if origin is None:
            return f"{key} {shown}"
        return f"{key} {shown} — {origin.describe()}"

    def how_to_set(self, key: str, value: object) -> str:
        """How the user changes `key` to `value`, in the words of how it was given."""
        origin = self.origins.get(key)
        flag = FLAGS.get(key)
        if origin is not None and origin.source is Source.FLAG and flag:
            return f"pass {flag} {value}"
        command = self.location.command(f"config set {key} {value}")
        if self.location.path is None:
            return f"pass {flag} {value}" if flag else f"run `{command}`"
        return f"run `{command}`" + (f" (or pass {flag} {value})" if flag else "")

    def require_host(self) -> str:
        if self.host:
            return self.host
        if self.location.path is None:
            hint = (
                "Pass --host (and --port, --security), or run in a folder with "
                "smtp-wizard.toml, or point to one with --config PATH."
            )
        else:
            hint = (
                f"Set one: `{self.location.command('config set host HOST')}`, or "
                f"`{self.location.command('config set provider ID')}` for a preset "
                "(`smtp-wizard providers` lists them), or pass --host."
            )
        where = (
            f" in profile {self.profile_name!r} of {self.location.path}"
            if self.location.path is not None
            else ""
        )
        raise UsageError(f"No SMTP host{where}.", hint)

    def as_profile(self) -> Profile:
        """These settings as a `Profile`, for code that renders a profile (exports)."""
        profile = Profile(name=self.profile_name)
        for key in FIELDS:
            value = getattr(self, key)
            setattr(profile, key, list(value) if isinstance(value, tuple) else value)
        return profile


def resolve(
    config: Config | None,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Settings:
    """Merge preset, profile and `overrides` into the effective settings.

    `overrides` maps profile keys to values (None or empty means not given); `labels`
    names the flag or control each came from (default: the command line's flags).
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v not in (None, "", [], ())}
    unknown = set(overrides) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    labels = {**FLAGS, **(labels or {})}
    _refuse_control_characters(overrides, labels)
    chosen: Profile | None = config.profile(profile) if config is not None else None
    location = Location(
        path=config.path if config is not None else None,
        profile=chosen.name if chosen is not None else None,
        default_profile=config.default_profile if config is not None else None,
    )
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}

    def take(key: str) -> None:
        if key in overrides:
            values[key] = overrides[key]
            origins[key] = Origin(Source.FLAG, labels.get(key, key))
            return
        saved = getattr(chosen, key, None) if chosen is not None else None
        if saved not in (None, [], ""):
            values[key] = tuple(saved) if isinstance(saved, list) else saved
            origins[key] = Origin(Source.PROFILE, f"profiles.{location.profile}.{key}")

    for key in FIELDS:
        take(key)

    preset = None
    if "provider" in values:
        preset = _preset(values["provider"], origins["provider"], location)
        values["provider"] = preset.id
    if preset is not None and preset.id != providers.CUSTOM_ID:
        named = Origin(Source.PRESET, preset.name)
        if "host" not in values:
            host = _preset_host(preset)
            if host is not None:
                values["host"], origins["host"] = host, named
        _port_and_security(values, origins, preset)
        if "username" not in values and preset.username:
            values["username"], origins["username"] = preset.username, named
    hinted = None
    if preset is None and values.get("host"):
        hinted = providers.find_by_host(values["host"])
    if preset is None or preset.id == providers.CUSTOM_ID:
        # A host of a known provider: its recommended port is right for everyone, its
        # username convention is not assumed (the account may differ).
        _port_and_security(values, origins, hinted)
    if "domain" not in values and values.get("from_address"):
        values["domain"] = values["from_address"].rpartition("@")[2]
        origins["domain"] = Origin(Source.DERIVED, "the domain of the from address")
    return Settings(
        location=location,
        preset=preset,
        hinted_by_host=hinted,
        origins=origins,
        **values,
    )


def _refuse_control_characters(overrides: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    """A CR, LF or other control character in any given value: refused before anything runs.

    Loading a config refuses them the same way; refusing them here too means settings that
    exist never carry one, whichever surface (flags, the wizard's fields) supplied them.
    """
    from smtp_wizard import validate

    for key, value in overrides.items():
        for text in value if isinstance(value, (list, tuple)) else (value,):
            char = validate.control_character(text) if isinstance(text, str) else None
            if char is not None:
                raise UsageError(
                    f"{labels.get(key, key)} contains the control character "
                    f"{validate.describe_char(char)}.",
                    "Control characters could inject SMTP commands or headers; nothing was "
                    "sent. Remove it and try again.",
                )


def _preset(provider_id: str, origin: Origin, location: Location) -> providers.Provider:
    try:
        return providers.get_provider(provider_id)
    except providers.UnknownProviderError as error:
        where = origin.label if origin.source is Source.FLAG else f"`{origin.label}`"
        if origin.source is Source.PROFILE and location.path is not None:
            where += f" in {location.path}"
        raise UsageError(f"{where}: {error.message}", error.hint) from None


def _preset_host(preset: providers.Provider) -> str | None:
    try:
        return preset.host_for(None)
    except providers.UnknownRegionError:
        return None


def _port_and_security(
    values: dict[str, Any], origins: dict[str, Origin], preset: providers.Provider | None
) -> None:
    """Fill a missing port or security from the preset's ports, else from the other one."""
    security = values.get("security")
    port = values.get("port")
    if preset is not None:
        named = Origin(Source.PRESET, preset.name)
        if port is None:
            wanted = [p for p in preset.ports if security in (None, p.security)]
            if wanted:
                values["port"], origins["port"] = wanted[0].port, named
                if security is None:
                    values["security"], origins["security"] = wanted[0].security, named
        elif security is None:
            same = [p for p in preset.ports if p.port == port]
            if same:
                values["security"], origins["security"] = same[0].security, named
    if values.get("port") is None:
        mode = values.get("security")
        values["port"] = {"ssl": 465, "none": 25}.get(mode or "", 587)
        origins["port"] = Origin(
            Source.DEFAULT,
            f"the usual port for {mode}" if mode else "the default (submission with STARTTLS)",
        )
    if values.get("security") is None:
        implicit = values["port"] in IMPLICIT_TLS_PORTS
        values["security"] = "ssl" if implicit else "starttls"
        origins["security"] = Origin(
            Source.DEFAULT,
            f"port {values['port']} means "
            + ("implicit TLS" if implicit else "STARTTLS (the default)"),
        )


def password(
    settings: Settings,
    given: Secret | None = None,
    *,
    timeout: float | None = None,
) -> tuple[Secret | None, str]:
    """The password (`given` by a flag, else the profile's reference), or why there is none.

    A profile whose keyring cannot be read is not an error here: the caller's checks still
    run, and the returned reason says what went wrong (smtp.auth shows it).
    """
    if given is not None:
        return given, ""
    if settings.password is None:
        if settings.location.path is None:
            return None, (
                "No password was given (--password-stdin, --password-env VAR) or configured."
            )
        return None, (
            f"Profile {settings.profile_name!r} has no password: store one with "
            f"`{settings.location.command('config set-password')}`, or pass "
            "--password-stdin or --password-env VAR."
        )
    try:
        return require_password(settings, timeout=timeout), ""
    except SecretError as error:
        return None, str(error)


def require_password(settings: Settings, *, timeout: float | None = None) -> Secret:
    """The profile's password, or the SecretError that says why there is none."""
    from smtp_wizard.secret_store import resolve_password

    return resolve_password(settings.password, settings.profile_name, timeout=timeout)


def smtp_settings(
    settings: Settings,
    *,
    given: Secret | None = None,
    send_to: str | None = None,
    cafile: Path | None = None,
    timeout: float = 10.0,
    allow_plaintext_auth: bool = False,
) -> SmtpSettings:
    """What one SMTP probe needs, checked (`prepare`) before anything reaches the wire.

    A saved password is not read here but while the probe connects (`password_source`,
    awaited at AUTH): a slow keyring then spends the probe's one deadline, never adds to
    it. The keyring gives up a little before that deadline, so that smtp.auth can still
    say why (a locked or silent keyring) rather than only "deadline reached".
    """
    import asyncio

    from smtp_wizard.checks.smtp import SmtpSettings, prepare

    source = None
    if settings.username and given is None:
        bound = max(0.1, timeout - 0.5)
        pending: list[asyncio.Future[tuple[Secret | None, str]]] = []

        async def source() -> tuple[Secret | None, str]:
            if not pending:
                pending.append(
                    asyncio.ensure_future(
                        asyncio.to_thread(password, settings, None, timeout=bound)
                    )
                )
            return await asyncio.shield(pending[0])

    return prepare(
        SmtpSettings(
            host=settings.require_host(),
            port=settings.port or 587,
            security=settings.security or "starttls",
            username=settings.username,
            password=given,
            password_source=source,
            how_to_set=settings.how_to_set,
            from_address=settings.from_address,
            from_name=settings.from_name,
            send_to=send_to,
            cafile=cafile,
            timeout=timeout,
            allow_plaintext_auth=allow_plaintext_auth,
            provider=settings.hints,
        )
    )


def describe_password(ref: PasswordRef | None) -> str:
    if ref is None:
        return "no password configured"
    return ref.describe()


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """` Did you mean `x`?` when one choice is close to `word`, else an empty string."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


__all__ = [
    "FIELDS",
    "FLAGS",
    "EnvRef",
    "KeyringRef",
    "Location",
    "Origin",
    "Settings",
    "Source",
    "describe_password",
    "did_you_mean",
    "password",
    "require_password",
    "resolve",
    "smtp_settings",
]
