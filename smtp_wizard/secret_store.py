"""The password's home: the OS keyring, with every failure told apart and explained.

Two layers. `GuardedKeyring` wraps the real keyring backend: each call is bounded in time
(a Secret Service that never answers must not hang the wizard), each `set_password` is
read back (the null backend accepts a password and keeps nothing), and a keyring that
cannot exist here (no D-Bus session, no Secret Service in it) is named at once instead of
being waited for. `SecretStore` sits on top, speaks in `Secret` values, and turns every
keyring failure into a `SecretError` that says what happened and offers the alternative:
an environment variable named in the config. It never falls back to a plaintext file.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import keyring
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.compat import properties

from smtp_wizard.config import EnvRef, KeyringRef, PasswordRef
from smtp_wizard.errors import SecretError, UsageError
from smtp_wizard.secret import Secret

DEFAULT_TIMEOUT = 10.0
ENV_ALTERNATIVE = (
    "Or keep the password out of the keyring: `smtp-wizard config set password "
    'env:SMTP_PASSWORD` (it writes password = { env = "SMTP_PASSWORD" } in the profile), '
    "and set SMTP_PASSWORD in the environment of the app and of smtp-wizard."
)
NOT_UTF8 = "holds bytes that are not UTF-8 text"

# D-Bus error names that mean "nobody owns org.freedesktop.secrets here": the bus works,
# the service is missing or could not be started.
_NO_SERVICE_ERRORS = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn.",  # activation failed: any Spawn.* error
)

T = TypeVar("T")


class KeyringTimeoutError(keyring.errors.KeyringError):
    """The backend did not answer in time (a Secret Service stuck on a prompt, a dead bus)."""


class KeyringBackendError(keyring.errors.KeyringError):
    """The backend failed with an error of its own kind (e.g. no D-Bus socket)."""


class SecretDroppedError(keyring.errors.PasswordSetError):
    """The backend accepted the password but reading it back gave something else."""


class NoDBusSessionError(keyring.errors.NoKeyringError):
    """No D-Bus session at all (SSH, container, CI): no Secret Service can be reached."""


class DBusUnreachableError(keyring.errors.NoKeyringError):
    """DBUS_SESSION_BUS_ADDRESS is set, but nothing answers there (a stale address)."""


class NoSecretServiceError(keyring.errors.NoKeyringError):
    """The D-Bus session works, but no Secret Service runs in it or can be started."""


class PromptDismissedError(keyring.errors.KeyringLocked):
    """The Secret Service's password prompt got no answer.

    Dismissed on a desktop, or impossible without one: gnome-keyring started by D-Bus
    activation in an SSH login has no keyring yet and nowhere to ask for its password.
    """


@dataclass(frozen=True)
class _Deadline:
    """When an operation must be over, and how long it was given (for the message)."""

    at: float
    budget: float

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())


class GuardedKeyring(KeyringBackend):
    """A keyring backend over another one, adding a time bound and a read-back.

    The wrapped backend's own errors pass through unchanged, so this class keeps the
    keyring backend contract (it is tested with keyring's `BackendBasicTests`), except
    that a missing D-Bus session or Secret Service is raised as the `NoKeyringError`
    subclass that names it.

    It is never a candidate in keyring's own discovery (`viable` is False): keyring
    registers every subclass of `KeyringBackend`, and when discovery chose this class,
    its `inner` asked discovery again, which chose it again, one thread per level: the
    thread storm of issue 7.
    """

    viable = False  # keyring's discovery filters its registry on this

    @properties.classproperty
    def priority(cls) -> float:
        """Refused as keyring's own choice too (PYTHON_KEYRING_BACKEND, keyringrc.cfg)."""
        raise RuntimeError("smtp-wizard's GuardedKeyring wraps a keyring backend; it is not one")

    def __init__(self, inner: KeyringBackend | None = None, timeout: float = DEFAULT_TIMEOUT):
        super().__init__()
        if isinstance(inner, GuardedKeyring):
            inner = inner.inner
        self._inner = inner
        self.timeout = timeout

    @property
    def inner(self) -> KeyringBackend:
        """The real backend, found on first use (finding it may itself touch D-Bus)."""
        return self._find(self._deadline(None))

    @property
    def backend_name(self) -> str:
        return _backend_name(self.inner)

    def get_password(
        self, service: str, username: str, *, timeout: float | None = None
    ) -> str | None:
        deadline = self._deadline(timeout)
        return self._bounded("read", deadline, self._find(deadline).get_password, service, username)

    def set_password(
        self, service: str, username: str, password: str, *, timeout: float | None = None
    ) -> None:
        deadline = self._deadline(timeout)
        inner = self._find(deadline)
        self._bounded("write", deadline, inner.set_password, service, username, password)
        stored = self._bounded("read back", deadline, inner.get_password, service, username)
        if stored != password:
            what = "kept nothing" if stored is None else "returned a different value"
            name = _backend_name(inner)
            raise SecretDroppedError(
                f"the keyring backend {name} accepted the password but {what} when it was read back"
            )

    def delete_password(self, service: str, username: str, *, timeout: float | None = None) -> None:
        deadline = self._deadline(timeout)
        self._bounded("delete", deadline, self._find(deadline).delete_password, service, username)

    def _deadline(self, timeout: float | None) -> _Deadline:
        """One deadline for a whole operation: finding, writing and reading back share it."""
        budget = self.timeout if timeout is None else timeout
        return _Deadline(time.monotonic() + budget, budget)

    def _find(self, deadline: _Deadline) -> KeyringBackend:
        if self._inner is None:
            self._inner = self._bounded("find the keyring backend", deadline, _find_backend)
        return self._inner

    def _bounded(self, what: str, deadline: _Deadline, call: Callable[..., T], *args: str) -> T:
        """Run `call` in a daemon thread; give up at `deadline`.

        A daemon thread, not an executor: an executor's worker is joined at exit, so a
        hung keyring call would hang the program's exit too.
        """
        outcome: dict[str, object] = {}
        finished = threading.Event()

        def run() -> None:
            try:
                outcome["value"] = call(*args)
            except BaseException as exc:  # carried over to the calling thread
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=run, name=f"keyring-{what}", daemon=True).start()
        if not finished.wait(deadline.left()):
            raise KeyringTimeoutError(
                f"the keyring did not answer within {deadline.budget:g} s (trying to {what})"
            )
        error = outcome.get("error")
        if isinstance(error, Exception):
            # secretstorage and jeepney raise OSError, D-Bus errors and more; name the kind
            # and the text, never the arguments (the password is one of them).
            known = _classify(error)
            if known is not None:
                cls, detail = known
                raise cls(_masked(detail, args)) from None
            if isinstance(error, keyring.errors.KeyringError):
                raise error
            text = _masked(f"{type(error).__name__}: {error}", args)
            raise KeyringBackendError(text) from None
        if error is not None:
            raise error  # KeyboardInterrupt, SystemExit
        return outcome.get("value")  # type: ignore[return-value]


