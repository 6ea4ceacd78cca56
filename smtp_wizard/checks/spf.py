"""SPF (RFC 7208): the record's grammar, a receiver's evaluation, and an audit for its owner.

Three layers, because they answer three different questions:

- `parse_spf` is a pure parser over a string. Every term comes back with its qualifier and
  its character offset, and a syntax error says where it is and which text is wrong: "the
  record is invalid" is useless to someone staring at a 200-character TXT value.
- `check_host` is RFC 7208's evaluation (sections 4 to 6 and 7): what a receiving server
  concludes for one client IP address, limits and all. `smtp-wizard dns DOMAIN --ip ADDR`
  uses it (`evaluate_for_ip`), and the RFC 7208 test suite checks it case by case.
- `analyse_spf` is the audit a domain owner needs before any mail is sent: the whole
  include/redirect tree, walked concurrently (all names of a level at once), with the
  worst-case lookup count a receiver would reach, void lookups, loops, and what to change.
  `spf_check` turns that into the `dns.spf` CheckResult.

Everything talks to DNS only through `DnsLookup`, so unit tests hand in a zone held in
memory and the real resolver runs the same code.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, TypeAlias

from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind, DnsLookup, MxRecord
from smtp_wizard.checks.dnsverdict import DNS_VERDICTS, check_timed_out, dns_verdict
from smtp_wizard.checks.model import SEVERITY, CheckResult, Status, ascii_domain
from smtp_wizard.providers import UNKNOWN, Provider, get_provider

__all__ = [
    "CHECK_ID",
    "IP_CHECK_ID",
    "MAX_DNS_LOOKUPS",
    "MAX_VOID_LOOKUPS",
    "IncludeCost",
    "MacroContext",
    "MacroEscape",
    "MacroExpand",
    "MacroString",
    "Mechanism",
    "Modifier",
    "Qualifier",
    "SpfFinding",
    "SpfNode",
    "SpfRecord",
    "SpfReport",
    "SpfResult",
    "SpfSyntaxError",
    "SpfVerdict",
    "add_include",
    "analyse_spf",
    "check_host",
    "check_mail_from",
    "evaluate_for_ip",
    "expand",
    "expand_macros",
    "is_spf_record",
    "merge_spf_records",
    "parse_domain_spec",
    "parse_macro_string",
    "parse_spf",
    "report_result",
    "spf_check",
    "spf_records",
]

CHECK_ID: Final = "dns.spf"
IP_CHECK_ID: Final = "dns.spf.ip"  # check_host() for one address: a different question

MAX_DNS_LOOKUPS: Final = 10  # RFC 7208 §4.6.4: include a mx ptr exists redirect
MAX_VOID_LOOKUPS: Final = 2  # §4.6.4: answers with no records, or NXDOMAIN
MAX_MX_NAMES: Final = 10  # §4.6.4: more MX names than this is a permerror
MAX_PTR_NAMES: Final = 10  # §4.6.4: PTR names past the tenth are ignored

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


class SpfSyntaxError(ValueError):
    """A record (or macro string) that breaks RFC 7208's grammar.

    `position` is the 0-based character offset of `text`, the offending part, in the string
    that was parsed; the message counts characters from 1, as a person reading it would.
    """

    def __init__(self, message: str, position: int, text: str) -> None:
        self.message = message
        self.position = position
        self.text = text
        super().__init__(f"{message}: {text!r} at character {position + 1}")


# =========================================================================== macros (§7)

MACRO_LETTERS: Final = frozenset("slodipvh")
EXPLANATION_LETTERS: Final = frozenset("slodipvhcrt")  # c, r, t only in exp= text (§7.2)
_ESCAPES: Final = {"%": "%", "_": " ", "-": "%20"}
_MACRO: Final = re.compile(
    r"%\{(?P<letter>[A-Za-z])(?P<digits>[0-9]*)(?P<reverse>[rR]?)(?P<delimiters>[-.+,/_=]*)\}"
)
# toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
_TOPLABEL: Final = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]"
)


@dataclass(frozen=True)
class MacroExpand:
    """One `%{...}`: which value, how many right-hand parts, reversed, split on what."""

    letter: str  # lower case
    digits: int | None  # keep this many right-hand parts; None keeps all
    reverse: bool
    delimiters: str  # "" means "."
    url_escape: bool  # the letter was written in upper case (§7.3)
    text: str


@dataclass(frozen=True)
class MacroEscape:
    """`%%`, `%_` or `%-`: a literal percent sign, a space, or a URL-encoded space."""

    text: str
    value: str


MacroToken: TypeAlias = str | MacroExpand | MacroEscape


@dataclass(frozen=True)
class MacroString:
    """A macro-string as written, split into literal text and macros."""

    text: str
    tokens: tuple[MacroToken, ...]

    def uses(self, letter: str) -> bool:
        return any(isinstance(t, MacroExpand) and t.letter == letter for t in self.tokens)

    @property
    def has_macros(self) -> bool:
        """True when the value depends on the message (sender, IP, HELO...)."""
        return any(isinstance(t, MacroExpand) for t in self.tokens)


def _describe_char(char: str) -> str:
    return f"U+{ord(char):04X}" if not char.isprintable() or not char.isascii() else repr(char)


def _digits(text: str) -> int | None:
    """A macro's digit transformer; past any name's label count every value means "all"."""
    if not text:
        return None
    significant = text.lstrip("0")
    if not significant:
        return 0
    return int(significant) if len(significant) <= 4 else 9999


def parse_macro_string(text: str, *, explanation: bool = False, offset: int = 0) -> MacroString:
    """Split a macro-string into literals and macros; SpfSyntaxError on anything else.

    In explanation text (`explanation=True`) spaces and the letters c, r and t are allowed.
    `offset` is where `text` starts in the record, so errors point into the record.
    """
    letters = EXPLANATION_LETTERS if explanation else MACRO_LETTERS
    tokens: list[MacroToken] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append("".join(literal))
            literal.clear()

    i = 0
    while i < len(text):
        char = text[i]
        if char == "%":
            following = text[i + 1 : i + 2]
            if following in _ESCAPES:
                flush()
                tokens.append(MacroEscape(text[i : i + 2], _ESCAPES[following]))
                i += 2
                continue
            if following == "{":
                tokens_end = text.find("}", i)
                shown = text[i : tokens_end + 1] if tokens_end >= 0 else text[i:]
                match = _MACRO.match(text, i)
                if match is None:
                    raise SpfSyntaxError(
                        "malformed macro; expected %{letter[digits][r][delimiters]}",
                        offset + i,
                        shown,
                    )
                letter = match["letter"].lower()
                if letter not in letters:
                    why = (
                        "the macros %{c}, %{r} and %{t} are allowed only in explanation text"
                        if letter in EXPLANATION_LETTERS
                        else f"unknown macro letter {match['letter']!r}"
                    )
                    raise SpfSyntaxError(why, offset + i, shown)
                digits = _digits(match["digits"])
                if digits == 0:
                    raise SpfSyntaxError(
                        "a macro's digit transformer must not be zero", offset + i, shown
                    )
                flush()
                tokens.append(
                    MacroExpand(
                        letter=letter,
                        digits=digits,
                        reverse=bool(match["reverse"]),
                        delimiters=match["delimiters"],
                        url_escape=match["letter"].isupper(),
                        text=match[0],
                    )
                )
                i = match.end()
                continue
            raise SpfSyntaxError(
                "a '%' must be followed by {, %, _ or - (write %% for a percent sign)",
                offset + i,
                text[i : i + 2],
            )
        if "!" <= char <= "~" or (explanation and char == " "):
            literal.append(char)
            i += 1
            continue
        raise SpfSyntaxError(
            f"the character {_describe_char(char)} is not allowed here", offset + i, char
        )
    flush()
    return MacroString(text, tuple(tokens))


def parse_domain_spec(text: str, *, offset: int = 0) -> MacroString:
    """A domain-spec: a macro-string ending in `.toplabel` (or in a macro) (§7.1)."""
    if not text:
        raise SpfSyntaxError("a domain is required here", offset, text)
    spec = parse_macro_string(text, offset=offset)
    last = spec.tokens[-1]
    if isinstance(last, str):
        body = last[:-1] if last.endswith(".") else last
        _, dot, top = body.rpartition(".")
        if not dot or not _TOPLABEL.fullmatch(top):
            raise SpfSyntaxError(
                "not a domain: it must end in a top-level label such as .com "
                "(or in a macro such as %{d})",
                offset,
                text,
            )
    return spec


@dataclass(frozen=True)
class MacroContext:
    """What the macros of one check_host() call expand to (RFC 7208 §7.3)."""

    ip: IPAddress
    sender: str  # local@domain, "postmaster" already put in for an empty local part
    domain: str  # <domain>: the name whose record is being evaluated
    helo: str = "unknown"
    receiver: str = "unknown"  # %{r}: the receiving host (explanations only)
    validated: str = "unknown"  # %{p}: the validated name of the IP (§7.3)
    timestamp: int = 0  # %{t}; 0 means now


def _nibbles(ip: IPAddress) -> str:
    """%{i}: dotted quad, or for IPv6 the 32 nibbles dotted.

    Upper-case hex, as pyspf and the RFC 7208 test suite expect in explanations (RFC 7208
    §7.4 shows lower case; for DNS names the case makes no difference).
    """
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", "").upper())


_MACRO_VALUES: Final[dict[str, Callable[[MacroContext], str]]] = {
    "s": lambda c: c.sender,
    "l": lambda c: c.sender.rpartition("@")[0],
    "o": lambda c: c.sender.rpartition("@")[2],
    "d": lambda c: c.domain,
    "i": lambda c: _nibbles(c.ip),
    "p": lambda c: c.validated,
    "v": lambda c: "in-addr" if c.ip.version == 4 else "ip6",
    "h": lambda c: c.helo,
    "c": lambda c: str(c.ip),
    "r": lambda c: c.receiver,
    "t": lambda c: str(c.timestamp or int(time.time())),
}


def _transform(value: str, macro: MacroExpand) -> str:
    parts = re.split("[" + re.escape(macro.delimiters or ".") + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None:
        parts = parts[-macro.digits :]
    return ".".join(parts)


def _fit_domain(name: str) -> str:
    """A trailing dot dropped; over 253 characters, labels cut from the left (§7.3)."""
    if name.endswith("."):
        name = name[:-1]
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


def expand(spec: MacroString, context: MacroContext, *, domain: bool = True) -> str:
    """Expand a parsed macro-string; `domain=False` for explanation text (kept as is)."""
    out: list[str] = []
    for token in spec.tokens:
        if isinstance(token, str):
            out.append(token)
        elif isinstance(token, MacroEscape):
            out.append(token.value)
        else:
            value = _transform(_MACRO_VALUES[token.letter](context), token)
            out.append(urllib.parse.quote(value, safe="") if token.url_escape else value)
    text = "".join(out)
    return _fit_domain(text) if domain else text


def expand_macros(text: str, context: MacroContext, *, explanation: bool = False) -> str:
    """Parse and expand in one go: a domain-spec, or explanation text."""
    if explanation:
        return expand(parse_macro_string(text, explanation=True), context, domain=False)
    return expand(parse_domain_spec(text), context)


# =========================================================================== records


class Qualifier(StrEnum):
    PASS = "+"  # noqa: S105 (a qualifier, not a password)
    FAIL = "-"
    SOFTFAIL = "~"
    NEUTRAL = "?"


LOOKUP_MECHANISMS: Final = frozenset({"include", "a", "mx", "ptr", "exists"})


@dataclass(frozen=True)
class Mechanism:
    """A directive: qualifier and mechanism, with its target as written."""

    qualifier: Qualifier
    name: str  # lower case: all include a mx ptr ip4 ip6 exists
    text: str  # the term as written
    position: int  # its offset in the record
    domain: MacroString | None = None  # include, a, mx, ptr, exists
    network: IPNetwork | None = None  # ip4, ip6
    cidr4: int | None = None  # a, mx: the IPv4 prefix length, if written
    cidr6: int | None = None  # a, mx: the IPv6 prefix length, if written

    @property
    def costs_lookup(self) -> bool:
        return self.name in LOOKUP_MECHANISMS


@dataclass(frozen=True)
class Modifier:
    """name=value; redirect and exp are the two RFC 7208 defines."""

    name: str  # lower case
    value: MacroString
    text: str
    position: int


Term: TypeAlias = Mechanism | Modifier


@dataclass(frozen=True)
class SpfRecord:
    """A parsed `v=spf1` record: every term in order."""

    text: str
    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(t for t in self.terms if isinstance(t, Mechanism))

    @property
    def modifiers(self) -> tuple[Modifier, ...]:
        return tuple(t for t in self.terms if isinstance(t, Modifier))

    def modifier(self, name: str) -> Modifier | None:
        return next((m for m in self.modifiers if m.name == name), None)

    @property
    def redirect(self) -> Modifier | None:
        return self.modifier("redirect")

    @property
    def explanation(self) -> Modifier | None:
        return self.modifier("exp")

    @property
    def all(self) -> Mechanism | None:
        """The first `all`: evaluation never goes past it."""
        return next((m for m in self.mechanisms if m.name == "all"), None)

    @property
    def reachable(self) -> tuple[Mechanism, ...]:
        """The mechanisms evaluation can reach: up to and including the first `all`."""
        out: list[Mechanism] = []
        for mechanism in self.mechanisms:
            out.append(mechanism)
            if mechanism.name == "all":
                break
        return tuple(out)

    @property
    def unreachable(self) -> tuple[Mechanism, ...]:
        return self.mechanisms[len(self.reachable) :]

    @property
    def lookup_terms(self) -> tuple[Term, ...]:
        """Terms that cost a DNS lookup in the worst case (nothing matches before them).

        A redirect counts only without `all`: with one, it is never used (§6.1).
        """
        terms: list[Term] = [m for m in self.reachable if m.costs_lookup]
        if self.redirect is not None and self.all is None:
            terms.append(self.redirect)
        return tuple(terms)


_MODIFIER: Final = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_.-]*)=(?P<value>.*)", re.S)
_DIRECTIVE: Final = re.compile(
    r"(?P<qualifier>[-+~?]?)(?P<name>[A-Za-z][A-Za-z0-9_.-]*)(?P<rest>.*)", re.S
)
_DUAL_CIDR: Final = re.compile(
    r"(?P<domain>.*?)(?:/(?P<cidr4>[0-9]+))?(?://(?P<cidr6>[0-9]+))?", re.S
)
_QNUM: Final = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP4_NETWORK: Final = re.compile(
    rf"(?P<address>{_QNUM}\.{_QNUM}\.{_QNUM}\.{_QNUM})(?:/(?P<cidr>[0-9]+))?"
)
_IP6_NETWORK: Final = re.compile(r"(?P<address>[0-9A-Fa-f:.]+)(?:/(?P<cidr>[0-9]+))?")

# Names people write where a mechanism belongs, and what they meant.
_MISTAKES: Final = {
    "redirect": "redirect is a modifier: write redirect=domain",
    "exp": "exp is a modifier: write exp=domain",
    "ipv4": "write ip4:address",
    "ipv6": "write ip6:address",
    "ip": "write ip4:address or ip6:address",
    "includes": "write include:domain",
    "inlcude": "write include:domain",
    "spf1": "v=spf1 appears only once, at the start",
}


def _cidr(text: str, maximum: int, at: int, term: str) -> int:
    """A prefix length: no leading zero, at most `maximum` (§5.6)."""
    if (len(text) > 1 and text.startswith("0")) or len(text) > 3 or int(text) > maximum:
        shown = text if len(text) <= 6 else text[:6] + "…"
        raise SpfSyntaxError(f"invalid prefix length /{shown} (0 to {maximum})", at, term)
    return int(text)


# Each mechanism's argument parser: (rest after the name, the term, where the term starts,
# where the rest starts) -> the Mechanism's fields. Errors about the whole term point at
# the term; errors inside a domain point into the domain.
ArgumentParser: TypeAlias = Callable[[str, str, int, int], dict[str, Any]]


def _parse_all(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
    if rest:
        raise SpfSyntaxError("'all' takes no argument", at, term)
    return {}


def _parse_required_domain(name: str) -> ArgumentParser:
    def parse(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
        if not rest.startswith(":"):
            raise SpfSyntaxError(f"'{name}' needs a domain: {name}:example.com", at, term)
        return {"domain": parse_domain_spec(rest[1:], offset=rest_at + 1)}

    return parse


def _parse_ptr(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
    if not rest:
        return {}
    if not rest.startswith(":"):
        raise SpfSyntaxError("'ptr' takes only a domain (ptr:example.com)", at, term)
    return {"domain": parse_domain_spec(rest[1:], offset=rest_at + 1)}


def _parse_a_mx(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
    if not rest:
        return {}
    named = rest.startswith(":")
    if not named and not rest.startswith("/"):
        raise SpfSyntaxError("expected ':domain' or '/prefix-length'", at, term)
    body = rest[1:] if named else rest
    match = _DUAL_CIDR.fullmatch(body)
    if match is None or (not named and match["domain"]):
        raise SpfSyntaxError("invalid prefix length (write /24 or //64 or /24//64)", at, term)
    result: dict[str, Any] = {}
    if named:
        result["domain"] = parse_domain_spec(match["domain"], offset=rest_at + 1)
    if match["cidr4"] is not None:
        result["cidr4"] = _cidr(match["cidr4"], 32, at, term)
    if match["cidr6"] is not None:
        result["cidr6"] = _cidr(match["cidr6"], 128, at, term)
    return result


def _parse_ip4(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
    match = _IP4_NETWORK.fullmatch(rest[1:]) if rest.startswith(":") else None
    if match is None:
        raise SpfSyntaxError("invalid ip4: write ip4:192.0.2.1 or ip4:192.0.2.0/24", at, term)
    prefix = _cidr(match["cidr"], 32, at, term) if match["cidr"] is not None else 32
    return {"network": ipaddress.IPv4Network((match["address"], prefix), strict=False)}


def _parse_ip6(rest: str, term: str, at: int, rest_at: int) -> dict[str, Any]:
    match = _IP6_NETWORK.fullmatch(rest[1:]) if rest.startswith(":") else None
    address: ipaddress.IPv6Address | None = None
    if match is not None and ":" in match["address"]:
        try:
            address = ipaddress.IPv6Address(match["address"])
        except ValueError:
            address = None
    if match is None or address is None:
        raise SpfSyntaxError("invalid ip6: write ip6:2001:db8::1 or ip6:2001:db8::/32", at, term)
    prefix = _cidr(match["cidr"], 128, at, term) if match["cidr"] is not None else 128
    return {"network": ipaddress.IPv6Network((address, prefix), strict=False)}


_MECHANISM_PARSERS: Final[dict[str, ArgumentParser]] = {
    "all": _parse_all,
    "include": _parse_required_domain("include"),
    "a": _parse_a_mx,
    "mx": _parse_a_mx,
    "ptr": _parse_ptr,
    "ip4": _parse_ip4,
    "ip6": _parse_ip6,
    "exists": _parse_required_domain("exists"),
}

_DOMAIN_MODIFIERS: Final = frozenset({"redirect", "exp"})  # each at most once (§6)


def is_spf_record(text: str) -> bool:
    """Does this TXT value claim to be SPF: `v=spf1` (any case), then a space or the end."""
    head = text[:6]
    return head.isascii() and head.lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


def spf_records(txt_records: Iterable[str]) -> list[str]:
    """The SPF records among a name's TXT records (§4.5); the others are not SPF's business."""
    return [text for text in txt_records if is_spf_record(text)]


def _parse_term(text: str, position: int, seen: set[str]) -> Term:
    modifier = _MODIFIER.fullmatch(text)
    if modifier is not None:
        name = modifier["name"].lower()
        value_at = position + len(modifier["name"]) + 1
        if name in _DOMAIN_MODIFIERS:
            if name in seen:
                raise SpfSyntaxError(f"{name}= may appear only once", position, text)
            seen.add(name)
            value = parse_domain_spec(modifier["value"], offset=value_at)
        else:
            value = parse_macro_string(modifier["value"], offset=value_at)
        return Modifier(name, value, text, position)
    directive = _DIRECTIVE.fullmatch(text)
    if directive is None:
        raise SpfSyntaxError("not a mechanism or a modifier", position, text)
    name = directive["name"].lower()
    parser = _MECHANISM_PARSERS.get(name)
    if parser is None:
        hint = _MISTAKES.get(name)
        message = f"unknown mechanism {directive['name']!r}" + (f" ({hint})" if hint else "")
        raise SpfSyntaxError(message, position, text)
    rest_at = position + len(directive["qualifier"]) + len(directive["name"])
    details = parser(directive["rest"], text, position, rest_at)
    qualifier = Qualifier(directive["qualifier"] or "+")
    return Mechanism(qualifier, name, text, position, **details)


def parse_spf(text: str) -> SpfRecord:
    """Parse a whole `v=spf1` record; SpfSyntaxError for the first term that breaks §12.

    Terms are separated by spaces only (a tab or a line break is an error, not a separator);
    the whole record is checked, so an error after the matching term still counts (§4.6).
    """
    if not is_spf_record(text):
        raise SpfSyntaxError("an SPF record starts with 'v=spf1' and a space", 0, text[:12])
    terms: list[Term] = []
    seen: set[str] = set()
    for match in re.finditer(r"[^ ]+", text[6:]):
        terms.append(_parse_term(match[0], match.start() + 6, seen))
    return SpfRecord(text, tuple(terms))


# =========================================================================== merging

_ALL_TERM: Final = re.compile(r"[-+~?]?all", re.I)


def _key(term: str) -> str:
    """Two terms that mean the same: case and an implicit '+' do not matter."""
    low = term.lower().rstrip(".")
    return low[1:] if low.startswith("+") else low


def add_include(record: str, include: str) -> str:
    """`record` with `include:<include>` inserted before its `all` (or redirect), else last.

    Everything else stays as written; an include already there is not added twice.
    """
    target = include.lower().rstrip(".")
    terms = record.split()
    if any(_key(t) == f"include:{target}" for t in terms[1:]):
        return " ".join(terms)
    at = next(
        (
            i
            for i, term in enumerate(terms)
            if i > 0 and (_ALL_TERM.fullmatch(term) or term.lower().startswith("redirect="))
        ),
        len(terms),
    )
    return " ".join([*terms[:at], f"include:{target}", *terms[at:]])


# How strict an `all` is, by its first character ("all" alone means "+all").
_STRICTNESS: Final = {"-": 3, "~": 2, "?": 1, "+": 0, "a": 0, "A": 0}


def merge_spf_records(
    records: Sequence[str], include: str | None = None, *, all_qualifier: str | None = None
) -> str:
    """The one record that replaces several (a second record is a permerror, §4.5).

    DNS returns records in any order, so they are merged in sorted order and the result is
    the same on every run. Mechanisms are kept without repeats; of several `all` terms the
    strictest is kept (`-all` over `~all` over `?all`; `all_qualifier` replaces it) and goes
    last; with an `all`, a redirect would be ignored,
    so each becomes an include; exp= and other modifiers keep their first value. The
    provider's `include` is added when missing. Works on broken records too (it splits on
    spaces rather than parsing), because broken records are what it is asked to fix.
    """
    if len(records) == 1 and all_qualifier is None:
        merged = " ".join(records[0].split())
        return add_include(merged, include) if include else merged
    mechanisms: list[str] = []
    keys: set[str] = set()
    all_term: str | None = None
    redirects: list[str] = []
    modifiers: dict[str, str] = {}

    def keep(term: str) -> None:
        if _key(term) not in keys:
            keys.add(_key(term))
            mechanisms.append(term)

    for record in sorted(records):
        for term in record.split()[1:]:
            if _ALL_TERM.fullmatch(term):
                if all_term is None or _STRICTNESS[term[0]] > _STRICTNESS[all_term[0]]:
                    all_term = term
            elif (found := _MODIFIER.fullmatch(term)) is not None:
                name = found["name"].lower()
                if name == "redirect":
                    redirects.append(found["value"].rstrip("."))
                else:
                    modifiers.setdefault(name, term)
            else:
                keep(term)
    if all_qualifier is not None:
        all_term = f"{all_qualifier}all" if all_qualifier != "+" else "+all"
    tail: list[str] = []
    if all_term is not None:
        redirect_includes = redirects
    else:
        redirect_includes = redirects[1:]
        tail = [f"redirect={redirects[0]}"] if redirects else []
    for target in redirect_includes:
        keep(f"include:{target}")
    if include:
        keep(f"include:{include.lower().rstrip('.')}")
    ending = [all_term] if all_term else tail
    return " ".join(["v=spf1", *mechanisms, *ending, *modifiers.values()])


# =========================================================================== the record to publish

PLACEHOLDER_INCLUDE: Final = "<your provider's SPF domain>"


def _is_plus_all(term: str) -> bool:
    """`+all` or a bare `all`: both authorise every server on the internet."""
    return bool(_ALL_TERM.fullmatch(term)) and term[0] in "+aA"


@dataclass(frozen=True)
class SpfSuggestion:
    """The one SPF record to publish, and why it differs from what is there.

    The `dns.spf` check's advice and the records plan (records.py) both show this record,
    so they can never disagree: `+all` is always replaced by `~all`, several records are
    merged into one, the provider's include is added, and when that passes ten lookups the
    includes that bring it back within the limit are taken out (and named).
    """

    record: str
    placeholder: bool = False  # holds PLACEHOLDER_INCLUDE: to be edited before publishing
    added: str | None = None  # the include added
    replaced_plus_all: bool = False
    lookups_before: int | None = None  # the published (merged) record's count
    lookups: int | None = None  # the suggested record's count; None: unknown
    dropped: tuple[IncludeCost, ...] = ()  # includes taken out to stay within ten

    @property
    def over_limit(self) -> bool:
        return self.lookups is not None and self.lookups > MAX_DNS_LOOKUPS

    def explain(self) -> list[str]:
        """What the change does, one sentence each (for advice and notes alike)."""
        said: list[str] = []
        if self.placeholder:
            said.append(
                "Replace the placeholder with the include your provider documents, or "
                "ip4:<your server's address>."
            )
        if self.replaced_plus_all:
            said.append("+all becomes ~all: +all authorises every server on the internet.")
        if self.dropped:
            names = ", ".join(f"{c.term} ({c.lookups} lookups)" for c in self.dropped)
            said.append(
                f"To stay within {MAX_DNS_LOOKUPS} DNS lookups it leaves out {names}: if mail "
                "is still sent through them, list their servers as ip4:/ip6: ranges instead "
                "(flattening) rather than including them."
            )
        if self.lookups is not None and (self.added or self.dropped):
            said.append(f"DNS lookups of this record: {self.lookups} of {MAX_DNS_LOOKUPS}.")
        if self.over_limit:
            said.append(
                f"That is still over {MAX_DNS_LOOKUPS} (receivers return permerror): replace "
                "a/mx/include terms by the ip4:/ip6: ranges they stand for."
            )
        elif self.added and self.lookups is None:
            said.append(
                f"The lookup count with include:{self.added} is unknown (it could not be "
                "resolved); run `smtp-wizard dns` again once it is published."
            )
        return said


def includes_to_drop(
    includes: Sequence[IncludeCost], keep: str | None, excess: int
) -> tuple[IncludeCost, ...]:
    """The fewest includes of the record itself (most expensive first) whose removal saves
    `excess` lookups; never the provider's own include (`keep`)."""
    chosen: list[IncludeCost] = []
    saved = 0
    kept = keep.lower().rstrip(".") if keep else None
    own = [c for c in includes if c.depth == 1 and c.term.lower().startswith("include:")]
    for cost in sorted(own, key=lambda c: (-c.lookups, c.term)):
        if saved >= excess:
            break
        if cost.domain == kept:
            continue
        chosen.append(cost)
        saved += cost.lookups
    return tuple(chosen)


