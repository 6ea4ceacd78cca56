"""The DNS checks and the records plan against a real DNS server, through the real resolver.

`tests/test_spf.py`, `test_dkim.py` and friends judge records held in memory. These tests
ask what a user's run asks: every lookup goes through `make_resolver` over UDP (and TCP
when an answer is truncated) to the test server on 127.0.0.1, which serves
`tests/zones/*.zone`, one zone per scenario. SERVFAIL and silence are the server's own
faults, switched on per name. Only loopback is contacted.

The verdicts asserted are DESIGN.md's: a missing SPF or DMARC record fails; `+all` fails; a
temporary error (SERVFAIL, timeout) fails and says it is temporary; no MX warns; an MX
whose target does not resolve warns (one of several) or fails (all of them); a DMARC tag
with a bad value warns. Issue 4 adds the rest: two SPF records are a permerror with one
merged record as advice, more than ten lookups a permerror with each include's cost, more
than two void lookups a permerror, loops found, DKIM keys weighed.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Final, TypeVar

import pytest
from dns import name as dns_name
from dns import rdataset as dns_rdataset

from smtp_wizard.checks.dkim import dkim_check
from smtp_wizard.checks.dmarc import dmarc_check
from smtp_wizard.checks.dns import Resolver, make_resolver
from smtp_wizard.checks.domain import DomainReport, domain_checks
from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.checks.mx import mx_check
from smtp_wizard.checks.smtp import SmtpSettings, prepare, smtp_checks
from smtp_wizard.checks.spf import SpfReport, analyse_spf, evaluate_for_ip, spf_check
from smtp_wizard.providers import Provider, get_provider
from smtp_wizard.records import RecordPlan, records_to_add, render_records_text
from tests.dns_server import ALL, DnsTestServer, load_zones

pytest_plugins = ["tests.dns_fixtures"]

T = TypeVar("T")

SHORT_TIMEOUT: Final = 1.0  # for names the server never answers: the tests wait this long
LATENCY: Final = 0.05  # injected per answer in the concurrency test

# A provider preset whose SPF include is served by the test server (bulkmail.test), so that
# provider tests never ask a public name such as sendgrid.net. Its include costs 3 lookups.
BULKMAIL: Final = replace(
    get_provider("sendgrid"),
    id="bulkmail",
    name="Bulkmail",
    spf_include="_spf.bulkmail.test",
    dkim_selectors=("s1", "s2"),
    dkim_hint="Bulkmail dashboard > Domains > DKIM shows the key for each selector.",
)


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def resolver(server: DnsTestServer, timeout: float = 5.0) -> Resolver:
    """The resolver `--nameserver 127.0.0.1:PORT --timeout N` builds."""
    return make_resolver([server.nameserver], timeout=timeout)


def report(server: DnsTestServer, domain: str, include: str | None = None) -> SpfReport:
    return run(analyse_spf(domain, resolver(server), include))


def codes(spf: SpfReport) -> set[str]:
    return {finding.code for finding in spf.findings}


def finding(spf: SpfReport, code: str) -> str:
    return next(f.message for f in spf.findings if f.code == code)


def provider_with_include(include: str) -> Provider:
    return replace(BULKMAIL, spf_include=include)


# =========================================================================== a valid domain


def test_a_domain_with_everything_in_order_passes_every_check(dns: DnsTestServer) -> None:
    async def checks() -> list[CheckResult]:
        return list(
            await asyncio.gather(
                spf_check("valid.test", resolver(dns)),
                dkim_check("valid.test", "s2048", resolver(dns)),
                dkim_check("valid.test", "ed", resolver(dns)),
                dmarc_check("valid.test", resolver(dns)),
                mx_check("valid.test", resolver(dns)),
            )
        )

    results = run(checks())
    assert [(r.id, r.status) for r in results] == [
        ("dns.spf", Status.PASS),
        ("dns.dkim", Status.PASS),
        ("dns.dkim", Status.PASS),
        ("dns.dmarc", Status.PASS),
        ("dns.mx", Status.PASS),
    ]
    spf, rsa, ed25519, dmarc, mx = results
    assert spf.summary == "SPF record found; 2 of 10 DNS lookups"
    assert rsa.summary == "DKIM RSA 2048-bit key found at s2048._domainkey.valid.test"
    assert ed25519.summary == "DKIM ed25519 key found at ed._domainkey.valid.test"
    assert "sign with an RSA key as well" in ed25519.advice
    assert dmarc.summary == "DMARC p=reject at _dmarc.valid.test: failing mail is refused"
    assert mx.summary == "MX: 10 mx.valid.test"


def test_an_include_in_another_zone_is_followed_and_its_cost_reported(dns: DnsTestServer) -> None:
    spf = report(dns, "valid.test")
    assert spf.lookups == 2 and spf.void_lookups == 0
    assert [(c.term, c.lookups) for c in spf.includes] == [("include:_spf.relay.test", 1)]
    assert dns.count("_spf.relay.test", "TXT") == 1


def test_check_host_follows_the_include_and_the_mx_of_a_valid_domain(dns: DnsTestServer) -> None:
    through_include = run(evaluate_for_ip("valid.test", "192.0.2.10", resolver(dns)))
    through_mx = run(evaluate_for_ip("valid.test", "127.0.0.1", resolver(dns)))
    stranger = run(evaluate_for_ip("valid.test", "198.51.100.1", resolver(dns)))
    assert through_include.status is Status.PASS
    assert "matched include:_spf.relay.test" in through_include.detail
    assert through_mx.status is Status.PASS and "matched mx" in through_mx.detail
    assert stranger.status is Status.FAIL and "(SPF fail)" in stranger.summary


def test_dmarc_reports_to_another_domain_are_checked_for_its_consent(dns: DnsTestServer) -> None:
    result = run(dmarc_check("valid.test", resolver(dns)))
    assert result.status is Status.PASS and "will be dropped" not in result.detail
    assert dns.count("valid.test._report._dmarc.relay.test", "TXT") == 1


# =========================================================================== SPF


def test_a_domain_without_spf_record_fails_and_is_offered_one(dns: DnsTestServer) -> None:
    result = run(spf_check("bare.test", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == "no SPF record: bare.test has no TXT record"
    assert "v=spf1 include:<your provider's SPF domain> ~all" in result.advice
    assert "Replace the placeholder" in result.advice


def test_the_record_offered_to_a_domain_without_spf_holds_the_provider_include(
    dns: DnsTestServer,
) -> None:
    result = run(spf_check("bare.test", resolver(dns), BULKMAIL))
    assert result.status is Status.FAIL
    assert "v=spf1 include:_spf.bulkmail.test ~all" in result.advice


def merged_terms(record: str) -> tuple[str, list[str], str]:
    """A merged record as (version, its mechanisms sorted, its one `all`)."""
    terms = record.split()
    alls = [t for t in terms if t.lstrip("+-~?") == "all"]
    assert len(alls) == 1 and terms[-1] == alls[0], record
    return terms[0], sorted(terms[1:-1]), terms[-1]


def test_two_spf_records_are_a_permerror_and_the_advice_is_one_merged_record(
    dns: DnsTestServer,
) -> None:
    spf = report(dns, "two-spf.test")
    assert spf.status is Status.FAIL and "multiple" in codes(spf)
    assert sorted(spf.records) == [
        "v=spf1 include:_spf.relay.test ~all",
        "v=spf1 ip4:192.0.2.1 -all",
    ]  # the third TXT record is not SPF and is left alone
    assert spf.merged_record is not None
    version, mechanisms, final = merged_terms(spf.merged_record)
    assert (version, mechanisms) == ("v=spf1", ["include:_spf.relay.test", "ip4:192.0.2.1"])
    assert final in ("-all", "~all")
    result = run(spf_check("two-spf.test", resolver(dns)))
    assert result.summary == "2 SPF records are published; exactly one is allowed (permerror)"
    assert "Delete them all and publish this single merged record: v=spf1 " in result.advice


def test_the_merged_record_does_not_depend_on_the_order_the_server_sends_records_in(
    dns: DnsTestServer,
) -> None:
    async def merges() -> tuple[set[str | None], set[str]]:
        audits = await asyncio.gather(
            *(analyse_spf("two-spf.test", resolver(dns)) for _ in range(16))
        )
        plans = await asyncio.gather(
            *(records_to_add("two-spf.test", resolver(dns)) for _ in range(16))
        )
        added = {row.value for plan in plans for row in plan.spf.rows if row.action == "add"}
        return {audit.merged_record for audit in audits}, added

    advised, planned = run(merges())
    assert len(advised) == 1, advised
    assert len(planned) == 1, planned


def test_a_receiver_gets_permerror_from_two_spf_records(dns: DnsTestServer) -> None:
    result = run(evaluate_for_ip("two-spf.test", "192.0.2.1", resolver(dns)))
    assert result.status is Status.FAIL and "(permerror)" in result.summary
    assert "publishes 2 SPF records" in result.detail


def test_more_than_ten_lookups_fail_and_say_what_each_include_costs(dns: DnsTestServer) -> None:
    spf = report(dns, "many-lookups.test")
    assert spf.lookups == 11 and "too-many-lookups" in codes(spf)
    costs = {(c.term, c.depth): c.lookups for c in spf.includes}
    assert costs == {
        ("include:_spf.many-lookups.test", 1): 7,
        ("include:_spf.chain.test", 1): 3,
        ("include:_a.many-lookups.test", 2): 3,
        ("include:_b.many-lookups.test", 2): 3,
        ("include:_next.chain.test", 2): 2,
    }
    result = run(spf_check("many-lookups.test", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == (
        "11 DNS lookups (limit 10): include:_spf.many-lookups.test costs 7, "
        "include:_spf.chain.test costs 3"
    )
    assert "Receivers stop after 10 DNS lookups and return permerror" in result.advice


def test_a_receiver_gives_up_with_permerror_at_the_eleventh_lookup(dns: DnsTestServer) -> None:
    result = run(evaluate_for_ip("many-lookups.test", "198.51.100.1", resolver(dns)))
    assert result.status is Status.FAIL and "(permerror)" in result.summary
    assert "more than 10 DNS lookups (the limit was passed at a:relay.chain.test)" in result.detail


def test_three_void_lookups_through_a_mx_and_exists_fail(dns: DnsTestServer) -> None:
    spf = report(dns, "voids.test")
    assert spf.void_lookups == 3 and spf.status is Status.FAIL
    message = finding(spf, "too-many-voids")
    assert message.startswith("3 void lookups (limit 2): ")
    for void in (
        "a:gone-a.voids.test: gone-a.voids.test has no A or AAAA record",  # NXDOMAIN
        "mx:no-mx.voids.test: no-mx.voids.test has no MX record",  # the name exists: NODATA
        "exists:gone-exists.voids.test: gone-exists.voids.test has no A record",
    ):
        assert void in message


def test_a_receiver_gives_up_with_permerror_at_the_third_void_lookup(dns: DnsTestServer) -> None:
    result = run(evaluate_for_ip("voids.test", "192.0.2.20", resolver(dns)))
    assert result.status is Status.FAIL and "(permerror)" in result.summary
    assert "more than 2 void lookups" in result.detail
    assert "passed at gone-exists.voids.test" in result.detail


def test_exactly_two_void_lookups_are_allowed_with_a_warning(dns: DnsTestServer) -> None:
    spf = report(dns, "two-voids.test")
    assert spf.void_lookups == 2 and spf.status is Status.WARN
    assert "too-many-voids" not in codes(spf)
    result = run(evaluate_for_ip("two-voids.test", "192.0.2.30", resolver(dns)))
    assert result.status is Status.PASS and "void lookups: 2 of 2" in result.detail


def test_an_include_loop_is_found_and_every_name_asked_only_once(dns: DnsTestServer) -> None:
    spf = report(dns, "loop.test")
    assert spf.status is Status.FAIL
    assert finding(spf, "loop") == (
        "_a.loop.test → _b.loop.test → include:loop.test loops back to loop.test"
    )
    for name in ("loop.test", "_a.loop.test", "_b.loop.test"):
        assert dns.count(name, "TXT") == 1


def test_a_receiver_stops_an_include_loop_with_permerror(dns: DnsTestServer) -> None:
    result = run(evaluate_for_ip("loop.test", "198.51.100.1", resolver(dns)))
    assert result.status is Status.FAIL and "(permerror)" in result.summary
    assert "loops back to loop.test" in result.detail


def test_plus_all_fails_because_it_lets_any_server_send(dns: DnsTestServer) -> None:
    result = run(spf_check("plus-all.test", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == "+all authorises every server on the internet to send as this domain"
    assert "Replace +all with ~all" in result.advice
    anyone = run(evaluate_for_ip("plus-all.test", "198.51.100.99", resolver(dns)))
    assert anyone.status is Status.PASS  # which is the problem


def test_an_spf_record_split_into_several_strings_is_joined_without_separator(
    dns: DnsTestServer,
) -> None:
    """The zone cuts the record inside an address: `"ip4:192.0" ".2.70"`."""
    result = run(spf_check("split.test", resolver(dns)))
    assert result.status is Status.PASS
    assert (
        "record: v=spf1 ip4:192.0.2.70 ip4:192.0.2.71 include:_spf.relay.test -all" in result.detail
    )
    allowed = run(evaluate_for_ip("split.test", "192.0.2.70", resolver(dns)))
    assert allowed.status is Status.PASS and "matched ip4:192.0.2.70" in allowed.detail


def test_the_provider_include_is_reported_when_present(dns: DnsTestServer) -> None:
    result = run(spf_check("valid.test", resolver(dns), provider_with_include("_spf.relay.test")))
    assert result.status is Status.PASS
    assert result.summary.endswith("; include:_spf.relay.test present")


def test_a_missing_provider_include_warns_with_the_record_to_publish_instead(
    dns: DnsTestServer,
) -> None:
    result = run(spf_check("merge.test", resolver(dns), BULKMAIL))
    assert result.status is Status.WARN
    assert result.summary == "include:_spf.bulkmail.test (the provider's servers) is missing"
    assert (
        "Change the existing record (do not add a second one) to: "
        "v=spf1 mx include:_spf.relay.test include:_spf.bulkmail.test ~all"
    ) in result.advice


# =========================================================================== temporary faults


SERVFAIL_CHECKS: Final[dict[str, Callable[[DnsTestServer], Awaitable[CheckResult]]]] = {
    "spf": lambda server: spf_check("servfail.test", resolver(server)),
    "dkim": lambda server: dkim_check("servfail.test", "s1", resolver(server)),
    "dmarc": lambda server: dmarc_check("servfail.test", resolver(server)),
    "mx": lambda server: mx_check("servfail.test", resolver(server)),
}


@pytest.mark.parametrize(
    ("check", "failing"),
    [
        ("spf", "servfail.test"),
        ("spf", "_spf.servfail.test"),  # deep in the include tree
        ("dkim", "s1._domainkey.servfail.test"),
        ("dmarc", "_dmarc.servfail.test"),
        ("mx", "servfail.test"),
    ],
)
def test_a_servfail_fails_the_check_and_says_it_is_temporary(
    dns: DnsTestServer, check: str, failing: str
) -> None:
    dns.servfail(failing)
    result = run(SERVFAIL_CHECKS[check](dns))
    assert result.status is Status.FAIL
    assert "temporary" in result.summary.lower(), result.summary
    assert "SERVFAIL" in f"{result.summary}\n{result.detail}"
    assert failing in f"{result.summary}\n{result.detail}"
    assert dns.count(failing) >= 1


def test_a_servfail_on_one_name_leaves_the_other_checks_alone(dns: DnsTestServer) -> None:
    dns.servfail("_dmarc.servfail.test")

    async def checks() -> list[CheckResult]:
        return list(await asyncio.gather(*(check(dns) for check in SERVFAIL_CHECKS.values())))

    results = run(checks())
    assert {r.id: r.status for r in results} == {
        "dns.spf": Status.PASS,
        "dns.dkim": Status.PASS,
        "dns.dmarc": Status.FAIL,
        "dns.mx": Status.PASS,
    }


def test_a_servfail_on_an_mx_target_warns_that_it_could_not_be_checked(
    dns: DnsTestServer,
) -> None:
    dns.servfail("mx.servfail.test")
    result = run(mx_check("servfail.test", resolver(dns)))
    assert result.status is Status.WARN
    assert result.summary == "Could not check mx.servfail.test (temporary DNS failure)"


def test_a_server_that_never_answers_fails_every_check_as_temporary_in_time(
    dns: DnsTestServer,
) -> None:
    for name in ("silent.test", "s1._domainkey.silent.test", "_dmarc.silent.test"):
        dns.drop(name)

    async def checks() -> list[CheckResult]:
        return list(
            await asyncio.gather(
                spf_check("silent.test", resolver(dns, SHORT_TIMEOUT)),
                dkim_check("silent.test", "s1", resolver(dns, SHORT_TIMEOUT)),
                dmarc_check("silent.test", resolver(dns, SHORT_TIMEOUT)),
                mx_check("silent.test", resolver(dns, SHORT_TIMEOUT)),
            )
        )

    started = time.monotonic()
    results = run(checks())
    elapsed = time.monotonic() - started
    assert elapsed < 3 * SHORT_TIMEOUT, f"{elapsed:.2f} s: the checks did not give up in time"
    for result in results:
        assert result.status is Status.FAIL, result
        assert "temporary" in result.summary.lower(), result.summary
    assert "no answer" in results[0].summary  # the timeout is named as such
    assert dns.count("silent.test", "TXT") >= 1 and dns.count("_dmarc.silent.test") >= 1


def test_the_check_deadline_ends_a_lookup_that_would_wait_longer(dns: DnsTestServer) -> None:
    dns.drop("silent.test")
    started = time.monotonic()
    result = run(spf_check("silent.test", resolver(dns, timeout=5.0), timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert result.status is Status.FAIL
    assert result.summary == "the SPF check of silent.test did not finish within 0.3 s (temporary)"


def test_a_silent_include_is_a_temperror_for_a_receiver(dns: DnsTestServer) -> None:
    dns.drop("_spf.silent.test")
    result = run(evaluate_for_ip("silent.test", "192.0.2.60", resolver(dns, SHORT_TIMEOUT)))
    assert result.status is Status.FAIL and "temporary" in result.summary
    assert "result: temperror" in result.detail


# =========================================================================== one error mapping

# Every domain check (and dns.host) reads a DNS error the same way: SERVFAIL and timeouts
# are temporary; a machine without resolver, or a server that refuses the name, is not,
# and retrying would not help.


def _domain_results(domain: str, nameservers: list[str], timeout: float = 3.0) -> list[CheckResult]:
    async def gather() -> list[CheckResult]:
        stream = domain_checks(
            domain, nameservers=nameservers, timeout=timeout, selectors=["s1"], ip="192.0.2.1"
        )
        return [result async for result in stream]

    return run(gather())


def _host_result(host: str, nameservers: list[str], timeout: float = 3.0) -> CheckResult:
    settings = prepare(SmtpSettings(host=host, port=25, security="starttls", timeout=timeout))
    lookup = make_resolver(nameservers, timeout=timeout)

    async def first() -> CheckResult:
        async for result in smtp_checks(settings, lookup.addresses):
            return result
        raise AssertionError("no result")

    return run(first())


def test_no_resolver_is_not_called_temporary_by_any_check(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty-resolv.conf"
    empty.write_text("")
    monkeypatch.setenv("SMTP_WIZARD_RESOLV_CONF", str(empty))
    results = [*_domain_results("valid.test", []), _host_result("smtp.valid.test", [])]
    assert sorted({r.id for r in results}) == [
        "dns.dkim",
        "dns.dmarc",
        "dns.host",
        "dns.mx",
        "dns.spf",
        "dns.spf.ip",
    ]
    for result in results:
        said = f"{result.summary}\n{result.advice}".lower()
        assert result.status is Status.FAIL, result
        assert "temporary" not in said, result
        assert "try again" not in said, result
        assert "resolver" in f"{result.summary}\n{result.detail}".lower(), result
        assert "--nameserver" in result.advice, result


def test_a_server_refusing_the_name_is_not_called_temporary(dns: DnsTestServer) -> None:
    results = [
        *_domain_results("unserved.example", [dns.nameserver]),
        _host_result("smtp.unserved.example", [dns.nameserver]),
    ]
    assert len(results) == 6
    for result in results:
        said = f"{result.summary}\n{result.advice}".lower()
        assert result.status is Status.FAIL, result
        assert "temporary" not in said, result
        assert "REFUSED" in f"{result.summary}\n{result.detail}", result
        assert "--nameserver" in result.advice, result


@pytest.mark.parametrize("fault", ["servfail", "drop"])
def test_servfail_and_silence_are_temporary_in_every_check(dns: DnsTestServer, fault) -> None:
    for name in (
        "servfail.test",
        "_dmarc.servfail.test",
        "s1._domainkey.servfail.test",
        "smtp.servfail.test",
    ):
        getattr(dns, fault)(name)
    results = [
        *_domain_results("servfail.test", [dns.nameserver], timeout=SHORT_TIMEOUT),
        _host_result("smtp.servfail.test", [dns.nameserver], timeout=SHORT_TIMEOUT),
    ]
    assert len(results) == 6
    for result in results:
        assert result.status is Status.FAIL, result
        assert "temporary" in f"{result.summary}\n{result.advice}".lower(), result
        assert "try again" in result.advice.lower(), result


# =========================================================================== MX


def test_a_domain_without_mx_warns_that_mail_falls_back_to_its_a_record(
    dns: DnsTestServer,
) -> None:
    result = run(mx_check("bare.test", resolver(dns)))
    assert result.status is Status.WARN and result.summary == "bare.test has no MX record"
    assert "fall back to the domain's A record" in result.advice


def test_an_mx_whose_only_target_does_not_resolve_fails_and_names_it(dns: DnsTestServer) -> None:
    result = run(mx_check("dangling.test", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == "No MX target of dangling.test resolves: gone.dangling.test"


def test_one_dangling_mx_among_working_ones_warns_and_names_it(dns: DnsTestServer) -> None:
    result = run(mx_check("half-dangling.test", resolver(dns)))
    assert result.status is Status.WARN
    assert result.summary == "Dangling MX: gone.half-dangling.test does not resolve"
    assert result.detail == "MX: 10 mx.half-dangling.test, 20 gone.half-dangling.test"


# =========================================================================== DKIM


@pytest.mark.parametrize(
    ("domain", "selector"),
    [("valid.test", "s2048"), ("split.test", "sel")],  # two strings; five uneven strings
)
def test_a_2048_bit_rsa_key_split_over_several_strings_is_read_whole(
    dns: DnsTestServer, domain: str, selector: str
) -> None:
    result = run(dkim_check(domain, selector, resolver(dns)))
    assert result.status is Status.PASS
    assert "key: RSA 2048-bit key" in result.detail
    assert result.subject == f"{selector}._domainkey.{domain}"


@pytest.mark.parametrize(
    ("selector", "status", "summary"),
    [
        (
            "s512",
            Status.FAIL,
            "the RSA key at s512._domainkey.weak-dkim.test has 512 bits; receivers ignore "
            "keys under 1024 bits",
        ),
        (
            "s1024",
            Status.WARN,
            "the RSA key at s1024._domainkey.weak-dkim.test has 1024 bits; 2048 is recommended",
        ),
    ],
)
def test_a_short_rsa_key_fails_below_1024_bits_and_warns_below_2048(
    dns: DnsTestServer, selector: str, status: Status, summary: str
) -> None:
    result = run(dkim_check("weak-dkim.test", selector, resolver(dns)))
    assert (result.status, result.summary) == (status, summary)
    assert "2048-bit key" in result.advice


def test_a_revoked_dkim_key_fails(dns: DnsTestServer) -> None:
    result = run(dkim_check("revoked-dkim.test", "old", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == "the key at old._domainkey.revoked-dkim.test is revoked (empty p=)"


def test_a_dkim_key_published_as_a_cname_is_found_where_it_lives(dns: DnsTestServer) -> None:
    result = run(dkim_check("cname-dkim.test", "s1", resolver(dns)))
    assert result.status is Status.PASS
    assert result.summary == (
        "DKIM RSA 2048-bit key found at s1._domainkey.cname-dkim.test, "
        "published as a CNAME to s1.cname-dkim.dkim.mailhost.test"
    )


def test_a_chain_of_dkim_cnames_is_named_step_by_step(dns: DnsTestServer) -> None:
    result = run(dkim_check("cname-dkim.test", "s2", resolver(dns)))
    assert result.status is Status.PASS
    assert (
        "published as a CNAME to s2.cname-dkim.dkim.mailhost.test (via rotate.cname-dkim.test)"
        in result.detail
    )


def test_a_dkim_cname_to_a_missing_key_fails(dns: DnsTestServer) -> None:
    result = run(dkim_check("cname-dkim.test", "gone", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary.startswith("no DKIM key at gone._domainkey.cname-dkim.test")


def test_a_dkim_cname_to_a_missing_key_names_the_missing_target(dns: DnsTestServer) -> None:
    result = run(dkim_check("cname-dkim.test", "gone", resolver(dns)))
    assert "gone.cname-dkim.dkim.mailhost.test" in f"{result.summary}\n{result.detail}"


def test_a_selector_that_is_not_published_fails(dns: DnsTestServer) -> None:
    result = run(dkim_check("bare.test", "s1", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary.startswith("no DKIM key at s1._domainkey.bare.test")
    assert "NXDOMAIN" in result.summary


# =========================================================================== DMARC


def test_a_domain_without_dmarc_record_fails_and_is_offered_a_starter_record(
    dns: DnsTestServer,
) -> None:
    result = run(dmarc_check("bare.test", resolver(dns)))
    assert result.status is Status.FAIL
    assert result.summary == "no DMARC record at _dmarc.bare.test"
    assert "v=DMARC1; p=none; rua=mailto:dmarc-reports@bare.test" in result.advice


@pytest.mark.parametrize(
    ("domain", "status", "summary"),
    [
        (
            "dmarc-bad-pct.test",
            Status.WARN,
            "pct=abc: 'abc' is not a whole number from 0 to 100; receivers ignore it",
        ),
        (
            "dmarc-bad-p.test",
            Status.FAIL,
            "the DMARC record at _dmarc.dmarc-bad-p.test has no valid policy: p=bogus: "
            "'bogus' is not one of none, quarantine, reject",
        ),
        (
            "dmarc-no-p.test",
            Status.FAIL,
            "the DMARC record at _dmarc.dmarc-no-p.test has no valid policy: the p= tag is missing",
        ),
    ],
)
def test_a_bad_dmarc_tag_warns_but_a_bad_or_missing_policy_fails(
    dns: DnsTestServer, domain: str, status: Status, summary: str
) -> None:
    result = run(dmarc_check(domain, resolver(dns)))
    assert (result.status, result.summary) == (status, summary)


def test_a_subdomain_without_dmarc_record_takes_the_organisational_domains_policy(
    dns: DnsTestServer,
) -> None:
    result = run(dmarc_check("mail.eu.org.test", resolver(dns)))
    assert result.status is Status.PASS
    assert result.summary == "DMARC p=reject at _dmarc.org.test: failing mail is refused"
    assert (
        "mail.eu.org.test has no record of its own; the organisational domain org.test's "
        "record applies with sp=reject"
    ) in result.detail
    for name in ("_dmarc.mail.eu.org.test", "_dmarc.eu.org.test", "_dmarc.org.test"):
        assert dns.count(name, "TXT") == 1  # walked up one label at a time


# =========================================================================== IDN


def test_an_internationalised_domain_is_checked_under_its_ascii_name(dns: DnsTestServer) -> None:
    async def checks() -> list[CheckResult]:
        return list(
            await asyncio.gather(
                spf_check("münchen.test", resolver(dns)),
                dkim_check("münchen.test", "s1", resolver(dns)),
                dmarc_check("MÜNCHEN.test", resolver(dns)),
                mx_check("münchen.test", resolver(dns)),
                evaluate_for_ip("münchen.test", "127.0.0.1", resolver(dns)),
            )
        )

    spf, dkim, dmarc, mx, ip = run(checks())
    assert all(r.status is Status.PASS for r in (spf, dkim, dmarc, mx, ip))
    assert spf.subject == "xn--mnchen-3ya.test"
    assert dkim.subject == "s1._domainkey.xn--mnchen-3ya.test"
    assert dmarc.subject == "_dmarc.xn--mnchen-3ya.test"
    assert mx.summary == "MX: 10 mx.xn--mnchen-3ya.test"
    assert ip.subject == "xn--mnchen-3ya.test for 127.0.0.1"
    assert dns.count("xn--mnchen-3ya.test", "TXT") >= 1


def test_an_internationalised_name_is_converted_with_idna_2008(dns: DnsTestServer) -> None:
    """IDNA 2003 maps ß to ss (strasse.test, not served); IDNA 2008 keeps it: xn--strae-oqa."""
    result = run(spf_check("straße.test", resolver(dns)))
    assert result.status is Status.PASS and result.subject == "xn--strae-oqa.test"
    assert dns.count("xn--strae-oqa.test", "TXT") == 1 and dns.count("strasse.test") == 0


# =========================================================================== records to add


def spf_rows(plan: RecordPlan) -> list[tuple[str, str, str, str]]:
    return [(r.action, r.host, r.type, r.value) for r in plan.spf.rows]


def test_the_plan_merges_the_provider_include_into_the_one_existing_spf_record(
    dns: DnsTestServer,
) -> None:
    plan = run(records_to_add("merge.test", resolver(dns), BULKMAIL))
    merged = "v=spf1 mx include:_spf.relay.test include:_spf.bulkmail.test ~all"
    assert spf_rows(plan) == [("replace", "@", "TXT", merged)]  # never a second record
    assert plan.spf_lookups_after == 5  # 2 now, and 3 for the provider's include
    assert "DNS lookups of this record: 5 of 10." in plan.spf.notes
    assert f'merge.test. 3600 IN TXT "{merged}"' in plan.zone_lines()
    row = plan.spf.rows[0].to_json()
    assert (row["host"], row["name"], row["type"], row["value"]) == (
        "@",
        "merge.test",
        "TXT",
        merged,
    )


def test_the_merged_spf_record_once_published_costs_what_the_plan_said(
    dns: DnsTestServer,
) -> None:
    """Publish the plan's record on a second server and audit it: the counts must agree."""
    plan = run(records_to_add("merge.test", resolver(dns), BULKMAIL))
    merged = plan.spf.rows[0].value
    zones = load_zones()
    origin = dns_name.from_text("merge.test.")
    zones[origin].replace_rdataset(origin, dns_rdataset.from_text("IN", "TXT", 300, f'"{merged}"'))
    with DnsTestServer(zones) as published:
        spf = run(analyse_spf("merge.test", resolver(published), BULKMAIL.spf_include))
    assert spf.records == (merged,)
    assert spf.lookups == plan.spf_lookups_after
    assert spf.provider_include_present is True and spf.status is Status.PASS


