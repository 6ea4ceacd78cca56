"""The RFC 7208 test suite through the real resolver, against a real DNS server.

`tests/test_spf.py` runs the suite over the in-memory `DnsLookup` of `tests/memory_dns.py`;
that proves check_host() right, but not the path a user's query takes: dnspython's
messages, TXT strings joined by our resolver, names sent as SPF macros build them, NXDOMAIN
and NODATA told apart from what a server actually answered. Here every scenario's zone
data becomes a dnspython zone served by `tests.dns_server.DnsTestServer` on 127.0.0.1, and
each case asks it through `make_resolver`, exactly as `smtp-wizard dns --ip` does.

The zone of a scenario is rooted at "." so that every name the suite mentions, and every
name it does not, is answered by the one server: a name outside the zone data is NXDOMAIN,
as the suite expects, and never leaves the loopback interface. The data is translated as
pyspf's own driver (and `tests.memory_dns.zone_from_rfc7208`) does: type SPF records are
served as SPF and copied to TXT unless the name has TXT records of its own; `TXT: NONE`
means no TXT record; `TIMEOUT` becomes the server's `drop(name)`.

All 203 cases run at once, in one event loop, before the first case is judged: the
timeouts (a 1 s query timeout for scenarios that have them) then cost one second in all,
not one second each.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest
from dns.rdtypes.ANY.SPF import SPF
from dns.rdtypes.ANY.TXT import TXT

from smtp_wizard.checks.dns import make_resolver
from smtp_wizard.checks.spf import SpfResult, SpfVerdict, check_mail_from
from tests.dns_server import DnsTestServer

SUITE_FILE: Final = Path(__file__).parent / "vectors" / "rfc7208-tests.json"
SUITE_SIZE: Final = 203
TIMEOUT: Final = "TIMEOUT"
QUERY_TIMEOUT_WITH_DROPS: Final = 1.0  # scenarios with TIMEOUT entries: wait 1 s, not 3
QUERY_TIMEOUT: Final = 3.0  # everything else answers at once; leave room for a busy machine
CHECK_TIMEOUT: Final = 10.0
IN: Final = dns.rdataclass.IN
MAX_STRING: Final = 255

# Cases that cannot pass over real DNS, and why. Each is strict: if it starts passing, the
# reason is gone and the mark must go too.
KNOWN_FAILURES: Final[dict[str, str]] = {
    "null-text": (
        "smtp_wizard.checks.dns: null.example.com has a TXT record with no strings next to "
        "its SPF record; dnspython refuses to parse such an answer (FormError 'the list of "
        "strings must not be empty') and drops it, so Resolver.txt reports 'no answer in "
        "time (temporary)' although the server answered at once: temperror instead of pass"
    ),
}


@dataclass(frozen=True)
class Scenario:
    """One scenario of the suite: its zone data and its cases (id -> case)."""

    index: int
    description: str
    zonedata: Mapping[str, Sequence[Any]]
    cases: Mapping[str, Mapping[str, Any]]


def load_scenarios() -> list[Scenario]:
    data = json.loads(SUITE_FILE.read_text(encoding="utf-8"))
    return [
        Scenario(index, scenario.get("description", ""), scenario["zonedata"], scenario["tests"])
        for index, scenario in enumerate(data["scenarios"])
    ]


SCENARIOS: Final = load_scenarios()


# --------------------------------------------------------------------------- zone data


def character_strings(value: str | Sequence[str]) -> list[bytes]:
    """A suite TXT/SPF value as DNS character-strings: each UTF-8, at most 255 bytes.

    A list in the suite is several strings of one record (clients join them); UTF-8 keeps
    the suite's non-ASCII test text exactly as the in-memory zone hands it over.
    """
    pieces: list[bytes] = []
    for part in [value] if isinstance(value, str) else value:
        encoded = part.encode("utf-8")
        pieces.extend(encoded[i : i + MAX_STRING] for i in range(0, len(encoded), MAX_STRING))
        if not encoded:
            pieces.append(b"")
    return pieces


def text_rdata(rdtype: dns.rdatatype.RdataType, value: str | Sequence[str]) -> dns.rdata.Rdata:
    """A TXT or SPF record; one with no strings at all (the suite's `SPF: []`) as raw wire.

    dnspython will not build a TXT rdata without strings, but a server can send one (an
    empty RDATA): the suite has it to check that SPF copes, so it is served as it is.
    """
    strings = character_strings(value)
    if not strings:
        return dns.rdata.GenericRdata(IN, rdtype, b"")
    kind = TXT if rdtype == dns.rdatatype.TXT else SPF
    return kind(IN, rdtype, strings)


def absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name, origin=dns.name.root)


def build_zone(
    zonedata: Mapping[str, Sequence[Any]],
) -> tuple[dns.zone.Zone, list[tuple[str, tuple[str, ...]]]]:
    """The scenario's records as one zone rooted at ".", and the names to drop (TIMEOUT),
    each with the types that still answer."""
    zone = dns.zone.Zone(dns.name.root, relativize=False)

    def add(name: dns.name.Name, rdata: dns.rdata.Rdata) -> None:
        node = zone.find_node(name, create=True)
        node.find_rdataset(IN, rdata.rdtype, create=True).add(rdata, 300)

    add(
        dns.name.root,
        dns.rdata.from_text(IN, "SOA", "ns.test. hostmaster.test. 1 3600 600 86400 300"),
    )
    add(dns.name.root, dns.rdata.from_text(IN, "NS", "ns.test."))
    drops: list[tuple[str, tuple[str, ...]]] = []
    for text, entries in zonedata.items():
        name = absolute(text)
        zone.find_node(name, create=True)  # listed without records: NODATA, not NXDOMAIN
        copies: list[str | Sequence[str]] = []
        has_txt = False
        for entry in entries:
            if entry == TIMEOUT:
                # The types given a value are answered; every other type times out.
                answered = tuple(
                    rtype
                    for other in entries
                    if other != TIMEOUT
                    for rtype, value in other.items()
                    if value != "NONE"
                )
                drops.append((text, answered))
                continue
            ((rtype, value),) = entry.items()
            if rtype == "TXT":
                has_txt = True
                if value != "NONE":
                    add(name, text_rdata(dns.rdatatype.TXT, value))
            elif rtype == "SPF":
                copies.append(value)
                add(name, text_rdata(dns.rdatatype.SPF, value))
            elif rtype == "MX":
                preference, exchange = value
                target = absolute(exchange) if exchange else dns.name.root
                add(name, dns.rdata.from_text(IN, "MX", f"{preference} {target}"))
            elif rtype in ("PTR", "CNAME"):
                add(name, dns.rdata.from_text(IN, rtype, absolute(value).to_text()))
            else:  # A, AAAA
                add(name, dns.rdata.from_text(IN, rtype, value))
        if not has_txt:
            for value in copies:
                add(name, text_rdata(dns.rdatatype.TXT, value))
    return zone, drops


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Outcome:
    """What one case gave over real DNS, with what the suite expects of it."""

    result: SpfResult
    case: Mapping[str, Any]
    seconds: float  # how long this case took on its own

    @property
    def expected(self) -> list[str]:
        wanted = self.case["result"]
        return wanted if isinstance(wanted, list) else [wanted]

    @property
    def explanation_ok(self) -> bool:
        """The suite's driver stands for "no exp= explanation" with the text DEFAULT."""
        if "explanation" not in self.case:
            return True
        return (self.result.explanation or "DEFAULT") == self.case["explanation"]


@dataclass(frozen=True)
class SuiteRun:
    outcomes: dict[str, Outcome]
    elapsed: float  # the whole suite, all cases at once


async def run_case(server: DnsTestServer, case: Mapping[str, Any], slow: bool) -> Outcome:
    resolver = make_resolver(
        [server.nameserver],
        timeout=CHECK_TIMEOUT,
        query_timeout=QUERY_TIMEOUT_WITH_DROPS if slow else QUERY_TIMEOUT,
    )
    started = time.monotonic()
    result = await check_mail_from(case["host"], case["mailfrom"], case["helo"], resolver)
    return Outcome(result, case, time.monotonic() - started)


async def run_all(
    servers: dict[int, DnsTestServer], drops: dict[int, list[tuple[str, tuple[str, ...]]]]
) -> SuiteRun:
    ids: list[str] = []
    work = []
    for scenario in SCENARIOS:
        for case_id, case in scenario.cases.items():
            ids.append(case_id)
            work.append(run_case(servers[scenario.index], case, bool(drops[scenario.index])))
    started = time.monotonic()
    outcomes = await asyncio.gather(*work)
    return SuiteRun(dict(zip(ids, outcomes, strict=True)), time.monotonic() - started)


@pytest.fixture(scope="module")
def suite_run() -> Iterator[SuiteRun]:
    """Every case of the suite, run at once: one server per scenario, each on 127.0.0.1."""
    servers: dict[int, DnsTestServer] = {}
    drops: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    try:
        for scenario in SCENARIOS:
            zone, dropped = build_zone(scenario.zonedata)
            server = DnsTestServer({dns.name.root: zone}).start()
            servers[scenario.index] = server
            drops[scenario.index] = dropped
            for name, answered in dropped:
                server.drop(name, keep=answered)
        yield asyncio.run(run_all(servers, drops))
    finally:
        for server in servers.values():
            server.stop()


def _params() -> list[Any]:
    params = []
    for scenario in SCENARIOS:
        for case_id in scenario.cases:
            marks = []
            if case_id in KNOWN_FAILURES:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case_id]))
            params.append(pytest.param(case_id, id=case_id, marks=marks))
    return params


