"""DMARC policy records: `_dmarc.<domain>` (RFC 7489, and DMARCbis's DNS tree walk).

A subdomain usually has no record of its own and inherits the organisational domain's.
Which domain that is was once decided by the Public Suffix List; DMARCbis replaces the
list by a walk up the DNS tree (at most 8 queries), which needs nothing but DNS:

1. ask `_dmarc.<domain>`; exactly one record there is the policy;
2. otherwise drop labels from the left (straight to 7 labels when there are 8 or more,
   then one at a time) and ask each `_dmarc.<name>`, stopping at a record with `psd=n`
   (that name is the organisational domain) or `psd=y` (the name one label below it is);
3. otherwise the organisational domain is the name with the fewest labels that had a
   record; its record is the policy (with `sp=` for subdomains).

Verdicts follow DESIGN.md: a missing record or a missing/invalid `p` fails; a bad value
in another tag warns, since receivers ignore that tag (RFC 7489 §6.3); unknown tags are
tolerated.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final

from smtp_wizard.checks.dnsapi import DnsError, DnsLookup
from smtp_wizard.checks.dnsverdict import check_timed_out, dns_verdict
from smtp_wizard.checks.model import SEVERITY, CheckResult, Status, ascii_domain

__all__ = [
    "CHECK_ID",
    "POLICIES",
    "DmarcDiscovery",
    "DmarcRecord",
    "DmarcSyntaxError",
    "ReportUri",
    "TagProblem",
    "discover_dmarc",
    "dmarc_check",
    "is_dmarc_record",
    "parse_dmarc",
    "starter_record",
    "walk_names",
    "with_policy",
]

CHECK_ID: Final = "dns.dmarc"
POLICIES: Final = ("none", "quarantine", "reject")
MAX_WALK: Final = 8  # DMARCbis: the tree walk makes at most 8 queries

_VERSION: Final = re.compile(r"\s*v\s*=\s*(?P<value>[^;\s]*)\s*(;|$)", re.I)
_MAILBOX: Final = re.compile(r"[^@\s]+@(?P<domain>[A-Za-z0-9_.-]+\.[A-Za-z0-9-]+)")
_SIZE: Final = re.compile(r"[0-9]+[kmgt]?", re.I)


class DmarcSyntaxError(ValueError):
    """Text that is not a DMARC record at all (it does not start with v=DMARC1)."""


@dataclass(frozen=True)
class TagProblem:
    """A tag with a value receivers cannot use; they ignore the tag (RFC 7489 §6.3)."""

    tag: str
    message: str


@dataclass(frozen=True)
class ReportUri:
    """One rua/ruf destination: `mailto:address[!size]`."""

    uri: str
    address: str  # "" when not a mailto: URI
    size: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower().rstrip(".")


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed record; a tag with a bad value keeps its default and adds a problem."""

    text: str
    tags: dict[str, str] = field(hash=False)  # lower-case names, first value of each
    policy: str | None = None  # p=; None when missing or invalid (see policy_problem)
    policy_problem: str | None = None
    subdomain_policy: str | None = None  # sp=
    pct: int = 100
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    adkim: str = "r"
    aspf: str = "r"
    fo: tuple[str, ...] = ("0",)
    ri: int = 86400
    psd: str | None = None  # DMARCbis: y, n or u
    problems: tuple[TagProblem, ...] = ()
    unknown: tuple[str, ...] = ()  # tags DMARC does not define; ignored by receivers

    def policy_for(self, subdomain: bool) -> str | None:
        """The policy that applies: sp= for a subdomain when given, else p=."""
        if subdomain and self.subdomain_policy:
            return self.subdomain_policy
        return self.policy


def is_dmarc_record(text: str) -> bool:
    """Does this TXT value start with the v=DMARC1 tag (case of the value aside)?"""
    match = _VERSION.match(text)
    return match is not None and match["value"].upper() == "DMARC1"


# -- tag values --------------------------------------------------------------------------
# Each parser returns the value to keep, or raises ValueError with what is wrong.


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        low = value.lower()
        if low not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return low

    return parse


