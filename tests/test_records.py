"""The records to publish: one merged SPF record (never a second), the provider's DKIM
records or where to copy them from, a starter DMARC record and the way to p=reject — as
zone-file lines, registrar rows, text and JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from smtp_wizard.checks.spf import IncludeCost
from smtp_wizard.providers import get_provider
from smtp_wizard.records import (
    Published,
    RecordPlan,
    RecordRow,
    plan_records,
    read_published,
    records_to_add,
    render_records_text,
    txt_strings,
    zone_value,
)
from tests.memory_dns import MemoryDns

T = TypeVar("T")


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def only(plan: RecordPlan, kind: str, action: str | None = None) -> list[RecordRow]:
    return [r for r in plan.rows if r.kind == kind and (action is None or r.action == action)]


# -- TXT encoding ------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 255, 256, 600])
def test_txt_values_are_cut_into_strings_of_at_most_255_bytes(length: int) -> None:
    value = "k" * length
    pieces = txt_strings(value)
    assert "".join(pieces) == value
    assert all(len(p.encode()) <= 255 for p in pieces)
    assert len(pieces) == max(1, -(-length // 255))


def test_a_multibyte_character_is_never_cut_in_half() -> None:
    pieces = txt_strings("é" * 200)
    assert all(len(p.encode()) <= 255 for p in pieces) and "".join(pieces) == "é" * 200


def test_zone_values_are_quoted_and_escaped() -> None:
    assert zone_value('say "hi" \\ bye') == '"say \\"hi\\" \\\\ bye"'
    assert zone_value("a" * 300) == f'"{"a" * 255}" "{"a" * 45}"'


# -- SPF ---------------------------------------------------------------------------------


def test_without_an_spf_record_the_provider_include_is_the_whole_record() -> None:
    plan = plan_records("example.com", get_provider("sendgrid"), Published(provider_include_cost=1))
    (row,) = only(plan, "SPF")
    assert (row.action, row.host, row.type, row.value) == (
        "add",
        "@",
        "TXT",
        "v=spf1 include:sendgrid.net ~all",
    )
    assert plan.spf_lookups_after == 1
    assert row.zone_line() == 'example.com. 3600 IN TXT "v=spf1 include:sendgrid.net ~all"'


def test_the_include_is_merged_into_the_existing_record_before_all_never_a_second_one() -> None:
    published = Published(
        spf_records=("v=spf1 mx include:_spf.google.com -all",),
        spf_lookups=5,
        provider_include_present=False,
        provider_include_cost=2,
    )
    plan = plan_records("example.com", get_provider("mailgun"), published)
    (row,) = only(plan, "SPF")
    assert row.action == "replace"
    assert row.value == "v=spf1 mx include:_spf.google.com include:mailgun.org -all"
    assert "do not add a second one" in row.note
    assert plan.spf_lookups_after == 7
    assert any("7 of 10" in note for note in plan.spf.notes)


def test_an_include_already_there_leaves_the_record_alone() -> None:
    published = Published(
        spf_records=("v=spf1 include:mailgun.org ~all",),
        spf_lookups=2,
        provider_include_present=True,
    )
    plan = plan_records("example.com", get_provider("mailgun"), published)
    (row,) = only(plan, "SPF")
    assert row.action == "keep" and "already includes mailgun.org" in row.note
    assert plan.spf_lookups_after == 2 and "SPF" not in " ".join(plan.zone_lines())


def test_two_spf_records_become_one() -> None:
    published = Published(spf_records=("v=spf1 mx -all", "v=spf1 include:sendgrid.net ~all"))
    plan = plan_records("example.com", get_provider("sendgrid"), published)
    deletions = only(plan, "SPF", "delete")
    (addition,) = only(plan, "SPF", "add")
    assert [r.value for r in deletions] == sorted(published.spf_records)
    assert addition.value == "v=spf1 include:sendgrid.net mx -all"
    assert any("only one SPF record" in note for note in plan.spf.notes)
    assert [line.startswith("; delete:") for line in plan.zone_lines()[:3]] == [True, True, False]


def test_plus_all_is_replaced_by_softfail() -> None:
    published = Published(spf_records=("v=spf1 mx +all",), spf_lookups=1)
    plan = plan_records("example.com", get_provider("mailgun"), published)
    (row,) = only(plan, "SPF")
    assert row.value == "v=spf1 mx include:mailgun.org ~all"
    assert any("+all becomes ~all" in note for note in plan.spf.notes)


def test_past_ten_lookups_the_plan_says_what_to_drop_but_never_the_providers_include() -> None:
    includes = (
        IncludeCost("include:old-crm.example", "old-crm.example", 4, 1, "example.com"),
        IncludeCost("include:newsletter.example", "newsletter.example", 3, 1, "example.com"),
        IncludeCost("include:tiny.example", "tiny.example", 1, 1, "example.com"),
    )
    published = Published(
        spf_records=(
            "v=spf1 mx include:old-crm.example include:newsletter.example include:tiny.example "
            "~all",
        ),
        spf_lookups=9,
        spf_includes=includes,
        provider_include_present=False,
        provider_include_cost=4,
    )
    plan = plan_records("example.com", get_provider("sendgrid"), published)
    # 9 + 4 for the provider's include = 13: include:old-crm.example (4) goes, 9 remain
    assert [c.term for c in plan.spf_drop] == ["include:old-crm.example"]
    assert plan.spf_lookups_after == 9
    (row,) = only(plan, "SPF")
    assert row.value == (
        "v=spf1 mx include:newsletter.example include:tiny.example include:sendgrid.net ~all"
    )
    notes = " ".join(plan.spf.notes)
    assert "leaves out include:old-crm.example (4 lookups)" in notes
    assert "DNS lookups of this record: 9 of 10." in notes


def test_a_provider_without_a_known_include_gets_a_placeholder() -> None:
    plan = plan_records("example.com", get_provider("custom"), Published())
    (row,) = only(plan, "SPF")
    assert row.placeholder and "<your provider's SPF domain>" in row.value


# -- DKIM --------------------------------------------------------------------------------


def test_fixed_dkim_cnames_are_given_with_hosts_relative_to_the_domain() -> None:
    plan = plan_records("example.com", get_provider("fastmail"), Published())
    rows = only(plan, "DKIM")
    assert [(r.host, r.type, r.value) for r in rows] == [
        (f"fm{n}._domainkey", "CNAME", f"fm{n}.example.com.dkim.fmhosted.com") for n in (1, 2, 3)
    ]
    assert rows[0].zone_line() == (
        "fm1._domainkey.example.com. 3600 IN CNAME fm1.example.com.dkim.fmhosted.com."
    )


def test_generated_keys_are_placeholders_that_say_where_to_copy_them_from() -> None:
    plan = plan_records("example.com", get_provider("gmail"), Published())
    (row,) = only(plan, "DKIM")
    assert (row.host, row.type, row.placeholder) == ("google._domainkey", "TXT", True)
    assert any("Authenticate email" in note for note in plan.dkim.notes)


def test_a_provider_without_fixed_selectors_points_at_its_dashboard() -> None:
    plan = plan_records("example.com", get_provider("sendgrid"), Published())
    assert only(plan, "DKIM") == []
    assert any("Sender Authentication" in note for note in plan.dkim.notes)


def test_a_published_dkim_key_is_kept() -> None:
    published = Published(dkim={"google": "v=DKIM1; p=AAAA"})
    plan = plan_records("example.com", get_provider("gmail"), published)
    (row,) = only(plan, "DKIM")
    assert row.action == "keep" and row.value == "v=DKIM1; p=AAAA"


# -- DMARC -------------------------------------------------------------------------------


def test_the_starter_dmarc_record_has_a_placeholder_rua_the_user_must_change() -> None:
    plan = plan_records("example.com", None, Published())
    (row,) = only(plan, "DMARC")
    assert (row.action, row.host, row.value) == (
        "add",
        "_dmarc",
        "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com",
    )
    assert row.placeholder and "change dmarc-reports@example.com" in row.note
    steps = " ".join(plan.dmarc.notes)
    assert (
        "then p=quarantine: v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com" in steps
    )
    assert "then p=reject: v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com" in steps
    # The same steps as rows a screen can offer (and copy) one at a time.
    assert [(r.action, r.value) for r in plan.dmarc.later] == [
        ("replace", "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"),
        ("replace", "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"),
    ]
    assert all(r.placeholder for r in plan.dmarc.later)
    assert "later" in plan.dmarc.to_json()


def test_an_existing_record_without_rua_gets_one_and_bad_tags_are_dropped() -> None:
    published = Published(dmarc_record="v=DMARC1; p=quarantine; pct=abc")
    plan = plan_records("example.com", None, published)
    (row,) = only(plan, "DMARC")
    assert row.action == "replace"
    assert row.value == "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com"
    assert "removes pct=" in row.note and "adds rua=" in row.note
    assert [n for n in plan.dmarc.notes if n.startswith("then")] == [
        "then p=reject: v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"
    ]


def test_a_reject_policy_with_reports_needs_nothing() -> None:
    published = Published(dmarc_record="v=DMARC1; p=reject; rua=mailto:r@example.com")
    plan = plan_records("example.com", None, published)
    (row,) = only(plan, "DMARC")
    assert row.action == "keep" and plan.dmarc.notes == ()


# -- output ------------------------------------------------------------------------------


def test_the_plan_is_json_and_text() -> None:
    plan = plan_records("example.com", get_provider("fastmail"), Published())
    document = json.loads(json.dumps(plan.to_json()))
    assert document["domain"] == "example.com" and document["provider"] == "fastmail"
    assert [s["kind"] for s in document["sections"]] == ["SPF", "DKIM", "DMARC"]
    row = document["sections"][2]["rows"][0]
    assert set(row) == {
        "kind",
        "action",
        "host",
        "name",
        "type",
        "value",
        "note",
        "placeholder",
        "zone",
    }
    text = render_records_text(plan)
    assert "SPF\n" in text and "DKIM\n" in text and "DMARC\n" in text
    assert "Zone file:" in text and "fm1._domainkey" in text
    assert "placeholders" in text


def test_a_long_dkim_key_is_split_in_the_zone_file_but_whole_in_the_form() -> None:
    key = "v=DKIM1; k=rsa; p=" + "A" * 392
    row = RecordRow("DKIM", "add", "s1._domainkey", "s1._domainkey.example.com", "TXT", key)
    assert row.value == key
    assert row.zone_line().count('" "') == 1


# -- reading what is published -------------------------------------------------------------


def test_read_published_gathers_spf_dmarc_dkim_and_the_include_cost() -> None:
    dns = MemoryDns(
        {
            "example.com": [("TXT", "v=spf1 include:_spf.google.com ~all")],
            "_spf.google.com": [("TXT", "v=spf1 include:_netblocks.google.com ~all")],
            "_netblocks.google.com": [("TXT", "v=spf1 ip4:35.190.247.0/24 ~all")],
            "mailgun.org": [("TXT", "v=spf1 include:_spf.mailgun.org ~all")],
            "_spf.mailgun.org": [("TXT", "v=spf1 ip4:209.61.151.0/24 ~all")],
            "_dmarc.example.com": [("TXT", "v=DMARC1; p=none")],
        }
    )
    published = run(read_published("example.com", dns, get_provider("mailgun")))
    assert published.spf_records == ("v=spf1 include:_spf.google.com ~all",)
    assert published.spf_lookups == 2 and published.provider_include_cost == 2
    assert published.provider_include_present is False
    assert published.dmarc_record == "v=DMARC1; p=none"
    plan = run(records_to_add("example.com", dns, get_provider("mailgun")))
    assert plan.spf_lookups_after == 4
    assert only(plan, "SPF")[0].value == ("v=spf1 include:_spf.google.com include:mailgun.org ~all")


def test_read_published_sees_the_presets_dkim_selectors() -> None:
    dns = MemoryDns(
        {"fm1._domainkey.example.com": [("CNAME", "fm1.example.com.dkim.fmhosted.com")]}
    )
    dns.add("fm1.example.com.dkim.fmhosted.com", "TXT", "v=DKIM1; p=AAAA")
    plan = run(records_to_add("example.com", dns, get_provider("fastmail")))
    assert [r.action for r in only(plan, "DKIM")] == ["keep", "add", "add"]
