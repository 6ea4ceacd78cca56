"""DMARC: tags parsed with clear messages, the DMARCbis tree walk for subdomains, and the
verdicts DESIGN.md pins (missing record or bad p fails; another bad tag warns)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from smtp_wizard.checks.dmarc import (
    CHECK_ID,
    DmarcSyntaxError,
    discover_dmarc,
    dmarc_check,
    is_dmarc_record,
    parse_dmarc,
    starter_record,
    walk_names,
    with_policy,
)
from smtp_wizard.checks.model import Status
from tests.memory_dns import MemoryDns

T = TypeVar("T")


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def dmarc_zone(**records: str | list[str]) -> MemoryDns:
    """TXT records at _dmarc.<name>: dmarc_zone(**{"example.com": "v=DMARC1; p=none"})."""
    dns = MemoryDns()
    for name, values in records.items():
        for value in [values] if isinstance(values, str) else values:
            dns.add(f"_dmarc.{name}", "TXT", value)
    return dns


# -- parsing -----------------------------------------------------------------------------


def test_every_defined_tag_is_read() -> None:
    record = parse_dmarc(
        "v=DMARC1; p=Quarantine; sp=reject; pct=50; rua=mailto:a@example.com,"
        "mailto:b@example.net!10m; ruf=mailto:f@example.com; adkim=s; aspf=r; fo=1:d; ri=3600"
    )
    assert record.policy == "quarantine" and record.subdomain_policy == "reject"
    assert record.pct == 50 and (record.adkim, record.aspf) == ("s", "r")
    assert [u.address for u in record.rua] == ["a@example.com", "b@example.net"]
    assert record.rua[1].size == "10m" and record.ruf[0].domain == "example.com"
    assert record.fo == ("1", "d") and record.ri == 3600
    assert record.problems == () and record.policy_problem is None


def test_defaults_apply_when_tags_are_absent() -> None:
    record = parse_dmarc("v=DMARC1; p=none")
    assert (record.pct, record.adkim, record.aspf, record.ri, record.rua) == (
        100,
        "r",
        "r",
        86400,
        (),
    )


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("pct=abc", "'abc' is not a whole number from 0 to 100"),
        ("pct=101", "from 0 to 100"),
        ("sp=maybe", "'maybe' is not one of none, quarantine, reject"),
        ("adkim=x", "not one of r, s"),
        ("aspf=relaxed", "not one of r, s"),
        ("rua=https://example.com/dmarc", "not a mailto: address"),
        ("rua=mailto:nobody", "does not hold an email address"),
        ("ruf=mailto:a@example.com!big", "bad size limit"),
        ("fo=2", "fo takes 0, 1, d and s"),
        ("ri=-1", "not a number of seconds"),
        ("rf=iodef", "the only report format is afrf"),
    ],
)
def test_a_bad_tag_value_is_a_problem_receivers_ignore(tag: str, words: str) -> None:
    record = parse_dmarc(f"v=DMARC1; p=reject; {tag}")
    (problem,) = record.problems
    assert problem.tag == tag.partition("=")[0] and words in problem.message
    assert "receivers ignore it" in problem.message
    assert record.policy == "reject" and record.policy_problem is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=DMARC1; rua=mailto:a@example.com", "the p= tag is missing"),
        ("v=DMARC1; p=block", "p=block: 'block' is not one of none, quarantine, reject"),
        ("v=DMARC1; p=", "p=: '' is not one of none, quarantine, reject"),
    ],
)
def test_a_missing_or_invalid_policy_is_its_own_problem(text: str, problem: str) -> None:
    record = parse_dmarc(text)
    assert record.policy is None and record.policy_problem == problem


def test_unknown_tags_are_tolerated_and_listed() -> None:
    record = parse_dmarc("v=DMARC1; p=none; foo=bar; np=reject; t=n")
    assert record.unknown == ("foo",) and record.problems == () and record.policy == "none"


def test_malformed_and_repeated_tags_are_problems_not_errors() -> None:
    record = parse_dmarc("v=DMARC1; p=none; p=reject; junk")
    assert record.policy == "none"
    assert [p.tag for p in record.problems] == ["p", "junk"]


@pytest.mark.parametrize(
    ("text", "dmarc"),
    [
        ("v=DMARC1; p=none", True),
        ("v=DMARC1", True),
        ("V = DMARC1 ; p=none", True),
        ("v=dmarc1; p=none", True),
        ("v=DMARC2; p=none", False),
        ("p=none; v=DMARC1", False),
        ("v=spf1 -all", False),
    ],
)
def test_a_dmarc_record_starts_with_v_dmarc1(text: str, dmarc: bool) -> None:
    assert is_dmarc_record(text) is dmarc


def test_text_that_is_not_dmarc_is_refused() -> None:
    with pytest.raises(DmarcSyntaxError):
        parse_dmarc("p=reject")


def test_a_lower_case_version_is_read_but_warned_about() -> None:
    record = parse_dmarc("v=dmarc1; p=reject; rua=mailto:a@example.com")
    assert record.policy == "reject" and "write v=DMARC1" in record.problems[0].message


def test_with_policy_changes_only_p() -> None:
    assert with_policy("v=DMARC1; p=none; rua=mailto:a@x.example", "reject") == (
        "v=DMARC1; p=reject; rua=mailto:a@x.example"
    )
    assert with_policy("v=DMARC1; rua=mailto:a@x.example", "none") == (
        "v=DMARC1; p=none; rua=mailto:a@x.example"
    )


# -- the tree walk -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "names"),
    [
        ("example.com", ["example.com", "com"]),
        ("mail.example.com", ["mail.example.com", "example.com", "com"]),
        (
            "a.b.c.d.e.f.g.h.example.com",
            [
                "a.b.c.d.e.f.g.h.example.com",
                "d.e.f.g.h.example.com",
                "e.f.g.h.example.com",
                "f.g.h.example.com",
                "g.h.example.com",
                "h.example.com",
                "example.com",
                "com",
            ],
        ),
    ],
)
def test_the_walk_jumps_to_seven_labels_and_asks_at_most_eight_names(
    domain: str, names: list[str]
) -> None:
    assert walk_names(domain) == names
    assert len(walk_names(domain)) <= 8


def test_a_record_at_the_domain_itself_needs_one_query() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=reject; rua=mailto:r@example.com"})
    discovery = run(discover_dmarc("example.com", dns))
    assert discovery.name == "example.com" and not discovery.inherited
    assert dns.queries == [("TXT", "_dmarc.example.com")]


def test_a_subdomain_inherits_the_organisational_domains_record() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=none; sp=reject"})
    discovery = run(discover_dmarc("mail.example.com", dns))
    assert discovery.inherited and discovery.name == "example.com"
    assert discovery.record is not None and discovery.record.policy_for(True) == "reject"
    assert discovery.queried == ("_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com")


def test_the_organisational_domain_is_the_record_with_the_fewest_labels() -> None:
    dns = dmarc_zone(**{"b.example.com": "v=DMARC1; p=none", "example.com": "v=DMARC1; p=reject"})
    discovery = run(discover_dmarc("a.b.example.com", dns))
    assert discovery.organisational_domain == "example.com" and discovery.name == "example.com"


def test_psd_n_marks_the_organisational_domain_and_stops_the_walk() -> None:
    dns = dmarc_zone(
        **{"b.example.com": "v=DMARC1; p=quarantine; psd=n", "example.com": "v=DMARC1; p=reject"}
    )
    discovery = run(discover_dmarc("a.b.example.com", dns))
    assert discovery.name == "b.example.com"
    assert ("TXT", "_dmarc.example.com") not in dns.queries


def test_psd_y_makes_the_name_below_the_organisational_domain() -> None:
    dns = dmarc_zone(**{"example": "v=DMARC1; p=reject; psd=y"})
    discovery = run(discover_dmarc("a.b.example", dns))
    assert discovery.organisational_domain == "b.example" and discovery.record is None


def test_a_server_refusing_a_name_above_the_record_does_not_spoil_the_result() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=reject; rua=mailto:r@example.com"})
    dns.add("_dmarc.com", "SERVFAIL")
    discovery = run(discover_dmarc("mail.example.com", dns))
    assert discovery.name == "example.com" and discovery.error is None


# -- the check ---------------------------------------------------------------------------


def test_a_missing_record_fails_with_a_starter_record() -> None:
    result = run(dmarc_check("example.com", MemoryDns()))
    assert (result.id, result.status, result.subject) == (
        CHECK_ID,
        Status.FAIL,
        "_dmarc.example.com",
    )
    assert "no DMARC record at _dmarc.example.com" in result.summary
    assert starter_record("example.com") in result.advice and "p=reject" in result.advice


@pytest.mark.parametrize(
    ("record", "status", "words"),
    [
        ("v=DMARC1; p=none; rua=mailto:r@example.com", Status.WARN, "monitoring only"),
        ("v=DMARC1; p=quarantine; rua=mailto:r@example.com", Status.PASS, "goes to spam"),
        ("v=DMARC1; p=reject; rua=mailto:r@example.com", Status.PASS, "is refused"),
        ("v=DMARC1; rua=mailto:r@example.com", Status.FAIL, "p= tag is missing"),
        ("v=DMARC1; p=strict", Status.FAIL, "no valid policy"),
        ("v=DMARC1; p=reject", Status.WARN, "no rua="),
        ("v=DMARC1; p=reject; pct=abc; rua=mailto:r@example.com", Status.WARN, "pct=abc"),
    ],
)
def test_verdicts_follow_the_policy_and_the_tags(record: str, status: Status, words: str) -> None:
    result = run(dmarc_check("example.com", dmarc_zone(**{"example.com": record})))
    assert result.status is status
    assert words in result.summary or words in result.detail


def test_p_none_advice_gives_the_path_to_reject() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=none; rua=mailto:r@example.com"})
    result = run(dmarc_check("example.com", dns))
    assert "p=quarantine" in result.advice and "p=reject" in result.advice


def test_no_rua_means_no_reports() -> None:
    result = run(dmarc_check("example.com", dmarc_zone(**{"example.com": "v=DMARC1; p=reject"})))
    assert "nobody receives the aggregate reports" in result.summary
    assert "rua=mailto:" in result.advice


def test_pct_abc_warns_that_receivers_ignore_it() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=reject; pct=abc; rua=mailto:r@example.com"})
    result = run(dmarc_check("example.com", dns))
    assert result.status is Status.WARN
    assert "pct=abc" in result.summary and "receivers ignore it" in result.summary


def test_two_records_fail_because_receivers_ignore_both() -> None:
    dns = dmarc_zone(**{"example.com": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]})
    result = run(dmarc_check("example.com", dns))
    assert result.status is Status.FAIL and "more than one DMARC record" in result.summary


@pytest.mark.parametrize("fault", ["TIMEOUT", "SERVFAIL"])
def test_a_temporary_error_fails_and_says_so(fault: str) -> None:
    dns = MemoryDns().add("_dmarc.example.com", fault)
    result = run(dmarc_check("example.com", dns))
    assert result.status is Status.FAIL and "temporary" in result.summary


def test_a_subdomain_reports_the_inherited_record_and_its_sp() -> None:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=reject; sp=none; rua=mailto:r@example.com"})
    result = run(dmarc_check("mail.example.com", dns))
    assert result.status is Status.WARN and result.subject == "_dmarc.example.com"
    assert "mail.example.com has no record of its own" in result.detail
    assert "sp=none" in result.detail


def report_zone(authorised: bool) -> MemoryDns:
    dns = dmarc_zone(**{"example.com": "v=DMARC1; p=reject; rua=mailto:x@reports.example.net"})
    if authorised:
        dns.add("example.com._report._dmarc.reports.example.net", "TXT", "v=DMARC1")
    return dns


@pytest.mark.parametrize(("authorised", "status"), [(True, Status.PASS), (False, Status.WARN)])
def test_reports_to_another_domain_need_its_authorisation(authorised: bool, status: Status) -> None:
    result = run(dmarc_check("example.com", report_zone(authorised)))
    assert result.status is status
    assert ("will be dropped" in result.summary) is not authorised


def test_the_check_converts_an_internationalised_domain() -> None:
    dns = dmarc_zone(**{"xn--bcher-kva.example": "v=DMARC1; p=reject; rua=mailto:r@x.example"})
    dns.add("xn--bcher-kva.example._report._dmarc.x.example", "TXT", "v=DMARC1")
    result: Any = run(dmarc_check("Bücher.example", dns))
    assert result.status is Status.PASS and result.subject == "_dmarc.xn--bcher-kva.example"
