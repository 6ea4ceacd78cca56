"""The resolver factory against a real DNS server on 127.0.0.1 (tests/dns_server.py).

Every lookup goes over real UDP/TCP to the test server, which serves tests/zones/*.zone;
faults (SERVFAIL, dropped queries) are switched on per name. Only loopback is contacted.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from dns import flags as dns_flags
from dns import message as dns_message
from dns import query as dns_query
from dns import rdatatype

from smtp_wizard.checks import dns as dns_module
from smtp_wizard.checks.dns import Nameserver, Resolver, make_resolver
from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, DnsLookup, MxRecord, SrvRecord
from tests.dns_server import ALL, DnsTestServer

pytest_plugins = ["tests.dns_fixtures"]

T = TypeVar("T")

BIG_TXT = "".join(f"chunk{i:02d}:" + chr(ord("a") + i) * 192 for i in range(8))


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def failure(awaitable: Awaitable[Any]) -> DnsError:
    """The DnsError a lookup raises (and nothing else may come out of it)."""
    with pytest.raises(DnsError) as caught:
        run(awaitable)
    return caught.value


def resolver(server: DnsTestServer, timeout: float = 5.0, **kwargs: Any) -> Resolver:
    return make_resolver([server.nameserver], timeout=timeout, **kwargs)


# ------------------------------------------------------------------ the factory


def test_the_resolver_implements_the_dns_lookup_interface(dns: DnsTestServer) -> None:
    lookup: DnsLookup = resolver(dns)
    assert run(lookup.a("smtp.example.test")) == ["127.0.0.1"]


def test_make_resolver_parses_nameserver_strings_and_keeps_nameserver_objects() -> None:
    made = make_resolver(["127.0.0.1:5353", Nameserver("::1", 53)], timeout=4)
    assert made.nameservers == (Nameserver("127.0.0.1", 5353), Nameserver("::1", 53))
    assert made.timeout == 4
    assert made.query_timeout == 3.0


def test_a_query_may_not_take_longer_than_the_whole_check() -> None:
    assert make_resolver(["127.0.0.1"], timeout=1.5).query_timeout == 1.5


def test_a_bad_nameserver_string_is_a_value_error_for_the_user() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        make_resolver(["dns.example.test"])


# ------------------------------------------------------------------ records


def test_a_record(dns: DnsTestServer) -> None:
    assert run(resolver(dns).a("smtp.example.test")) == ["127.0.0.1"]


def test_aaaa_record(dns: DnsTestServer) -> None:
    assert run(resolver(dns).aaaa("v6only.example.test")) == ["::1"]


def test_names_are_case_insensitive_and_may_end_with_a_dot(dns: DnsTestServer) -> None:
    assert run(resolver(dns).a("SMTP.Example.Test.")) == ["127.0.0.1"]
    assert dns.count("smtp.example.test", "A") == 1


def test_a_name_with_both_families_has_both_addresses(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.a("both.example.test")) == ["127.0.0.1"]
    assert run(made.aaaa("both.example.test")) == ["::1"]
    assert run(made.addresses("both.example.test")) == ["127.0.0.1", "::1"]


def test_a_cname_is_followed(dns: DnsTestServer) -> None:
    assert run(resolver(dns).a("alias.example.test")) == ["127.0.0.1"]


def test_a_txt_lookup_reports_the_cname_chain_and_the_canonical_name(dns: DnsTestServer) -> None:
    answer = run(resolver(dns).txt("txt-alias.example.test"))
    assert answer.records == ("v=spf1 ip4:127.0.0.1 -all",)
    assert answer.canonical_name == "split.example.test"
    assert answer.cname_chain == ("split.example.test",)


def test_a_txt_lookup_without_cname_has_an_empty_chain(dns: DnsTestServer) -> None:
    answer = run(resolver(dns).txt("split.example.test"))
    assert answer.canonical_name == "split.example.test"
    assert answer.cname_chain == ()


def test_a_chain_of_two_cnames_is_reported_in_order(dns: DnsTestServer) -> None:
    answer = run(resolver(dns).txt("txt-alias2.example.test"))
    assert answer.records == ("v=spf1 ip4:127.0.0.1 -all",)
    assert answer.cname_chain == ("txt-alias.example.test", "split.example.test")
    assert answer.canonical_name == "split.example.test"
    assert dns.count("txt-alias.example.test") == 0  # the server chased it: one query


def test_split_txt_strings_are_joined(dns: DnsTestServer) -> None:
    assert run(resolver(dns).txt("split.example.test")).records == ("v=spf1 ip4:127.0.0.1 -all",)


def test_each_txt_record_stays_a_record_of_its_own(dns: DnsTestServer) -> None:
    records = run(resolver(dns).txt("two-txt.example.test")).records
    assert sorted(records) == ["first record", "second record"]


def test_a_big_txt_record_arrives_whole_over_tcp(dns: DnsTestServer) -> None:
    made = resolver(dns)
    answer = run(made.txt("big.example.test"))
    assert answer.records == (BIG_TXT,)
    assert len(answer.records[0]) == 1600
    assert made.queries == 2  # UDP answered with TC set, then the same query over TCP
    assert dns.count("big.example.test", "TXT") == 2


def test_mx_records_are_sorted_by_preference_and_lower_case(dns: DnsTestServer) -> None:
    assert run(resolver(dns).mx("multi-mx.example.test")) == [
        MxRecord(10, "mx1.example.test"),
        MxRecord(20, "mx2.example.test"),
        MxRecord(30, "mx3.example.test"),
    ]


def test_the_domain_mx_points_at_its_mail_host(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.mx("example.test")) == [MxRecord(10, "mail.example.test")]
    assert run(made.a("mail.example.test")) == ["127.0.0.1"]


def test_a_null_mx_has_an_empty_exchange(dns: DnsTestServer) -> None:
    assert run(resolver(dns).mx("nullmx.example.test")) == [MxRecord(0, "")]


def test_a_dangling_mx_is_returned_and_its_target_does_not_exist(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.mx("dangling.test")) == [MxRecord(10, "gone.dangling.test")]
    assert failure(made.addresses("gone.dangling.test")).kind is DnsErrorKind.NXDOMAIN


def test_srv_records_for_submission(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.srv("_submission._tcp.example.test")) == [
        SrvRecord(0, 1, 587, "smtp.example.test")
    ]
    assert run(made.srv("_submissions._tcp.example.test")) == [
        SrvRecord(0, 1, 465, "smtp.example.test")
    ]


def test_a_ptr_record_by_name(dns: DnsTestServer) -> None:
    assert run(resolver(dns).ptr("ptr.example.test")) == ["smtp.example.test"]


def test_a_ptr_lookup_outside_the_served_zones_is_refused(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).ptr("127.0.0.1"))
    assert error.kind is DnsErrorKind.ERROR
    assert error.name == "1.0.0.127.in-addr.arpa"
    assert dns.count("1.0.0.127.in-addr.arpa", "PTR") == 1


# ------------------------------------------------------------------ errors told apart


def test_a_missing_name_is_nxdomain(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).txt("missing.example.test"))
    assert error.kind is DnsErrorKind.NXDOMAIN
    assert error.void and not error.temporary
    assert "missing.example.test" in str(error)
    assert "NXDOMAIN" in str(error) and "TXT" in str(error)


def test_a_name_without_that_type_is_nodata(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).txt("smtp.example.test"))
    assert error.kind is DnsErrorKind.NODATA
    assert error.void and not error.temporary
    assert str(error) == "smtp.example.test has no TXT record"


def test_a_name_with_only_names_below_it_is_nodata_not_nxdomain(dns: DnsTestServer) -> None:
    assert failure(resolver(dns).srv("_tcp.example.test")).kind is DnsErrorKind.NODATA


def test_servfail_is_a_temporary_servfail(dns: DnsTestServer) -> None:
    dns.servfail("broken.example.test")
    error = failure(resolver(dns).txt("broken.example.test"))
    assert error.kind is DnsErrorKind.SERVFAIL
    assert error.temporary and not error.void
    assert "broken.example.test" in str(error)
    assert "SERVFAIL" in str(error) and "TXT" in str(error) and "temporary" in str(error)
    assert dns.nameserver in str(error)


def test_faults_are_per_name(dns: DnsTestServer) -> None:
    dns.servfail("smtp.example.test")
    made = resolver(dns)
    assert failure(made.a("smtp.example.test")).kind is DnsErrorKind.SERVFAIL
    assert run(made.a("mail.example.test")) == ["127.0.0.1"]


def test_a_dropped_query_is_a_temporary_timeout_within_the_deadline(dns: DnsTestServer) -> None:
    dns.drop("smtp.example.test")
    started = time.monotonic()
    error = failure(resolver(dns, timeout=1).a("smtp.example.test"))
    elapsed = time.monotonic() - started
    assert error.kind is DnsErrorKind.TIMEOUT
    assert error.temporary and not error.void
    assert "smtp.example.test" in str(error) and "A query" in str(error)
    assert "no answer" in str(error)
    assert 0.8 < elapsed < 1.5


def test_the_timeout_is_one_deadline_for_all_lookups_not_one_each(dns: DnsTestServer) -> None:
    for name in ("a.example.test", "b.example.test", "c.example.test", "d.example.test"):
        dns.drop(name)
    made = resolver(dns, timeout=1)

    async def four_lookups() -> list[DnsError]:
        errors = []
        for name in ("a.example.test", "b.example.test", "c.example.test", "d.example.test"):
            with pytest.raises(DnsError) as caught:
                await made.txt(name)
            errors.append(caught.value)
        return errors

    started = time.monotonic()
    errors = run(four_lookups())
    elapsed = time.monotonic() - started
    assert [error.kind for error in errors] == [DnsErrorKind.TIMEOUT] * 4
    assert elapsed < 1.5
    assert "deadline" in str(errors[-1])
    assert dns.count("d.example.test") == 0  # no time was left to ask


def test_short_queries_share_the_overall_deadline(dns: DnsTestServer) -> None:
    names = [f"slow{i}.example.test" for i in range(5)]
    for name in names:
        dns.drop(name)
    made = resolver(dns, timeout=1, query_timeout=0.4)

    async def lookups() -> list[DnsErrorKind]:
        kinds = []
        for name in names:
            try:
                await made.a(name)
            except DnsError as exc:
                kinds.append(exc.kind)
        return kinds

    started = time.monotonic()
    assert run(lookups()) == [DnsErrorKind.TIMEOUT] * 5
    assert 0.8 < time.monotonic() - started < 1.5  # 0.4 + 0.4 + 0.2, then nothing left


def test_a_name_outside_every_served_zone_is_refused_as_an_error(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).a("nowhere.invalid"))
    assert error.kind is DnsErrorKind.ERROR
    assert not error.temporary and not error.void
    assert "refused" in str(error).lower()
    assert "nowhere.invalid" in str(error) and "A query" in str(error)


def test_no_dns_server_listening_is_a_timeout_naming_the_server() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    error = failure(make_resolver([f"127.0.0.1:{port}"], timeout=1).a("smtp.example.test"))
    assert error.kind is DnsErrorKind.TIMEOUT  # UDP: a closed port looks like a silent one
    assert f"127.0.0.1:{port}" in str(error) and "smtp.example.test" in str(error)


def test_the_second_nameserver_answers_when_the_first_is_silent(dns: DnsTestServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound and never read: queries to it go unanswered
        port = silent.getsockname()[1]
        made = make_resolver([f"127.0.0.1:{port}", dns.nameserver], timeout=5)
        assert run(made.a("smtp.example.test")) == ["127.0.0.1"]


def test_an_invalid_name_is_a_dns_error_and_nothing_is_sent(dns: DnsTestServer) -> None:
    made = resolver(dns)
    error = failure(made.txt("bad..name.example.test"))
    assert error.kind is DnsErrorKind.ERROR
    assert "not a DNS name" in str(error)
    assert made.queries == 0


def test_spf_macro_names_with_any_octet_are_asked_as_they_are(dns: DnsTestServer) -> None:
    made = resolver(dns)
    error = failure(made.txt("foo:bar/b z.example.test"))
    assert error.kind is DnsErrorKind.NXDOMAIN
    assert made.queries >= 1


def test_smtp_wizard_resolv_conf_replaces_the_system_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_WIZARD_RESOLV_CONF", str(tmp_path / "nowhere.conf"))
    error = failure(make_resolver().addresses("smtp.example.test"))
    assert error.kind is DnsErrorKind.NO_RESOLVER
    assert "nowhere.conf" in str(error)


# ------------------------------------------------------------------ names


def test_an_internationalised_name_is_asked_in_its_xn_form(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.a("bücher.test")) == ["127.0.0.1"]
    assert run(made.a("smtp.BÜCHER.test")) == ["127.0.0.1"]
    assert dns.count("xn--bcher-kva.test", "A") == 1
    assert dns.count("smtp.xn--bcher-kva.test", "A") == 1
    assert made.queries == 2


def test_an_error_names_the_ascii_form_of_an_internationalised_name(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).txt("_dmarc.bücher.test"))
    assert error.kind is DnsErrorKind.NXDOMAIN
    assert error.name == "_dmarc.xn--bcher-kva.test"


def test_underscore_labels_of_service_names_are_allowed(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert failure(made.txt("sel._domainkey.example.test")).kind is DnsErrorKind.NXDOMAIN
    assert dns.count("sel._domainkey.example.test", "TXT") == 1


# ------------------------------------------------------------------ addresses


def test_addresses_of_localhost_need_no_query(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.addresses("localhost")) == ["127.0.0.1", "::1"]
    assert run(made.addresses("mail.localhost.")) == ["127.0.0.1", "::1"]
    assert made.queries == 0
    assert dns.total_queries == 0


def test_addresses_of_an_ip_literal_need_no_query(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.addresses("127.0.0.1")) == ["127.0.0.1"]
    assert run(made.addresses("[::1]")) == ["::1"]
    assert made.queries == 0
    assert dns.total_queries == 0


def test_addresses_ask_a_and_aaaa(dns: DnsTestServer) -> None:
    made = resolver(dns)
    assert run(made.addresses("v6only.example.test")) == ["::1"]
    assert run(made.addresses("alias.example.test")) == ["127.0.0.1"]
    assert dns.count("v6only.example.test", "A") == 1
    assert dns.count("v6only.example.test", "AAAA") == 1


def test_addresses_ask_a_and_aaaa_at_the_same_time(dns: DnsTestServer) -> None:
    dns.delay("both.example.test", 0.4)
    started = time.monotonic()
    assert run(resolver(dns).addresses("both.example.test")) == ["127.0.0.1", "::1"]
    assert time.monotonic() - started < 0.75  # one delay, not two


def test_addresses_of_a_missing_host_is_nxdomain_naming_the_host(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).addresses("nohost.example.test"))
    assert error.kind is DnsErrorKind.NXDOMAIN
    assert "nohost.example.test" in str(error)


def test_addresses_of_a_host_without_any_address_is_nodata(dns: DnsTestServer) -> None:
    error = failure(resolver(dns).addresses("noaddress.example.test"))
    assert error.kind is DnsErrorKind.NODATA
    assert str(error).startswith("noaddress.example.test has no A or AAAA record")


def test_addresses_of_a_failing_host_is_servfail(dns: DnsTestServer) -> None:
    dns.servfail("smtp.example.test")
    error = failure(resolver(dns).addresses("smtp.example.test"))
    assert error.kind is DnsErrorKind.SERVFAIL
    assert "smtp.example.test" in str(error)


def test_addresses_of_a_silent_host_is_a_timeout(dns: DnsTestServer) -> None:
    dns.drop("smtp.example.test")
    started = time.monotonic()
    error = failure(resolver(dns, timeout=1).addresses("smtp.example.test"))
    assert error.kind is DnsErrorKind.TIMEOUT
    assert "smtp.example.test" in str(error)
    assert time.monotonic() - started < 1.5


def test_addresses_of_an_idn_host(dns: DnsTestServer) -> None:
    assert run(resolver(dns).addresses("smtp.bücher.test")) == ["127.0.0.1"]
    assert dns.count("smtp.xn--bcher-kva.test", "A") == 1


# ------------------------------------------------------------------ no resolver configured


def test_without_resolv_conf_the_first_lookup_says_to_pass_a_nameserver(
    dns: DnsTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_WIZARD_RESOLV_CONF")
    monkeypatch.setattr(dns_module, "RESOLV_CONF", str(tmp_path / "resolv.conf"))
    made = make_resolver()  # the system configuration: must not crash here
    error = failure(made.txt("example.test"))
    assert error.kind is DnsErrorKind.NO_RESOLVER
    assert "pass --nameserver IP" in str(error)
    assert "resolv.conf" in str(error)
    assert made.queries == 0


def test_without_resolv_conf_localhost_still_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dns_module, "RESOLV_CONF", str(tmp_path / "resolv.conf"))
    made = Resolver()
    assert run(made.addresses("localhost")) == ["127.0.0.1", "::1"]
    assert run(made.addresses("::1")) == ["::1"]


def test_a_resolv_conf_without_nameservers_is_no_resolver_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search example.test\n")
    monkeypatch.setenv("SMTP_WIZARD_RESOLV_CONF", str(conf))
    error = failure(Resolver().mx("example.test"))
    assert error.kind is DnsErrorKind.NO_RESOLVER
    assert "pass --nameserver IP" in str(error)


def test_the_system_resolver_comes_from_resolv_conf(
    dns: DnsTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {dns.address}\n")
    monkeypatch.setattr(dns_module, "RESOLV_CONF", str(conf))
    made = Resolver()
    # resolv.conf has no port: the test server is not on 53, so only the wiring is checked
    assert made.nameservers == ()
    assert made.servers == f"{dns.address}:53"


def test_system_getaddrinfo_errors_map_to_dns_error_kinds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The system path of `addresses` (no --nameserver) maps getaddrinfo's error codes."""
    monkeypatch.delenv("SMTP_WIZARD_RESOLV_CONF")  # getaddrinfo is stubbed: nothing is sent
    codes = {
        socket.EAI_NONAME: DnsErrorKind.NXDOMAIN,
        socket.EAI_AGAIN: DnsErrorKind.TIMEOUT,
        socket.EAI_FAIL: DnsErrorKind.ERROR,
    }
    for code, kind in codes.items():

        async def fail(*args: Any, code: int = code, **kwargs: Any) -> Any:
            raise socket.gaierror(code, "simulated")

        async def lookup() -> DnsError:
            monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fail)
            with pytest.raises(DnsError) as caught:
                await Resolver().addresses("host.example.test")
            return caught.value

        error = asyncio.run(lookup())
        assert error.kind is kind, code
        assert "host.example.test" in str(error)