def _backend_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _masked(text: str, args: tuple[str, ...]) -> str:
    """`text` without the call's last argument (the password, for a write)."""
    return text.replace(args[-1], "********") if args and args[-1] else text


def _find_backend() -> KeyringBackend:
    """keyring's own choice of backend, refused at once when it can only fail.

    keyring ends on its fail backend (or an empty chainer) when nothing viable is found;
    calling it would only raise keyring's generic "no recommended backend". Saying here
    why there is none (no D-Bus session, no Secret Service in it) is what the user needs.
    """
    found = keyring.get_keyring()
    if isinstance(found, GuardedKeyring):  # put there by keyring.set_keyring: unwrap once
        found = found._inner or fail.Keyring()
    if isinstance(found, fail.Keyring) or (
        isinstance(found, chainer.ChainerBackend) and not found.backends
    ):
        raise _why_no_keyring(found)
    return found


def _why_no_keyring(found: KeyringBackend) -> keyring.errors.NoKeyringError:
    """The reason keyring found no backend, as the most specific error that is true."""
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
    if chosen and isinstance(found, fail.Keyring):
        return keyring.errors.NoKeyringError(
            f"PYTHON_KEYRING_BACKEND={chosen} selects keyring's backend that stores nothing"
        )
    if sys.platform in ("darwin", "win32", "cygwin"):
        return keyring.errors.NoKeyringError("keyring found no backend that works here")
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return NoDBusSessionError("DBUS_SESSION_BUS_ADDRESS is not set")
    from keyring.backends import SecretService

    try:
        SecretService.Keyring.priority  # noqa: B018  # raises RuntimeError with the cause
    except Exception as exc:  # keyring documents RuntimeError; jeepney may raise OSError
        known = _classify(exc)
        if known is not None and issubclass(known[0], keyring.errors.NoKeyringError):
            return known[0](known[1])
        return keyring.errors.NoKeyringError(f"{type(exc).__name__}: {exc}")
    return keyring.errors.NoKeyringError("keyring found no backend that works here")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and the errors it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_in_dbus_code(error: BaseException) -> bool:
    modules = (
        frame.f_globals.get("__name__", "") for frame, _ in traceback.walk_tb(error.__traceback__)
    )
    return any(name.startswith(("jeepney", "secretstorage")) for name in modules)


