"""The DNS records to publish: exactly what to add or change, never a second SPF record.

For a domain, a provider preset and what is already published, `plan_records` works out
the SPF, DKIM and DMARC records the user must publish, and says why:

- SPF: the provider's include merged into the existing record (a second `v=spf1` record
  would break SPF for the whole domain), inserted before `all`/redirect, keeping the
  existing `all` (except `+all`, which authorises everyone), with the lookup count after
  the merge, and which includes to drop when it would pass ten;
- DKIM: the provider's records or CNAMEs where they are fixed, otherwise where in the
  provider's dashboard to copy them from;
- DMARC: a starter record with `rua=` (a placeholder address the user must change) and
  the steps to `p=reject`.

The plan is plain data; it renders as zone-file lines (TXT values split into quoted
strings of at most 255 bytes), as the name/type/value rows a registrar's form asks for
(host relative to the domain: `@`, `_dmarc`, `s1._domainkey`), as text and as JSON.
`read_published` gathers what is there through any `DnsLookup`, concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from smtp_wizard.checks import dmarc as dmarc_module
from smtp_wizard.checks.dkim import dkim_name
from smtp_wizard.checks.dnsapi import DnsError, DnsLookup, TxtAnswer
from smtp_wizard.checks.spf import (
    MAX_DNS_LOOKUPS,
    IncludeCost,
    SpfReport,
    analyse_spf,
    suggest_spf,
)
from smtp_wizard.providers import UNKNOWN, Provider

__all__ = [
    "DEFAULT_TTL",
    "Published",
    "RecordPlan",
    "RecordRow",
    "RecordSection",
    "dkim_value",
    "own_dmarc_record",
    "plan_records",
    "published_from",
    "read_published",
    "records_to_add",
    "render_records_text",
    "txt_strings",
    "zone_value",
]

DEFAULT_TTL: Final = 3600
MAX_STRING: Final = 255  # bytes in one TXT character-string (RFC 1035 §3.3)


@dataclass(frozen=True)
class Published:
    """What DNS holds for the domain now (from `read_published`, or built by hand)."""

    spf_records: tuple[str, ...] = ()
    spf_lookups: int | None = None  # RFC 7208 count of the (merged) record; None: unknown
    spf_includes: tuple[IncludeCost, ...] = ()  # the includes in the domain's own record
    provider_include_present: bool | None = None
    provider_include_cost: int | None = None  # 1 + the lookups of the provider's tree
    dmarc_record: str | None = None  # the record at _dmarc.<domain> itself
    dkim: Mapping[str, str | None] = field(default_factory=dict)  # selector -> key or None


@dataclass(frozen=True)
class RecordRow:
    """One record, the way a registrar's form asks for it."""

    kind: str  # SPF, DKIM, DMARC
    action: str  # add, replace, delete, keep
    host: str  # relative to the domain: "@", "_dmarc", "s1._domainkey"
    name: str  # the full name, no trailing dot
    type: str  # TXT or CNAME
    value: str
    note: str = ""
    placeholder: bool = False  # the value holds <...> or an address to change first

    def zone_line(self, ttl: int = DEFAULT_TTL) -> str:
        """The record as a zone-file line (";" comment for a deletion)."""
        if self.type == "TXT":
            data = zone_value(self.value)
        else:
            data = self.value if self.placeholder or self.value.endswith(".") else self.value + "."
        line = f"{self.name}. {ttl} IN {self.type} {data}"
        return f"; delete: {line}" if self.action == "delete" else line

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "action": self.action,
            "host": self.host,
            "name": self.name,
            "type": self.type,
            "value": self.value,
            "note": self.note,
            "placeholder": self.placeholder,
            "zone": self.zone_line(),
        }


