"""The demo's keys: a throw-away certificate authority and the provider's DKIM key.

Both are made fresh for each run and never reused: the CA is trusted only by this run's
checks (its PEM is written into the demo folder and passed as `cafile`), and the DKIM key
pair exists so that the provider's zone publishes a real key (the DKIM check weighs it)
and, later, so that the demo server can sign what it delivers.
"""

from __future__ import annotations

import base64
import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DKIM_KEY_BITS: Final = 2048  # what the DKIM check calls good; 1024 would warn


@dataclass(frozen=True)
class DemoCertificates:
    """A CA made for this run, its PEM file, and a server context for the demo's host."""

    cafile: Path
    server_context: ssl.SSLContext


def make_certificates(host: str, cafile: Path) -> DemoCertificates:
    """A new CA (PEM written to `cafile`) and a TLS server context whose certificate names
    `host` only: a client that connects by IP address sees the mismatch a real one would."""
    ca = trustme.CA(organization_name="smtp-wizard demo CA")
    cafile.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(cafile))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Valid for 90 days from yesterday, like a real ACME certificate (trustme's default
    # runs to the year 3000, which would show as "355,000 days left").
    now = datetime.datetime.now(datetime.UTC)
    leaf = ca.issue_cert(
        host,
        common_name=host,
        organization_name="smtp-wizard demo",
        not_before=now - datetime.timedelta(days=1),
        not_after=now + datetime.timedelta(days=89),
    )
    leaf.configure_cert(context)
    return DemoCertificates(cafile=cafile, server_context=context)


@dataclass(frozen=True)
class DkimKeyPair:
    """An RSA key: the private half as PEM (PKCS#8), the public half as DKIM's `p=` value."""

    private_pem: bytes
    public_b64: str

    @property
    def record(self) -> str:
        """The TXT value published at `selector._domainkey` (RFC 6376 §3.6.1)."""
        return f"v=DKIM1; k=rsa; p={self.public_b64}"


def make_dkim_key(bits: int = DKIM_KEY_BITS) -> DkimKeyPair:
    """A fresh RSA key pair for the provider's DKIM selector."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKeyPair(private_pem, base64.b64encode(public_der).decode("ascii"))
