"""pytest fixtures for the DNS test server (`tests/dns_server.py`).

Registered for the whole suite by `pytest_plugins = ["tests.dns_fixtures"]`.

- `dns_server` (session): one server on 127.0.0.1 serving every `tests/zones/*.zone`,
  started once; `.address`, `.port`, `.nameserver` ("127.0.0.1:PORT") and the fault
  controls. Faults set through it directly outlive the test: use `dns` for those.
- `dns` (function): the same server, with faults and query counters cleared before and
  after the test, so no fault of one test reaches another.

Note that a test taking the `dns` fixture shadows the `dns` package inside that test;
import dnspython's modules by their own names there (`from dns import message`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dns_server import ZONES_DIR, DnsTestServer

__all__ = ["dns", "dns_server"]


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsTestServer]:
    """The authoritative test server for every zone file, for the whole session."""
    with DnsTestServer(ZONES_DIR) as server:
        yield server


@pytest.fixture
def dns(dns_server: DnsTestServer) -> Iterator[DnsTestServer]:
    """The test server with clean faults and counters, reset again after the test."""
    dns_server.reset()
    yield dns_server
    dns_server.reset()