def _classify(error: BaseException) -> tuple[type[keyring.errors.KeyringError], str] | None:
    """Which of the Secret Service's known failures `error` is, with the detail to show.

    keyring and secretstorage wrap the D-Bus failure in their own errors (InitError,
    RuntimeError, SecretServiceNotAvailableException); the cause at the bottom of the
    chain tells the cases apart. None when the error is none of them.
    """
    chain = list(_chain(error))
    known = (NoDBusSessionError, DBusUnreachableError, NoSecretServiceError, PromptDismissedError)
    for exc in chain:
        if isinstance(exc, known):
            return type(exc), str(exc)
    for exc in chain:
        if type(exc).__name__ == "PromptDismissedException":
            if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
                return PromptDismissedError, str(exc).strip(". ") or "the prompt was dismissed"
            return PromptDismissedError, "no display to show it on (DISPLAY is not set)"
    for exc in chain:
        name = getattr(exc, "name", None)
        if (
            type(exc).__name__ == "DBusErrorResponse"
            and isinstance(name, str)
            and name.startswith(_NO_SERVICE_ERRORS)
        ):
            data = getattr(exc, "data", ())
            text = data[0] if isinstance(data, tuple) and data else data
            return NoSecretServiceError, f"{name}: {text}" if text else name
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    for exc in chain:
        if type(exc).__name__ == "SecretServiceNotAvailableException":
            cause = exc.__cause__
            if isinstance(cause, KeyError) or not address:
                return NoDBusSessionError, "DBUS_SESSION_BUS_ADDRESS is not set"
            if isinstance(cause, (OSError, ValueError)):
                return DBusUnreachableError, f"{address}: {cause}"
            return NoSecretServiceError, str(exc)
    for exc in chain:
        if isinstance(exc, RuntimeError) and "neither running nor activatable" in str(exc):
            return NoSecretServiceError, str(exc)
    for exc in chain:
        if isinstance(exc, OSError) and _raised_in_dbus_code(exc):
            if not address:
                return NoDBusSessionError, "DBUS_SESSION_BUS_ADDRESS is not set"
            return DBusUnreachableError, f"{address}: {exc}"
    return None