# ------------------------------------------------------------------ Nameserver.parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", Nameserver("127.0.0.1", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        (" 10.0.0.53:53 ", Nameserver("10.0.0.53", 53)),
        ("::1", Nameserver("::1", 53)),
        ("[::1]", Nameserver("::1", 53)),
        ("[::1]:5353", Nameserver("::1", 5353)),
        ("2001:db8::53", Nameserver("2001:db8::53", 53)),
        ("[2001:DB8::53]:853", Nameserver("2001:db8::53", 853)),
    ],
)
def test_nameserver_parse_accepts(text: str, expected: Nameserver) -> None:
    assert Nameserver.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("localhost", "not an IP address"),
        ("dns.example.test:53", "not an IP address"),
        ("127.0.0.1:", "bad port"),
        ("127.0.0.1:0", "bad port"),
        ("127.0.0.1:65536", "bad port"),
        ("127.0.0.1:dns", "bad port"),
        ("127.0.0.256", "not an IP address"),
        ("[::1", "not an IP address"),
        ("[127.0.0.1]:53", "brackets are for IPv6"),
        ("[::1]:x", "bad port"),
        ("127.0.0.1\n", "control character"),
    ],
)
def test_nameserver_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Nameserver.parse(text)


def test_a_nameserver_prints_as_the_flag_takes_it() -> None:
    assert str(Nameserver("127.0.0.1", 5353)) == "127.0.0.1:5353"
    assert str(Nameserver("::1", 5353)) == "[::1]:5353"
    assert Nameserver.parse(str(Nameserver("::1", 5353))) == Nameserver("::1", 5353)


