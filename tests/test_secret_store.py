"""Secrets in the real Secret Service, and every way a keyring can fail, told apart."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import keyring.core
import pytest
import secretstorage
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, null
from keyring.testing.backend import BackendBasicTests

from smtp_wizard.config import EnvRef, KeyringRef
from smtp_wizard.errors import SecretError, UsageError
from smtp_wizard.secret import Secret
from smtp_wizard.secret_store import GuardedKeyring, SecretStore, resolve_password
from tests.conftest import require
from tests.keyring_daemon import SecretServiceSession, start_secret_service

PASSWORD = "s3cr3t $HOME #x 'q' \"d\" \\ é🔑"


class TestGuardedKeyringKeepsTheBackendContract(BackendBasicTests):
    """keyring's own contract tests, run on our wrapper over the real Secret Service."""

    @pytest.fixture(autouse=True)
    def _init_properties(self, request: pytest.FixtureRequest, secret_service: object) -> None:
        self.keyring = self.init_keyring()
        self.credentials_created: set[tuple[str, str]] = set()
        request.addfinalizer(self.cleanup)

    def init_keyring(self) -> GuardedKeyring:
        return GuardedKeyring(SecretService.Keyring(), timeout=10)


def test_store_sets_gets_and_deletes_in_the_secret_service(secret_service: object) -> None:
    store = SecretStore()
    store.set("abc123/default", Secret(PASSWORD))
    got = store.get("abc123/default")
    assert got is not None and got.reveal() == PASSWORD
    assert store.delete("abc123/default") is True
    assert store.get("abc123/default") is None
    assert store.delete("abc123/default") is False


def test_the_secret_is_really_in_the_secret_service(secret_service: object) -> None:
    SecretStore().set("feedbeef/default", Secret(PASSWORD))
    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        items = list(
            collection.search_items({"service": "smtp-wizard", "username": "feedbeef/default"})
        )
        assert [item.get_secret().decode() for item in items] == [PASSWORD]


def test_no_file_under_the_keyring_home_holds_the_password_in_clear(
    secret_service: SecretServiceSession,
) -> None:
    SecretStore().set("cafe0001/default", Secret(PASSWORD))
    for path in Path(secret_service.home).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_two_config_ids_keep_their_secrets_apart(secret_service: object) -> None:
    store = SecretStore()
    store.set("aaaaaaaa/default", Secret("first"))
    store.set("bbbbbbbb/default", Secret("second"))
    assert store.get("aaaaaaaa/default") == Secret("first")
    assert store.get("bbbbbbbb/default") == Secret("second")


def test_no_backend_at_all_is_named_and_the_env_alternative_offered() -> None:
    # the autouse fixture points keyring at its failing backend: no keyring at all
    with pytest.raises(SecretError) as caught:
        SecretStore().set("abc/default", Secret(PASSWORD))
    assert caught.value.kind == "no-backend"
    assert "No OS keyring" in caught.value.message
    assert 'password = { env = "SMTP_PASSWORD" }' in caught.value.hint
    assert PASSWORD not in str(caught.value)


def test_secret_service_without_a_dbus_session_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # found anew from the env
    with pytest.raises(SecretError) as caught:
        SecretStore(timeout=5).get("abc/default")
    assert caught.value.kind == "no-backend"
    assert "D-Bus" in caught.value.hint
    assert "SMTP_PASSWORD" in caught.value.hint


def test_a_backend_that_drops_secrets_is_caught_by_the_read_back() -> None:
    with pytest.raises(SecretError) as caught:
        SecretStore(backend=null.Keyring()).set("abc/default", Secret(PASSWORD))
    assert caught.value.kind == "dropped"
    assert "does not keep secrets" in caught.value.message
    assert "kept nothing" in caught.value.message
    assert PASSWORD not in str(caught.value)


