"""Which provider a domain already uses, read from its DNS, for the wizard's first screen.

A domain's records say a good deal about who sends and receives its mail: an SPF
`include:` (or `redirect=`) names the services allowed to send for it ("SPF includes
sendgrid.net"), the MX hosts name who hosts its mailboxes ("MX is aspmx.l.google.com
(Google)"), and a DKIM key at a provider's fixed selector names the provider signing for
it. Each is matched against the presets (`providers.load_providers()`: their
`spf_include` and, in the tables below, the MX hosts and DKIM selectors that only one
provider uses), and each match becomes a `Suggestion` whose reason the user sees.

All lookups go through the core resolver (`checks.dns.make_resolver`), so `--nameserver`
and `--timeout` mean what they mean everywhere. DNS trouble never raises: the result is
then empty (or partial) and its `problems` say what could not be looked up. Includes are
not followed (that costs lookups an SPF check spends anyway): a domain that includes its
own `_spf` record, which in turn includes SendGrid, is not recognised from SPF.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from smtp_wizard import providers, validate
from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, DnsLookup, TxtAnswer
from smtp_wizard.checks.spf import SpfSyntaxError, parse_spf, spf_records
from smtp_wizard.providers import Provider

# Mail hosts that say who hosts a domain's mailboxes (or receives for it), by preset id.
# A host matches a suffix when it is that name or ends with "." + it; a pattern is a full
# regular expression. The label is what the user reads: "MX is ... (Google)".
MX_HOSTS: Final[dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "gmail": ("Google", ("google.com", "googlemail.com"), ()),
    "microsoft365": (
        "Microsoft 365",
        ("mail.protection.outlook.com", "olc.protection.outlook.com", "mx.microsoft"),
        (),
    ),
    "zoho": ("Zoho", (), (r"mx[0-9]*\.zoho(?:cloud)?(?:\.[a-z]{2,3}){1,2}",)),
    "fastmail": ("Fastmail", ("messagingengine.com",), ()),
    "mailgun": ("Mailgun", ("mailgun.org",), ()),
    "sendgrid": ("SendGrid", ("sendgrid.net",), ()),
    "postmark": ("Postmark", ("inbound.postmarkapp.com",), ()),
    "ses": ("Amazon SES", (), (r"inbound-smtp\.[a-z0-9-]+\.amazonaws\.com",)),
}

# SPF includes that name a preset although its `spf_include` in providers.toml does not
# (older names, regional variants, services whose docs do not ask for SPF but whose
# customers often publish it). Matching works as for MX suffixes.
SPF_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "zoho": ("zoho.com", "zoho.eu", "zohomail.eu", "zohomail.in"),
    "brevo": ("spf.brevo.com", "spf.sendinblue.com"),
    "sparkpost": ("sparkpostmail.com",),
    "postmark": ("spf.mtasv.net",),
    "mailgun": ("eu.mailgun.org",),
}

# DKIM selectors that name one provider: (selector, preset id, a CNAME target suffix the
# key must be reached through, or "" when the selector alone is telling enough).
DKIM_SELECTORS: Final[tuple[tuple[str, str, str], ...]] = (
    ("google", "gmail", ""),
    ("selector1", "microsoft365", "onmicrosoft.com"),
    ("selector2", "microsoft365", "onmicrosoft.com"),
    ("s1", "sendgrid", "sendgrid.net"),
    ("s2", "sendgrid", "sendgrid.net"),
)

# How strongly each kind of evidence points at the service an app sends through: a
# sending service named in SPF first, then the mailbox host, then a DKIM key.
_SPF, _MX, _DKIM = 0, 1, 2


@dataclass(frozen=True)
class Suggestion:
    """A preset the domain's DNS points at, and why ("SPF includes sendgrid.net")."""

    provider: Provider
    reason: str
    """Every piece of evidence, joined with "; ", for the screen."""
    evidence: tuple[str, ...] = ()


class Suggestions(list[Suggestion]):
    """The suggestions, best first, and what could not be looked up (`problems`).

    A list, so `suggest_providers` reads as one; empty with `problems` when DNS failed.
    """

    def __init__(
        self, items: Sequence[Suggestion] = (), problems: Sequence[str] = (), domain: str = ""
    ) -> None:
        super().__init__(items)
        self.problems: tuple[str, ...] = tuple(problems)
        self.domain = domain

    @property
    def reason(self) -> str:
        """Why the list is empty or partial ("" when every lookup answered)."""
        return "; ".join(self.problems)


def _matches(host: str, suffixes: Sequence[str], patterns: Sequence[str] = ()) -> bool:
    host = host.lower().rstrip(".")
    if any(host == s or host.endswith("." + s) for s in suffixes):
        return True
    return any(re.fullmatch(p, host) for p in patterns)


