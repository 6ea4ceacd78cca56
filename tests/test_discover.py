"""Discovery: every port at once, about one timeout in all, and an RFC 8314 recommendation."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from smtp_wizard.checks.discover import PortReport, discover, ports_for, recommend
from smtp_wizard.providers import get_provider
from tests import smtp_servers as servers


async def loopback(host: str) -> list[str]:
    return ["127.0.0.1"]


def run_discover(ports: list[tuple[int, str]], timeout: float = 3.0, **kw: Any):
    return asyncio.run(discover("localhost", resolve=loopback, ports=ports, timeout=timeout, **kw))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_reports_each_port_and_recommends_implicit_tls_first(smtpd, certs) -> None:
    starttls = smtpd(starttls=certs.good())
    implicit = smtpd(implicit_tls=certs.good())
    refused = closed_port()
    found = run_discover(
        [(starttls.port, "starttls"), (implicit.port, "ssl"), (refused, "starttls")],
        cafile=certs.cafile,
    )
    by_port = {p.port: p for p in found.ports}
    assert by_port[starttls.port].status == "ok"
    assert by_port[implicit.port].status == "ok"
    assert by_port[refused].status == "refused"
    assert "AUTH LOGIN PLAIN" in by_port[starttls.port].summary
    assert "AUTH" not in starttls.received.verbs()  # discovery never logs in


def test_a_silent_port_costs_one_timeout_not_the_sum(smtpd, scripted, certs) -> None:
    silent = [scripted(servers.no_banner) for _ in range(3)]
    good = smtpd(starttls=certs.good())
    found = run_discover(
        [(s.port, "starttls") for s in silent] + [(good.port, "starttls")],
        timeout=2.0,
        cafile=certs.cafile,
    )
    assert [p.status for p in found.ports] == ["timeout", "timeout", "timeout", "ok"]
    assert found.elapsed_ms < 2 * 2000


def test_a_port_in_the_other_tls_mode_is_probed_again_in_that_mode(smtpd, certs) -> None:
    implicit = smtpd(implicit_tls=certs.good())
    starttls = smtpd(starttls=certs.good())
    found = run_discover(
        [(implicit.port, "starttls"), (starttls.port, "ssl")], timeout=6, cafile=certs.cafile
    )
    by_port = {p.port: p for p in found.ports}
    assert (by_port[implicit.port].status, by_port[implicit.port].security) == ("ok", "ssl")
    assert (by_port[starttls.port].status, by_port[starttls.port].security) == ("ok", "starttls")
    assert "wants ssl" in by_port[implicit.port].detail


def test_bad_certificates_and_non_smtp_ports_are_named(smtpd, scripted, certs) -> None:
    expired = smtpd(starttls=certs.expired())
    ssh = scripted(servers.ssh_banner)
    found = run_discover([(expired.port, "starttls"), (ssh.port, "starttls")], cafile=certs.cafile)
    statuses = {p.port: p.status for p in found.ports}
    assert statuses == {expired.port: "tls-failed", ssh.port: "not-smtp"}
    assert found.recommended is None
    assert found.exit_code == 1


def port(port: int, security: str, status: str) -> PortReport:
    return PortReport(port, security, status, "")


def test_recommendation_follows_rfc_8314() -> None:
    chosen, why = recommend([port(587, "starttls", "ok"), port(465, "ssl", "ok")])
    assert (chosen.port, chosen.security) == (465, "ssl")
    assert "RFC 8314" in why
    chosen, why = recommend([port(587, "starttls", "ok"), port(465, "ssl", "timeout")])
    assert chosen.port == 587 and "465 is not usable (timeout)" in why
    chosen, why = recommend(
        [
            port(587, "starttls", "timeout"),
            port(465, "ssl", "refused"),
            port(2525, "starttls", "ok"),
            port(25, "starttls", "ok"),
        ]
    )
    assert chosen.port == 2525
    assert "587 (timeout)" in why and "465 (refused)" in why
    chosen, why = recommend([port(587, "starttls", "tls-failed")])
    assert chosen is None and "--cafile" in why


def test_presets_with_2587_and_2465_add_them() -> None:
    assert (2587, "starttls") in ports_for(get_provider("ses"))
    assert (2465, "ssl") in ports_for(get_provider("ses"))
    assert ports_for(get_provider("sendgrid")) == ports_for(None)


def test_with_a_domain_the_submission_srv_records_are_read(smtpd, certs, dns) -> None:
    from smtp_wizard.checks.dns import make_resolver

    server = smtpd(starttls=certs.good())
    resolver = make_resolver([dns.nameserver], timeout=3)
    found = run_discover(
        [(server.port, "starttls")], srv=resolver.srv, domain="example.test", cafile=certs.cafile
    )
    records = {(service, r.target, r.port) for service, r in found.srv}
    assert records == {
        ("_submissions._tcp", "smtp.example.test", 465),
        ("_submission._tcp", "smtp.example.test", 587),
    }
    assert found.to_json()["srv"][0]["target"] == "smtp.example.test"


def test_srv_lookups_that_find_nothing_are_not_an_error(smtpd, certs, dns) -> None:
    from smtp_wizard.checks.dns import make_resolver

    server = smtpd(starttls=certs.good())
    resolver = make_resolver([dns.nameserver], timeout=3)
    found = run_discover(
        [(server.port, "starttls")], srv=resolver.srv, domain="dangling.test", cafile=certs.cafile
    )
    assert found.srv == [] and found.srv_problem == ""
