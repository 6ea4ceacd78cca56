"""SPF: the parser over strings, RFC 7208's check_host() against the RFC 7208 test suite,
and the audit of a domain's record (lookup counts, voids, loops, advice), all over the
in-memory DNS of `tests/memory_dns.py`."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, TxtAnswer
from smtp_wizard.checks.model import Status
from smtp_wizard.checks.spf import (
    CHECK_ID,
    IP_CHECK_ID,
    MacroContext,
    Mechanism,
    Modifier,
    Qualifier,
    SpfSyntaxError,
    SpfVerdict,
    add_include,
    analyse_spf,
    check_host,
    check_mail_from,
    evaluate_for_ip,
    expand_macros,
    is_spf_record,
    merge_spf_records,
    parse_spf,
    spf_check,
)
from smtp_wizard.providers import get_provider
from tests.memory_dns import MemoryDns, zone_from_rfc7208

T = TypeVar("T")
VECTORS = Path(__file__).parent / "vectors"


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def codes(report: Any) -> set[str]:
    return {f.code for f in report.findings}


# =========================================================================== the parser


def test_parses_every_term_with_its_qualifier_name_and_position() -> None:
    record = parse_spf("v=spf1 a mx:mail.example.com/24 -ip4:192.0.2.0/24 ~all exp=why.%{d}")
    terms = record.terms
    assert [t.text for t in terms] == [
        "a",
        "mx:mail.example.com/24",
        "-ip4:192.0.2.0/24",
        "~all",
        "exp=why.%{d}",
    ]
    assert [t.position for t in terms] == [7, 9, 32, 50, 55]
    a, mx, ip4, final, exp = terms
    assert isinstance(a, Mechanism) and a.qualifier is Qualifier.PASS and a.domain is None
    assert isinstance(mx, Mechanism) and mx.domain is not None
    assert mx.domain.text == "mail.example.com" and mx.cidr4 == 24 and mx.cidr6 is None
    assert isinstance(ip4, Mechanism) and ip4.qualifier is Qualifier.FAIL
    assert ip4.network == ipaddress.ip_network("192.0.2.0/24")
    assert isinstance(final, Mechanism) and final.name == "all"
    assert final.qualifier is Qualifier.SOFTFAIL
    assert isinstance(exp, Modifier) and exp.name == "exp" and exp.value.uses("d")
    assert record.all is final and record.explanation is exp and record.redirect is None


@pytest.mark.parametrize(
    ("record", "name", "details"),
    [
        ("v=spf1 a/24//64", "a", {"cidr4": 24, "cidr6": 64}),
        ("v=spf1 a//64", "a", {"cidr4": None, "cidr6": 64}),
        ("v=spf1 mx:example.com//0", "mx", {"cidr6": 0}),
        ("v=spf1 a:foo:bar/baz.example.com", "a", {"cidr4": None}),
        ("v=spf1 ip6:2001:db8::/32", "ip6", {"network": ipaddress.ip_network("2001:db8::/32")}),
        ("v=spf1 ip4:192.0.2.7", "ip4", {"network": ipaddress.ip_network("192.0.2.7/32")}),
        ("v=spf1 ptr", "ptr", {"domain": None}),
        ("v=spf1 ?EXISTS:%{i}.bl.example.org", "exists", {"qualifier": Qualifier.NEUTRAL}),
        ("v=spf1 INCLUDE:_spf.example.com.", "include", {"qualifier": Qualifier.PASS}),
    ],
)
def test_mechanism_arguments_are_read_as_the_grammar_says(
    record: str, name: str, details: dict[str, Any]
) -> None:
    (term,) = parse_spf(record).terms
    assert isinstance(term, Mechanism) and term.name == name
    for attribute, value in details.items():
        assert getattr(term, attribute) == value


def test_modifier_names_may_hold_dots_dashes_and_underscores_and_unknown_ones_are_kept() -> None:
    (term, _) = parse_spf("v=spf1 moo.cow-far_out=man:dog/cat -all").terms
    assert isinstance(term, Modifier) and term.name == "moo.cow-far_out"


# (record, 0-based position of the bad part, the bad part, words of the message)
SYNTAX_ERRORS = [
    ("v=spf1 ip4:1.2.3.4 -all moo", 24, "moo", "unknown mechanism"),
    ("v=spf1 ip4:1.2.3", 7, "ip4:1.2.3", "invalid ip4"),
    ("v=spf1 ip4:1.2.3.4/33", 7, "ip4:1.2.3.4/33", "prefix length /33"),
    ("v=spf1 ip4:1.2.3.4/032", 7, "ip4:1.2.3.4/032", "prefix length"),
    ("v=spf1 ip6::CAFE::BABE", 7, "ip6::CAFE::BABE", "invalid ip6"),
    ("v=spf1 a//129", 7, "a//129", "prefix length /129"),
    ("v=spf1 a/24/64", 7, "a/24/64", "prefix length"),
    ("v=spf1 -all.", 7, "-all.", "unknown mechanism"),
    ("v=spf1 -all:foo", 7, "-all:foo", "takes no argument"),
    ("v=spf1 include", 7, "include", "needs a domain"),
    ("v=spf1 include:", 15, "", "a domain is required"),
    ("v=spf1 a:museum", 9, "museum", "top-level label"),
    ("v=spf1 a:abc.123", 9, "abc.123", "top-level label"),
    ("v=spf1 a:example.-com", 9, "example.-com", "top-level label"),
    ("v=spf1 a:example.com:8080", 9, "example.com:8080", "top-level label"),
    ("v=spf1 redirect:example.com", 7, "redirect:example.com", "redirect is a modifier"),
    ("v=spf1 =all", 7, "=all", "not a mechanism or a modifier"),
    ("v=spf1 1up=foo", 7, "1up=foo", "not a mechanism or a modifier"),
    ("v=spf1 exp=a.example.com exp=b.example.com", 25, "exp=b.example.com", "only once"),
    ("v=spf1 -all redirect=", 21, "", "a domain is required"),
    ("v=spf1 foo=%abc", 11, "%a", "must be followed by"),
    ("v=spf1 exists:%(ir).example.com", 14, "%(", "must be followed by"),
    ("v=spf1 a:%{a}.example.com", 9, "%{a}", "unknown macro letter"),
    ("v=spf1 a:%{d0}.example.com", 9, "%{d0}", "must not be zero"),
    ("v=spf1 exp=%{r}.example.com", 11, "%{r}", "only in explanation text"),
    ("v=spf1 a:ctrl.example.com\rptr -all", 25, "\r", "U+000D"),
    ("v=spf1 a:example.net \x96all", 21, "\x96all", "not a mechanism"),
    ("v=spf1 ip4:192.0.2.5\n include:x.example.com", 7, "ip4:192.0.2.5\n", "invalid ip4"),
]


@pytest.mark.parametrize(("record", "position", "text", "words"), SYNTAX_ERRORS)
def test_a_syntax_error_names_its_position_and_the_offending_text(
    record: str, position: int, text: str, words: str
) -> None:
    with pytest.raises(SpfSyntaxError) as caught:
        parse_spf(record)
    assert (caught.value.position, caught.value.text) == (position, text)
    assert words in str(caught.value)
    assert f"at character {position + 1}" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "spf"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 ~all", True),
        ("v=spf10", False),
        ("v=spf1mx", False),
        (" v=spf1 -all", False),
        ("spf2.0/pra -all", False),
        ("", False),
    ],
)
def test_only_v_spf1_followed_by_a_space_or_the_end_is_an_spf_record(text: str, spf: bool) -> None:
    assert is_spf_record(text) is spf


@given(st.text())
def test_parse_spf_raises_nothing_but_spf_syntax_error_on_arbitrary_text(text: str) -> None:
    for candidate in (text, "v=spf1 " + text):
        with contextlib.suppress(SpfSyntaxError):
            parse_spf(candidate)


@given(st.text(alphabet=st.sampled_from(list("v=spf1 :/.%{}-+~?_aAimpx4620lrd,")), max_size=40))
def test_parse_spf_on_near_records_raises_nothing_but_spf_syntax_error(text: str) -> None:
    with contextlib.suppress(SpfSyntaxError):
        parse_spf("v=spf1 " + text)


# =========================================================================== macros

RFC_CONTEXT = MacroContext(
    ip=ipaddress.ip_address("192.0.2.3"),
    sender="strong-bad@email.example.com",
    domain="email.example.com",
    helo="mx.example.org",
)

# RFC 7208 §7.4, the examples as printed.
RFC_MACRO_EXAMPLES = [
    ("%{s}", "strong-bad@email.example.com"),
    ("%{o}", "email.example.com"),
    ("%{d}", "email.example.com"),
    ("%{d4}", "email.example.com"),
    ("%{d3}", "email.example.com"),
    ("%{d2}", "example.com"),
    ("%{d1}", "com"),
    ("%{dr}", "com.example.email"),
    ("%{d2r}", "example.email"),
    ("%{l}", "strong-bad"),
    ("%{l-}", "strong.bad"),
    ("%{lr}", "strong-bad"),
    ("%{lr-}", "bad.strong"),
    ("%{l1r-}", "strong"),
    ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
]


@pytest.mark.parametrize(("spec", "expanded"), RFC_MACRO_EXAMPLES)
def test_macros_expand_as_in_the_rfc_examples(spec: str, expanded: str) -> None:
    assert expand_macros(spec, RFC_CONTEXT) == expanded


def test_ipv6_i_macro_expands_to_dotted_nibbles_as_in_the_rfc_example() -> None:
    context = MacroContext(
        ip=ipaddress.ip_address("2001:db8::cb01"),
        sender="strong-bad@email.example.com",
        domain="email.example.com",
    )
    # RFC 7208 §7.4 prints the nibbles in lower case; pyspf and the test suite's
    # explanations use upper case. DNS does not care; we follow the suite.
    assert expand_macros("%{ir}.%{v}._spf.%{d2}", context).lower() == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


@pytest.mark.parametrize(
    ("text", "explanation", "expanded"),
    [
        ("%%%_%-", True, "% %20"),
        ("%{L}", True, "strong-bad"),
        ("%{c} from %{h}", True, "192.0.2.3 from mx.example.org"),
        ("foo.example.com.", False, "foo.example.com"),
        ("foo.example.com.", True, "foo.example.com."),
    ],
)
def test_escapes_url_escaping_and_trailing_dots(
    text: str, explanation: bool, expanded: str
) -> None:
    assert expand_macros(text, RFC_CONTEXT, explanation=explanation) == expanded


def test_upper_case_macros_are_url_escaped() -> None:
    context = MacroContext(RFC_CONTEXT.ip, "~jack&jill=up-a_b3.c@example.com", "example.com")
    assert expand_macros("%{L}", context, explanation=True) == "~jack%26jill%3Dup-a_b3.c"


def test_an_expanded_domain_over_253_characters_loses_labels_from_the_left() -> None:
    context = MacroContext(RFC_CONTEXT.ip, "a@" + "x" * 60 + ".example.com", "example.com")
    spec = "pre.%{o}.%{o}.%{o}.%{o}.example.com"
    expanded = expand_macros(spec, context)
    assert len(expanded) <= 253 and expanded.endswith(".example.com")
    assert not expanded.startswith("pre.")


# =========================================================================== RFC 7208 suite


def _suite() -> list[Any]:
    data = json.loads((VECTORS / "rfc7208-tests.json").read_text(encoding="utf-8"))
    cases = []
    for scenario in data["scenarios"]:
        for test_id, case in scenario["tests"].items():
            cases.append(pytest.param(scenario["zonedata"], case, id=test_id))
    return cases


SUITE = _suite()


def test_the_vendored_suite_holds_all_203_cases_and_its_licence() -> None:
    assert len(SUITE) == 203
    assert "Redistribution and use" in (VECTORS / "pyspf-LICENSE").read_text(encoding="utf-8")
    assert (VECTORS / "rfc7208-tests.yml").is_file()


@pytest.mark.parametrize(("zonedata", "case"), SUITE)
def test_rfc7208_suite(zonedata: dict[str, Any], case: dict[str, Any]) -> None:
    dns = zone_from_rfc7208(zonedata)
    result = run(check_mail_from(case["host"], case["mailfrom"], case["helo"], dns))
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert result.verdict in expected, result.reason
    if "explanation" in case:  # the suite's driver sets the default explanation "DEFAULT"
        assert (result.explanation or "DEFAULT") == case["explanation"]


# =========================================================================== check_host


def test_check_host_counts_lookups_across_includes_and_stops_past_ten() -> None:
    dns = MemoryDns(
        {
            "example.com": [("TXT", "v=spf1 include:a.example.com include:b.example.com -all")],
            "a.example.com": [("TXT", "v=spf1 a a a a ?all")],  # 1 + 4
            "b.example.com": [("TXT", "v=spf1 a a a a a ?all")],  # 1 + 5: the 11th fails
        }
    )
    for name in ("a.example.com", "b.example.com"):
        dns.add(name, "A", "198.51.100.1")
    result = run(check_host("192.0.2.1", "example.com", "x@example.com", dns))
    assert result.verdict is SpfVerdict.PERMERROR
    assert "more than 10 DNS lookups" in result.reason and result.lookups == 11


def test_check_host_names_an_include_loop() -> None:
    dns = MemoryDns(
        {
            "example.com": [("TXT", "v=spf1 include:loop.example.com -all")],
            "loop.example.com": [("TXT", "v=spf1 include:example.com ?all")],
        }
    )
    result = run(check_host("192.0.2.1", "example.com", "x@example.com", dns))
    assert result.verdict is SpfVerdict.PERMERROR
    assert "loops back to example.com" in result.reason


def test_a_third_void_lookup_is_a_permerror_but_two_are_allowed() -> None:
    two = MemoryDns({"example.com": [("TXT", "v=spf1 a:n1.example.com mx:n2.example.com ?all")]})
    result = run(check_host("192.0.2.1", "example.com", "x@example.com", two))
    assert (result.verdict, result.void_lookups) == (SpfVerdict.NEUTRAL, 2)
    three = MemoryDns(
        {
            "example.com": [
                ("TXT", "v=spf1 a:n1.example.com mx:n2.example.com exists:n3.example.com")
            ]
        }
    )
    result = run(check_host("192.0.2.1", "example.com", "x@example.com", three))
    assert result.verdict is SpfVerdict.PERMERROR and "void lookups" in result.reason


def test_a_timeout_is_a_temperror_that_says_it_is_temporary() -> None:
    dns = MemoryDns({"example.com": [("TXT", "v=spf1 include:slow.example.com -all")]})
    dns.add("slow.example.com", "TIMEOUT")
    result = run(check_host("192.0.2.1", "example.com", "x@example.com", dns))
    assert result.verdict is SpfVerdict.TEMPERROR and "temporary" in result.reason


def test_the_matching_mechanism_and_the_explanation_are_reported() -> None:
    dns = MemoryDns(
        {
            "example.com": [("TXT", "v=spf1 ip4:198.51.100.0/24 -all exp=why.example.com")],
            "why.example.com": [("TXT", "%{i} may not send for %{d}")],
        }
    )
    passed = run(check_host("198.51.100.9", "example.com", "x@example.com", dns))
    assert (passed.verdict, passed.mechanism) == (SpfVerdict.PASS, "ip4:198.51.100.0/24")
    failed = run(check_host("192.0.2.1", "example.com", "x@example.com", dns))
    assert (failed.verdict, failed.mechanism) == (SpfVerdict.FAIL, "-all")
    assert failed.explanation == "192.0.2.1 may not send for example.com"


def test_a_bounce_is_checked_against_the_helo_name() -> None:
    dns = MemoryDns({"mail.example.com": [("TXT", "v=spf1 a -all"), ("A", "192.0.2.1")]})
    result = run(check_mail_from("192.0.2.1", "", "mail.example.com", dns))
    assert result.verdict is SpfVerdict.PASS and result.domain == "mail.example.com"


# =========================================================================== merging


@pytest.mark.parametrize(
    ("records", "include", "merged"),
    [
        (["v=spf1 mx -all"], "sendgrid.net", "v=spf1 mx include:sendgrid.net -all"),
        (
            ["v=spf1 mx redirect=_spf.example.com"],
            "x.net",
            "v=spf1 mx include:x.net redirect=_spf.example.com",
        ),
        (["v=spf1 mx"], "x.net", "v=spf1 mx include:x.net"),
        (["v=spf1 include:X.net. ~all"], "x.net", "v=spf1 include:X.net. ~all"),
        (["v=spf1 mx -all", "v=spf1 include:x.net ~all"], None, "v=spf1 include:x.net mx -all"),
        (
            ["v=spf1 a mx -all", "v=spf1 a ip4:192.0.2.1"],
            "y.net",
            "v=spf1 a ip4:192.0.2.1 mx include:y.net -all",
        ),
        (["v=spf1 redirect=a.example", "v=spf1 mx ~all"], None, "v=spf1 mx include:a.example ~all"),
        (
            ["v=spf1 -all exp=e.example", "v=spf1 mx exp=f.example"],
            None,
            "v=spf1 mx -all exp=e.example",
        ),
    ],
)
def test_merging_keeps_one_record_with_the_existing_all_and_the_include_before_it(
    records: list[str], include: str | None, merged: str
) -> None:
    assert merge_spf_records(records, include) == merged


def test_add_include_inserts_before_all_and_keeps_everything_else() -> None:
    assert (
        add_include("v=spf1 exp=e.example  a  ?all", "x.net")
        == "v=spf1 exp=e.example a include:x.net ?all"
    )


# =========================================================================== the audit


def zone(**records: str | list[str]) -> MemoryDns:
    """A zone of TXT records: zone(**{"example.com": "v=spf1 -all"})."""
    dns = MemoryDns()
    for name, values in records.items():
        for value in [values] if isinstance(values, str) else values:
            dns.add(name, "TXT", value)
    return dns


def test_two_spf_records_are_a_permerror_and_advice_merges_them() -> None:
    dns = zone(**{"example.com": ["v=spf1 mx -all", "v=spf1 include:sendgrid.net ~all", "other"]})
    dns.add("example.com", "MX", (10, "mx.example.com"))
    dns.add("sendgrid.net", "TXT", "v=spf1 ip4:167.89.0.0/17 -all")
    report = run(analyse_spf("example.com", dns))
    assert report.status is Status.FAIL and "multiple" in codes(report)
    assert report.records == ("v=spf1 mx -all", "v=spf1 include:sendgrid.net ~all")
    assert report.merged_record == "v=spf1 include:sendgrid.net mx -all"
    advice = next(f.advice for f in report.findings if f.code == "multiple")
    assert "v=spf1 include:sendgrid.net mx -all" in advice
    assert report.lookups == 2  # of the merged record


def test_a_missing_record_fails_and_suggests_one_with_the_provider_include() -> None:
    dns = zone(**{"example.com": "google-site-verification=abc"})
    result = run(spf_check("example.com", dns, get_provider("sendgrid")))
    assert (result.id, result.status, result.subject) == (CHECK_ID, Status.FAIL, "example.com")
    assert "no SPF record" in result.summary
    assert "v=spf1 include:sendgrid.net ~all" in result.advice


def test_a_domain_that_does_not_exist_has_no_spf_record() -> None:
    result = run(spf_check("nowhere.example", MemoryDns()))
    assert result.status is Status.FAIL and "NXDOMAIN" in result.summary


@pytest.mark.parametrize(
    ("final", "status", "code"),
    [
        ("+all", Status.FAIL, "plus-all"),
        ("all", Status.FAIL, "plus-all"),
        ("?all", Status.WARN, "neutral-all"),
        ("~all", Status.PASS, "softfail-all"),
        ("-all", Status.PASS, "fail-all"),
    ],
)
def test_the_all_qualifier_decides_what_happens_to_everyone_else(
    final: str, status: Status, code: str
) -> None:
    report = run(
        analyse_spf("example.com", zone(**{"example.com": f"v=spf1 ip4:192.0.2.1 {final}"}))
    )
    assert report.status is status and code in codes(report)


def test_plus_all_fails_the_check_because_it_authorises_the_whole_internet() -> None:
    result = run(spf_check("example.com", zone(**{"example.com": "v=spf1 +all"})))
    assert result.status is Status.FAIL and "every server on the internet" in result.summary
    assert "~all" in result.advice


def test_softfail_and_fail_advice_explains_the_choice() -> None:
    result = run(spf_check("example.com", zone(**{"example.com": "v=spf1 ip4:192.0.2.1 ~all"})))
    assert result.status is Status.PASS and "-all" in result.advice and "DMARC" in result.advice


@pytest.mark.parametrize(
    ("final", "status", "code"),
    [
        ("+all", Status.FAIL, "plus-all"),
        ("~all", Status.PASS, "softfail-all"),
        ("", Status.WARN, "no-all"),
    ],
)
def test_a_redirect_takes_its_all_from_the_target(final: str, status: Status, code: str) -> None:
    dns = zone(
        **{
            "example.com": "v=spf1 redirect=_spf.example.com",
            "_spf.example.com": f"v=spf1 ip4:192.0.2.0/24 {final}".strip(),
        }
    )
    report = run(analyse_spf("example.com", dns))
    assert report.status is status and code in codes(report)
    message = next(f.message for f in report.findings if f.code == code)
    assert "through redirect=_spf.example.com" in message


def test_a_record_without_all_warns_that_others_get_neutral() -> None:
    report = run(analyse_spf("example.com", zone(**{"example.com": "v=spf1 ip4:192.0.2.1"})))
    assert report.status is Status.WARN and "no-all" in codes(report)


def test_ptr_is_discouraged() -> None:
    report = run(analyse_spf("example.com", zone(**{"example.com": "v=spf1 ptr ~all"})))
    assert report.status is Status.WARN and "ptr" in codes(report) and report.lookups == 1


def test_terms_after_all_and_a_redirect_beside_all_are_flagged_as_never_used() -> None:
    dns = zone(**{"example.com": "v=spf1 -all include:x.example redirect=y.example"})
    report = run(analyse_spf("example.com", dns))
    assert {"unreachable", "redirect-ignored"} <= codes(report)
    assert report.lookups == 0  # neither the include nor the redirect is ever evaluated


def test_a_syntax_error_fails_with_its_position() -> None:
    result = run(spf_check("example.com", zone(**{"example.com": "v=spf1 ip4:192.0.2 ~all"})))
    assert result.status is Status.FAIL
    assert "'ip4:192.0.2' at character 8" in result.summary


def google_like_tree() -> MemoryDns:
    return zone(
        **{
            "example.com": "v=spf1 mx include:_spf.google.com include:mailgun.org ~all",
            "_spf.google.com": (
                "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com ~all"
            ),
            "_netblocks.google.com": "v=spf1 ip4:35.190.247.0/24 ~all",
            "_netblocks2.google.com": "v=spf1 ip6:2001:4860:4000::/36 ~all",
            "mailgun.org": "v=spf1 include:_spf.mailgun.org ~all",
            "_spf.mailgun.org": "v=spf1 ip4:209.61.151.0/24 ~all",
        }
    ).add("example.com", "MX", (10, "mx.example.com"))


def test_the_report_says_what_each_include_costs() -> None:
    report = run(analyse_spf("example.com", google_like_tree()))
    assert report.lookups == 6 and report.void_lookups == 0
    top = {c.term: c.lookups for c in report.includes if c.depth == 1}
    assert top == {"include:_spf.google.com": 3, "include:mailgun.org": 2}
    result = run(spf_check("example.com", google_like_tree()))
    assert result.status is Status.PASS
    assert "6 of 10 DNS lookups" in result.summary
    assert "include:_spf.google.com costs 3" in result.detail


def test_the_provider_include_counts_as_present_when_nested() -> None:
    report = run(analyse_spf("example.com", google_like_tree(), "_spf.mailgun.org"))
    assert report.provider_include_present is True and "provider-present" in codes(report)


def test_a_missing_provider_include_warns_and_shows_the_merged_record() -> None:
    result = run(spf_check("example.com", google_like_tree(), "sendgrid"))
    assert result.status is Status.WARN and "include:sendgrid.net" in result.summary
    assert (
        "v=spf1 mx include:_spf.google.com include:mailgun.org include:sendgrid.net ~all"
        in result.advice
    )


def test_more_than_ten_lookups_fail_and_name_the_expensive_includes() -> None:
    records = {"example.com": "v=spf1 include:big.example.net include:small.example.net -all"}
    records["big.example.net"] = "v=spf1 " + " ".join(f"a:h{i}.example.net" for i in range(9))
    records["small.example.net"] = "v=spf1 ip4:192.0.2.0/24 -all"
    dns = zone(**records)
    for i in range(9):
        dns.add(f"h{i}.example.net", "A", "192.0.2.1")
    report = run(analyse_spf("example.com", dns))
    assert report.lookups == 11 and "too-many-lookups" in codes(report)
    message = next(f.message for f in report.findings if f.code == "too-many-lookups")
    assert "include:big.example.net costs 10" in message


@pytest.mark.parametrize(
    ("terms", "voids", "status"),
    [
        ("a:gone1.example.com mx:gone2.example.com", 2, Status.WARN),
        ("a:gone1.example.com mx:gone2.example.com exists:gone3.example.com", 3, Status.FAIL),
        ("include:gone1.example.com a:gone2.example.com mx:gone3.example.com", 3, Status.FAIL),
    ],
)
def test_void_lookups_are_counted_through_a_mx_exists_and_include(
    terms: str, voids: int, status: Status
) -> None:
    report = run(analyse_spf("example.com", zone(**{"example.com": f"v=spf1 {terms} ~all"})))
    assert report.void_lookups == voids and report.status is status
    assert ("too-many-voids" in codes(report)) is (voids > 2)


def test_an_include_loop_is_found_without_walking_forever() -> None:
    dns = zone(
        **{
            "example.com": "v=spf1 include:a.example.com ~all",
            "a.example.com": "v=spf1 include:b.example.com ~all",
            "b.example.com": "v=spf1 include:a.example.com ~all",
        }
    )
    report = run(analyse_spf("example.com", dns))
    assert report.status is Status.FAIL and "loop" in codes(report)
    message = next(f.message for f in report.findings if f.code == "loop")
    assert "loops back to a.example.com" in message


def test_an_include_without_spf_record_is_a_permerror_for_receivers() -> None:
    dns = zone(**{"example.com": "v=spf1 include:nothing.example.net ~all"})
    dns.add("nothing.example.net", "TXT", "just text")
    report = run(analyse_spf("example.com", dns))
    assert report.status is Status.FAIL and "include-none" in codes(report)


def test_macro_terms_are_noted_not_followed() -> None:
    dns = zone(**{"example.com": "v=spf1 exists:%{i}._spf.example.com include:%{d2}.x ~all"})
    report = run(analyse_spf("example.com", dns))
    assert report.status is Status.PASS and report.lookups == 2 and report.void_lookups == 0
    assert len([f for f in report.findings if f.code == "macro"]) == 2


@pytest.mark.parametrize(
    ("kind", "words"),
    [(DnsErrorKind.SERVFAIL, "SERVFAIL"), (DnsErrorKind.TIMEOUT, "no answer in time")],
)
def test_a_temporary_dns_error_fails_and_says_it_is_temporary(
    kind: DnsErrorKind, words: str
) -> None:
    dns = MemoryDns().add("example.com", "TXT", str(kind).upper())
    dns.zone["example.com"] = [("SERVFAIL" if kind is DnsErrorKind.SERVFAIL else "TIMEOUT", None)]
    result = run(spf_check("example.com", dns))
    assert (
        result.status is Status.FAIL and "temporary" in result.summary and words in result.summary
    )
    assert "temporary" in result.advice


def test_a_temporary_error_deep_in_the_tree_also_fails_as_temporary() -> None:
    dns = zone(**{"example.com": "v=spf1 include:slow.example.net ~all"})
    dns.add("slow.example.net", "TIMEOUT")
    report = run(analyse_spf("example.com", dns))
    assert report.status is Status.FAIL and report.temporary


def test_the_check_deadline_turns_a_hung_lookup_into_a_temporary_failure() -> None:
    class Hung(MemoryDns):
        async def txt(self, name: str) -> TxtAnswer:
            await asyncio.sleep(10)
            raise AssertionError("not reached")

    started = time.monotonic()
    result = run(spf_check("example.com", Hung(), timeout=0.05))
    assert time.monotonic() - started < 1
    assert result.status is Status.FAIL and "temporary" in result.summary


def test_an_internationalised_domain_is_looked_up_in_ascii() -> None:
    dns = zone(**{"xn--bcher-kva.example": "v=spf1 -all"})
    result = run(spf_check("bücher.example", dns))
    assert result.status is Status.PASS and result.subject == "xn--bcher-kva.example"


def test_include_trees_are_resolved_concurrently_one_level_at_once() -> None:
    names = [f"inc{i}.example.net" for i in range(9)]
    dns = zone(**{"example.com": "v=spf1 " + " ".join(f"include:{n}" for n in names) + " -all"})
    for index, name in enumerate(names):
        dns.add(name, "TXT", f"v=spf1 ip4:192.0.2.{index} -all")
    dns.delay = 0.05
    started = time.monotonic()
    report = run(analyse_spf("example.com", dns))
    elapsed = time.monotonic() - started
    assert report.lookups == 9  # RFC 7208 count: nine includes, no lookups below them
    assert dns.count("TXT") == 10
    assert elapsed < 0.25, f"{elapsed:.3f} s: the includes were not asked at once"


def test_a_name_referenced_twice_is_asked_once_but_counted_twice() -> None:
    dns = zone(
        **{
            "example.com": "v=spf1 include:a.example.net include:b.example.net ~all",
            "a.example.net": "v=spf1 include:shared.example.net ~all",
            "b.example.net": "v=spf1 include:shared.example.net ~all",
            "shared.example.net": "v=spf1 ip4:192.0.2.0/24 ~all",
        }
    )
    report = run(analyse_spf("example.com", dns))
    assert report.lookups == 4 and dns.queries.count(("TXT", "shared.example.net")) == 1


# =========================================================================== --ip


@pytest.mark.parametrize(
    ("ip", "status", "words"),
    [
        ("192.0.2.10", Status.PASS, "may send mail for example.com (SPF pass)"),
        ("198.51.100.1", Status.FAIL, "softfail"),
        ("2001:db8::1", Status.FAIL, "(SPF fail)"),
        ("203.0.113.5", Status.WARN, "neutral"),
    ],
)
def test_evaluate_for_ip_answers_whether_that_server_may_send(
    ip: str, status: Status, words: str
) -> None:
    dns = zone(
        **{"example.com": "v=spf1 ip4:192.0.2.0/24 -ip6:2001:db8::/32 ?ip4:203.0.113.0/24 ~all"}
    )
    result = run(evaluate_for_ip("example.com", ip, dns))
    assert (result.id, result.status) == (IP_CHECK_ID, status)
    assert words in result.summary and result.subject == f"example.com for {ip}"


def test_evaluate_for_ip_refuses_an_address_that_is_not_one() -> None:
    result = run(evaluate_for_ip("example.com", "mail.example.com", MemoryDns()))
    assert result.status is Status.FAIL and "is not an IP address" in result.summary


def test_evaluate_for_ip_reports_a_temporary_error_as_such() -> None:
    dns = MemoryDns().add("example.com", "TIMEOUT")
    result = run(evaluate_for_ip("example.com", "192.0.2.1", dns))
    assert result.status is Status.FAIL and "temporary" in result.summary


def test_dns_errors_never_escape_the_checks() -> None:
    class Broken(MemoryDns):
        async def txt(self, name: str) -> TxtAnswer:
            raise DnsError(DnsErrorKind.ERROR, name, "TXT", "REFUSED")

    result = run(spf_check("example.com", Broken()))
    assert result.status is Status.FAIL and "REFUSED" in result.summary