# --------------------------------------------------------------------------- the tests


def test_the_suite_holds_203_uniquely_named_cases() -> None:
    ids = [case_id for scenario in SCENARIOS for case_id in scenario.cases]
    assert len(ids) == SUITE_SIZE and len(set(ids)) == SUITE_SIZE
    assert set(KNOWN_FAILURES) <= set(ids)


@pytest.mark.parametrize("case_id", _params())
def test_rfc7208_case_over_real_dns(suite_run: SuiteRun, case_id: str) -> None:
    outcome = suite_run.outcomes[case_id]
    result = outcome.result
    assert result.verdict in outcome.expected, (
        f"{case_id}: {result.verdict} ({result.reason}), expected {' or '.join(outcome.expected)}"
    )
    assert outcome.explanation_ok, (
        f"{case_id}: explanation {result.explanation!r}, expected {outcome.case['explanation']!r}"
    )


def test_a_temperror_comes_from_a_query_the_server_left_unanswered(suite_run: SuiteRun) -> None:
    """No shortcut: every temperror case really waited out the query timeout."""
    temperrors = [o for o in suite_run.outcomes.values() if o.expected == [SpfVerdict.TEMPERROR]]
    assert len(temperrors) >= 4
    for outcome in temperrors:
        assert outcome.result.verdict is SpfVerdict.TEMPERROR, outcome.result.reason
        assert "no answer" in outcome.result.reason, outcome.result.reason
        assert outcome.seconds >= 0.9 * QUERY_TIMEOUT_WITH_DROPS


def test_the_timeouts_of_all_cases_overlap_instead_of_adding_up(suite_run: SuiteRun) -> None:
    """The cases that wait for a silent server wait at the same time, so the file stays fast."""
    waited = [o.seconds for o in suite_run.outcomes.values() if o.seconds >= 0.9]
    assert len(waited) >= 4
    assert suite_run.elapsed < sum(waited) / 2, f"{suite_run.elapsed:.1f} s for {waited}"