def _pct(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 100:
        raise ValueError(f"{value!r} is not a whole number from 0 to 100")
    return int(value)


def _interval(value: str) -> int:
    if not value.isdigit() or int(value) > 2**32 - 1:
        raise ValueError(f"{value!r} is not a number of seconds")
    return int(value)


def _uris(value: str) -> tuple[ReportUri, ...]:
    uris: list[ReportUri] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        scheme, colon, rest = item.partition(":")
        if not colon or scheme.lower() != "mailto":
            raise ValueError(f"{item!r} is not a mailto: address (receivers send only by mail)")
        address, _, size = rest.partition("!")
        if not _MAILBOX.fullmatch(address):
            raise ValueError(f"{item!r} does not hold an email address")
        if size and not _SIZE.fullmatch(size):
            raise ValueError(f"{item!r} has a bad size limit !{size}")
        uris.append(ReportUri(item, address, size))
    if not uris:
        raise ValueError("no address")
    return tuple(uris)


def _fo(value: str) -> tuple[str, ...]:
    options = tuple(v.strip().lower() for v in value.split(":"))
    bad = [o for o in options if o not in ("0", "1", "d", "s")]
    if bad:
        raise ValueError(f"{value!r}: fo takes 0, 1, d and s, separated by ':'")
    return options


def _rf(value: str) -> str:
    if any(v.strip().lower() != "afrf" for v in value.split(":")):
        raise ValueError(f"{value!r}: the only report format is afrf")
    return value


# tag -> (record field or None, parser). p is special: its problems fail the check.
_TAGS: Final[dict[str, tuple[str | None, Callable[[str], object]]]] = {
    "p": ("policy", _choice(*POLICIES)),
    "sp": ("subdomain_policy", _choice(*POLICIES)),
    "np": (None, _choice(*POLICIES)),  # DMARCbis: non-existent subdomains
    "pct": ("pct", _pct),
    "rua": ("rua", _uris),
    "ruf": ("ruf", _uris),
    "adkim": ("adkim", _choice("r", "s")),
    "aspf": ("aspf", _choice("r", "s")),
    "fo": ("fo", _fo),
    "ri": ("ri", _interval),
    "rf": (None, _rf),
    "t": (None, _choice("y", "n")),  # DMARCbis: testing mode
    "psd": ("psd", _choice("y", "n", "u")),  # DMARCbis: public suffix domain
}


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record; DmarcSyntaxError only when it is not one (no leading v=DMARC1).

    Everything else is reported, not raised: receivers apply what they can, so the check
    must say what they will apply and what they will ignore.
    """
    if not is_dmarc_record(text):
        raise DmarcSyntaxError("a DMARC record starts with v=DMARC1")
    tags: dict[str, str] = {}
    problems: list[TagProblem] = []
    values: dict[str, object] = {}
    unknown: list[str] = []
    policy_problem: str | None = None
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, equals, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not equals or not name:
            problems.append(TagProblem(part, f"{part!r} is not tag=value; receivers ignore it"))
            continue
        if name in tags:
            problems.append(TagProblem(name, f"{name}= appears twice; the first one counts"))
            continue
        tags[name] = value
        if name == "v":
            if value != "DMARC1":
                message = f"write v=DMARC1, not v={value}: some receivers compare it exactly"
                problems.append(TagProblem("v", message))
            continue
        if name not in _TAGS:
            unknown.append(name)
            continue
        attribute, parse = _TAGS[name]
        try:
            parsed = parse(value)
        except ValueError as exc:
            if name == "p":
                policy_problem = f"p={value}: {exc}"
            else:
                problems.append(TagProblem(name, f"{name}={value}: {exc}; receivers ignore it"))
            continue
        if attribute:
            values[attribute] = parsed
    if "p" not in tags:
        policy_problem = "the p= tag is missing"
    record = DmarcRecord(
        text, tags, policy_problem=policy_problem, problems=tuple(problems), unknown=tuple(unknown)
    )
    return replace(record, **values)  # type: ignore[arg-type]


def with_policy(record: DmarcRecord | str, policy: str) -> str:
    """The record's text with p= set to `policy` (added after v= when missing)."""
    text = record.text if isinstance(record, DmarcRecord) else record
    parts = [p.strip() for p in text.split(";") if p.strip()]
    for index, part in enumerate(parts):
        if part.partition("=")[0].strip().lower() == "p":
            parts[index] = f"p={policy}"
            break
    else:
        parts.insert(1, f"p={policy}")
    return "; ".join(parts)


def starter_record(domain: str) -> str:
    """The first record to publish: monitoring, with aggregate reports to a placeholder."""
    return f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"


# -- discovery ---------------------------------------------------------------------------


def walk_names(domain: str) -> list[str]:
    """The names the DMARCbis tree walk asks `_dmarc.` of, in order (at most 8)."""
    labels = domain.rstrip(".").split(".")
    names = [".".join(labels)]
    start = min(len(labels) - 1, MAX_WALK - 1)
    names.extend(".".join(labels[-count:]) for count in range(start, 0, -1))
    return names


@dataclass(frozen=True)
class DmarcDiscovery:
    """Where the policy for a domain was found, and what stood in the way."""

    domain: str
    queried: tuple[str, ...] = ()  # the _dmarc names asked, in order
    name: str | None = None  # the domain whose record applies
    record: DmarcRecord | None = None
    organisational_domain: str | None = None
    multiple: tuple[str, ...] = ()  # names with more than one record (all discarded)
    error: DnsError | None = None  # a lookup that failed (not NXDOMAIN / no data)

    @property
    def inherited(self) -> bool:
        return self.name is not None and self.name != self.domain


async def _records_at(name: str, lookup: DnsLookup) -> list[str]:
    """The DMARC records at `_dmarc.<name>`; [] for no such name or no TXT."""
    try:
        answer = await lookup.txt(f"_dmarc.{name}")
    except DnsError as exc:
        if exc.void:
            return []
        raise
    return [r for r in answer.records if is_dmarc_record(r)]


def _organisational(found: list[tuple[str, DmarcRecord]], names: list[str]) -> str | None:
    """DMARCbis: psd=n marks it, psd=y marks the name below, else the fewest labels."""
    for name, record in found:
        if record.psd == "n":
            return name
        if record.psd == "y" and name != names[0]:
            below = names[names.index(name) - 1]
            return below
    return min(found, key=lambda item: item[0].count("."))[0] if found else None


async def discover_dmarc(domain: str, lookup: DnsLookup) -> DmarcDiscovery:
    """Find the DMARC record that applies to `domain` (ASCII), walking up as DMARCbis does."""
    names = walk_names(domain)
    queried: list[str] = []
    found: list[tuple[str, DmarcRecord]] = []
    multiple: list[str] = []
    for index, name in enumerate(names):
        queried.append(f"_dmarc.{name}")
        try:
            records = await _records_at(name, lookup)
        except DnsError as exc:
            if index == 0 or (exc.temporary and not found):
                return DmarcDiscovery(domain, tuple(queried), multiple=tuple(multiple), error=exc)
            if exc.temporary:
                break  # a record below is already known: use it
            continue  # a server that refuses _dmarc.<tld> has nothing for us there
        if len(records) > 1:
            multiple.append(name)
            continue
        if not records:
            continue
        record = parse_dmarc(records[0])
        if index == 0:
            return DmarcDiscovery(domain, tuple(queried), name, record, None, tuple(multiple))
        found.append((name, record))
        if record.psd in ("y", "n"):
            break
    organisational = _organisational(found, names)
    record = dict(found).get(organisational) if organisational else None
    return DmarcDiscovery(
        domain,
        tuple(queried),
        organisational if record else None,
        record,
        organisational,
        tuple(multiple),
    )


# -- the check ---------------------------------------------------------------------------

_STEPS: Final = (
    "The way to p=reject: (1) p=none with rua= and read the aggregate reports for two to "
    "four weeks, until every service that sends as the domain passes SPF or DKIM aligned "
    "with it; (2) p=quarantine (under RFC 7489 you may ramp up with pct=25, 50, 100); "
    "(3) p=reject."
)

# policy -> (status, summary, advice)
_POLICY_VERDICTS: Final[dict[str, tuple[Status, str, str]]] = {
    "none": (
        Status.WARN,
        "DMARC p=none at {where}: monitoring only — mail that fails is delivered as usual",
        "When the reports show all your mail passing, move to p=quarantine and then "
        "p=reject. " + _STEPS,
    ),
    "quarantine": (
        Status.PASS,
        "DMARC p=quarantine at {where}: failing mail goes to spam",
        "When the reports show no legitimate mail failing, move to p=reject.",
    ),
    "reject": (Status.PASS, "DMARC p=reject at {where}: failing mail is refused", ""),
}


async def _unauthorised_destinations(
    policy_domain: str, record: DmarcRecord, lookup: DnsLookup
) -> list[str]:
    """Report addresses on other domains that have not agreed to receive (RFC 7489 §7.1).

    Without `<policy domain>._report._dmarc.<their domain>` receivers drop those reports.
    A lookup that fails for another reason says nothing either way.
    """
    outside = sorted(
        {
            uri.domain
            for uri in (*record.rua, *record.ruf)
            if uri.domain
            and uri.domain != policy_domain
            and not uri.domain.endswith("." + policy_domain)
            and not policy_domain.endswith("." + uri.domain)
        }
    )

    async def authorised(destination: str) -> bool:
        try:
            answer = await lookup.txt(f"{policy_domain}._report._dmarc.{destination}")
        except DnsError as exc:
            return not exc.void
        return any(is_dmarc_record(r) for r in answer.records)

    verdicts = await asyncio.gather(*(authorised(d) for d in outside))
    return [d for d, ok in zip(outside, verdicts, strict=True) if not ok]


def _no_record(discovery: DmarcDiscovery) -> tuple[Status, str, str]:
    domain = discovery.domain
    if discovery.error is not None:
        verdict = dns_verdict(discovery.error)
        label = "" if verdict.label in str(discovery.error) else f" ({verdict.label})"
        return verdict.status, f"DMARC lookup failed: {discovery.error}{label}", verdict.advice
    if discovery.multiple:
        names = ", ".join(f"_dmarc.{n}" for n in discovery.multiple)
        return (
            Status.FAIL,
            f"more than one DMARC record at {names}: receivers ignore them all",
            "Keep exactly one TXT record starting with v=DMARC1 at each _dmarc name.",
        )
    return (
        Status.FAIL,
        f"no DMARC record at _dmarc.{domain}"
        + ("" if "." not in domain.partition(".")[2] else " or above it"),
        f"Publish a TXT record at _dmarc.{domain}: {starter_record(domain)} — and change "
        f"dmarc-reports@{domain} to a mailbox you read. " + _STEPS,
    )


async def dmarc_check(
    domain: str, lookup: DnsLookup, *, timeout: float | None = None
) -> CheckResult:
    """`dns.dmarc`: the policy that applies to `domain`, and what it does. Never raises for DNS."""
    result, _ = await dmarc_check_with_discovery(domain, lookup, timeout=timeout)
    return result


async def dmarc_check_with_discovery(
    domain: str, lookup: DnsLookup, *, timeout: float | None = None
) -> tuple[CheckResult, DmarcDiscovery | None]:
    """`dmarc_check`, and where the policy was found (None when the walk did not finish),
    so that the records plan reuses it instead of asking again."""
    started = time.monotonic()
    name = ascii_domain(CHECK_ID, domain)
    if isinstance(name, CheckResult):
        return name, None
    try:
        async with asyncio.timeout(timeout):
            discovery = await discover_dmarc(name, lookup)
            record = discovery.record
            outside = (
                await _unauthorised_destinations(discovery.name or name, record, lookup)
                if record
                else []
            )
    except TimeoutError:
        summary, advice = check_timed_out(f"the DMARC lookup for {name}", timeout)
        result = CheckResult(CHECK_ID, Status.FAIL, summary, advice=advice, subject=name)
        return result.timed(started), None
    detail = [f"asked: {', '.join(discovery.queried)}"]
    if record is None:
        status, summary, advice = _no_record(discovery)
        result = CheckResult(
            CHECK_ID, status, summary, "\n".join(detail), advice, subject=f"_dmarc.{name}"
        )
        return result.timed(started), discovery
    return _judge(name, discovery, record, outside, detail).timed(started), discovery


def _judge(
    domain: str,
    discovery: DmarcDiscovery,
    record: DmarcRecord,
    outside: list[str],
    detail: list[str],
) -> CheckResult:
    where = f"_dmarc.{discovery.name}"
    detail.append(f"record at {where}: {record.text}")
    if discovery.inherited:
        detail.append(
            f"{domain} has no record of its own; the organisational domain "
            f"{discovery.name}'s record applies"
            + (f" with sp={record.subdomain_policy}" if record.subdomain_policy else "")
        )
    findings: list[tuple[Status, str, str]] = []
    policy = record.policy_for(discovery.inherited)
    if record.policy_problem or policy is None:
        problem = record.policy_problem or "no policy"
        findings.append(
            (
                Status.FAIL,
                f"the DMARC record at {where} has no valid policy: {problem}",
                "Set p=none, p=quarantine or p=reject"
                + (" (with a valid rua=, receivers act as if p=none)" if record.rua else "")
                + ". "
                + _STEPS,
            )
        )
    else:
        status, summary, advice = _POLICY_VERDICTS[policy]
        findings.append((status, summary.format(where=where), advice))
    if not record.rua:
        findings.append(
            (
                Status.WARN,
                f"the DMARC record at {where} has no rua=: nobody receives the aggregate reports",
                f"Add rua=mailto:dmarc-reports@{discovery.name} (a mailbox you read, or a "
                "DMARC report service): without reports you cannot tell when p=reject is safe.",
            )
        )
    for problem in record.problems:
        findings.append((Status.WARN, problem.message, f"Fix or remove {problem.tag}=."))
    for destination in outside:
        findings.append(
            (
                Status.WARN,
                f"reports to {destination} will be dropped: it has not authorised "
                f"{discovery.name}'s reports",
                f'Publish TXT "v=DMARC1" at {discovery.name}._report._dmarc.{destination} '
                "(or ask the report service to).",
            )
        )
    if record.pct < 100 and policy in ("quarantine", "reject"):
        detail.append(f"pct={record.pct}: the policy applies to {record.pct}% of failing mail")
    if record.unknown:
        detail.append(f"ignored unknown tags: {', '.join(record.unknown)}")
    detail.extend(
        f"{'problem' if status is Status.FAIL else 'warning'}: {message}"
        for status, message, _ in findings
        if status is not Status.PASS
    )
    status, summary, _ = max(findings, key=lambda f: SEVERITY[f[0]])
    advice = "\n".join(
        dict.fromkeys(a for s, _, a in sorted(findings, key=lambda f: -SEVERITY[f[0]]) if a)
    )
    return CheckResult(CHECK_ID, status, summary, "\n".join(detail), advice, subject=where)
