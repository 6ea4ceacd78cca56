"""One profile being edited: what the wizard's screens change, and how it is saved.

The wizard holds no settings logic of its own. A `Draft` is the saved file (or a file
still to be written), the edits typed on the screens, and a password typed in this
session. What is in effect comes from the one resolution (`settings.resolve`), with the
edits as overrides labelled by the field they came from ("port 2525 — from the Port
field"). Edits are validated by the rules of `config set` (`config.set_value`), so the
wizard accepts exactly what the command line and a hand edit followed by a load accept.

Saving reads the file again and writes only the keys that changed (`config.save_changes`:
everything else in the file, comments included, stays byte for byte; `.bak` keeps the
previous version). A typed password goes to the OS keyring under the entry this file
names after the profile (`Config.keyring_ref`); where no keyring works, the config is
still saved and `SaveOutcome.secret_problem` says why and how to use an environment
variable instead. The password is never written to a file by a save, and never shown in
a message or a repr (`Secret` masks it).

No Textual here: the TUI drives a Draft, and tests drive it without a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from smtp_wizard import config as configuration
from smtp_wizard import providers, settings, validate
from smtp_wizard.config import Config, EnvRef, KeyringRef, PasswordRef, Profile
from smtp_wizard.errors import SecretError, UsageError, WizardError
from smtp_wizard.secret import Secret
from smtp_wizard.settings import Settings

if TYPE_CHECKING:
    from smtp_wizard.export import Rendered

WIZARD_LABELS: Final[dict[str, str]] = {
    "provider": "the Provider choice",
    "host": "the Host field",
    "port": "the Port field",
    "security": "the Encryption choice",
    "username": "the Username field",
    "password": "the Password field",
    "from_address": "the From field",
    "from_name": "the Name field",
    "domain": "the Domain field",
    "dkim_selectors": "the DKIM selectors field",
}
"""The on-screen field each key is edited in, as `Origin` labels: `Settings.explain("port")`
reads "port 2525 — from the Port field" for an edit."""

SERVER_KEYS: Final = ("host", "port", "security", "username")
"""What a preset supplies: choosing another preset lets it supply them again."""

ENV_SNIPPET: Final = """\
# Your app reads these variables from its environment; load the .env file first:
#   Python: from dotenv import load_dotenv; load_dotenv()   (python-dotenv)
#   Node:   node --env-file=.env app.js                     (Node 20.6 or later)
#   Docker: env_file: .env                                   (docker compose)
# SMTP_SECURITY is starttls, ssl (implicit TLS) or none; SMTP_URL holds all of it in one
# value (smtps:// for implicit TLS), for libraries that take a URL.
"""
"""What to do with an `env` export (the frameworks' formats bring their own snippet)."""


class _Removed:
    """The edit that removes a saved key, so the preset or the default applies again."""

    def __repr__(self) -> str:
        return "<removed>"


REMOVED: Final = _Removed()


@dataclass(frozen=True)
class SaveOutcome:
    """What `Draft.save` did, for the screen to say."""

    path: Path
    backup: Path | None
    """The previous version (`<name>.bak`); None when nothing was written or the file is new."""
    written: tuple[str, ...]
    """The profile keys whose value in the file changed (in file order)."""
    warnings: tuple[str, ...]
    secret_stored: bool
    """The typed password is now in the OS keyring."""
    secret_problem: str
    """Why the keyring could not take the typed password, and the environment-variable
    alternative; "" when it was stored or none was typed. Nothing was written in clear."""


@dataclass(frozen=True)
class ExportOutcome:
    """What `Draft.export` wrote, and what the user does next."""

    path: Path
    backup: Path | None
    """Always None today: `export` merges into the `.env` in place, as the CLI does."""
    warnings: tuple[str, ...]
    snippet: str
    """What to paste into the app: the framework's loader code, or for `env` how to load
    the file. Never contains the password."""
    preview: str = ""
    """The lines written, the password shown as `export.HIDDEN`."""


class Draft:
    """One profile being edited: the saved file (if any), the user's edits, the typed password."""

    def __init__(
        self,
        path: Path,
        profile: str,
        config: Config | None,
        *,
        added: bool = False,
        new_id: str | None = None,
    ) -> None:
        """Use `Draft.open` (or `switch`, `add_profile`); this takes what they found."""
        self.path = Path(path)
        self.profile = profile
        self.config = config
        self._added = added
        self._new_id = new_id or Config.new(self.path).id
        self._edits: dict[str, Any] = {}
        self._password: Secret | None = None
        self._password_settled = False
        self._base = self._make_base()

    @classmethod
    def open(cls, path: Path, profile: str | None = None) -> Draft:
        """The draft of `profile` (default: the file's default) of the config at `path`.

        A missing file gives a new, unsaved config with profile "default" (or `profile`).
        A file that cannot be read raises the ConfigError the command line shows; an
        unknown profile, its UsageError. A file without any profile opens on a new one.
        """
        path = Path(path)
        if not path.exists():
            name = profile or "default"
            _profile_name(name)
            return cls(path, name, None)
        loaded = configuration.load(path)
        if not loaded.profiles:
            name = profile or loaded.default_profile
            _profile_name(name)
            return cls(path, name, loaded)
        return cls(path, loaded.profile(profile).name, loaded)

    def __repr__(self) -> str:
        return (
            f"Draft(path={str(self.path)!r}, profile={self.profile!r}, "
            f"edits={sorted(self._edits)}, password={self._password!r})"
        )

    # -- what is in effect ----------------------------------------------------------------

    @property
    def exists(self) -> bool:
        """The config file exists (it did when last read)."""
        return self.config is not None

    @property
    def creating(self) -> bool:
        """The profile is not in the file yet: saving writes it whole, as `config init` does."""
        return self.config is None or self.profile not in self.config.profiles

    @property
    def warnings(self) -> tuple[str, ...]:
        """What loading the file found doubtful (unknown keys, a host given as an address)."""
        return tuple(self.config.warnings) if self.config is not None else ()

    def settings(self) -> Settings:
        """The effective settings: saved profile, preset and the edits, by the one resolution."""
        overrides = {k: v for k, v in self._edits.items() if v is not REMOVED}
        return settings.resolve(
            self._resolution_config(), self.profile, overrides, labels=WIZARD_LABELS
        )

    def get(self, key: str) -> Any:
        """The effective value of `key` (the edit, else the saved value, else the preset's)."""
        return getattr(self.settings(), _field(key))

    def given(self, key: str) -> Any:
        """What is typed or saved for `key`, before a preset fills in (None: nothing).

        Unlike `get`, no resolution runs (no preset is read): for what is asked on every
        redraw, such as whether a provider or host is chosen yet."""
        name = _field(key)
        if name in self._edits:
            value = self._edits[name]
            return None if value is REMOVED else value
        return self._saved(name)

    def edits(self) -> Mapping[str, Any]:
        """The pending edits, typed as loading types them; None marks a key to remove."""
        return MappingProxyType({k: (None if v is REMOVED else v) for k, v in self._edits.items()})

    # -- editing --------------------------------------------------------------------------

    def edit(self, key: str, value: Any) -> list[str]:
        """Set `key` (a profile key of `settings.FIELDS`) as `config set` would.

        "" or None (or an empty list) drops the edit: the saved value applies again. An
        edit equal to the saved value is no change. A value `config set` refuses raises
        its UsageError ("`profiles.default.host` cannot be set to that: it contains the
        control character U+000A (line feed)."), and nothing changes. Returns what loading
        would warn about the value (a host given as an IP address), for the field to show.
        """
        key = _field(key)
        if value is None or value == "" or value == [] or value == ():
            self._edits.pop(key, None)
            return []
        trial = configuration.set_value(self._base, self.profile, key, self._text(key, value))
        settings.resolve(trial, self.profile)  # an unknown provider is refused here too
        typed = _typed(getattr(trial.profiles[self.profile], key))
        if typed is None:  # e.g. "," for the selectors: nothing left, as `config set` reads it
            self.unset(key)
        elif not self.creating and typed == self._saved(key):
            self._edits.pop(key, None)
        else:
            self._edits[key] = typed
        return [w for w in trial.warnings if w not in self._base.warnings]

    def unset(self, key: str) -> None:
        """Remove `key` from the profile when saving, so the preset or the default applies."""
        key = _field(key)
        if self._saved(key) in (None, ()):
            self._edits.pop(key, None)
        else:
            self._edits[key] = REMOVED

    def choose_provider(self, provider_id: str, region: str | None = None) -> None:
        """Pick a preset: it supplies host, port, encryption and username again.

        Saved or edited values of those keys would outrank the new preset (the profile
        wins over the preset), so they are removed; `region` picks the preset's host for
        that region. The "custom" preset keeps them: there the user types them.
        """
        preset = providers.get_provider(provider_id)
        self.edit("provider", preset.id)
        if preset.id == providers.CUSTOM_ID:
            return
        for key in SERVER_KEYS:
            self.unset(key)
        if region:
            self.edit("host", preset.host_for(region))

    @property
    def password(self) -> Secret | None:
        """The password typed in this session and not stored yet (None: none typed)."""
        return self._password

    def set_password(self, secret: Secret | None) -> None:
        """Take the typed password (None or an empty one: forget it).

        Refused at once, as by `config set-password`: a line break (a paste accident that
        would end an SMTP command) and bytes that are not UTF-8.
        """
        if secret is None or not secret:
            self._password = None
            return
        if not isinstance(secret, Secret):
            raise TypeError("set_password takes a Secret")
        clear = secret.reveal()
        if "\n" in clear or "\r" in clear:
            raise UsageError(
                "A password cannot hold a line break; it was not taken.",
                "A line break is usually pasted by accident: paste the password again.",
            )
        from smtp_wizard.secret_store import require_text

        self._password = require_text(secret)
        self._password_settled = False

    def saved_password(self, timeout: float = 5.0) -> tuple[Secret | None, str]:
        """The password the profile points to (keyring or environment), or why there is none."""
        return settings.password(self.settings(), None, timeout=timeout)

    def current_password(self, timeout: float = 5.0) -> tuple[Secret | None, str]:
        """The password for a check now: the typed one, else the saved one."""
        if self._password is not None:
            return self._password, ""
        return self.saved_password(timeout)

    @property
    def dirty(self) -> bool:
        """Edits, a new profile or a typed password that a save would write."""
        return (
            bool(self._edits)
            or self._added
            or (self._password is not None and not self._password_settled)
        )

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(key, saved, new) for each key a save would write; new None: removed.

        A typed password appears as ("password", saved reference, the Secret): it shows as
        `********`. A new profile lists what it will be written with.
        """
        entries: dict[str, tuple[Any, Any]] = {}
        if self.creating:
            for key, value in self._profile_values().items():
                entries[key] = (None, value)
        else:
            for key in settings.FIELDS:
                if key in self._edits:
                    value = self._edits[key]
                    entries[key] = (self._saved(key), None if value is REMOVED else value)
        if self._password_pending() and not isinstance(self._edits.get("password"), EnvRef):
            entries["password"] = (self._saved("password"), self._password)
        return [(key, *entries[key]) for key in settings.FIELDS if key in entries]

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> SaveOutcome:
        """Write the changed keys, store the typed password; nothing at all when not dirty.

        The file is read again first (ConfigError for a corrupt one: nothing is written),
        so a value someone changed on disk meanwhile is kept unless this draft changed
        that same key. A new file gets `version`, `id` and `default_profile` as `config
        init` writes them; a new profile is written with what is in effect (preset values
        included), as `config init --profile` writes it.

        A typed password goes to the keyring entry of this profile, and the profile points
        there (replacing an `env` reference the file had: typing it here means keeping it
        here); only an `env` reference chosen in this draft keeps it out of the keyring.
        Where the keyring fails, the config is saved all the same and `secret_problem`
        says why; the password stays in this draft for the session's checks.
        """
        if not self.dirty:
            return SaveOutcome(self.path, None, (), (), False, "")
        exists = self.path.exists()
        fresh = configuration.load(self.path) if exists else self._new_file()
        creating = self.profile not in fresh.profiles
        target = self._applied(fresh, creating)
        warnings: list[str] = []
        stored, problem = False, ""
        ref = target.keyring_ref(self.profile)
        if self._password_pending():
            pointed = target.profiles[self.profile].password
            if isinstance(pointed, EnvRef) and isinstance(self._edits.get("password"), EnvRef):
                warnings.append(
                    f"The password typed here was not stored: the profile now reads it from "
                    f"${pointed.var}. It is used for this session's checks only."
                )
            else:
                _check_writable(self.path)
                stored, problem = _store(ref, self._password)
                if stored and pointed != ref:
                    target = configuration.set_value(target, self.profile, "password", "keyring")
        try:
            result = configuration.save_changes(target) if exists else configuration.save(target)
        except WizardError as error:
            if not stored:
                raise
            raise UsageError(
                f"The password was stored in the {ref.describe()}, but {self.path} could not "
                f"be updated to point at it: {error.message}",
                error.hint,
            ) from None
        written = _changed_keys(fresh.profiles.get(self.profile), target.profiles[self.profile])
        self.config = configuration.load(self.path)
        self._edits.clear()
        self._added = False
        if stored:
            self._password = None
        elif self._password is not None:
            self._password_settled = True  # told why; kept for this session's checks
        self._base = self._make_base()
        return SaveOutcome(
            path=self.path,
            backup=result.backup if result is not None else None,
            written=written,
            warnings=(*(result.warnings if result is not None else ()), *warnings),
            secret_stored=stored,
            secret_problem=problem,
        )

    def export(self, fmt: str, path: Path | None = None) -> ExportOutcome:
        """Write the app's settings in format `fmt`, as `smtp-wizard export` does.

        Merged into the `.env` at `path` (default: `.env` beside the config file), mode
        0600; the rest of that file is kept. The password is the typed one, else the saved
        one (SecretError when the profile has a username and no password can be read).
        What is exported is what is in effect now, edits included.
        """
        from smtp_wizard import export
        from smtp_wizard.gitcheck import git_ignore_warning

        effective = self.settings()
        password = self._password
        if password is None and (effective.password is not None or effective.username):
            password = settings.require_password(effective)
        rendered = export.render(fmt, effective.as_profile(), password)
        target = Path(path) if path is not None else self.path.parent / export.default_output(fmt)
        result = export.write_dotenv(target, rendered)
        warnings = list(result.warnings)
        ignored = git_ignore_warning(target)
        if ignored:
            warnings.append(ignored)
        return ExportOutcome(
            path=target,
            backup=result.backup,
            warnings=tuple(warnings),
            snippet=rendered.snippet or ENV_SNIPPET,
            preview=_preview(rendered),
        )

    # -- profiles -------------------------------------------------------------------------

    def profiles(self) -> list[str]:
        """The profiles of the file, and this one if it is not saved yet."""
        names = list(self.config.profiles) if self.config is not None else []
        return names if self.profile in names else [*names, self.profile]

    def default_profile(self) -> str | None:
        """The file's default profile; None while there is no file."""
        return self.config.default_profile if self.config is not None else None

    def switch(self, name: str) -> Draft:
        """A draft of another profile of the same file (this draft's edits stay here)."""
        if name == self.profile:
            return self
        if not self.path.exists():
            raise UsageError(
                f"There is no profile {name!r}: {self.path} is not saved yet.",
                "Save this profile first, or add the other one as a new profile.",
            )
        return Draft.open(self.path, name)

    def add_profile(self, name: str) -> Draft:
        """A draft of a new profile `name` of this file; it is written by its `save`."""
        _profile_name(name)
        if name in self.profiles():
            raise UsageError(
                f"There is already a profile {name!r} in {self.path}.",
                "Pick another name, or switch to that profile.",
            )
        loaded = configuration.load(self.path) if self.path.exists() else None
        return Draft(self.path, name, loaded, added=True)

    def make_default(self) -> None:
        """Make this profile the file's default, at once (the profile must be saved)."""
        if self.creating:
            raise UsageError(
                f"Profile {self.profile!r} is not saved yet.", "Save it, then make it the default."
            )
        fresh = configuration.load(self.path)
        changed = configuration.set_value(fresh, self.profile, "default_profile", self.profile)
        configuration.save_changes(changed)
        self._reload()

    def rename_profile(self, new: str) -> list[str]:
        """Rename this profile, at once: its table, `default_profile`, its keyring entry.

        The password moves to the entry named after `new` (read, store, delete), so no
        later profile called by the old name inherits it. Refused, with nothing changed,
        for a taken or bad name, and when the keyring holding its password cannot be
        reached (SecretError). Returns what was done, for the screen.
        """
        old = self.profile
        _profile_name(new)
        if new == old:
            return []
        if new in self.profiles():
            raise UsageError(
                f"There is already a profile {new!r} in {self.path}; {old!r} was not renamed.",
                "Pick another name, or delete that profile first.",
            )
        fresh = configuration.load(self.path) if self.path.exists() else None
        if fresh is None or old not in fresh.profiles:
            self._rename_pending(old, new, None)
            return [f"Profile {old!r} is now called {new!r} (not saved yet)."]
        renamed = configuration.rename_profile(fresh, old, new)
        moved, store, old_ref, new_ref = None, None, fresh.keyring_ref(old), fresh.keyring_ref(new)
        if fresh.profiles[old].password == old_ref:
            from smtp_wizard.secret_store import SecretStore

            store = SecretStore(old_ref.service)
            try:
                moved = store.get(old_ref.key)
                if moved is not None:
                    store.set(new_ref.key, moved)
            except SecretError as error:
                raise SecretError(
                    f"Profile {old!r} was not renamed: its password in the OS keyring could "
                    f"not be moved. {error.message}",
                    error.hint,
                    error.kind,
                ) from None
        try:
            configuration.save_changes(renamed, renamed={old: new})
        except WizardError:
            if moved is not None and store is not None:
                store.delete(new_ref.key)
            raise
        messages = [f"Renamed profile {old!r} to {new!r} in {self.path}."]
        if moved is not None and store is not None:
            try:
                store.delete(old_ref.key)
                messages.append(f"Moved its password in the OS keyring to entry {new_ref.key!r}.")
            except SecretError as error:
                messages.append(
                    f"Copied its password to keyring entry {new_ref.key!r}, but the old entry "
                    f"{old_ref.key!r} could not be removed: {error.message}"
                )
        self._rename_pending(old, new, fresh)
        self._reload()
        return messages

    def delete_profile(self, name: str) -> list[str]:
        """Delete profile `name` from the file, at once, and its keyring entry.

        The last profile is never deleted. When the default goes, the first remaining
        profile becomes the default; when this draft's own profile goes, the draft turns
        to the (new) default profile, its edits dropped. Returns what was done.
        """
        fresh = configuration.load(self.path) if self.path.exists() else None
        if fresh is None:
            raise UsageError(
                f"There is no profile {name!r} to delete: {self.path} is not saved yet."
            )
        changed = configuration.delete_profile(fresh, name)
        configuration.save_changes(changed)
        messages = [f"Deleted profile {name!r} from {self.path}."]
        if fresh.default_profile == name:
            messages.append(f"{changed.default_profile!r} is now the default profile.")
        messages += _delete_secret(fresh, name)
        if name == self.profile:
            self.profile = changed.default_profile
            self._edits.clear()
            self._password = None
            self._added = False
            messages.append(f"Now editing profile {self.profile!r}.")
        self._reload()
        return messages

    # -- internals ------------------------------------------------------------------------

    def _reload(self) -> None:
        self.config = configuration.load(self.path) if self.path.exists() else None
        self._base = self._make_base()

    def _rename_pending(self, old: str, new: str, fresh: Config | None) -> None:
        """Carry the edits over to the new name (a keyring reference follows the name)."""
        base_ref = self._base.keyring_ref(old)
        if self._edits.get("password") == base_ref:
            self._edits["password"] = self._base.keyring_ref(new)
        self.profile = new
        if fresh is None:
            self._base = self._make_base()

    def _new_file(self) -> Config:
        """The config a first save creates: as `config init` does (id made once, kept)."""
        return Config(path=self.path, id=self._new_id, default_profile=self.profile, id_saved=False)

    def _make_base(self) -> Config:
        """The saved config with this draft's profile in it (added, empty, when new)."""
        base = self.config if self.config is not None else self._new_file()
        if self.profile not in base.profiles:
            base = configuration.add_profile(base, self.profile)
        return base

    def _resolution_config(self) -> Config:
        base = self._base
        for key, value in self._edits.items():
            if value is REMOVED:
                base, _ = configuration.unset_value(base, self.profile, key)
        return base

    def _saved(self, key: str) -> Any:
        if self.config is None or self.profile not in self.config.profiles:
            return None
        return _typed(getattr(self.config.profiles[self.profile], key))

    def _password_pending(self) -> bool:
        return self._password is not None and not self._password_settled

    def _profile_values(self) -> dict[str, Any]:
        """A new profile's keys as `config init` writes them: what is in effect, preset
        values included, but no port or encryption while there is no host."""
        effective = self.settings()
        values: dict[str, Any] = {}
        for key in settings.FIELDS:
            value = getattr(effective, key)
            if key in ("port", "security") and effective.host is None:
                continue
            if value not in (None, "", ()):
                values[key] = value
        return values

    def _applied(self, fresh: Config, creating: bool) -> Config:
        """`fresh` (the file as it is now) with this draft's changes, validated again."""
        if creating:
            target = configuration.add_profile(fresh, self.profile)
            changes: dict[str, Any] = self._profile_values()
        else:
            target = fresh
            changes = dict(self._edits)
        for key, value in changes.items():
            if value is REMOVED:
                target, _ = configuration.unset_value(target, self.profile, key)
            else:
                text = self._text(key, value, target)
                target = configuration.set_value(target, self.profile, key, text)
        return target

    def _text(self, key: str, value: Any, config: Config | None = None) -> str:
        """`value` as `config set` takes it on the command line."""
        config = config if config is not None else self._base
        if key == "port" and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if key == "dkim_selectors" and isinstance(value, list | tuple):
            if not all(isinstance(item, str) for item in value):
                raise UsageError("`dkim_selectors` takes names such as s1, s2.")
            return ",".join(value)
        if key == "password" and isinstance(value, EnvRef):
            return f"env:{value.var}"
        if key == "password" and isinstance(value, KeyringRef):
            if value in (config.keyring_ref(self.profile), self._base.keyring_ref(self.profile)):
                return "keyring"
            raise UsageError(
                f"The keyring entry {value.key!r} is not this profile's; the wizard only "
                "points a profile at its own entry.",
                "Edit the file by hand to share an entry between profiles.",
            )
        if key == "provider" and isinstance(value, str):
            return providers.get_provider(value).id
        if not isinstance(value, str):
            raise UsageError(f"`{key}` takes text, not {type(value).__name__}.")
        return value


def _field(key: str) -> str:
    """The profile key meant by `key` (`from` is `from_address`); UsageError otherwise."""
    canonical = configuration.canonical_key(key)
    if canonical not in settings.FIELDS:
        raise UsageError(
            f"`{key}` is not a profile key.",
            "The default profile is changed with make_default (`config set default_profile`).",
        )
    return canonical


def _typed(value: Any) -> Any:
    """A profile attribute as the draft keeps it: lists as tuples, empty as None."""
    if isinstance(value, list):
        return tuple(value) or None
    return value


def _profile_name(name: str) -> str:
    try:
        return validate.profile_name(name)
    except ValueError as exc:
        raise UsageError(f"That profile name is not allowed: {exc}.") from None


def _changed_keys(before: Profile | None, after: Profile) -> tuple[str, ...]:
    old = before.to_toml() if before is not None else {}
    new = after.to_toml()
    keys = [*new, *(k for k in old if k not in new)]
    return tuple(k for k in keys if old.get(k) != new.get(k))


def _check_writable(path: Path) -> None:
    """Refuse before the keyring is touched when the config cannot be saved afterwards."""
    folder = path.parent if str(path.parent) else Path()
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"Cannot write to the folder of {path} ({folder.resolve()}); nothing was stored.",
            "Save where you may write (start smtp-wizard with --config PATH).",
        )


