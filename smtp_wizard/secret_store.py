"""The password's home: the OS keyring, with every failure told apart and explained.

Two layers. `GuardedKeyring` is a keyring backend that wraps the real one: each call is
bounded in time (a Secret Service that never answers must not hang the wizard) and each
`set_password` is read back (the null backend accepts a password and keeps nothing).
`SecretStore` sits on top, speaks in `Secret` values, and turns every keyring failure into
a `SecretError` that says what happened and offers the alternative: an environment
variable named in the config. It never falls back to a plaintext file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from smtp_wizard.config import EnvRef, KeyringRef, PasswordRef
from smtp_wizard.errors import SecretError
from smtp_wizard.secret import Secret

DEFAULT_TIMEOUT = 10.0
ENV_ALTERNATIVE = (
    "Or keep the password out of the keyring: write "
    'password = { env = "SMTP_PASSWORD" } in the profile and set SMTP_PASSWORD in the '
    "environment of the app and of smtp-wizard."
)

T = TypeVar("T")


class KeyringTimeoutError(keyring.errors.KeyringError):
    """The backend did not answer in time (a Secret Service stuck on a prompt, a dead bus)."""


class KeyringBackendError(keyring.errors.KeyringError):
    """The backend failed with an error of its own kind (e.g. no D-Bus socket)."""


class SecretDroppedError(keyring.errors.PasswordSetError):
    """The backend accepted the password but reading it back gave something else."""


class GuardedKeyring(KeyringBackend):
    """A keyring backend over another one, adding a time bound and a read-back.

    The wrapped backend's own errors pass through unchanged, so this class keeps the
    keyring backend contract (it is tested with keyring's `BackendBasicTests`).
    """

    priority = 0  # never chosen by keyring's discovery; built explicitly

    def __init__(self, inner: KeyringBackend | None = None, timeout: float = DEFAULT_TIMEOUT):
        super().__init__()
        self._inner = inner
        self.timeout = timeout

    @property
    def inner(self) -> KeyringBackend:
        """The real backend, found on first use (finding it may itself touch D-Bus)."""
        if self._inner is None:
            self._inner = self._bounded("find the keyring backend", keyring.get_keyring)
        return self._inner

    @property
    def backend_name(self) -> str:
        inner = self.inner
        return f"{type(inner).__module__}.{type(inner).__name__}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._bounded("read", self.inner.get_password, service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._bounded("write", self.inner.set_password, service, username, password)
        stored = self._bounded("read back", self.inner.get_password, service, username)
        if stored != password:
            what = "kept nothing" if stored is None else "returned a different value"
            raise SecretDroppedError(
                f"the keyring backend {self.backend_name} accepted the password but {what} "
                "when it was read back"
            )

    def delete_password(self, service: str, username: str) -> None:
        self._bounded("delete", self.inner.delete_password, service, username)

    def _bounded(self, what: str, call: Callable[..., T], *args: str) -> T:
        """Run `call` in a daemon thread; give up after `timeout` seconds.

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
        if not finished.wait(self.timeout):
            raise KeyringTimeoutError(
                f"the keyring did not answer within {self.timeout:g} s (trying to {what})"
            )
        error = outcome.get("error")
        if isinstance(error, keyring.errors.KeyringError):
            raise error
        if isinstance(error, Exception):
            # secretstorage and jeepney raise OSError, D-Bus errors and more; name the kind
            # and the text, never the arguments (the password is one of them).
            text = str(error).replace(args[-1], "********") if args else str(error)
            raise KeyringBackendError(f"{type(error).__name__}: {text}") from None
        if error is not None:
            raise error  # KeyboardInterrupt, SystemExit
        return outcome.get("value")  # type: ignore[return-value]


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


class SecretStore:
    """Passwords in the OS keyring, as `Secret` values, with failures explained."""

    def __init__(
        self,
        service: str = "smtp-wizard",
        *,
        backend: KeyringBackend | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.service = service
        self.keyring = GuardedKeyring(backend, timeout=timeout)

    def set(self, key: str, secret: Secret) -> None:
        """Store `secret` under `key` and check that it can be read back unchanged."""
        if not isinstance(secret, Secret):
            raise TypeError("SecretStore.set takes a Secret")
        try:
            self.keyring.set_password(self.service, key, secret.reveal())
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "storing the password") from None

    def get(self, key: str) -> Secret | None:
        """The stored secret, or None when there is none under `key`."""
        try:
            value = self.keyring.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "reading the password") from None
        return None if value is None else Secret(value)

    def delete(self, key: str) -> bool:
        """Remove the secret under `key`; False when there was none."""
        try:
            self.keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise explain(exc, "deleting the password") from None
        return True


def resolve_password(
    ref: PasswordRef | None, profile: str, store: SecretStore | None = None
) -> Secret:
    """The password a profile points to, or a SecretError saying why there is none."""
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
        return Secret(value)
    assert isinstance(ref, KeyringRef)
    store = (
        store if store is not None and store.service == ref.service else SecretStore(ref.service)
    )
    secret = store.get(ref.key)
    if secret is None:
        raise SecretError(
            f"No password for profile {profile!r} in the OS keyring "
            f"(service {ref.service!r}, entry {ref.key!r}).",
            "Store it with `smtp-wizard config set-password` (a new machine or user account "
            f"has an empty keyring).\n{ENV_ALTERNATIVE}",
            kind="missing",
        )
    return secret
