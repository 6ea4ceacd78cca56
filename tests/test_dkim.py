"""DKIM key records: tags, key sizes read from the DER itself, revoked and broken keys,
CNAME'd keys, and the skip that explains how to find a selector."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from smtp_wizard.checks.dkim import (
    CHECK_ID,
    DkimSyntaxError,
    dkim_check,
    dkim_checks,
    parse_dkim_key,
    parse_tag_list,
    rsa_key_bits,
)
from smtp_wizard.checks.model import Status
from smtp_wizard.providers import get_provider
from tests.memory_dns import MemoryDns

T = TypeVar("T")

RSA_OID = bytes.fromhex("2a864886f70d010101")
ED25519_OID = bytes.fromhex("2b6570")


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return asyncio.run(main())


def der(tag: int, body: bytes) -> bytes:
    """A DER TLV, so the tests can build keys of any size without a crypto library."""
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    length = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def rsa_public_key(bits: int) -> bytes:
    modulus = (1 << (bits - 1)) | 1
    integer = b"\x00" + modulus.to_bytes((bits + 7) // 8, "big")  # leading 0: positive
    return der(0x30, der(0x02, integer) + der(0x02, b"\x01\x00\x01"))


def spki(algorithm: bytes, key: bytes, parameters: bytes = b"\x05\x00") -> bytes:
    identifier = der(0x30, der(0x06, algorithm) + parameters)
    return der(0x30, identifier + der(0x03, b"\x00" + key))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def rsa_record(bits: int, extra: str = "") -> str:
    return f"v=DKIM1; k=rsa; {extra}p={b64(spki(RSA_OID, rsa_public_key(bits)))}"


ED25519 = bytes(range(32))


def dns_with(record: str | list[str], name: str = "s1._domainkey.example.com") -> MemoryDns:
    dns = MemoryDns()
    for value in [record] if isinstance(record, str) else record:
        dns.add(name, "TXT", value)
    return dns


# -- pure parsing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("v=DKIM1; k=rsa; p=AAAA", {"v": "DKIM1", "k": "rsa", "p": "AAAA"}),
        ("  v = DKIM1 ;p=AA AA;", {"v": "DKIM1", "p": "AA AA"}),
        ("p=", {"p": ""}),
        ("p=abc; n=a note = with equals", {"p": "abc", "n": "a note = with equals"}),
    ],
)
def test_tag_lists_are_read_with_whitespace_and_a_trailing_semicolon(
    text: str, tags: dict[str, str]
) -> None:
    assert parse_tag_list(text) == tags


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("p=abc; p=def", "appears twice"),
        ("v=DKIM1; rsa", "is not tag=value"),
        ("v=DKIM1; 1x=2", "is not a tag name"),
    ],
)
def test_a_broken_tag_list_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(DkimSyntaxError, match=words):
        parse_tag_list(text)


@pytest.mark.parametrize("bits", [512, 1024, 2048, 4096])
def test_the_rsa_key_size_is_read_from_the_subject_public_key_info(bits: int) -> None:
    assert rsa_key_bits(spki(RSA_OID, rsa_public_key(bits))) == bits
    assert parse_dkim_key(rsa_record(bits)).key_bits == bits


def test_a_bare_rsa_public_key_is_accepted_too() -> None:
    key = parse_dkim_key(f"p={b64(rsa_public_key(2048))}")
    assert (key.key_type, key.key_bits) == ("rsa", 2048)


@pytest.mark.parametrize(
    ("der_bytes", "words"),
    [
        (rsa_public_key(2048)[:-5], "truncated"),
        (spki(ED25519_OID, ED25519, b""), "not an RSA key"),
        (der(0x02, b"\x01"), "not a DER SEQUENCE"),
        (der(0x30, der(0x02, b"\x01")), "two INTEGERs"),
    ],
)
def test_a_key_that_is_not_rsa_der_is_rejected_with_the_reason(
    der_bytes: bytes, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        rsa_key_bits(der_bytes)


@pytest.mark.parametrize(
    ("p", "words"),
    [
        ('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"', "the character '\"' at position 45"),
        ("MIIBIjANBgkqhkiG9w0BAQEFAAOC", "is not an RSA public key"),
        ("MIIBIjANBgkqhkiG9w0BAQEFAAO", "not a multiple of 4"),
        ("MIIB=jANBgkq", "padding in the middle"),
    ],
)
def test_bad_base64_fails_with_the_reason(p: str, words: str) -> None:
    with pytest.raises(DkimSyntaxError, match=words):
        parse_dkim_key(f"v=DKIM1; p={p}")


def test_base64_folded_with_spaces_is_fine() -> None:
    text = b64(spki(RSA_OID, rsa_public_key(2048)))
    folded = " ".join(text[i : i + 64] for i in range(0, len(text), 64))
    assert parse_dkim_key(f"v=DKIM1; p={folded}").key_bits == 2048


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("v=DKIM2; p=AAAA", "the only version is v=DKIM1"),
        ("v=DKIM1; k=rsa", "no p= tag"),
        ("v=DKIM1; P=AAAA", "case-sensitive"),
        (f"v=DKIM1; k=ed25519; p={b64(ED25519[:31])}", "31 bytes"),
        (f"v=DKIM1; k=ed25519; p={b64(spki(ED25519_OID, ED25519, b''))}", "bare 32-byte key"),
        (f"v=DKIM1; p={b64(spki(ED25519_OID, ED25519, b''))}", "add k=ed25519"),
    ],
)
def test_records_verifiers_must_reject_raise_with_a_clear_message(record: str, words: str) -> None:
    with pytest.raises(DkimSyntaxError, match=words):
        parse_dkim_key(record)


def test_ed25519_keys_are_the_bare_32_bytes() -> None:
    key = parse_dkim_key(f"v=DKIM1; k=ed25519; p={b64(ED25519)}")
    assert (key.key_type, key.key, key.key_bits) == ("ed25519", ED25519, None)


def test_tags_h_s_and_t_are_read_as_lists() -> None:
    key = parse_dkim_key(rsa_record(2048, "h=sha1:sha256; s=email; t=y:s; "))
    assert key.hash_algorithms == ("sha1", "sha256")
    assert key.services == ("email",) and key.flags == ("y", "s") and key.testing


# -- the check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "status", "words"),
    [
        (512, Status.FAIL, "512 bits; receivers ignore keys under 1024"),
        (1023, Status.FAIL, "1023 bits"),
        (1024, Status.WARN, "1024 bits; 2048 is recommended"),
        (2048, Status.PASS, "DKIM RSA 2048-bit key found at s1._domainkey.example.com"),
        (4096, Status.PASS, "RSA 4096-bit key"),
    ],
)
def test_rsa_keys_below_1024_bits_fail_and_below_2048_warn(
    bits: int, status: Status, words: str
) -> None:
    result = run(dkim_check("example.com", "s1", dns_with(rsa_record(bits))))
    assert (result.id, result.status, result.subject) == (
        CHECK_ID,
        status,
        "s1._domainkey.example.com",
    )
    assert words in result.summary


def test_an_empty_p_means_the_key_is_revoked() -> None:
    result = run(dkim_check("example.com", "s1", dns_with("v=DKIM1; k=rsa; p=")))
    assert result.status is Status.FAIL and "revoked" in result.summary


def test_bad_base64_fails_the_check_with_the_reason() -> None:
    result = run(dkim_check("example.com", "s1", dns_with("v=DKIM1; p=MIIB!jAN")))
    assert result.status is Status.FAIL and "'!' at position 5" in result.summary


def test_ed25519_is_accepted_with_advice_to_keep_an_rsa_key_too() -> None:
    record = f"v=DKIM1; k=ed25519; p={b64(ED25519)}"
    result = run(dkim_check("example.com", "s1", dns_with(record)))
    assert result.status is Status.PASS and "ed25519 key" in result.summary
    assert "RSA" in result.advice


def test_a_cnamed_key_says_where_it_is_published() -> None:
    dns = MemoryDns(
        {
            "s1._domainkey.example.com": [("CNAME", "s1.domainkey.u1.wl.sendgrid.net")],
            "s1.domainkey.u1.wl.sendgrid.net": [("TXT", rsa_record(2048))],
        }
    )
    result = run(dkim_check("example.com", "s1", dns))
    assert result.status is Status.PASS
    assert "published as a CNAME to s1.domainkey.u1.wl.sendgrid.net" in result.summary
    assert "published as a CNAME to s1.domainkey.u1.wl.sendgrid.net" in result.detail


def test_a_dangling_dkim_cname_fails() -> None:
    dns = MemoryDns({"s1._domainkey.example.com": [("CNAME", "gone.example.net")]})
    result = run(dkim_check("example.com", "s1", dns))
    assert result.status is Status.FAIL and "no DKIM key" in result.summary


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ("t=y; ", Status.WARN, "testing mode"),
        ("h=sha1; ", Status.FAIL, "only h=sha1"),
        ("h=sha256; ", Status.PASS, "found"),
        ("s=tlsrpt; ", Status.FAIL, "not for email"),
        ("s=*; ", Status.PASS, "found"),
    ],
)
def test_tags_that_change_how_verifiers_treat_the_key(
    extra: str, status: Status, words: str
) -> None:
    result = run(dkim_check("example.com", "s1", dns_with(rsa_record(2048, extra))))
    assert result.status is status and words in result.summary


def test_an_unknown_key_type_fails() -> None:
    result = run(dkim_check("example.com", "s1", dns_with("v=DKIM1; k=dsa; p=AAAA")))
    assert result.status is Status.FAIL and "k=dsa" in result.summary


def test_v_not_first_warns() -> None:
    text = f"k=rsa; v=DKIM1; p={b64(spki(RSA_OID, rsa_public_key(2048)))}"
    result = run(dkim_check("example.com", "s1", dns_with(text)))
    assert result.status is Status.WARN and "not the first tag" in result.summary


def test_two_keys_at_one_selector_fail() -> None:
    dns = dns_with([rsa_record(2048), rsa_record(1024)])
    result = run(dkim_check("example.com", "s1", dns))
    assert result.status is Status.FAIL and "2 DKIM keys" in result.summary


def test_other_txt_records_beside_the_key_are_left_alone() -> None:
    dns = dns_with(["some-verification=abc", rsa_record(2048)])
    assert run(dkim_check("example.com", "s1", dns)).status is Status.PASS


def test_a_missing_key_fails_with_the_providers_hint() -> None:
    result = run(dkim_check("example.com", "google", MemoryDns(), get_provider("gmail")))
    assert result.status is Status.FAIL and "NXDOMAIN" in result.summary
    assert "Authenticate email" in result.advice


def test_a_timeout_fails_and_says_it_is_temporary() -> None:
    dns = MemoryDns().add("s1._domainkey.example.com", "TIMEOUT")
    result = run(dkim_check("example.com", "s1", dns))
    assert result.status is Status.FAIL and "temporary" in result.summary


def test_the_deadline_bounds_the_check() -> None:
    dns = MemoryDns(delay=5)
    started = time.monotonic()
    result = run(dkim_check("example.com", "s1", dns, timeout=0.05))
    assert time.monotonic() - started < 1
    assert result.status is Status.FAIL and "temporary" in result.summary


def test_without_a_selector_the_check_is_skipped_and_says_how_to_find_one() -> None:
    result = run(dkim_check("example.com", None, MemoryDns(), "mailgun"))
    assert result.status is Status.SKIP
    assert "no selector known" in result.summary and "Mailgun" in result.summary
    assert "--dkim-selector" in result.summary and "DKIM-Signature" in result.summary


def test_a_bad_selector_is_refused_without_a_query() -> None:
    dns = MemoryDns()
    result = run(dkim_check("example.com", "bad selector", dns))
    assert result.status is Status.FAIL and dns.queries == []


def test_all_selectors_are_checked_at_once_and_the_presets_are_the_default() -> None:
    dns = MemoryDns(delay=0.05)
    for selector in ("fm1", "fm2", "fm3"):
        dns.add(f"{selector}._domainkey.example.com", "TXT", rsa_record(2048))
    started = time.monotonic()
    results = run(dkim_checks("example.com", [], dns, "fastmail"))
    assert time.monotonic() - started < 0.14
    assert [r.subject for r in results] == [
        "fm1._domainkey.example.com",
        "fm2._domainkey.example.com",
        "fm3._domainkey.example.com",
    ]
    assert {r.status for r in results} == {Status.PASS}


def test_no_selector_anywhere_gives_one_skip() -> None:
    results = run(dkim_checks("example.com", [], MemoryDns(), "sendgrid"))
    assert len(results) == 1 and results[0].status is Status.SKIP