def _store(ref: KeyringRef, secret: Secret | None) -> tuple[bool, str]:
    """Store `secret` under `ref`: (True, "") or (False, why not, with the alternative)."""
    from smtp_wizard.secret_store import SecretStore

    assert secret is not None
    try:
        SecretStore(ref.service).set(ref.key, secret)
    except SecretError as error:
        return False, str(error)
    return True, ""


def _delete_secret(config: Config, name: str) -> list[str]:
    """Remove the keyring entry of deleted profile `name`, unless another profile uses it."""
    from smtp_wizard.secret_store import SecretStore

    pointed: PasswordRef | None = config.profiles[name].password
    if isinstance(pointed, EnvRef):
        return [f"Its password came from ${pointed.var}; nothing to remove from the keyring."]
    ref = pointed if isinstance(pointed, KeyringRef) else None
    if ref is None and config.id_saved:
        ref = config.keyring_ref(name)  # a stale entry of an earlier set-password
    if ref is None:
        return []
    if any(p.password == ref for n, p in config.profiles.items() if n != name):
        return [f"Its keyring entry {ref.key!r} is kept: another profile uses it too."]
    try:
        deleted = SecretStore(ref.service).delete(ref.key)
    except SecretError as error:
        return [f"Its keyring entry {ref.key!r} could not be removed: {error.message}"]
    if deleted:
        return [f"Removed its password from the OS keyring (entry {ref.key!r})."]
    return ["The OS keyring held no password for it."] if pointed is not None else []


def _preview(rendered: Rendered) -> str:
    """The `.env` lines written, the password (and values holding it) masked."""
    from smtp_wizard import export

    lines = [export.header(rendered.format)]
    for key, value in rendered.entries:
        if isinstance(value, export.DerivedSecret):
            shown = value.masked if value else ""
        elif isinstance(value, Secret):
            shown = export.HIDDEN if value else ""
        else:
            shown = value
        lines.append(f"{key}={export.dotenv_value(shown)}")
    return "\n".join(lines) + "\n"


__all__ = [
    "ENV_SNIPPET",
    "REMOVED",
    "WIZARD_LABELS",
    "Draft",
    "ExportOutcome",
    "SaveOutcome",
]
