"""DKIM key records: `<selector>._domainkey.<domain>` (RFC 6376 §3.6, RFC 8301, RFC 8463).

The selector cannot be discovered from DNS (nothing lists a domain's selectors), so the
caller names it: from the config, the provider preset, or `--dkim-selector`. Without one
the check is skipped, and its summary says where to find it.

Providers often publish DKIM as a CNAME to a key they rotate; the lookup follows CNAMEs
and the result says where the key really lives. The key size is read from the key itself
(a small DER reader: no `cryptography` dependency), because "p= is present" says nothing
about a 512-bit key that receivers ignore.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from smtp_wizard import validate
from smtp_wizard.checks.dnsapi import DnsError, DnsLookup, TxtAnswer
from smtp_wizard.checks.dnsverdict import check_timed_out, dns_verdict
from smtp_wizard.checks.model import SEVERITY, CheckResult, Status, skipped
from smtp_wizard.providers import UNKNOWN, Provider, get_provider

__all__ = [
    "CHECK_ID",
    "DkimKey",
    "DkimSyntaxError",
    "dkim_check",
    "dkim_checks",
    "dkim_name",
    "parse_dkim_key",
    "parse_tag_list",
    "rsa_key_bits",
]

CHECK_ID: Final = "dns.dkim"
MIN_RSA_BITS: Final = 1024  # RFC 8301 §3.2: verifiers MUST NOT accept smaller keys
GOOD_RSA_BITS: Final = 2048  # RFC 8301 §3.2: signers SHOULD use at least 2048 bits
ED25519_KEY_BYTES: Final = 32  # RFC 8463 §4.2: the bare public key

_RSA_OID: Final = "1.2.840.113549.1.1.1"
_ED25519_OID: Final = "1.3.101.112"
_TAG_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class DkimSyntaxError(ValueError):
    """A key record receivers cannot use; the message says what is wrong and where."""


def dkim_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def parse_tag_list(text: str) -> dict[str, str]:
    """RFC 6376 §3.2 tag=value pairs. Names are case-sensitive; a repeated name is an error.

    Whitespace around names and values is dropped; inside a value it is kept (p= strips it
    later: base64 may be folded).
    """
    tags: dict[str, str] = {}
    items = text.split(";")
    if items and not items[-1].strip():
        items.pop()  # a trailing ";" is allowed
    for item in items:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals:
            raise DkimSyntaxError(f"{item.strip()!r} is not tag=value")
        if not _TAG_NAME.fullmatch(name):
            raise DkimSyntaxError(f"{name!r} is not a tag name")
        if name in tags:
            raise DkimSyntaxError(f"the tag {name}= appears twice (the whole record is invalid)")
        tags[name] = value.strip()
    return tags


# ------------------------------------------------------------------------------ DER


def _read(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One DER TLV at `pos`: (tag, contents, position after it). ValueError if truncated."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos : pos + length], pos + length


def _children(data: bytes) -> list[tuple[int, bytes]]:
    items: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        tag, value, pos = _read(data, pos)
        items.append((tag, value))
    return items


def _only(data: bytes) -> tuple[int, bytes]:
    tag, value, end = _read(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after the DER structure")
    return tag, value


def _oid(value: bytes) -> str:
    if not value:
        raise ValueError("empty OID")
    parts = [value[0] // 40, value[0] % 40]
    number = 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    return ".".join(str(p) for p in parts)


def _spki_algorithm(der: bytes) -> str | None:
    """The algorithm OID if `der` is a SubjectPublicKeyInfo, else None."""
    try:
        tag, body = _only(der)
        items = _children(body)
        if tag != 0x30 or len(items) != 2 or items[0][0] != 0x30:
            return None
        algorithm = _children(items[0][1])
        return _oid(algorithm[0][1]) if algorithm and algorithm[0][0] == 0x06 else None
    except ValueError:
        return None


def rsa_key_bits(der: bytes) -> int:
    """The modulus size of an RSA public key: SubjectPublicKeyInfo or bare RSAPublicKey.

    RFC 6376 names RSAPublicKey; in practice almost every key is published as
    SubjectPublicKeyInfo (what `openssl rsa -pubout` writes), and verifiers accept both.
    """
    tag, body = _only(der)
    if tag != 0x30:
        raise ValueError("not a DER SEQUENCE")
    items = _children(body)
    if items and items[0][0] == 0x30:  # SubjectPublicKeyInfo
        algorithm = _spki_algorithm(der)
        if algorithm != _RSA_OID:
            raise ValueError(f"not an RSA key (algorithm {algorithm})")
        if len(items) != 2 or items[1][0] != 0x03 or not items[1][1] or items[1][1][0] != 0:
            raise ValueError("malformed subjectPublicKey BIT STRING")
        tag, body = _only(items[1][1][1:])
        if tag != 0x30:
            raise ValueError("not an RSAPublicKey SEQUENCE")
        items = _children(body)
    if len(items) != 2 or items[0][0] != 0x02 or items[1][0] != 0x02:
        raise ValueError("an RSAPublicKey is a SEQUENCE of two INTEGERs")
    modulus = int.from_bytes(items[0][1], "big")
    if modulus <= 0:
        raise ValueError("the modulus is not positive")
    return modulus.bit_length()


# ------------------------------------------------------------------------------ keys


@dataclass(frozen=True)
class DkimKey:
    """A parsed key record (RFC 6376 §3.6.1)."""

    text: str
    tags: dict[str, str] = field(hash=False)
    key_type: str = "rsa"  # k=
    key: bytes = b""  # p=, decoded; empty when revoked
    hash_algorithms: tuple[str, ...] | None = None  # h=; None: any
    services: tuple[str, ...] | None = None  # s=; None: any
    flags: tuple[str, ...] = ()  # t=
    key_bits: int | None = None  # RSA: the modulus size

    @property
    def revoked(self) -> bool:
        """An empty p= means the key was withdrawn (§3.6.1): signatures with it fail."""
        return not self.key

    @property
    def testing(self) -> bool:
        return "y" in self.flags


def _base64(value: str) -> bytes:
    """p= decoded, or DkimSyntaxError saying exactly why it is not base64."""
    compact = re.sub(r"\s+", "", value)
    bad = re.search(r"[^A-Za-z0-9+/=]", compact)
    if bad:
        raise DkimSyntaxError(
            f"p= is not base64: the character {bad[0]!r} at position {bad.start() + 1} "
            "(a quote or backslash usually means the key was pasted with its zone-file quoting)"
        )
    if "=" in compact.rstrip("="):
        raise DkimSyntaxError("p= is not base64: '=' padding in the middle (two keys pasted?)")
    if len(compact) % 4:
        raise DkimSyntaxError(
            f"p= is not base64: its length ({len(compact)}) is not a multiple of 4 "
            "(the key is probably cut short)"
        )
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise DkimSyntaxError(f"p= is not base64: {exc}") from None


def parse_dkim_key(text: str) -> DkimKey:
    """Parse a DKIM key record; DkimSyntaxError for one that verifiers must reject."""
    tags = parse_tag_list(text)
    if "v" in tags and tags["v"] != "DKIM1":
        raise DkimSyntaxError(f"v={tags['v']}: the only version is v=DKIM1")
    if "p" not in tags:
        hint = " (tag names are case-sensitive: P= is not p=)" if "P" in tags else ""
        raise DkimSyntaxError("no p= tag: a key record must hold the public key" + hint)
    key = _base64(tags["p"])
    key_type = tags.get("k", "rsa").strip().lower()

    def listed(name: str, separator: str = ":") -> tuple[str, ...] | None:
        if name not in tags:
            return None
        return tuple(v.strip().lower() for v in tags[name].split(separator) if v.strip())

    bits: int | None = None
    if key and key_type == "rsa":
        try:
            bits = rsa_key_bits(key)
        except ValueError as exc:
            algorithm = _spki_algorithm(key)
            if algorithm == _ED25519_OID:
                raise DkimSyntaxError(
                    "p= holds an ed25519 key but k= says rsa: add k=ed25519 and publish "
                    "the bare 32-byte key (RFC 8463)"
                ) from None
            raise DkimSyntaxError(f"p= is not an RSA public key: {exc}") from None
    if key and key_type == "ed25519" and len(key) != ED25519_KEY_BYTES:
        if _spki_algorithm(key) == _ED25519_OID:
            raise DkimSyntaxError(
                "p= holds the ed25519 key wrapped in SubjectPublicKeyInfo; RFC 8463 wants "
                "the bare 32-byte key (the last 32 bytes)"
            )
        raise DkimSyntaxError(
            f"p= holds {len(key)} bytes; an ed25519 key is {ED25519_KEY_BYTES} bytes"
        )
    return DkimKey(
        text=text,
        tags=tags,
        key_type=key_type,
        key=key,
        hash_algorithms=listed("h"),
        services=listed("s"),
        flags=listed("t") or (),
        key_bits=bits,
    )


def _looks_like_key(text: str) -> bool:
    """Is this TXT value meant as a DKIM key (so that other TXT records are left alone)?"""
    head = text.lstrip()
    return head.startswith("v=DKIM1") or bool(re.search(r"(^|;)\s*p\s*=", text))


# ------------------------------------------------------------------------------ the check

# (status, message) per observation; `_verdicts` picks the rows that apply.
_VERDICTS: Final[dict[str, tuple[Status, str, str]]] = {
    "revoked": (
        Status.FAIL,
        "the key at {name} is revoked (empty p=)",
        "Publish the current key from the provider, or sign with another selector.",
    ),
    "weak": (
        Status.FAIL,
        "the RSA key at {name} has {bits} bits; receivers ignore keys under 1024 bits",
        "Generate a 2048-bit key at the provider and publish it.",
    ),
    "short": (
        Status.WARN,
        "the RSA key at {name} has {bits} bits; 2048 is recommended",
        "Rotate to a 2048-bit key when the provider allows it.",
    ),
    "unknown-type": (
        Status.FAIL,
        "the key at {name} has k={type}, which verifiers do not know",
        "Use k=rsa (or k=ed25519 alongside an RSA key).",
    ),
    "sha1-only": (
        Status.FAIL,
        "the key at {name} allows only h={hashes}; SHA-1 signatures are no longer "
        "accepted (RFC 8301)",
        "Remove h= or set h=sha256.",
    ),
    "service": (
        Status.FAIL,
        "the key at {name} is not for email (s={services})",
        "Remove s= or set s=email.",
    ),
    "testing": (
        Status.WARN,
        "the key at {name} is in testing mode (t=y): receivers may treat failures as unsigned mail",
        "Remove t=y once signatures verify.",
    ),
    "version-position": (
        Status.WARN,
        "v=DKIM1 is not the first tag at {name}; some verifiers then ignore the record",
        "Put v=DKIM1 first.",
    ),
}


def _observations(key: DkimKey) -> list[tuple[str, dict[str, object]]]:
    """Which rows of `_VERDICTS` apply to a key, with the values their messages need."""
    found: list[tuple[str, dict[str, object]]] = []
    if key.revoked:
        return [("revoked", {})]
    if key.key_type not in ("rsa", "ed25519"):
        found.append(("unknown-type", {"type": key.key_type}))
    if key.key_bits is not None and key.key_bits < MIN_RSA_BITS:
        found.append(("weak", {"bits": key.key_bits}))
    elif key.key_bits is not None and key.key_bits < GOOD_RSA_BITS:
        found.append(("short", {"bits": key.key_bits}))
    if key.hash_algorithms is not None and "sha256" not in key.hash_algorithms:
        found.append(("sha1-only", {"hashes": ":".join(key.hash_algorithms)}))
    if key.services is not None and not {"email", "*"} & set(key.services):
        found.append(("service", {"services": ":".join(key.services)}))
    if key.testing:
        found.append(("testing", {}))
    if "v" in key.tags and next(iter(key.tags)) != "v":
        found.append(("version-position", {}))
    return found


def _hint(provider: Provider | None) -> str:
    if provider is not None and provider.dkim_hint and provider.dkim_hint != UNKNOWN:
        return f"{provider.name}: {provider.dkim_hint}"
    return ""


def _where_is_the_selector(provider: Provider | None) -> str:
    generic = (
        "find it in the s= of the DKIM-Signature header of a message sent through the "
        "provider, or in the provider's DNS settings, and pass --dkim-selector"
    )
    hint = _hint(provider)
    return f"{hint} Or {generic}." if hint else generic[0].upper() + generic[1:] + "."


def _describe(key: DkimKey) -> str:
    if key.key_type == "rsa" and key.key_bits:
        return f"RSA {key.key_bits}-bit key"
    return f"{key.key_type} key"


def _cname_text(answer: TxtAnswer) -> str:
    if not answer.cname_chain:
        return ""
    return f"published as a CNAME to {answer.cname_chain[-1]}" + (
        f" (via {' → '.join(answer.cname_chain[:-1])})" if len(answer.cname_chain) > 1 else ""
    )


def _result_for(answer: TxtAnswer, name: str, provider: Provider | None) -> CheckResult:
    """Judge the TXT records found at `name`."""
    detail: list[str] = [f"{name}:"]
    cname = _cname_text(answer)
    if cname:
        detail.append(cname)
    keys = [r for r in answer.records if _looks_like_key(r)]
    detail.extend(f"record: {r}" for r in answer.records)
    advice = _hint(provider)

    def result(status: Status, summary: str, extra_advice: str = "") -> CheckResult:
        text = "\n".join(a for a in (extra_advice, advice) if a)
        return CheckResult(
            CHECK_ID, status, summary, detail="\n".join(detail), advice=text, subject=name
        )

    if not keys:
        return result(Status.FAIL, f"no DKIM key at {name}: its TXT records are not DKIM keys")
    if len(keys) > 1:
        return result(
            Status.FAIL,
            f"{len(keys)} DKIM keys at {name}: verifiers may pick either",
            "Keep exactly one key record per selector.",
        )
    try:
        key = parse_dkim_key(keys[0])
    except DkimSyntaxError as exc:
        return result(Status.FAIL, f"the DKIM record at {name} is invalid: {exc}")
    detail.append(f"key: {_describe(key)}" if not key.revoked else "key: revoked (empty p=)")
    values = {"name": name, "bits": key.key_bits}
    rows = [(code, {**values, **extra}) for code, extra in _observations(key)]
    verdicts = [(_VERDICTS[code], fmt) for code, fmt in rows]
    for (status, message, _), fmt in verdicts:
        detail.append(
            f"{'problem' if status is Status.FAIL else 'warning'}: {message.format(**fmt)}"
        )
    if not verdicts:
        summary = f"DKIM {_describe(key)} found at {name}" + (f", {cname}" if cname else "")
        return result(Status.PASS, summary, "" if key.key_type == "rsa" else _ED25519_NOTE)
    (status, message, _), fmt = max(verdicts, key=lambda v: SEVERITY[v[0][0]])
    fixes = "\n".join(dict.fromkeys(v[0][2] for v in verdicts))
    return result(status, message.format(**fmt), fixes)


_ED25519_NOTE: Final = (
    "Many receivers verify only RSA signatures: sign with an RSA key as well (RFC 8463 §3)."
)


async def dkim_check(
    domain: str,
    selector: str | None,
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> CheckResult:
    """`dns.dkim` for one selector; subject `selector._domainkey.domain`. Never raises for DNS.

    Without a selector the check is skipped, saying how to find one.
    """
    result, _ = await dkim_check_with_answer(domain, selector, lookup, provider, timeout=timeout)
    return result


async def dkim_check_with_answer(
    domain: str,
    selector: str | None,
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> tuple[CheckResult, TxtAnswer | None]:
    """`dkim_check`, and the TXT answer it judged (None when there was none), so that the
    records plan reuses it instead of asking again."""
    started = time.monotonic()
    preset = get_provider(provider) if isinstance(provider, str) else provider
    if not selector:
        return skipped(
            CHECK_ID,
            f"DKIM not checked: no selector known for {domain}. {_where_is_the_selector(preset)}",
            subject=domain,
        ), None
    try:
        name = dkim_name(validate.dkim_selector(selector), validate.hostname(domain))
    except ValueError as exc:
        subject = f"{selector}._domainkey.{domain}"
        return CheckResult(
            CHECK_ID, Status.FAIL, f"cannot look up {subject}: {exc}", subject=subject
        ), None
    try:
        async with asyncio.timeout(timeout):
            answer = await lookup.txt(name)
    except TimeoutError:
        summary, advice = check_timed_out(f"the DKIM lookup of {name}", timeout)
        result = CheckResult(CHECK_ID, Status.FAIL, summary, advice=advice, subject=name)
        return result.timed(started), None
    except DnsError as exc:
        return _dns_failure(exc, name, preset).timed(started), None
    return _result_for(answer, name, preset).timed(started), answer


def _dns_failure(exc: DnsError, name: str, provider: Provider | None) -> CheckResult:
    if exc.void:
        summary = f"no DKIM key at {name}: {exc}"
        advice = _hint(provider) or (
            "Publish the DKIM record your provider shows for this selector, or check the "
            "selector name."
        )
        return CheckResult(
            CHECK_ID, Status.FAIL, summary, detail=str(exc), advice=advice, subject=name
        )
    verdict = dns_verdict(exc)
    return CheckResult(
        CHECK_ID,
        verdict.status,
        f"the DKIM key at {name} could not be read ({verdict.label})",
        detail=str(exc),
        advice=verdict.advice,
        subject=name,
    )


async def dkim_checks(
    domain: str,
    selectors: Sequence[str],
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> list[CheckResult]:
    """One `dns.dkim` per selector, looked up at once; the preset's selectors if none given."""
    found = await dkim_checks_with_answers(domain, selectors, lookup, provider, timeout=timeout)
    return [result for _, result, _ in found]


async def dkim_checks_with_answers(
    domain: str,
    selectors: Sequence[str],
    lookup: DnsLookup,
    provider: Provider | str | None = None,
    *,
    timeout: float | None = None,
) -> list[tuple[str | None, CheckResult, TxtAnswer | None]]:
    """`dkim_checks`, each with its selector and the answer judged (for the records plan)."""
    preset = get_provider(provider) if isinstance(provider, str) else provider
    chosen = list(dict.fromkeys(selectors)) or list(preset.dkim_selectors if preset else ())
    if not chosen:
        result, answer = await dkim_check_with_answer(domain, None, lookup, preset)
        return [(None, result, answer)]
    found = await asyncio.gather(
        *(dkim_check_with_answer(domain, s, lookup, preset, timeout=timeout) for s in chosen)
    )
    return [(s, result, answer) for s, (result, answer) in zip(chosen, found, strict=True)]
