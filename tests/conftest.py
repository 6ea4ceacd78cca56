"""Fixtures shared by every test.

`_isolate` (autouse) keeps the developer's own config, keyring and `.env` out of every
test: a temporary HOME and working folder, and keyring pointed at its failing backend
unless a test asks for the real Secret Service through `secret_service`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring.core
import pytest
from keyring.backends import SecretService, fail

from tests.keyring_daemon import SecretServiceSession, start_secret_service

pytest_plugins = ["tests.smtp_fixtures", "tests.dns_fixtures"]

FAIL_BACKEND = "keyring.backends.fail.Keyring"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(component: str, reason: str) -> None:
    """Skip on a developer machine that lacks `component`; fail in CI, where it must exist."""
    message = f"{component} is not available: {reason}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    work = tmp_path / "app"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(var, raising=False)
    for var in ("DBUS_SESSION_BUS_ADDRESS", "SMTP_PASSWORD", "KEYRING_PROPERTY_KEYRING"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL_BACKEND)
    monkeypatch.setenv("NO_COLOR", "1")
    # Only loopback, ever: a lookup that forgets --nameserver goes to 127.0.0.1:53, where
    # nothing answers, instead of this machine's real resolver (subprocesses inherit it).
    resolv_conf = tmp_path / "loopback-resolv.conf"
    resolv_conf.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    monkeypatch.setenv("SMTP_WIZARD_RESOLV_CONF", str(resolv_conf))
    monkeypatch.chdir(work)
    keyring.core.set_keyring(fail.Keyring())
    yield work
    keyring.core.set_keyring(fail.Keyring())


@pytest.fixture(scope="session")
def _secret_service_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecretServiceSession | None]:
    try:
        session = start_secret_service(tmp_path_factory.mktemp("secret-service"))
    except RuntimeError as exc:
        yield None
        session_error = str(exc)
        _SESSION_ERRORS.append(session_error)
        return
    try:
        yield session
    finally:
        session.stop()


_SESSION_ERRORS: list[str] = []


@pytest.fixture
def secret_service(
    _secret_service_session: SecretServiceSession | None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SecretServiceSession]:
    """The real Secret Service: gnome-keyring-daemon, unlocked, in a private D-Bus session.

    keyring is pointed at it for the test (and for subprocesses, through the environment).
    """
    session = _secret_service_session
    if session is None:
        require("gnome-keyring-daemon", _SESSION_ERRORS[-1] if _SESSION_ERRORS else "not started")
    assert session is not None
    for name, value in session.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", SECRET_SERVICE_BACKEND)
    keyring.core.set_keyring(SecretService.Keyring())
    yield session
    session.clear()  # the daemon is shared by the session: no secret outlives its test