async def suggest_providers(
    domain: str,
    *,
    nameservers: Sequence[str] = (),
    timeout: float = 5.0,
    resolver: DnsLookup | None = None,
) -> Suggestions:
    """The presets `domain`'s MX, SPF and DKIM records point at, best first.

    `domain` may be an address (`noreply@example.com`): its domain is used. Never raises
    for DNS trouble or a bad name: the result is then empty and `problems` says why.
    `resolver` replaces the one made from `nameservers` and `timeout` (one deadline for
    every lookup here).
    """
    name = domain.strip().rpartition("@")[2]
    try:
        name = validate.hostname(name)
    except ValueError as exc:
        return Suggestions((), [f"Not a domain: {exc}."], name)
    if resolver is None:
        from smtp_wizard.checks.dns import make_resolver

        try:
            resolver = make_resolver(nameservers, timeout=timeout)
        except ValueError as exc:
            return Suggestions((), [str(exc)], name)
    known = providers.load_providers()
    selectors = [(s, pid, via) for s, pid, via in DKIM_SELECTORS if pid in known]
    mx, txt, *keys = await asyncio.gather(
        _ask(resolver.mx(name)),
        _ask(resolver.txt(name)),
        *(_ask(resolver.txt(f"{s}._domainkey.{name}")) for s, _, _ in selectors),
    )
    problems: list[str] = []
    found: dict[str, list[tuple[int, int, str]]] = {}

    def note(provider_id: str, kind: int, order: int, text: str) -> None:
        pieces = found.setdefault(provider_id, [])
        if all(piece[2] != text for piece in pieces):
            pieces.append((kind, order, text))

    failed: dict[
        DnsErrorKind, str
    ] = {}  # one line per kind of failure: NXDOMAIN for MX and TXT is one fact
    for answer in (mx, txt):
        if isinstance(answer, DnsError) and answer.kind is not DnsErrorKind.NODATA:
            failed.setdefault(answer.kind, str(answer))
    problems.extend(failed.values())
    if isinstance(txt, TxtAnswer):
        for order, (verb, target) in enumerate(_spf_targets(txt.records)):
            for provider in known.values():
                if _spf_match(provider, target):
                    note(provider.id, _SPF, order, f"SPF {verb} {target}")
    if isinstance(mx, list):
        for order, record in enumerate(mx):
            for provider_id, (label, suffixes, patterns) in MX_HOSTS.items():
                seen = any(kind == _MX for kind, _, _ in found.get(provider_id, ()))
                if seen or provider_id not in known:
                    continue  # the most preferred host of a provider says it
                if _matches(record.exchange, suffixes, patterns):
                    note(provider_id, _MX, order, f"MX is {record.exchange} ({label})")
    for order, ((selector, provider_id, via), key) in enumerate(zip(selectors, keys, strict=True)):
        if isinstance(key, TxtAnswer) and any("p=" in record for record in key.records):
            if via and not any(_matches(target, (via,)) for target in key.cname_chain):
                continue
            where = f"{selector}._domainkey.{name}"
            shown = f" via {key.cname_chain[-1]}" if key.cname_chain else ""
            note(provider_id, _DKIM, order, f"DKIM key at {where}{shown}")

    def rank(item: tuple[str, list[tuple[int, int, str]]]) -> tuple[int, int, int]:
        pieces = item[1]
        best = min(pieces)
        return (-len({kind for kind, _, _ in pieces}), best[0], best[1])

    suggestions = []
    for provider_id, pieces in sorted(found.items(), key=rank):
        evidence = tuple(text for _, _, text in sorted(pieces))
        suggestions.append(Suggestion(known[provider_id], "; ".join(evidence), evidence))
    return Suggestions(suggestions, problems, name)


T = TypeVar("T")


async def _ask(lookup: Awaitable[T]) -> T | DnsError:
    """The answer of one lookup, or its DnsError (never raised: a failed lookup is data)."""
    try:
        return await lookup
    except DnsError as error:
        return error


def _spf_targets(records: Sequence[str]) -> list[tuple[str, str]]:
    """("includes" | "redirects to", domain) for each include and redirect, in order.

    A record with a syntax error elsewhere still names its includes: those are read from
    its terms as written.
    """
    targets: list[tuple[str, str]] = []
    for text in spf_records(records):
        try:
            record = parse_spf(text)
        except SpfSyntaxError:
            for term in text.split()[1:]:
                match = re.fullmatch(r"(?i)[+?~-]?include:(\S+)|redirect=(\S+)", term)
                if match:
                    verb = "includes" if match[1] else "redirects to"
                    targets.append((verb, (match[1] or match[2]).lower().rstrip(".")))
            continue
        for mechanism in record.mechanisms:
            if mechanism.name == "include" and mechanism.domain and not mechanism.domain.has_macros:
                targets.append(("includes", mechanism.domain.text.lower().rstrip(".")))
        redirect = record.redirect
        if redirect is not None and not redirect.value.has_macros:
            targets.append(("redirects to", redirect.value.text.lower().rstrip(".")))
    return targets


def _spf_match(provider: Provider, target: str) -> bool:
    names = list(SPF_ALIASES.get(provider.id, ()))
    if provider.spf_include != providers.UNKNOWN:
        names.append(provider.spf_include)
    return _matches(target, names)


__all__ = [
    "DKIM_SELECTORS",
    "MX_HOSTS",
    "SPF_ALIASES",
    "Suggestion",
    "Suggestions",
    "suggest_providers",
]