@dataclass(frozen=True)
class RecordSection:
    kind: str
    rows: tuple[RecordRow, ...] = ()
    notes: tuple[str, ...] = ()
    later: tuple[RecordRow, ...] = ()
    """Changes for later, in order (DMARC: p=quarantine, then p=reject, each after reading
    the reports); the notes say the same in words."""

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "kind": self.kind,
            "rows": [r.to_json() for r in self.rows],
            "notes": list(self.notes),
        }
        if self.later:
            document["later"] = [r.to_json() for r in self.later]
        return document


@dataclass(frozen=True)
class RecordPlan:
    """Everything to publish for one domain."""

    domain: str
    provider: str | None  # preset id
    spf: RecordSection
    dkim: RecordSection
    dmarc: RecordSection
    spf_lookups_after: int | None = None  # the SPF lookup count once the plan is applied
    spf_drop: tuple[IncludeCost, ...] = ()  # includes to drop to get back within 10

    @property
    def sections(self) -> tuple[RecordSection, ...]:
        return (self.spf, self.dkim, self.dmarc)

    @property
    def rows(self) -> tuple[RecordRow, ...]:
        return tuple(row for section in self.sections for row in section.rows)

    def zone_lines(self, ttl: int = DEFAULT_TTL) -> list[str]:
        """Zone-file lines for every change (kept records left out)."""
        return [row.zone_line(ttl) for row in self.rows if row.action != "keep"]

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "provider": self.provider,
            "sections": [s.to_json() for s in self.sections],
            "spf_lookups_after": self.spf_lookups_after,
            "spf_drop": [
                {"term": c.term, "domain": c.domain, "lookups": c.lookups} for c in self.spf_drop
            ],
            "zone": self.zone_lines(),
        }


# -- TXT encoding ------------------------------------------------------------------------


