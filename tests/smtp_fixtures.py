"""Fixtures for real SMTP servers on loopback (see tests/smtp_servers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.smtp_servers import (
    Certificates,
    RunningServer,
    Script,
    ServerLoop,
    start_scripted,
    start_smtpd,
)


@pytest.fixture(scope="session")
def server_loop() -> Iterator[ServerLoop]:
    loop = ServerLoop()
    yield loop
    loop.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def smtpd(server_loop: ServerLoop) -> Iterator[Callable[..., RunningServer]]:
    """Start an aiosmtpd server on 127.0.0.1 (closed after the test)."""
    started: list[RunningServer] = []

    def start(**options: Any) -> RunningServer:
        server = start_smtpd(server_loop, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def scripted(server_loop: ServerLoop) -> Iterator[Callable[[Script], RunningServer]]:
    """Start a scripted fault server on 127.0.0.1 (closed after the test)."""
    started: list[RunningServer] = []

    def start(script: Script) -> RunningServer:
        server = start_scripted(server_loop, script)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