# ------------------------------------------------------------------ the server itself


def test_the_server_truncates_a_big_udp_answer_and_sends_it_whole_over_tcp(
    dns: DnsTestServer,
) -> None:
    query = dns_message.make_query("big.example.test", rdatatype.TXT)
    udp = dns_query.udp(query, dns.address, port=dns.port, timeout=2, raise_on_truncation=False)
    assert udp.flags & dns_flags.TC
    assert len(udp.to_wire()) <= 512
    tcp = dns_query.tcp(query, dns.address, port=dns.port, timeout=2)
    assert not tcp.flags & dns_flags.TC
    (rrset,) = tcp.answer
    assert b"".join(rrset[0].strings).decode() == BIG_TXT


def test_the_server_honours_the_edns_payload_size(dns: DnsTestServer) -> None:
    query = dns_message.make_query("big.example.test", rdatatype.TXT, use_edns=0, payload=4096)
    udp = dns_query.udp(query, dns.address, port=dns.port, timeout=2, raise_on_truncation=False)
    assert not udp.flags & dns_flags.TC
    assert len(udp.answer) == 1


def test_the_server_answers_nxdomain_with_the_soa(dns: DnsTestServer) -> None:
    query = dns_message.make_query("missing.example.test", rdatatype.A)
    response = dns_query.udp(query, dns.address, port=dns.port, timeout=2)
    assert response.rcode() == 3  # NXDOMAIN
    assert response.flags & dns_flags.AA
    assert [rrset.rdtype for rrset in response.authority] == [rdatatype.SOA]


def test_the_server_counts_queries_and_delays_every_name(dns: DnsTestServer) -> None:
    dns.delay(ALL, 0.3)
    made = resolver(dns)
    started = time.monotonic()
    run(made.a("smtp.example.test"))
    assert time.monotonic() - started >= 0.3
    assert dns.counts == {("smtp.example.test", "A"): 1}
    assert made.queries == 1