@pytest.fixture
def silent_bus(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts D-Bus clients and never says a word: a hung service."""
    path = tmp_path / "silent-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    try:
        yield f"unix:path={path}"
    finally:
        server.close()


def test_a_hanging_secret_service_ends_at_the_time_bound(
    silent_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", silent_bus)
    store = SecretStore(backend=SecretService.Keyring(), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(SecretError) as caught:
        store.set("abc/default", Secret(PASSWORD))
    elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert "did not answer" in caught.value.message
    assert elapsed < 3


def test_the_default_time_bound_is_ten_seconds() -> None:
    assert SecretStore().keyring.timeout == 10


@pytest.fixture
def locked_secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Secret Service of its own whose default collection has been locked."""
    try:
        session = start_secret_service(tmp_path / "locked")
    except RuntimeError as exc:
        require("gnome-keyring-daemon", str(exc))
    try:
        for name, value in session.environ().items():
            monkeypatch.setenv(name, value)
        with secretstorage.dbus_init() as connection:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            assert collection.is_locked()
        yield
    finally:
        session.stop()


def test_a_locked_keyring_is_named_as_locked(locked_secret_service: None) -> None:
    store = SecretStore(backend=SecretService.Keyring(), timeout=3.0)
    with pytest.raises(SecretError) as caught:
        store.set("abc/default", Secret(PASSWORD))
    assert caught.value.kind == "locked"
    assert "Unlock" in caught.value.hint
    assert PASSWORD not in str(caught.value)


def test_resolve_reads_an_environment_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SMTP_PASSWORD", PASSWORD)
    assert resolve_password(EnvRef("APP_SMTP_PASSWORD"), "default").reveal() == PASSWORD


@pytest.mark.parametrize("value", [None, ""])
def test_resolve_explains_an_unset_or_empty_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("APP_SMTP_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("APP_SMTP_PASSWORD", value)
    with pytest.raises(SecretError, match=r"\$APP_SMTP_PASSWORD"):
        resolve_password(EnvRef("APP_SMTP_PASSWORD"), "default")


def test_resolve_explains_a_missing_keyring_entry(secret_service: object) -> None:
    with pytest.raises(SecretError, match="No password for profile 'default'"):
        resolve_password(KeyringRef("smtp-wizard", "0000aaaa/default"), "default")


def test_resolve_explains_a_profile_without_password() -> None:
    with pytest.raises(SecretError, match="no password configured"):
        resolve_password(None, "default")


def test_an_empty_chainer_is_no_keyring_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's chainer with nothing to chain would accept a password and keep nothing."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.chainer.ChainerBackend")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # found anew from the env
    started = time.monotonic()
    with pytest.raises(SecretError) as caught:
        SecretStore().set("abc/default", Secret(PASSWORD))
    assert time.monotonic() - started < 1
    assert caught.value.kind == "no-backend"
    assert "No OS keyring is available" in caught.value.message
    assert "no D-Bus session" in caught.value.message
    assert PASSWORD not in str(caught.value)


def test_a_time_bound_given_by_the_caller_replaces_the_default(
    silent_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", silent_bus)
    store = SecretStore(backend=SecretService.Keyring())  # default: 10 s
    started = time.monotonic()
    with pytest.raises(SecretError) as caught:
        store.get("abc/default", timeout=0.5)
    assert time.monotonic() - started < 2
    assert caught.value.kind == "timeout"
    assert "0.5 s" in caught.value.message


def test_resolve_password_reads_the_keyring_within_the_callers_deadline(
    silent_bus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", silent_bus)
    store = SecretStore(backend=SecretService.Keyring())
    started = time.monotonic()
    with pytest.raises(SecretError) as caught:
        resolve_password(KeyringRef("smtp-wizard", "abc/default"), "default", store, timeout=0.5)
    assert time.monotonic() - started < 2
    assert caught.value.kind == "timeout"


class SlowKeyring(KeyringBackend):
    """A backend whose every call takes `delay` seconds (pure logic: the shared deadline)."""

    priority = 0
    viable = False  # never a candidate in keyring's discovery (see GuardedKeyring)

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(self.delay)
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(self.delay)
        self.stored[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(self.delay)
        del self.stored[service, username]


def test_the_write_and_its_read_back_share_one_deadline() -> None:
    # each call alone fits in the bound; both together do not
    store = SecretStore(backend=SlowKeyring(0.4), timeout=0.6)
    started = time.monotonic()
    with pytest.raises(SecretError) as caught:
        store.set("abc/default", Secret(PASSWORD))
    assert time.monotonic() - started < 1.0
    assert caught.value.kind == "timeout"
    assert "read back" in caught.value.message


NOT_UTF8_PASSWORD = "pw\udcff\udcfe"  # bytes 0xff 0xfe, as surrogateescape delivers them


def test_a_password_that_is_not_utf8_is_refused_before_the_keyring(
    secret_service: object,
) -> None:
    store = SecretStore()
    with pytest.raises(UsageError) as caught:
        store.set("abc/default", Secret(NOT_UTF8_PASSWORD))
    assert "not UTF-8 text" in caught.value.message
    assert "nothing was stored" in caught.value.message
    assert "keyring" not in caught.value.message.lower()  # not blamed on the keyring
    assert "\udcff" not in str(caught.value) and "pw" not in str(caught.value)
    assert store.get("abc/default") is None


def test_an_env_password_that_is_not_utf8_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SMTP_PASSWORD", NOT_UTF8_PASSWORD)
    with pytest.raises(SecretError) as caught:
        resolve_password(EnvRef("APP_SMTP_PASSWORD"), "default")
    assert caught.value.kind == "invalid"
    assert "$APP_SMTP_PASSWORD" in caught.value.message
    assert "not UTF-8 text" in caught.value.message
    assert "\udcff" not in str(caught.value)