def txt_strings(value: str, limit: int = MAX_STRING) -> list[str]:
    """`value` cut into character-strings of at most `limit` bytes (UTF-8, never mid-character).

    DNS joins them back without a separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2), so where the
    cut falls does not matter to SPF or DKIM.
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return pieces


def _quote(piece: str) -> str:
    return '"' + piece.replace("\\", "\\\\").replace('"', '\\"') + '"'


def zone_value(value: str) -> str:
    """A TXT value in zone-file syntax: quoted strings of at most 255 bytes."""
    return " ".join(_quote(piece) for piece in txt_strings(value))


def _host(name: str, domain: str) -> str:
    if name == domain:
        return "@"
    return name[: -len(domain) - 1] if name.endswith("." + domain) else name


def _row(
    kind: str, action: str, name: str, domain: str, rtype: str, value: str, **extra: Any
) -> RecordRow:
    return RecordRow(kind, action, _host(name, domain), name, rtype, value, **extra)


# -- SPF ---------------------------------------------------------------------------------


def _provider_include(provider: Provider | None) -> str | None:
    if provider is None or provider.spf_include == UNKNOWN:
        return None
    return provider.spf_include


def _included(record: str, include: str) -> bool:
    wanted = f"include:{include.lower().rstrip('.')}"
    return any(t.lower().lstrip("+").rstrip(".") == wanted for t in record.split()[1:])


_SOFTFAIL_NOTE: Final = (
    "~all asks receivers to treat other senders as suspicious; switch to -all once every "
    "service that sends as the domain is listed."
)


def _spf_section(
    domain: str, provider: Provider | None, published: Published
) -> tuple[RecordSection, int | None, tuple[IncludeCost, ...]]:
    """The SPF rows: the record `spf.suggest_spf` makes (the one the dns.spf check shows)."""
    include = _provider_include(provider)
    existing = published.spf_records
    present = bool(published.provider_include_present) or (
        include is not None and any(_included(r, include) for r in existing)
    )
    suggestion = suggest_spf(
        existing,
        include,
        lookups=published.spf_lookups,
        includes=published.spf_includes,
        include_cost=published.provider_include_cost,
        include_present=present,
    )
    notes: list[str] = []
    rows: list[RecordRow] = []

    def row(action: str, value: str, **extra: Any) -> None:
        rows.append(_row("SPF", action, domain, domain, "TXT", value, **extra))

    if suggestion is None:
        note = f"already includes {include}" if include and present else "nothing to add"
        row("keep", existing[0], note=note)
    elif not existing:
        note = (
            "new SPF record"
            if not suggestion.placeholder
            else "replace the placeholder with the include your provider documents, "
            "or ip4:<your server's address>"
        )
        row("add", suggestion.record, placeholder=suggestion.placeholder, note=note)
    elif len(existing) > 1:
        for record in sorted(existing):  # DNS gives them in any order
            row("delete", record, note="one of several SPF records: together they are a permerror")
        row(
            "add",
            suggestion.record,
            note=f"the single record that replaces the {len(existing)} above",
        )
        notes.append(
            "A domain may publish only one SPF record: receivers return permerror "
            "when there are two, and then no SPF passes at all."
        )
    else:
        row(
            "replace",
            suggestion.record,
            note=f"edit the existing record (was: {existing[0]}); do not add a second one",
        )
    if suggestion is not None and suggestion.added and existing:
        notes.append(
            f"include:{suggestion.added} goes before 'all' (or redirect=), in the existing record."
        )
    if suggestion is not None:
        notes.extend(s for s in suggestion.explain() if not s.startswith("Replace the placeholder"))
    if not existing:
        notes.append(_SOFTFAIL_NOTE)
    if include is None:
        hint = "your provider's documentation names the SPF include to add"
        notes.append(f"No SPF include is known for this provider: {hint}.")
    after = suggestion.lookups if suggestion is not None else published.spf_lookups
    if suggestion is None and after is not None:
        notes.append(f"SPF DNS lookups: {after} of {MAX_DNS_LOOKUPS}.")
    dropped = suggestion.dropped if suggestion is not None else ()
    return RecordSection("SPF", tuple(rows), tuple(notes)), after, dropped


# -- DKIM --------------------------------------------------------------------------------


def _dkim_section(domain: str, provider: Provider | None, published: Published) -> RecordSection:
    if provider is None:
        return RecordSection(
            "DKIM",
            notes=(
                "Choose a provider preset to see its DKIM records; your provider's dashboard "
                "shows the selector and the key to publish.",
            ),
        )
    hint = (
        provider.dkim_hint
        if provider.dkim_hint != UNKNOWN
        else ("your provider's dashboard shows the DKIM record to publish")
    )
    rows: list[RecordRow] = []
    notes: list[str] = []
    template = provider.dkim_record
    for selector in provider.dkim_selectors:
        name = dkim_name(selector, domain)
        found = published.dkim.get(selector)
        if found:
            rows.append(_row("DKIM", "keep", name, domain, "TXT", found, note="already published"))
            continue
        if template:
            rtype, pattern = template
            value = pattern.format(selector=selector, domain=domain)
            rows.append(
                _row(
                    "DKIM",
                    "add",
                    name,
                    domain,
                    rtype,
                    value,
                    placeholder="<" in value,
                    note=f"{provider.name} DKIM",
                )
            )
        else:
            value = f"<the key {provider.name} shows for selector {selector}: v=DKIM1; p=...>"
            rows.append(
                _row(
                    "DKIM",
                    "add",
                    name,
                    domain,
                    "TXT",
                    value,
                    placeholder=True,
                    note="copy the value from the provider's dashboard",
                )
            )
    if not provider.dkim_selectors:
        notes.append(f"{provider.name} generates the DKIM selector per account: {hint}")
    else:
        notes.append(hint)
    return RecordSection("DKIM", tuple(rows), tuple(notes))


# -- DMARC -------------------------------------------------------------------------------

_NEXT_POLICY: Final = {"none": "quarantine", "quarantine": "reject"}


def _parse_dmarc(text: str) -> dmarc_module.DmarcRecord | None:
    try:
        return dmarc_module.parse_dmarc(text)
    except dmarc_module.DmarcSyntaxError:
        return None


def _repaired(record: dmarc_module.DmarcRecord, domain: str) -> tuple[str, list[str]]:
    """The existing record with what receivers ignore removed and what is missing added."""
    bad = {p.tag for p in record.problems if p.tag in record.tags and p.tag != "v"}
    parts = [p.strip() for p in record.text.split(";") if p.strip()]
    kept = [p for p in parts if p.partition("=")[0].strip().lower() not in bad]
    text = "; ".join(kept)
    changes: list[str] = []
    if bad:
        removed = ", ".join(f"{tag}=" for tag in sorted(bad))
        changes.append(f"removes {removed} (a bad value: receivers ignore it)")
    if record.policy is None:
        text = dmarc_module.with_policy(text, "none")
        changes.append("sets p=none (the policy was missing or invalid)")
    if not record.rua:
        text = f"{text}; rua=mailto:dmarc-reports@{domain}"
        changes.append(
            "adds rua= so that reports reach you (change the address to a mailbox you read)"
        )
    return text, changes


def _dmarc_section(domain: str, published: Published) -> RecordSection:
    name = f"_dmarc.{domain}"
    existing = published.dmarc_record
    rows: list[RecordRow] = []
    notes: list[str] = []
    record = _parse_dmarc(existing) if existing is not None else None
    if record is None:
        starter = dmarc_module.starter_record(domain)
        action = "add" if existing is None else "replace"
        note = (
            f"change dmarc-reports@{domain} to a mailbox you read (or your DMARC report "
            "service's address) before publishing"
        )
        if existing is not None:
            note = f"the record there is not valid DMARC (was: {existing}); {note}"
        rows.append(
            _row("DMARC", action, name, domain, "TXT", starter, placeholder=True, note=note)
        )
        current, base = "none", starter
    else:
        base, changes = _repaired(record, domain)
        current = record.policy or "none"
        if changes:
            rows.append(
                _row(
                    "DMARC",
                    "replace",
                    name,
                    domain,
                    "TXT",
                    base,
                    placeholder=not record.rua,
                    note=f"{'; '.join(changes)} (was: {record.text})",
                )
            )
        else:
            rows.append(
                _row("DMARC", "keep", name, domain, "TXT", base, note=f"p={current} is published")
            )
    steps = []
    later: list[RecordRow] = []
    policy = current
    placeholder = any(row.placeholder for row in rows)
    while policy in _NEXT_POLICY:
        policy = _NEXT_POLICY[policy]
        stricter = dmarc_module.with_policy(base, policy)
        steps.append(f"then p={policy}: {stricter}")
        later.append(
            _row(
                "DMARC",
                "replace",
                name,
                domain,
                "TXT",
                stricter,
                placeholder=placeholder,
                note=f"p={policy} once the reports show every sender aligned",
            )
        )
    if current == "none":
        notes.append(
            "p=none only monitors: read the aggregate reports (rua) for two to four "
            "weeks, until every service that sends as the domain passes SPF or DKIM "
            "aligned with it."
        )
    notes.extend(steps)
    if steps:
        notes.append("Change the existing _dmarc record at each step; never publish two.")
    return RecordSection("DMARC", tuple(rows), tuple(notes), tuple(later))


# -- the plan ----------------------------------------------------------------------------


def plan_records(domain: str, provider: Provider | None, published: Published) -> RecordPlan:
    """What to publish for `domain` (ASCII) with `provider`, given what is `published`."""
    domain = domain.lower().rstrip(".")
    spf, after, drop = _spf_section(domain, provider, published)
    return RecordPlan(
        domain=domain,
        provider=provider.id if provider else None,
        spf=spf,
        dkim=_dkim_section(domain, provider, published),
        dmarc=_dmarc_section(domain, published),
        spf_lookups_after=after,
        spf_drop=drop,
    )


def published_from(
    spf: SpfReport,
    dmarc_record: str | None,
    dkim: Mapping[str, TxtAnswer | None],
) -> Published:
    """What is published, from what the checks found: the SPF audit (records, lookup counts,
    the provider include's cost), the DMARC record at _dmarc.<domain> itself, and the TXT
    answer per DKIM selector. Nothing is asked again."""
    return Published(
        spf_records=spf.records,
        spf_lookups=spf.lookups if spf.tree is not None else None,
        spf_includes=tuple(c for c in spf.includes if c.depth == 1),
        provider_include_present=spf.provider_include_present,
        provider_include_cost=spf.provider_include_cost,
        dmarc_record=dmarc_record,
        dkim={selector: dkim_value(answer) for selector, answer in dkim.items()},
    )


def dkim_value(answer: TxtAnswer | None) -> str | None:
    """The key published at a selector: its one TXT record, else None (none, or several)."""
    return answer.records[0] if answer is not None and len(answer.records) == 1 else None


def own_dmarc_record(discovery: dmarc_module.DmarcDiscovery | None) -> str | None:
    """The DMARC record at _dmarc.<domain> itself (not an inherited one), if exactly one."""
    if discovery is None or discovery.record is None or discovery.inherited:
        return None
    return discovery.record.text


async def _dmarc_at(domain: str, lookup: DnsLookup) -> str | None:
    try:
        answer = await lookup.txt(f"_dmarc.{domain}")
    except DnsError:
        return None
    found = [r for r in answer.records if dmarc_module.is_dmarc_record(r)]
    return found[0] if len(found) == 1 else None


async def _dkim_answer(selector: str, domain: str, lookup: DnsLookup) -> TxtAnswer | None:
    try:
        return await lookup.txt(dkim_name(selector, domain))
    except DnsError:
        return None


async def read_published(
    domain: str, lookup: DnsLookup, provider: Provider | None = None
) -> Published:
    """What is published now: SPF (with its lookup counts), DMARC, the preset's DKIM selectors.

    Everything is asked at once. A lookup that fails counts as "not published": the plan
    then proposes a record, and the checks report the failure itself. (`smtp-wizard dns`
    does not call this: it builds the plan from its checks' findings, `domain.DomainReport`.)
    """
    domain = domain.lower().rstrip(".")
    include = _provider_include(provider)
    selectors = provider.dkim_selectors if provider else ()
    spf, dmarc_text, *answers = await asyncio.gather(
        analyse_spf(domain, lookup, include),
        _dmarc_at(domain, lookup),
        *(_dkim_answer(s, domain, lookup) for s in selectors),
    )
    return published_from(spf, dmarc_text, dict(zip(selectors, answers, strict=True)))


async def records_to_add(
    domain: str, lookup: DnsLookup, provider: Provider | None = None
) -> RecordPlan:
    """`read_published` then `plan_records`: the records for `smtp-wizard dns DOMAIN`."""
    return plan_records(domain, provider, await read_published(domain, lookup, provider))


# -- text --------------------------------------------------------------------------------

_ACTIONS: Final = {"add": "add", "replace": "change", "delete": "delete", "keep": "keep"}


def render_records_text(plan: RecordPlan) -> str:
    """The plan for a terminal: per kind the rows (action, host, type, value) and notes,
    then the zone-file lines to paste into a zone file."""
    lines = [
        f"Records for {plan.domain}" + (f" (provider: {plan.provider})" if plan.provider else "")
    ]
    for section in plan.sections:
        lines.append("")
        lines.append(section.kind)
        for row in section.rows:
            lines.append(f"  {_ACTIONS[row.action]:<7} {row.host:<22} {row.type:<5} {row.value}")
            if row.note:
                lines.append(f"          ({row.note})")
        lines.extend(f"  - {note}" for note in section.notes)
    zone = plan.zone_lines()
    if zone:
        lines.append("")
        lines.append("Zone file:")
        lines.extend(f"  {line}" for line in zone)
    if any(row.placeholder for row in plan.rows):
        lines.append("")
        lines.append(
            "Values in <...> (and the dmarc-reports@ address) are placeholders: "
            "replace them before publishing."
        )
    return "\n".join(lines) + "\n"