def _without(record: str, dropped: Sequence[IncludeCost]) -> str:
    terms = {_key(c.term) for c in dropped}
    return " ".join(t for t in record.split() if _key(t) not in terms)


def suggest_spf(
    records: Sequence[str],
    include: str | None,
    *,
    lookups: int | None = None,
    includes: Sequence[IncludeCost] = (),
    include_cost: int | None = None,
    include_present: bool = False,
) -> SpfSuggestion | None:
    """The single record to publish instead of `records`, or None when they are fine.

    `lookups` is the published (merged) record's RFC 7208 count and `includes` its
    includes' costs (from the audit); `include_cost` what adding include:`include` costs
    (1 + its tree). With nothing published the suggestion is a new record, with a
    placeholder when no include is known.
    """
    if not records:
        if include:
            return SpfSuggestion(
                f"v=spf1 include:{include} ~all", added=include, lookups=include_cost
            )
        return SpfSuggestion(f"v=spf1 include:{PLACEHOLDER_INCLUDE} ~all", placeholder=True)
    plus_all = any(_is_plus_all(t) for r in records for t in r.split()[1:])
    to_add = include if include and not include_present else None
    if len(records) == 1 and not plus_all and not to_add:
        after = lookups
        if after is None or after <= MAX_DNS_LOOKUPS:
            return None
    merged = merge_spf_records(records, to_add, all_qualifier="~" if plus_all else None)
    after = lookups
    if to_add:
        after = None if lookups is None or include_cost is None else lookups + include_cost
    dropped: tuple[IncludeCost, ...] = ()
    if after is not None and after > MAX_DNS_LOOKUPS:
        dropped = includes_to_drop(includes, include, after - MAX_DNS_LOOKUPS)
        merged = _without(merged, dropped)
        after -= sum(c.lookups for c in dropped)
    return SpfSuggestion(
        merged,
        added=to_add,
        replaced_plus_all=plus_all,
        lookups_before=lookups,
        lookups=after,
        dropped=dropped,
    )


