"""The provider a domain already uses, read from real DNS answers (tests/zones/suggest.test.zone).

Every lookup goes to the loopback DNS test server through the core resolver, as the
wizard's first screen does with `--nameserver`.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from smtp_wizard.suggest import Suggestions, suggest_providers
from tests.dns_server import DnsTestServer


def suggest(dns: DnsTestServer, domain: str, timeout: float = 5.0) -> Suggestions:
    return asyncio.run(suggest_providers(domain, nameservers=[dns.nameserver], timeout=timeout))


def ids(found: Suggestions) -> list[str]:
    return [s.provider.id for s in found]


def test_sendgrid_is_suggested_from_the_spf_include(dns: DnsTestServer) -> None:
    found = suggest(dns, "app.suggest.test")
    assert ids(found) == ["sendgrid"]
    assert found[0].reason == "SPF includes sendgrid.net"
    assert found.problems == ()  # no MX is no problem: it just says nothing


def test_google_is_suggested_from_the_mx_with_the_host_named(dns: DnsTestServer) -> None:
    found = suggest(dns, "mailbox.suggest.test")
    assert ids(found) == ["gmail"]
    assert found[0].reason == "MX is smtp.google.com (Google)"


def test_several_kinds_of_evidence_rank_first_and_each_provider_appears_once(
    dns: DnsTestServer,
) -> None:
    found = suggest(dns, "shop.suggest.test")
    assert ids(found) == ["gmail", "sendgrid"]
    google, sendgrid = found
    assert google.evidence == (
        "SPF includes _spf.google.com",
        "MX is aspmx.l.google.com (Google)",  # the most preferred host, not every host
        "DKIM key at google._domainkey.shop.suggest.test",
    )
    assert google.reason == "; ".join(google.evidence)
    assert sendgrid.reason == "SPF includes sendgrid.net"


@pytest.mark.parametrize(
    ("domain", "provider", "reason"),
    [
        (
            "office.suggest.test",
            "microsoft365",
            "MX is office-suggest-test.mail.protection.outlook.com (Microsoft 365)",
        ),
        ("zoho.suggest.test", "zoho", "MX is mx.zoho.eu (Zoho)"),
        ("handover.suggest.test", "gmail", "SPF redirects to _spf.google.com"),
        ("broken.suggest.test", "mailgun", "SPF includes mailgun.org"),
    ],
)
def test_mailbox_hosts_redirects_and_broken_records_are_recognised(
    dns: DnsTestServer, domain: str, provider: str, reason: str
) -> None:
    found = suggest(dns, domain)
    assert ids(found) == [provider]
    assert found[0].reason == reason


def test_an_address_is_taken_for_its_domain(dns: DnsTestServer) -> None:
    assert ids(suggest(dns, "noreply@App.Suggest.Test.")) == ["sendgrid"]


def test_a_domain_no_preset_knows_gives_nothing_and_no_problem(dns: DnsTestServer) -> None:
    found = suggest(dns, "plain.suggest.test")
    assert list(found) == []
    assert found.problems == ()
    assert found.reason == ""


def test_a_failing_dns_server_gives_an_empty_list_and_says_why(dns: DnsTestServer) -> None:
    dns.servfail("app.suggest.test")
    found = suggest(dns, "app.suggest.test")
    assert list(found) == []
    assert found.problems and all("SERVFAIL" in problem for problem in found.problems)
    assert "temporary" in found.reason


def test_a_domain_that_does_not_exist_is_a_reason_not_an_exception(dns: DnsTestServer) -> None:
    found = suggest(dns, "missing.suggest.test")
    assert list(found) == []
    assert "does not exist (NXDOMAIN)" in found.reason


def test_a_silent_dns_server_ends_within_the_timeout(dns: DnsTestServer) -> None:
    dns.drop("app.suggest.test")
    started = time.monotonic()
    found = suggest(dns, "app.suggest.test", timeout=1.0)
    assert time.monotonic() - started < 5
    assert list(found) == []
    assert "no answer in time" in found.reason


@pytest.mark.parametrize("domain", ["", "bad domain", "a\r\nb.test", "noreply@"])
def test_a_bad_domain_is_a_reason_not_an_exception(dns: DnsTestServer, domain: str) -> None:
    found = suggest(dns, domain)
    assert list(found) == []
    assert found.reason.startswith("Not a domain: ")
    assert dns.total_queries == 0


def test_a_bad_nameserver_is_a_reason_not_an_exception() -> None:
    found = asyncio.run(suggest_providers("app.suggest.test", nameservers=["not-an-ip"]))
    assert list(found) == []
    assert "not an IP address" in found.reason