def test_the_plan_replaces_two_spf_records_by_one(dns: DnsTestServer) -> None:
    plan = run(records_to_add("two-spf.test", resolver(dns), BULKMAIL))
    rows = spf_rows(plan)
    assert sorted(r for r in rows if r[0] == "delete") == [
        ("delete", "@", "TXT", "v=spf1 include:_spf.relay.test ~all"),
        ("delete", "@", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
    ]
    added = [r for r in rows if r[0] != "delete"]
    assert len(added) == 1 and added[0][:3] == ("add", "@", "TXT")
    _, mechanisms, final = merged_terms(added[0][3])
    assert mechanisms == ["include:_spf.bulkmail.test", "include:_spf.relay.test", "ip4:192.0.2.1"]
    assert final in ("-all", "~all")
    assert plan.spf_lookups_after == 4  # 1 in the merged record, 3 for the provider's include
    deletions = [line for line in plan.zone_lines() if line.startswith("; delete: two-spf.test.")]
    assert len(deletions) == 2


def test_the_plan_names_the_include_to_drop_when_the_merge_passes_ten_lookups(
    dns: DnsTestServer,
) -> None:
    plan = run(records_to_add("many-lookups.test", resolver(dns), BULKMAIL))
    # 11 now, 3 for the provider's include: 14; without include:_spf.many-lookups.test (7): 7
    assert [(c.term, c.lookups) for c in plan.spf_drop] == [("include:_spf.many-lookups.test", 7)]
    assert plan.spf_lookups_after == 7
    (row,) = plan.spf.rows
    assert "include:_spf.many-lookups.test" not in row.value
    assert "include:_spf.bulkmail.test" in row.value
    notes = " ".join(plan.spf.notes)
    assert "leaves out include:_spf.many-lookups.test (7 lookups)" in notes
    assert "ip4:/ip6: ranges instead (flattening)" in notes


def test_the_plan_keeps_a_published_dkim_key_and_repairs_dmarc(dns: DnsTestServer) -> None:
    plan = run(records_to_add("merge.test", resolver(dns), BULKMAIL))
    dkim = [(r.action, r.host, r.placeholder) for r in plan.dkim.rows]
    assert dkim == [("keep", "s1._domainkey", False), ("add", "s2._domainkey", True)]
    (dmarc,) = plan.dmarc.rows
    assert (dmarc.action, dmarc.host, dmarc.value) == (
        "replace",
        "_dmarc",
        "v=DMARC1; p=none; rua=mailto:dmarc-reports@merge.test",
    )
    assert "then p=reject: v=DMARC1; p=reject; rua=mailto:dmarc-reports@merge.test" in (
        plan.dmarc.notes
    )


def test_the_plan_prints_registrar_rows_and_zone_file_lines(dns: DnsTestServer) -> None:
    text = render_records_text(run(records_to_add("merge.test", resolver(dns), BULKMAIL)))
    assert "Records for merge.test (provider: bulkmail)" in text
    assert (
        "  change  @                      TXT   "
        "v=spf1 mx include:_spf.relay.test include:_spf.bulkmail.test ~all"
    ) in text
    zone = text.split("Zone file:\n", 1)[1]
    assert (
        '  merge.test. 3600 IN TXT "v=spf1 mx include:_spf.relay.test '
        'include:_spf.bulkmail.test ~all"'
    ) in zone
    assert (
        '  _dmarc.merge.test. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@merge.test"'
        in zone
    )


def test_a_plan_for_a_domain_with_nothing_published_adds_each_record(dns: DnsTestServer) -> None:
    plan = run(records_to_add("bare.test", resolver(dns), BULKMAIL))
    assert spf_rows(plan) == [("add", "@", "TXT", "v=spf1 include:_spf.bulkmail.test ~all")]
    assert plan.spf_lookups_after == 3
    assert [r.action for r in plan.dmarc.rows] == ["add"]


# =========================================================================== concurrency


def test_a_nine_include_tree_is_resolved_one_level_at_a_time_not_one_name_at_a_time(
    dns: DnsTestServer,
) -> None:
    """Every answer 50 ms late: asking the ten names one by one takes 500 ms; the audit asks
    the record, then the nine includes at once: about 100 ms."""
    dns.delay(ALL, LATENCY)
    names = [f"_s{i}.nine.test" for i in range(9)]
    started = time.monotonic()
    spf = report(dns, "nine.test")
    concurrent = time.monotonic() - started
    assert spf.lookups == 9 and spf.status is Status.PASS
    assert all(dns.count(name, "TXT") == 1 for name in names)

    async def one_at_a_time(lookup: Resolver) -> None:
        for name in ["nine.test", *names]:
            await lookup.txt(name)

    started = time.monotonic()
    run(one_at_a_time(resolver(dns)))
    sequential = time.monotonic() - started
    assert concurrent < 9 * LATENCY / 1.5, f"{concurrent * 1000:.0f} ms"
    assert sequential > 2.5 * concurrent, (
        f"{sequential * 1000:.0f} ms one at a time, {concurrent * 1000:.0f} ms at once"
    )


# =========================================================================== one walk per run


def _dns_run(
    server: DnsTestServer, domain: str, provider: Provider | None, **options: object
) -> tuple[list[CheckResult], RecordPlan | None, DomainReport]:
    """What `smtp-wizard dns DOMAIN` does: the checks' stream and the plan, together."""
    report = DomainReport(
        domain, nameservers=[server.nameserver], timeout=5.0, provider=provider, **options
    )  # type: ignore[arg-type]

    async def both() -> tuple[list[CheckResult], RecordPlan | None]:
        async def drain() -> list[CheckResult]:
            return [result async for result in report.results()]

        return await asyncio.gather(drain(), report.plan())

    results, plan = run(both())
    return results, plan, report


@pytest.mark.parametrize(
    ("domain", "selectors", "ip"),
    [
        ("nine.test", (), "192.0.2.95"),
        ("valid.test", ("s2048",), "192.0.2.10"),  # BULKMAIL's s1/s2 are asked for the plan
        ("merge.test", (), None),
        ("two-spf.test", ("s1",), None),
    ],
)
def test_a_dns_run_asks_each_name_and_type_once(
    dns: DnsTestServer, domain: str, selectors: tuple[str, ...], ip: str | None
) -> None:
    results, plan, report = _dns_run(dns, domain, BULKMAIL, selectors=selectors, ip=ip)
    assert plan is not None
    asked_twice = {key: n for key, n in dns.counts.items() if n > 1}
    assert asked_twice == {}
    assert report.queries == dns.total_queries
    assert {r.id for r in results} >= {"dns.mx", "dns.spf", "dns.dkim", "dns.dmarc"}


def test_the_plan_of_a_run_is_the_plan_of_records_to_add(dns: DnsTestServer) -> None:
    """Built from the checks' findings, the plan is what asking DNS afresh gives."""
    for domain in ("nine.test", "merge.test", "two-spf.test", "valid.test", "bare.test"):
        _, plan, _ = _dns_run(dns, domain, BULKMAIL)
        fresh = run(records_to_add(domain, resolver(dns), BULKMAIL))
        assert plan is not None and plan.to_json() == fresh.to_json(), domain


# =========================================================================== one suggested record

# The dns.spf check's advice and the records section show the same record (one source:
# spf.suggest_spf), so they never disagree about +all, and a record over ten lookups is
# never told to add an include without the removal that brings it back within ten.


def _spf_and_plan(dns: DnsTestServer, domain: str) -> tuple[CheckResult, RecordPlan]:
    results, plan, _ = _dns_run(dns, domain, BULKMAIL)
    assert plan is not None
    return next(r for r in results if r.id == "dns.spf"), plan


def _planned_spf(plan: RecordPlan) -> str:
    (value,) = [r.value for r in plan.spf.rows if r.action in ("add", "replace")]
    return value


@pytest.mark.parametrize("domain", ["plus-all.test", "plus-all-two.test"])
def test_plus_all_becomes_softfail_in_the_check_and_in_the_records_alike(
    dns: DnsTestServer, domain: str
) -> None:
    spf, plan = _spf_and_plan(dns, domain)
    record = _planned_spf(plan)
    assert record.endswith(" ~all") and "+all" not in record.split()
    assert record in spf.advice
    suggested = re.findall(r"v=spf1(?: \S+?)*? [-~?+]?all(?=\s|$)", spf.advice)
    assert suggested and all(r.endswith(" ~all") for r in suggested), suggested


def test_a_record_over_ten_lookups_is_never_told_to_just_add_the_include(
    dns: DnsTestServer,
) -> None:
    spf, plan = _spf_and_plan(dns, "many-lookups.test")
    record = _planned_spf(plan)
    assert record in spf.advice  # the same record in both places
    assert "include:_spf.bulkmail.test" in record
    assert "include:_spf.many-lookups.test" not in record
    assert "leaves out include:_spf.many-lookups.test (7 lookups)" in spf.advice
    assert plan.spf_lookups_after is not None and plan.spf_lookups_after <= 10
    published = _published_lookups(dns, "many-lookups.test", record)
    assert published == plan.spf_lookups_after


def test_adding_the_include_to_nine_lookups_drops_one_to_stay_within_ten(
    dns: DnsTestServer,
) -> None:
    spf, plan = _spf_and_plan(dns, "nine.test")  # 9 lookups + 3 for the provider's include
    record = _planned_spf(plan)
    assert record in spf.advice
    assert plan.spf_lookups_after == 10
    assert _published_lookups(dns, "nine.test", record) == 10


def _published_lookups(dns: DnsTestServer, domain: str, record: str) -> int:
    """Publish `record` on a second server and count its lookups as a receiver would."""
    zones = load_zones()
    origin = dns_name.from_text(f"{domain}.")
    zones[origin].replace_rdataset(origin, dns_rdataset.from_text("IN", "TXT", 300, f'"{record}"'))
    with DnsTestServer(zones) as published:
        spf = run(analyse_spf(domain, resolver(published), BULKMAIL.spf_include))
    assert spf.provider_include_present is True
    return spf.lookups