# =========================================================================== check_host


class SpfVerdict(StrEnum):
    """The results of RFC 7208 §2.6."""

    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


_QUALIFIER_VERDICT: Final = {
    Qualifier.PASS: SpfVerdict.PASS,
    Qualifier.FAIL: SpfVerdict.FAIL,
    Qualifier.SOFTFAIL: SpfVerdict.SOFTFAIL,
    Qualifier.NEUTRAL: SpfVerdict.NEUTRAL,
}


@dataclass(frozen=True)
class SpfResult:
    """What check_host() concluded, why, and what it cost."""

    verdict: SpfVerdict
    domain: str
    reason: str
    mechanism: str | None = None  # the term that decided, as written
    explanation: str | None = None  # the exp= text, for a fail that has one
    lookups: int = 0
    void_lookups: int = 0
    dns_error: DnsError | None = None  # for temperror: the lookup that failed, if one did


class _PermError(Exception):
    """The policy is broken: check_host() returns permerror."""


class _TempError(Exception):
    """DNS failed (not a void lookup): check_host() returns temperror (RFC 7208 §5).

    `error` is the lookup's DnsError: the RFC calls every such failure temperror, but the
    user is told what it was (a machine without resolver is not fixed by trying again).
    """

    def __init__(self, error: DnsError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class _Outcome:
    verdict: SpfVerdict
    domain: str
    mechanism: Mechanism | None = None
    record: SpfRecord | None = None


def _name(name: str) -> str:
    return name.lower().rstrip(".")


def _queryable(name: str) -> bool:
    """Can this be asked of DNS at all: ASCII, labels of 1 to 63, at most 253 characters.

    Names that cannot (an empty label from a macro, say) are treated as not existing
    (§4.3, §4.8): the mechanism does not match.
    """
    if not name or len(name) > 253 or not name.isascii():
        return False
    return all(0 < len(label) <= 63 for label in name.split("."))


def _valid_domain(name: str) -> bool:
    """§4.3: a <domain> that is malformed or has a single label gives "none"."""
    return _queryable(name) and "." in name and not name.startswith("[")


def _normalise_sender(sender: str, domain: str) -> str:
    """local@domain, with "postmaster" for a missing local part (§4.3)."""
    if not sender:
        return f"postmaster@{domain}"
    local, at, host = sender.rpartition("@")
    if not at:
        return f"postmaster@{sender}"
    return f"{local or 'postmaster'}@{host}"


def _address(value: str | IPAddress) -> IPAddress:
    """The client address; IPv4-mapped IPv6 is IPv4 (§5, item 9)."""
    ip = ipaddress.ip_address(value.strip("[]") if isinstance(value, str) else value)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class _Evaluation:
    """One check_host() run: the counters and caches shared by its recursive calls."""

    def __init__(
        self, ip: IPAddress, sender: str, helo: str, lookup: DnsLookup, receiver: str
    ) -> None:
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.lookup = lookup
        self.receiver = receiver
        self.lookups = 0
        self.voids = 0
        self._ptr: tuple[list[str], bool] | None = None

    # -- counting ----------------------------------------------------------------------

    def count_lookup(self, term: Term) -> None:
        self.lookups += 1
        if self.lookups > MAX_DNS_LOOKUPS:
            raise _PermError(
                f"more than {MAX_DNS_LOOKUPS} DNS lookups (the limit was passed at {term.text})"
            )

    def count_void(self, name: str) -> None:
        self.voids += 1
        if self.voids > MAX_VOID_LOOKUPS:
            raise _PermError(
                f"more than {MAX_VOID_LOOKUPS} void lookups (names without records; "
                f"the limit was passed at {name})"
            )

    # -- DNS ---------------------------------------------------------------------------

    async def query(
        self, ask: Callable[[str], Awaitable[list[Any]]], name: str, *, void_counts: bool = True
    ) -> list[Any]:
        """Records of a term's query: [] for no records; temperror for anything else (§5)."""
        if not _queryable(name):
            if void_counts:
                self.count_void(name)
            return []
        try:
            return await ask(name)
        except DnsError as exc:
            if exc.void:
                if void_counts:
                    self.count_void(name)
                return []
            raise _TempError(exc) from None

    async def addresses(self, name: str, *, void_counts: bool) -> list[IPAddress]:
        """The A (IPv4 client) or AAAA (IPv6 client) addresses of `name` (§5.3)."""
        ask = self.lookup.a if self.ip.version == 4 else self.lookup.aaaa
        found: list[IPAddress] = []
        for value in await self.query(ask, name, void_counts=void_counts):
            try:
                found.append(ipaddress.ip_address(value))
            except ValueError:
                continue
        return found

    async def fetch_record(self, domain: str, *, void_counts: bool) -> str | None:
        """The one SPF record of `domain` (§4.4, §4.5); None when there is none."""
        try:
            answer = await self.lookup.txt(domain)
        except DnsError as exc:
            if exc.void:
                if void_counts:
                    self.count_void(domain)
                return None
            raise _TempError(exc) from None
        found = spf_records(answer.records)
        if len(found) > 1:
            raise _PermError(f"{domain} publishes {len(found)} SPF records; only one is allowed")
        return found[0] if found else None

    async def validated_names(self) -> tuple[list[str], bool]:
        """The client's validated names (§5.5) and whether its PTR lookup was void.

        Asked once per evaluation: the ptr mechanism and %{p} both need it. Errors on the
        PTR lookup mean no names; an error on one name's address lookup skips that name.
        """
        if self._ptr is None:
            void = False
            try:
                names = [_name(n) for n in await self.lookup.ptr(str(self.ip))]
            except DnsError as exc:
                names, void = [], exc.void
            names = [n for n in names[:MAX_PTR_NAMES] if _queryable(n)]
            found = await asyncio.gather(
                *(self.addresses(n, void_counts=False) for n in names), return_exceptions=True
            )
            validated = [
                name
                for name, addresses in zip(names, found, strict=True)
                if isinstance(addresses, list) and self.ip in addresses
            ]
            self._ptr = (validated, void)
        return self._ptr

    async def validated_name(self, domain: str) -> str:
        """%{p}: the domain itself, else a subdomain of it, else any validated name."""
        names, _ = await self.validated_names()
        target = _name(domain)
        if target in names:
            return target
        below = [n for n in names if n.endswith("." + target)]
        return (below or names or ["unknown"])[0]

    # -- macros ------------------------------------------------------------------------

    def context(self, domain: str) -> MacroContext:
        return MacroContext(self.ip, self.sender, domain, self.helo, self.receiver)

    async def target(self, spec: MacroString | None, domain: str) -> str:
        """A mechanism's target-name: its domain-spec expanded, or <domain> (§4.8)."""
        if spec is None:
            return domain
        context = self.context(domain)
        if spec.uses("p"):
            context = replace(context, validated=await self.validated_name(domain))
        return expand(spec, context)

    # -- evaluation --------------------------------------------------------------------

    async def evaluate(self, domain: str, chain: tuple[str, ...]) -> _Outcome:
        """check_host() for `domain`; `chain` holds the domains that included/redirected here."""
        if not _valid_domain(domain):
            return _Outcome(SpfVerdict.NONE, domain)
        text = await self.fetch_record(domain, void_counts=bool(chain))
        if text is None:
            return _Outcome(SpfVerdict.NONE, domain)
        try:
            record = parse_spf(text)
        except SpfSyntaxError as exc:
            raise _PermError(f"the SPF record of {domain} is invalid: {exc}") from None
        for mechanism in record.mechanisms:
            if mechanism.costs_lookup:
                self.count_lookup(mechanism)
            if await _MATCHERS[mechanism.name](self, mechanism, domain, chain):
                verdict = _QUALIFIER_VERDICT[mechanism.qualifier]
                return _Outcome(verdict, domain, mechanism, record)
        redirect = record.redirect
        if redirect is not None:
            self.count_lookup(redirect)
            target = await self.target(redirect.value, domain)
            self.refuse_loop(target, domain, chain, redirect)
            outcome = await self.evaluate(target, (*chain, domain))
            if outcome.verdict is SpfVerdict.NONE:
                raise _PermError(f"{redirect.text}: {target} has no SPF record")
            return outcome
        return _Outcome(SpfVerdict.NEUTRAL, domain, None, record)

    @staticmethod
    def refuse_loop(target: str, domain: str, chain: tuple[str, ...], term: Term) -> None:
        """A domain that includes itself, directly or not, would never finish."""
        if _name(target) in {_name(d) for d in (*chain, domain)}:
            raise _PermError(f"{term.text} in the record of {domain} loops back to {target}")

    async def match_all(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        return True

    async def match_include(
        self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]
    ) -> bool:
        target = await self.target(mechanism.domain, domain)
        self.refuse_loop(target, domain, chain, mechanism)
        outcome = await self.evaluate(target, (*chain, domain))
        if outcome.verdict is SpfVerdict.NONE:
            raise _PermError(f"{mechanism.text}: {target} has no SPF record")
        return outcome.verdict is SpfVerdict.PASS

    def cidr_match(self, addresses: Iterable[IPAddress], mechanism: Mechanism) -> bool:
        if self.ip.version == 4:
            prefix = 32 if mechanism.cidr4 is None else mechanism.cidr4
        else:
            prefix = 128 if mechanism.cidr6 is None else mechanism.cidr6
        return any(
            address.version == self.ip.version
            and self.ip in ipaddress.ip_network((address, prefix), strict=False)
            for address in addresses
        )

    async def match_a(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        target = await self.target(mechanism.domain, domain)
        return self.cidr_match(await self.addresses(target, void_counts=True), mechanism)

    async def match_mx(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        target = await self.target(mechanism.domain, domain)
        records: list[MxRecord] = await self.query(self.lookup.mx, target)
        if len(records) > MAX_MX_NAMES:
            raise _PermError(
                f"{mechanism.text}: {target} has {len(records)} MX records; "
                f"more than {MAX_MX_NAMES} is a permerror"
            )
        hosts = [r.exchange for r in records if r.exchange]  # a null MX names no host
        found = await asyncio.gather(
            *(self.addresses(h, void_counts=False) for h in hosts), return_exceptions=True
        )
        for addresses in found:  # in MX order, as if asked one by one
            if isinstance(addresses, BaseException):
                raise addresses
            if self.cidr_match(addresses, mechanism):
                return True
        return False

    async def match_ptr(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        target = _name(await self.target(mechanism.domain, domain))
        names, void = await self.validated_names()
        if void:
            self.count_void(f"the PTR name of {self.ip}")
        return any(n == target or n.endswith("." + target) for n in names)

    async def match_ip(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        network = mechanism.network
        return network is not None and self.ip.version == network.version and self.ip in network

    async def match_exists(self, mechanism: Mechanism, domain: str, chain: tuple[str, ...]) -> bool:
        target = await self.target(mechanism.domain, domain)
        return bool(await self.query(self.lookup.a, target))  # always A, even for IPv6

    async def explanation(self, outcome: _Outcome) -> str | None:
        """The exp= text for a fail (§6.2); any problem with it just means no explanation."""
        record = outcome.record
        if outcome.verdict is not SpfVerdict.FAIL or record is None:
            return None
        modifier = record.explanation
        if modifier is None:
            return None
        try:
            target = await self.target(modifier.value, outcome.domain)
            if not _queryable(target):
                return None
            answer = await self.lookup.txt(target)
            if len(answer.records) != 1 or not answer.records[0].isascii():
                return None
            text = parse_macro_string(answer.records[0], explanation=True)
            context = self.context(outcome.domain)
            if text.uses("p"):
                context = replace(context, validated=await self.validated_name(outcome.domain))
            return expand(text, context, domain=False)
        except (DnsError, SpfSyntaxError, _TempError, _PermError):
            return None


_MATCHERS: Final[
    dict[str, Callable[[_Evaluation, Mechanism, str, tuple[str, ...]], Awaitable[bool]]]
] = {
    "all": _Evaluation.match_all,
    "include": _Evaluation.match_include,
    "a": _Evaluation.match_a,
    "mx": _Evaluation.match_mx,
    "ptr": _Evaluation.match_ptr,
    "ip4": _Evaluation.match_ip,
    "ip6": _Evaluation.match_ip,
    "exists": _Evaluation.match_exists,
}


def _reason(outcome: _Outcome) -> str:
    if outcome.verdict is SpfVerdict.NONE:
        if not _valid_domain(outcome.domain):
            return f"{outcome.domain!r} is not a domain SPF can be looked up for"
        return f"{outcome.domain} has no SPF record"
    if outcome.mechanism is None:
        return (
            f"nothing in the SPF record of {outcome.domain} matched and it has no 'all': "
            "the default result is neutral"
        )
    return f"the SPF record of {outcome.domain} matched {outcome.mechanism.text}"


async def check_host(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    lookup: DnsLookup,
    *,
    helo: str | None = None,
    receiver: str = "unknown",
) -> SpfResult:
    """RFC 7208's check_host(): may `ip` send mail for `domain` (§4)?

    `sender` is the MAIL FROM (or postmaster@HELO) identity the macros see. Limits of
    §4.6.4 apply: 10 DNS-querying terms, 2 void lookups, 10 MX names, 10 PTR names. Raises
    ValueError only for an `ip` that is not an IP address.
    """
    address = _address(ip)
    target = domain.rstrip(".")
    dns_error: DnsError | None = None
    evaluation = _Evaluation(
        address, _normalise_sender(sender, target), helo or "unknown", lookup, receiver
    )
    try:
        outcome: _Outcome | None = await evaluation.evaluate(target, ())
    except _PermError as exc:
        verdict, reason, outcome = SpfVerdict.PERMERROR, str(exc), None
    except _TempError as exc:
        label = dns_verdict(exc.error).label
        text = str(exc) if label in str(exc) else f"{exc} ({label})"
        verdict, reason, outcome = SpfVerdict.TEMPERROR, text, None
        dns_error = exc.error
    else:
        verdict, reason = outcome.verdict, _reason(outcome)
    counters = {"lookups": evaluation.lookups, "void_lookups": evaluation.voids}
    if outcome is None:
        return SpfResult(verdict, target, reason, dns_error=dns_error, **counters)
    return SpfResult(
        verdict,
        target,
        reason,
        mechanism=outcome.mechanism.text if outcome.mechanism else None,
        explanation=await evaluation.explanation(outcome),
        **counters,
    )


async def check_mail_from(
    ip: str | IPAddress, mail_from: str, helo: str, lookup: DnsLookup, *, receiver: str = "unknown"
) -> SpfResult:
    """check_host() for an SMTP transaction: the MAIL FROM domain, or HELO for bounces (§2.4)."""
    if not mail_from:
        return await check_host(
            ip, helo, f"postmaster@{helo}", lookup, helo=helo, receiver=receiver
        )
    _, at, domain = mail_from.rpartition("@")
    return await check_host(
        ip, domain if at else mail_from, mail_from, lookup, helo=helo, receiver=receiver
    )


# =========================================================================== the audit

# Every observation the audit can make: status and the advice that goes with it.
# Messages carry the specifics; the table keeps verdicts and advice in one place.
_FINDINGS: Final[dict[str, tuple[Status, str]]] = {
    "missing": (
        Status.FAIL,
        "Publish one TXT record at the domain: {suggestion}",
    ),
    "multiple": (
        Status.FAIL,
        "Receivers return permerror when a domain has two SPF records. Delete them all and "
        "publish this single merged record: {suggestion}",
    ),
    "suggested": (
        Status.PASS,
        "Change the existing record (do not add a second one) to: {suggestion}",
    ),
    "syntax": (Status.FAIL, "Fix the record: receivers return permerror for the whole of it."),
    # A DNS error's status and advice come from the shared table (dnsverdict.py).
    "temporary": (Status.FAIL, ""),
    "dns-error": (Status.FAIL, ""),
    "plus-all": (
        Status.FAIL,
        "Replace +all with ~all (or -all once every sender is listed): +all lets anyone "
        "send as this domain.",
    ),
    "neutral-all": (
        Status.WARN,
        "?all says nothing about other servers; use ~all, then -all once every sender is listed.",
    ),
    "softfail-all": (
        Status.PASS,
        "~all (softfail) is the usual choice together with DMARC; -all asks receivers to "
        "reject unlisted servers outright — switch only when every service that sends as "
        "this domain is listed.",
    ),
    "fail-all": (
        Status.PASS,
        "-all rejects unlisted servers; make sure every service that sends as this domain "
        "is listed (forwarded mail can fail SPF — DMARC with DKIM covers it).",
    ),
    "no-all": (
        Status.WARN,
        "End the record with ~all (or -all): without it, unlisted servers get 'neutral'.",
    ),
    "redirect-ignored": (
        Status.WARN,
        "Remove redirect= or the 'all': receivers ignore redirect when the record has 'all'.",
    ),
    "unreachable": (
        Status.WARN,
        "Move these terms before 'all': evaluation stops at 'all', so they are never used.",
    ),
    "glued": (
        Status.WARN,
        "The record seems to contain a second 'v=spf1': merge the two records into one.",
    ),
    "ptr": (
        Status.WARN,
        "Replace ptr with ip4:/ip6: or include: — RFC 7208 §5.5 says ptr SHOULD NOT be used: "
        "it is slow, unreliable, and some receivers skip it.",
    ),
    "too-many-lookups": (
        Status.FAIL,
        "Receivers stop after {limit} DNS lookups and return permerror. Remove includes of "
        "services you no longer use, or replace a/mx/includes by ip4:/ip6: ranges.",
    ),
    "too-many-voids": (
        Status.FAIL,
        "Receivers return permerror after {limit} lookups that find nothing. Remove the terms "
        "pointing at names without records.",
    ),
    "void": (Status.WARN, "Remove or fix terms that point at names without records."),
    "loop": (Status.FAIL, "Remove the include/redirect that points back into the tree."),
    "include-none": (
        Status.FAIL,
        "Receivers return permerror for an include without SPF record: fix or remove it.",
    ),
    "include-multiple": (
        Status.FAIL,
        "An included domain with two SPF records gives permerror; its owner must merge them.",
    ),
    "include-syntax": (
        Status.FAIL,
        "An included record with a syntax error gives permerror; remove the include or "
        "ask its owner to fix it.",
    ),
    "mx-limit": (
        Status.FAIL,
        "An mx mechanism on a domain with more than 10 MX records is a permerror: use "
        "ip4:/ip6: ranges instead.",
    ),
    "macro": (Status.PASS, ""),
    "deep": (Status.FAIL, "Flatten the include chain: it is too deep to ever stay within 10."),
    "provider-present": (Status.PASS, ""),
    "provider-missing": (
        Status.WARN,
        "Add the provider's include so its servers may send as this domain. Change the "
        "existing record (do not add a second one) to: {suggestion}",
    ),
}


@dataclass(frozen=True)
class SpfFinding:
    """One observation of the audit; `code` is a key of the findings table."""

    code: str
    status: Status
    message: str
    advice: str = ""


def _finding(code: str, message: str, **values: Any) -> SpfFinding:
    status, advice = _FINDINGS[code]
    return SpfFinding(code, status, message, advice.format(**values) if advice else "")


@dataclass(frozen=True)
class SpfNode:
    """One record of the include/redirect tree.

    `lookups` is what evaluating this record can cost: its own DNS-querying terms plus
    everything below its includes and redirect. For the domain's own record it is the
    RFC 7208 count a receiver reaches when nothing matches early.
    """

    domain: str
    via: str  # the term that leads here; "" for the domain itself
    record: str | None
    lookups: int = 0
    void_lookups: int = 0
    children: tuple[SpfNode, ...] = ()

    def walk(self) -> Iterable[tuple[int, SpfNode]]:
        """Every node with its depth (0 for the domain's own record), parents first."""
        yield 0, self
        for child in self.children:
            for depth, node in child.walk():
                yield depth + 1, node


@dataclass(frozen=True)
class IncludeCost:
    """What one include (or redirect) costs: its own lookup plus its whole subtree."""

    term: str
    domain: str
    lookups: int
    depth: int  # 1: in the domain's own record
    parent: str


@dataclass(frozen=True)
class SpfReport:
    """The audit of one domain's SPF policy."""

    domain: str
    records: tuple[str, ...] = ()  # every v=spf1 record published at the domain
    record: SpfRecord | None = None  # the one record (the merged one when several exist)
    tree: SpfNode | None = None
    findings: tuple[SpfFinding, ...] = ()
    provider_include: str | None = None
    provider_include_present: bool | None = None
    merged_record: str | None = None  # the single record to publish instead of several
    provider_include_cost: int | None = None  # 1 + the provider include's tree; None: unknown
    suggestion: SpfSuggestion | None = None  # the record to publish instead; None: keep it

    @property
    def lookups(self) -> int:
        return self.tree.lookups if self.tree else 0

    @property
    def void_lookups(self) -> int:
        return self.tree.void_lookups if self.tree else 0

    @property
    def includes(self) -> tuple[IncludeCost, ...]:
        if self.tree is None:
            return ()
        costs: list[IncludeCost] = []
        for depth, node in self.tree.walk():
            for child in node.children:
                costs.append(
                    IncludeCost(child.via, child.domain, 1 + child.lookups, depth + 1, node.domain)
                )
        return tuple(costs)

    @property
    def status(self) -> Status:
        return max((f.status for f in self.findings), key=SEVERITY.__getitem__, default=Status.PASS)

    @property
    def temporary(self) -> bool:
        return any(f.code == "temporary" for f in self.findings)


class _Queries:
    """The audit's DNS: one query per (type, name) however often a name is referenced."""

    def __init__(self, lookup: DnsLookup) -> None:
        self.lookup = lookup
        self.tasks: dict[tuple[str, str], asyncio.Task[Any]] = {}

    async def ask(self, rtype: str, name: str) -> Any:
        key = (rtype, _name(name))
        task = self.tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(getattr(self.lookup, rtype)(key[1]))
            self.tasks[key] = task
        return await asyncio.shield(task)

    def close(self) -> None:
        for task in self.tasks.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # retrieved: no "exception never retrieved" warning


@dataclass
class _Walk:
    """What walking one term found: the subtree, void lookups, findings."""

    child: SpfNode | None = None
    voids: int = 0
    findings: list[SpfFinding] = field(default_factory=list)


_DUMMY_CONTEXT: Final = MacroContext(ipaddress.IPv4Address("192.0.2.1"), "postmaster@invalid", "")


def _literal_target(spec: MacroString | None, domain: str) -> str | None:
    """A term's target when it does not depend on the message, else None."""
    if spec is None:
        return domain
    if spec.has_macros:
        return None
    return _name(expand(spec, replace(_DUMMY_CONTEXT, domain=domain)))


def _dns_problem(exc: DnsError, path: str) -> SpfFinding:
    """A lookup in the tree that failed (not a void one): the shared verdict for it."""
    verdict = dns_verdict(exc)
    code = "temporary" if verdict.temporary else "dns-error"
    return SpfFinding(code, verdict.status, f"{path}: {exc}", verdict.advice)


class _Auditor:
    """Walks the include/redirect tree: every term of a record at once, subtrees too."""

    def __init__(self, lookup: DnsLookup) -> None:
        self.queries = _Queries(lookup)

    async def node(
        self, domain: str, record: SpfRecord, via: str, chain: tuple[str, ...]
    ) -> tuple[SpfNode, list[SpfFinding]]:
        terms = record.lookup_terms
        walks = await asyncio.gather(*(self.term(t, domain, (*chain, domain)) for t in terms))
        children = tuple(w.child for w in walks if w.child is not None)
        lookups = len(terms) + sum(child.lookups for child in children)
        voids = sum(w.voids for w in walks) + sum(child.void_lookups for child in children)
        node = SpfNode(domain, via, record.text, lookups, voids, children)
        return node, [f for w in walks for f in w.findings]

    async def term(self, term: Term, domain: str, chain: tuple[str, ...]) -> _Walk:
        spec = term.value if isinstance(term, Modifier) else term.domain
        target = _literal_target(spec, domain)
        path = " → ".join([*chain[1:], term.text]) if len(chain) > 1 else term.text
        if target is None:
            return _Walk(
                findings=[_finding("macro", f"{path} depends on the sender; not followed")]
            )
        name = term.name
        if name in ("include", "redirect"):
            return await self.include(term, target, chain, path)
        if name == "ptr":
            return _Walk()
        return await self.address_term(name, target, path)

    async def address_term(self, name: str, target: str, path: str) -> _Walk:
        """a, mx and exists: does the name they point at have the records they ask for?"""
        asks = {"a": ("a", "aaaa"), "mx": ("mx",), "exists": ("a",)}[name]
        results = await asyncio.gather(
            *(self.queries.ask(rtype, target) for rtype in asks), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, DnsError) and not r.void]
        if errors:
            return _Walk(findings=[_dns_problem(errors[0], path)])
        others = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, DnsError)
        ]
        if others:
            raise others[0]
        if all(isinstance(r, DnsError) for r in results):
            what = {"a": "no A or AAAA record", "mx": "no MX record", "exists": "no A record"}
            return _Walk(voids=1, findings=[_finding("void", f"{path}: {target} has {what[name]}")])
        if name == "mx" and len(results[0]) > MAX_MX_NAMES:
            message = f"{path}: {target} has {len(results[0])} MX records (at most {MAX_MX_NAMES})"
            return _Walk(findings=[_finding("mx-limit", message)])
        return _Walk()

    async def include(self, term: Term, target: str, chain: tuple[str, ...], path: str) -> _Walk:
        if target in chain:
            return _Walk(findings=[_finding("loop", f"{path} loops back to {target}")])
        if len(chain) > MAX_DNS_LOOKUPS:
            return _Walk(findings=[_finding("deep", f"{path}: more than {MAX_DNS_LOOKUPS} levels")])
        try:
            answer = await self.queries.ask("txt", target)
        except DnsError as exc:
            if exc.void:
                message = f"{path}: {exc}, so it has no SPF record"
                return _Walk(voids=1, findings=[_finding("include-none", message)])
            return _Walk(findings=[_dns_problem(exc, path)])
        found = spf_records(answer.records)
        if not found:
            return _Walk(findings=[_finding("include-none", f"{path}: {target} has no SPF record")])
        if len(found) > 1:
            message = f"{path}: {target} publishes {len(found)} SPF records"
            return _Walk(findings=[_finding("include-multiple", message)])
        try:
            record = parse_spf(found[0])
        except SpfSyntaxError as exc:
            return _Walk(findings=[_finding("include-syntax", f"{path}: {target}: {exc}")])
        child, findings = await self.node(target, record, term.text, chain)
        return _Walk(child=child, findings=findings)


def _final_all(tree: SpfNode) -> tuple[Mechanism | None, str]:
    """The `all` that decides for everyone else, following redirects, and the path to it.

    A record that is only `redirect=_spf.example.com` takes its `all` from there: a `+all`
    at the end of the chain authorises the internet just the same.
    """
    node, path = tree, []
    while node.record is not None:
        record = parse_spf(node.record)  # every record in the tree parsed once already
        if record.all is not None or record.redirect is None:
            return record.all, " → ".join(path)
        target = next((c for c in node.children if c.via.lower().startswith("redirect=")), None)
        if target is None:
            break
        path.append(target.via)
        node = target
    return None, " → ".join(path)


_ALL_FINDINGS: Final = {
    Qualifier.PASS: (
        "plus-all",
        "+all authorises every server on the internet to send as this domain",
    ),
    Qualifier.NEUTRAL: ("neutral-all", "?all: servers not listed get 'neutral'"),
    Qualifier.SOFTFAIL: ("softfail-all", "~all: servers not listed get 'softfail'"),
    Qualifier.FAIL: ("fail-all", "-all: servers not listed get 'fail'"),
}


def _policy_findings(record: SpfRecord, tree: SpfNode) -> list[SpfFinding]:
    """What the domain's own record says about everyone else: `all`, redirect, ptr."""
    findings: list[SpfFinding] = []
    final, path = _final_all(tree)
    redirected = record.all is None and record.redirect is not None
    if final is not None:
        code, message = _ALL_FINDINGS[final.qualifier]
        findings.append(_finding(code, message + (f" (through {path})" if path else "")))
        if record.all is not None and record.redirect is not None:
            findings.append(_finding("redirect-ignored", f"{record.redirect.text} is ignored"))
    elif not redirected or path:
        where = f" (through {path})" if path else ""
        findings.append(_finding("no-all", f"the record does not end with an 'all'{where}"))
    if record.unreachable:
        unused = " ".join(m.text for m in record.unreachable)
        findings.append(_finding("unreachable", f"never evaluated, after 'all': {unused}"))
    if any(m.name == "v" for m in record.modifiers):
        findings.append(_finding("glued", "a second 'v=' appears inside the record"))
    ptrs = [m.text for m in record.mechanisms if m.name == "ptr"]
    if ptrs:
        findings.append(_finding("ptr", f"{', '.join(ptrs)}: the ptr mechanism is discouraged"))
    return findings


def _provider_present(tree: SpfNode, include: str) -> bool:
    wanted = _name(include)
    return any(node.domain == wanted for _, node in tree.walk() if node.via)


def _with_provider(report: SpfReport, include: str | None, cost: int | None) -> SpfReport:
    """Say whether the provider's include is in the tree (a nested one counts)."""
    if not include or report.tree is None or report.record is None:
        return replace(report, provider_include=include, provider_include_cost=cost)
    present = _provider_present(report.tree, include) or any(
        _key(t) == f"include:{_name(include)}" for t in report.record.text.split()
    )
    if present:
        finding = _finding("provider-present", f"the provider's include:{include} is present")
        found = [c for c in report.includes if c.domain == _name(include)]
        cost = found[0].lookups if found else cost
    else:
        finding = _finding(
            "provider-missing",
            f"include:{include} (the provider's servers) is missing",
            suggestion="{suggestion}",
        )
    return replace(
        report,
        provider_include=include,
        provider_include_present=present,
        provider_include_cost=cost,
        findings=(*report.findings, finding),
    )


# The findings whose advice is the suggested record; with none of them, "suggested" says it.
_SUGGESTING: Final = ("missing", "multiple", "provider-missing")


def _with_suggestion(report: SpfReport) -> SpfReport:
    """The one record to publish (`suggest_spf`), written into the findings' advice."""
    if report.findings and report.record is None and report.records:
        return report  # a record that does not parse: fix it first, nothing to merge into
    if any(f.code in ("temporary", "dns-error") for f in report.findings) and not report.records:
        return report
    suggestion = suggest_spf(
        report.records,
        report.provider_include,
        lookups=report.lookups if report.tree is not None else None,
        includes=report.includes,
        include_cost=report.provider_include_cost,
        include_present=bool(report.provider_include_present),
    )
    if suggestion is None:
        return report
    # The record on a line of its own, so that it is never read as part of a sentence.
    text = "\n".join([suggestion.record, " ".join(suggestion.explain())]).rstrip()
    findings = list(report.findings)
    if not any(f.code in _SUGGESTING for f in findings):
        findings.append(
            _finding(
                "suggested", f"suggested record: {suggestion.record}", suggestion="{suggestion}"
            )
        )
    # The record is said once: by the first finding that suggests it (two SPF records and
    # a missing include are both fixed by the one merged record).
    first = next(f for f in findings if f.code in (*_SUGGESTING, "suggested"))
    findings = [
        replace(f, advice=f.advice.replace("{suggestion}", text) if f is first else "")
        if f.code in (*_SUGGESTING, "suggested")
        else f
        for f in findings
    ]
    return replace(report, suggestion=suggestion, findings=tuple(findings))


async def _include_cost(include: str, auditor: _Auditor) -> int | None:
    """What adding include:<include> costs: 1 plus its tree; None if it cannot be read.

    Asked through the audit's own queries, so a name already asked is not asked again.
    """
    try:
        answer = await auditor.queries.ask("txt", include)
    except DnsError:
        return None
    found = spf_records(answer.records)
    if len(found) != 1:
        return None
    try:
        record = parse_spf(found[0])
    except SpfSyntaxError:
        return None
    node, _ = await auditor.node(_name(include), record, f"include:{include}", ())
    return 1 + node.lookups


async def analyse_spf(
    domain: str, lookup: DnsLookup, provider_include: str | None = None
) -> SpfReport:
    """Audit `domain`'s SPF policy (an ASCII name): what a receiver will make of it.

    Exactly one `v=spf1` record must exist; every term is parsed; the include/redirect tree
    is walked with every name of a level asked at once, counting the DNS lookups (limit 10)
    and void lookups (limit 2) a receiver reaches when nothing matches early; loops are
    found. `provider_include` is the include the user's provider needs, if known.
    """
    domain = _name(domain)
    include = None if not provider_include or provider_include == UNKNOWN else provider_include
    auditor = _Auditor(lookup)
    try:
        report, cost = await asyncio.gather(
            _audit(domain, auditor, include),
            _include_cost(include, auditor) if include else _no_cost(),
        )
    finally:
        auditor.queries.close()
    return _with_suggestion(_with_provider(report, include, cost))


async def _no_cost() -> int | None:
    return None


async def _audit(domain: str, auditor: _Auditor, include: str | None) -> SpfReport:
    try:
        answer = await auditor.queries.ask("txt", domain)
    except DnsError as exc:
        if exc.void:
            message = f"no SPF record: {exc}"
            finding = _finding("missing", message, suggestion="{suggestion}")
            return SpfReport(domain, findings=(finding,))
        return SpfReport(domain, findings=(_dns_problem(exc, "SPF lookup"),))
    records = tuple(spf_records(answer.records))
    if not records:
        message = f"no SPF record: {domain} has no TXT record starting with v=spf1"
        finding = _finding("missing", message, suggestion="{suggestion}")
        return SpfReport(domain, findings=(finding,))
    findings: list[SpfFinding] = []
    merged: str | None = None
    text = records[0]
    if len(records) > 1:
        merged = merge_spf_records(records)
        findings.append(
            _finding(
                "multiple",
                f"{len(records)} SPF records are published; exactly one is allowed (permerror)",
                suggestion="{suggestion}",
            )
        )
        text = merged
    try:
        record = parse_spf(text)
    except SpfSyntaxError as exc:
        findings.append(_finding("syntax", f"SPF syntax error: {exc}"))
        return SpfReport(domain, records, findings=tuple(findings), merged_record=merged)
    tree, tree_findings = await auditor.node(domain, record, "", ())
    findings.extend(_policy_findings(record, tree))
    findings.extend(f for f in tree_findings if f.code != "void")
    voids = [f for f in tree_findings if f.code == "void"]
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        names = "; ".join(f.message for f in voids)
        message = f"{tree.void_lookups} void lookups (limit {MAX_VOID_LOOKUPS}): {names}"
        findings.append(_finding("too-many-voids", message, limit=MAX_VOID_LOOKUPS))
    else:
        findings.extend(voids)
    report = SpfReport(domain, records, record, tree, tuple(findings), merged_record=merged)
    if tree.lookups > MAX_DNS_LOOKUPS:
        costs = ", ".join(f"{c.term} costs {c.lookups}" for c in report.includes if c.depth == 1)
        message = f"{tree.lookups} DNS lookups (limit {MAX_DNS_LOOKUPS})" + (
            f": {costs}" if costs else ""
        )
        extra = _finding("too-many-lookups", message, limit=MAX_DNS_LOOKUPS)
        report = replace(report, findings=(*report.findings, extra))
    return report


# =========================================================================== CheckResults


def _worst(findings: Sequence[SpfFinding]) -> SpfFinding | None:
    ranked = [f for f in findings if f.status is not Status.PASS]
    return max(ranked, key=lambda f: SEVERITY[f.status], default=None)


def report_result(report: SpfReport) -> CheckResult:
    """The `dns.spf` CheckResult for an audit: summary, what was seen, what to do."""
    worst = _worst(report.findings)
    if worst is not None:
        summary = worst.message
        if worst.code == "temporary" and "temporary" not in summary:
            summary += " (temporary)"
    else:
        summary = f"SPF record found; {report.lookups} of {MAX_DNS_LOOKUPS} DNS lookups"
        if report.provider_include_present:
            summary += f"; include:{report.provider_include} present"
    detail: list[str] = [f"record: {r}" for r in report.records]
    if report.tree is not None:
        costs = ", ".join(f"{c.term} costs {c.lookups}" for c in report.includes if c.depth == 1)
        detail.append(
            f"DNS lookups: {report.lookups} of {MAX_DNS_LOOKUPS}" + (f" ({costs})" if costs else "")
        )
        detail.append(f"void lookups: {report.void_lookups} of {MAX_VOID_LOOKUPS}")
    marks = {Status.PASS: "ok", Status.WARN: "warning", Status.FAIL: "problem", Status.SKIP: "-"}
    detail.extend(f"{marks[f.status]}: {f.message}" for f in report.findings if f.code != "macro")
    detail.extend(f"note: {f.message}" for f in report.findings if f.code == "macro")
    advice: list[str] = []
    for finding in sorted(report.findings, key=lambda f: -SEVERITY[f.status]):
        if finding.advice and finding.advice not in advice:
            advice.append(finding.advice)
    return CheckResult(
        CHECK_ID,
        worst.status if worst else Status.PASS,
        summary,
        detail="\n".join(detail),
        advice="\n".join(advice),
        subject=report.domain,
    )


def _provider_include(provider: Provider | str | None) -> str | None:
    if provider is None:
        return None
    preset = get_provider(provider) if isinstance(provider, str) else provider
    return None if preset.spf_include == UNKNOWN else preset.spf_include


async def spf_check(
    domain: str,
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> CheckResult:
    """`dns.spf`: the audit of `domain`'s SPF record as a CheckResult (never raises for DNS).

    `provider` (a preset or its id) adds whether its include is present. `timeout` bounds
    the whole check; running out is a temporary failure.
    """
    result, _ = await spf_check_with_report(domain, lookup, provider, timeout=timeout)
    return result


async def spf_check_with_report(
    domain: str,
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> tuple[CheckResult, SpfReport | None]:
    """`spf_check`, and the audit it judged (None when there was none: a bad domain, or
    the deadline passed), so that the records plan reuses it instead of asking again."""
    started = time.monotonic()
    name = ascii_domain(CHECK_ID, domain)
    if isinstance(name, CheckResult):
        return name, None
    try:
        async with asyncio.timeout(timeout):
            report = await analyse_spf(name, lookup, _provider_include(provider))
    except TimeoutError:
        summary, advice = check_timed_out(f"the SPF check of {name}", timeout)
        result = CheckResult(CHECK_ID, Status.FAIL, summary, advice=advice, subject=name)
        return result.timed(started), None
    return report_result(report).timed(started), report


# What a check_host() result means for "may this server send for the domain?".
_IP_VERDICTS: Final[dict[SpfVerdict, tuple[Status, str, str]]] = {
    SpfVerdict.PASS: (Status.PASS, "{ip} may send mail for {domain} (SPF pass)", ""),
    SpfVerdict.FAIL: (
        Status.FAIL,
        "{ip} is not allowed to send mail for {domain} (SPF fail)",
        "Add the server to the SPF record (the provider's include, or {mechanism}).",
    ),
    SpfVerdict.SOFTFAIL: (
        Status.FAIL,
        "{ip} is not listed in the SPF record of {domain} (softfail): receivers treat its "
        "mail as suspicious",
        "Add the server to the SPF record (the provider's include, or {mechanism}).",
    ),
    SpfVerdict.NEUTRAL: (
        Status.WARN,
        "the SPF record of {domain} neither allows nor forbids {ip} (neutral): DMARC does "
        "not count that as a pass",
        "Add the server to the SPF record (the provider's include, or {mechanism}).",
    ),
    SpfVerdict.NONE: (
        Status.FAIL,
        "{domain} has no SPF record, so no server is authorised",
        "Publish an SPF record; `smtp-wizard dns {domain}` shows the one to add.",
    ),
    SpfVerdict.PERMERROR: (
        Status.FAIL,
        "the SPF record of {domain} is broken (permerror)",
        "Receivers treat a permerror like no SPF at all. Fix the record: run "
        "`smtp-wizard dns {domain}` for the details.",
    ),
    SpfVerdict.TEMPERROR: (
        Status.FAIL,
        "SPF for {domain} could not be evaluated: a temporary DNS error",
        DNS_VERDICTS[DnsErrorKind.TIMEOUT].advice,
    ),
}


async def evaluate_for_ip(
    domain: str,
    ip: str,
    lookup: DnsLookup,
    *,
    sender: str | None = None,
    helo: str | None = None,
    timeout: float | None = None,
) -> CheckResult:
    """`dns.spf.ip`: RFC 7208 check_host() for one server address, as a CheckResult.

    A separate id from `dns.spf` (the audit of the record itself): this answers whether
    mail from `ip` passes, which depends on the address as much as on the record.
    """
    started = time.monotonic()
    subject = f"{domain} for {ip}"
    try:
        address = _address(ip)
    except ValueError:
        return CheckResult(
            IP_CHECK_ID, Status.FAIL, f"{ip!r} is not an IP address", subject=subject
        )
    name = ascii_domain(IP_CHECK_ID, domain, subject)
    if isinstance(name, CheckResult):
        return name
    try:
        async with asyncio.timeout(timeout):
            result = await check_host(
                address, name, sender or f"postmaster@{name}", lookup, helo=helo
            )
    except TimeoutError:
        result = SpfResult(
            SpfVerdict.TEMPERROR, name, f"no result within {timeout:g} s (temporary)"
        )
    status, summary, advice = _IP_VERDICTS[result.verdict]
    if result.dns_error is not None:
        # temperror in RFC 7208's words for every DNS failure; the user is told which.
        failed = dns_verdict(result.dns_error)
        status, advice = failed.status, failed.advice
        if not failed.temporary:
            summary = f"SPF for {{domain}} could not be evaluated ({failed.label})"
    mechanism = f"ip4:{address}" if address.version == 4 else f"ip6:{address}"
    values = {"ip": address, "domain": name, "mechanism": mechanism}
    detail = [f"result: {result.verdict}", result.reason]
    if result.explanation:
        detail.append(f"explanation: {result.explanation}")
    detail.append(
        f"DNS lookups: {result.lookups} of {MAX_DNS_LOOKUPS}; "
        f"void lookups: {result.void_lookups} of {MAX_VOID_LOOKUPS}"
    )
    return CheckResult(
        IP_CHECK_ID,
        status,
        summary.format(**values),
        detail="\n".join(detail),
        advice=advice.format(**values),
        subject=f"{name} for {address}",
    ).timed(started)
