"""dns.mx against the loopback DNS server."""

from __future__ import annotations

import asyncio

from smtp_wizard.checks.dns import make_resolver
from smtp_wizard.checks.model import Status
from smtp_wizard.checks.mx import mx_check


def check(dns, domain: str, timeout: float = 5):
    return asyncio.run(mx_check(domain, make_resolver([dns.nameserver], timeout=timeout)))


def test_an_mx_whose_target_resolves_passes(dns) -> None:
    result = check(dns, "example.test")
    assert result.status is Status.PASS
    assert result.summary == "MX: 10 mail.example.test"
    assert result.subject == "example.test"


def test_a_dangling_mx_is_named(dns) -> None:
    result = check(dns, "dangling.test")
    assert result.status is Status.FAIL
    assert "gone.dangling.test" in result.summary


def test_some_dangling_targets_warn(dns) -> None:
    result = check(dns, "multi-mx.example.test")
    assert result.status is Status.WARN
    assert "mx2.example.test, mx3.example.test do not resolve" in result.summary
    assert "mx1" not in result.summary


def test_no_mx_warns_that_mail_falls_back_to_a(dns) -> None:
    result = check(dns, "smtp.example.test")
    assert result.status is Status.WARN
    assert "no MX record" in result.summary
    assert "A record" in result.advice


def test_a_null_mx_warns_that_bounces_are_lost(dns) -> None:
    result = check(dns, "nullmx.example.test")
    assert result.status is Status.WARN
    assert "null MX" in result.summary


def test_servfail_fails_and_says_temporary(dns) -> None:
    dns.servfail("example.test")
    result = check(dns, "example.test")
    assert result.status is Status.FAIL
    assert "temporary" in result.summary