# What each keyring failure means for the user, and what to do: a table, not an if-chain.
# Ordered: the first class that matches wins, so subclasses come before their bases.
_EXPLAIN: tuple[tuple[type[BaseException], str, str, str], ...] = (
    (
        KeyringTimeoutError,
        "timeout",
        "The OS keyring did not answer in time.",
        "A Secret Service may be waiting on an unlock prompt that cannot be shown, or its "
        "D-Bus session is gone. Unlock the keyring (log in to the desktop session, or run "
        "`gnome-keyring-daemon --unlock`) and try again.",
    ),
    (
        SecretDroppedError,
        "dropped",
        "The keyring backend does not keep secrets.",
        "This happens with keyring's null backend (PYTHON_KEYRING_BACKEND="
        "keyring.backends.null.Keyring, or a keyringrc.cfg choosing it). Choose a real "
        "backend: unset that setting and make sure a Secret Service (gnome-keyring, "
        "KeePassXC) runs.",
    ),
    (
        KeyringBackendError,
        "no-backend",
        "The OS keyring could not be reached.",
        "On Linux smtp-wizard talks to a Secret Service (gnome-keyring, KeePassXC) over the "
        "D-Bus session bus: check that one runs in this session and that "
        "DBUS_SESSION_BUS_ADDRESS points to it.",
    ),
    (
        NoDBusSessionError,
        "no-backend",
        "No OS keyring is available: there is no D-Bus session, so no Secret Service can be "
        "reached.",
        "On Linux the keyring is a Secret Service (gnome-keyring, KeePassXC) on the D-Bus "
        "session bus of a desktop login; an SSH login, a container or CI usually has none.",
    ),
    (
        DBusUnreachableError,
        "no-backend",
        "No OS keyring is available: the D-Bus session bus cannot be reached.",
        "DBUS_SESSION_BUS_ADDRESS names a D-Bus session bus that does not answer (left over from "
        "another login?). Point it to this session's bus, with a Secret Service (gnome-keyring, "
        "KeePassXC) running there.",
    ),
    (
        NoSecretServiceError,
        "no-backend",
        "No OS keyring is available: no Secret Service runs in this D-Bus session.",
        "Start one in this session (`gnome-keyring-daemon --start --components=secrets`, or "
        "KeePassXC with its Secret Service integration), then try again.",
    ),
    (
        PromptDismissedError,
        "locked",
        "The OS keyring wanted a password prompt, which was dismissed or could not be shown.",
        "gnome-keyring asks on the desktop for the password that creates or unlocks its "
        "keyring; an SSH login, a container or CI has no desktop for it. Log in to the "
        "desktop once, or start it unlocked from this shell: `gnome-keyring-daemon --replace "
        "--unlock --components=secrets` (it reads the keyring password on stdin).",
    ),
    (
        keyring.errors.KeyringLocked,
        "locked",
        "The OS keyring is locked.",
        "Unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock` "
        "and type the keyring password), then try again.",
    ),
    (
        keyring.errors.NoKeyringError,
        "no-backend",
        "No OS keyring is available.",
        "On Linux smtp-wizard needs a Secret Service (gnome-keyring or KeePassXC) in a D-Bus "
        "session: install gnome-keyring and run it inside your login session. On macOS and "
        "Windows the system keychain is used.",
    ),
    (
        keyring.errors.InitError,
        "no-backend",
        "The OS keyring could not be opened.",
        "Check that the Secret Service runs in this session (is DBUS_SESSION_BUS_ADDRESS "
        "set?), or configure keyring's backend.",
    ),
    (
        keyring.errors.KeyringError,
        "error",
        "The OS keyring refused the request.",
        "The keyring's own message is below; it usually names the cause.",
    ),
)


def explain(exc: BaseException, action: str) -> SecretError:
    """A keyring exception as a SecretError: what happened, then what to do."""
    for cls, kind, message, hint in _EXPLAIN:
        if isinstance(exc, cls):
            detail = str(exc).strip()
            text = f"{message} ({action}: {detail})" if detail else f"{message} ({action})"
            return SecretError(text, f"{hint}\n{ENV_ALTERNATIVE}", kind)
    raise exc


