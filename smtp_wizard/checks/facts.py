"""The typed facts behind a check's text, for code that acts on a result.

A `CheckResult` is written for people: "STARTTLS completed (TLSv1.3, ...)". The wizard,
discovery and reports need the values themselves (the TLS version, the certificate's issuer
and days left, the AUTH mechanisms, how the probe ended), so each result carries them as a
small frozen dataclass and nothing downstream parses a summary back into data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    """How an SMTP probe ended: the first failure's kind, or OK."""

    OK = "ok"
    DNS = "dns"
    """The host name has no address (or the lookup failed)."""
    TIMEOUT = "timeout"
    REFUSED = "refused"
    """Nothing listens on the port (connection refused)."""
    UNREACHABLE = "unreachable"
    CLOSED = "closed"
    """The server closed the connection before or instead of greeting."""
    REFUSED_GREETING = "refused-greeting"
    """The server greeted with a refusal (554 and the like)."""
    NOT_SMTP = "not-smtp"
    WRONG_MODE = "wrong-mode"
    """The port wants the other TLS mode (STARTTLS vs implicit TLS)."""
    TLS_FAILED = "tls-failed"
    AUTH_FAILED = "auth-failed"
    ERROR = "error"


@dataclass(frozen=True)
class HostFacts:
    """dns.host: the addresses the host name resolved to (or the literal itself)."""

    addresses: tuple[str, ...]


@dataclass(frozen=True)
class ConnectFacts:
    """smtp.connect: which address answered, on which port, how fast."""

    address: str
    port: int
    ms: int


@dataclass(frozen=True)
class ReplyFacts:
    """An SMTP reply that decided a check (the greeting, a refused AUTH, ...)."""

    code: int | None
    enhanced: str | None = None
    """The RFC 3463 enhanced status code (`5.7.8`) when the reply carried one."""
    text: str = ""


@dataclass(frozen=True)
class TlsFacts:
    """smtp.tls and tls.version: the negotiated session."""

    version: str
    """As OpenSSL names it: `TLSv1.3`, `TLSv1.2`, `TLSv1`."""
    mode: str
    """`starttls` or `implicit`."""
    cipher: str | None = None

    @property
    def modern(self) -> bool:
        """TLS 1.2 or newer, which every provider now requires."""
        return self.version in ("TLSv1.2", "TLSv1.3")


@dataclass(frozen=True)
class CertificateFacts:
    """tls.certificate: what the verified certificate says."""

    subject: str
    """The names it covers (subjectAltName), comma-separated, else its common name."""
    issuer: str
    """The issuing organisation (or common name)."""
    not_after: datetime
    days_left: int
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthFacts:
    """smtp.auth_mechanisms: what the server offers and what we can log in with."""

    mechanisms: tuple[str, ...]
    usable: tuple[str, ...] = ()


Facts = HostFacts | ConnectFacts | ReplyFacts | TlsFacts | CertificateFacts | AuthFacts


@dataclass(frozen=True)
class ProbeFacts:
    """Everything one SMTP probe learned, whatever its results said."""

    outcome: Outcome
    addresses: tuple[str, ...] = ()
    address: str | None = None
    greeting: str = ""
    tls: TlsFacts | None = None
    certificate: CertificateFacts | None = None
    mechanisms: tuple[str, ...] = ()
    """The AUTH mechanisms the server offered (upper case, as advertised)."""
    right_mode: str | None = None
    """Set when the port wants the other TLS mode: `ssl` or `starttls`."""
    logged_in: bool = False


__all__ = [
    "AuthFacts",
    "CertificateFacts",
    "ConnectFacts",
    "Facts",
    "HostFacts",
    "Outcome",
    "ProbeFacts",
    "ReplyFacts",
    "TlsFacts",
]