def require_text(secret: Secret, what: str = "The password") -> Secret:
    """`secret` if it is text that UTF-8 can carry; else a UsageError that never shows it.

    A password read from the environment or a non-UTF-8 terminal arrives with its stray
    bytes as lone surrogates ('\\udcff'). Nothing downstream can carry them (the keyring,
    the SMTP login, a .env), and each would fail with an encoding error blamed on itself.
    """
    try:
        secret.reveal().encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{what} {NOT_UTF8}.",
            "It was typed or exported under a locale that is not UTF-8, or holds binary "
            "data. Set it again from a UTF-8 terminal (`locale` shows LANG=...UTF-8).",
        ) from None
    return secret


class SecretStore:
    """Passwords in the OS keyring, as `Secret` values, with failures explained.

    Each call takes an optional `timeout` (seconds) for the whole operation, so a caller
    with a deadline of its own (`check --timeout`) can hand over what is left of it.
    """

    def __init__(
        self,
        service: str = "smtp-wizard",
        *,
        backend: KeyringBackend | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.service = service
        self.keyring = GuardedKeyring(backend, timeout=timeout)

    def set(self, key: str, secret: Secret, *, timeout: float | None = None) -> None:
        """Store `secret` under `key` and check that it can be read back unchanged."""
        if not isinstance(secret, Secret):
            raise TypeError("SecretStore.set takes a Secret")
        try:
            require_text(secret)
        except UsageError as error:
            raise UsageError(error.message[:-1] + "; nothing was stored.", error.hint) from None
        try:
            self.keyring.set_password(self.service, key, secret.reveal(), timeout=timeout)
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "storing the password") from None

    def get(self, key: str, *, timeout: float | None = None) -> Secret | None:
        """The stored secret, or None when there is none under `key`."""
        try:
            value = self.keyring.get_password(self.service, key, timeout=timeout)
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "reading the password") from None
        return None if value is None else Secret(value)

    def delete(self, key: str, *, timeout: float | None = None) -> bool:
        """Remove the secret under `key`; False when there was none."""
        try:
            self.keyring.delete_password(self.service, key, timeout=timeout)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "deleting the password") from None
        return True


def resolve_password(
    ref: PasswordRef | None,
    profile: str,
    store: SecretStore | None = None,
    *,
    timeout: float | None = None,
) -> Secret:
    """The password a profile points to, or a SecretError saying why there is none.

    `timeout` bounds the keyring read (default: the store's own, 10 s); a command with a
    deadline passes what is left of it, so a hanging keyring cannot add its time on top.
    """
    if ref is None:
        raise SecretError(
            f"Profile {profile!r} has no password configured.",
            "Store one in the OS keyring with `smtp-wizard config set-password`, or add "
            'password = { env = "SMTP_PASSWORD" } to the profile.',
            kind="missing",
        )
    if isinstance(ref, EnvRef):
        value = os.environ.get(ref.var)
        if not value:
            raise SecretError(
                f"The password of profile {profile!r} comes from ${ref.var}, which is "
                f"{'empty' if value == '' else 'not set'}.",
                f"Set {ref.var} in this shell (e.g. read -rs {ref.var}; export {ref.var}).",
                kind="missing",
            )
        try:
            return require_text(Secret(value), f"${ref.var} (the password of {profile!r})")
        except UsageError as error:
            raise SecretError(error.message, error.hint, kind="invalid") from None
    assert isinstance(ref, KeyringRef)
    store = (
        store if store is not None and store.service == ref.service else SecretStore(ref.service)
    )
    secret = store.get(ref.key, timeout=timeout)
    if secret is None:
        raise SecretError(
            f"No password for profile {profile!r} in the OS keyring "
            f"(service {ref.service!r}, entry {ref.key!r}).",
            "Store it with `smtp-wizard config set-password` (a new machine or user account "
            f"has an empty keyring).\n{ENV_ALTERNATIVE}",
            kind="missing",
        )
    return secret
