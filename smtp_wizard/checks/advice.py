"""What a failure means and what to do about it: tables, not scattered if-chains.

Three vocabularies meet here. SMTP replies (a code, sometimes an enhanced status code such
as 5.7.8, and the server's text) are explained by the stage they answered (AUTH, MAIL,
RCPT, DATA). TLS verification failures are explained by OpenSSL's verify code. Socket
errors are explained by their errno. A provider preset, where one is known, adds its own
advice (SendGrid's username is literally `apikey`, Brevo wants the SMTP key, ...).
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

from smtp_wizard.providers import Provider

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Explanation:
    summary: str
    advice: str


def enhanced_code(message: str) -> str | None:
    """The RFC 3463 enhanced status code in a reply's text (`5.7.8`), if any."""
    found = _ENHANCED.search(message)
    return found.group(0) if found else None


def reply_label(code: int, message: str) -> str:
    """`535 5.7.8` — the reply as people search for it."""
    enhanced = enhanced_code(message)
    return f"{code} {enhanced}" if enhanced else str(code)


# --- AUTH -----------------------------------------------------------------------------------

# (code, enhanced-code prefix or None, text pattern or None) -> explanation. First match wins,
# so the specific rows (an enhanced code, a provider's wording) come before the general ones.
_AUTH: tuple[tuple[int | None, str | None, str | None, Explanation], ...] = (
    (
        None,
        "5.7.139",
        None,
        Explanation(
            "Microsoft 365 refused basic authentication for SMTP",
            "SMTP AUTH is disabled for this tenant or mailbox. An admin can enable "
            "'Authenticated SMTP' for the mailbox (Microsoft 365 admin center > Users > Mail > "
            "Manage email apps), but Microsoft is retiring basic auth for SMTP: plan OAuth2 or a "
            "transactional email provider.",
        ),
    ),
    (
        None,
        "5.7.3",
        "SmtpClientAuthentication",
        Explanation(
            "Microsoft 365 has SMTP AUTH disabled for this tenant",
            "Enable SMTP AUTH for the mailbox, or move to OAuth2 / a transactional provider.",
        ),
    ),
    (
        None,
        "5.7.30",
        None,
        Explanation(
            "The server refused basic authentication",
            "This account may only log in with OAuth2 (Microsoft retires basic auth for SMTP). "
            "Use an app-specific password where the provider offers one, or OAuth2.",
        ),
    ),
    (
        534,
        None,
        None,
        Explanation(
            "The server wants a stronger login",
            "Gmail and Google Workspace answer 534 5.7.9/5.7.14 to an account password: turn on "
            "2-Step Verification and create an app password (Google Account > Security > App "
            "passwords). Elsewhere: the account may need an application-specific password.",
        ),
    ),
    (
        535,
        None,
        None,
        Explanation(
            "The server rejected the credentials",
            "Check the username and the password exactly as the provider shows them (no spaces "
            "around them; an API key, not the account password, where the provider says so).",
        ),
    ),
    (
        530,
        None,
        None,
        Explanation(
            "The server requires something before AUTH",
            "530 usually means 'issue STARTTLS first' or 'authentication required'. Use "
            "security starttls (587) or ssl (465).",
        ),
    ),
    (
        454,
        None,
        None,
        Explanation(
            "Temporary authentication failure",
            "The server could not check the credentials just now. Try again in a few minutes; "
            "if it persists the provider's status page may say why.",
        ),
    ),
    (
        None,
        None,
        None,
        Explanation(
            "The server refused the login",
            "Read the server's reply below; it usually names the reason.",
        ),
    ),
)


def explain_auth(code: int, message: str, provider: Provider | None) -> Explanation:
    """A failed AUTH reply explained, with the provider's advice where one is known."""
    found = _lookup(_AUTH, code, message)
    advice = found.advice
    if provider is not None and provider.auth_failure_advice and code in (535, 534, 530):
        advice = f"{provider.name}: {provider.auth_failure_advice}\n{advice}"
    return Explanation(f"{found.summary} ({reply_label(code, message)})", advice)


# --- MAIL / RCPT / DATA ---------------------------------------------------------------------

_SEND: dict[str, tuple[tuple[int | None, str | None, str | None, Explanation], ...]] = {
    "MAIL": (
        (
            550,
            None,
            None,
            Explanation(
                "The server refused the sender address",
                "Most providers only send from a verified sender or domain: verify the From "
                "address or its domain in the provider's dashboard, or use one that is.",
            ),
        ),
        (
            553,
            None,
            None,
            Explanation(
                "The sender address is not allowed",
                "The From address is not permitted for this account: use a verified sender.",
            ),
        ),
        (
            552,
            None,
            None,
            Explanation(
                "The server refused the message size or quota at MAIL",
                "A sending quota may be used up; check the provider's dashboard.",
            ),
        ),
        (
            451,
            None,
            None,
            Explanation(
                "Temporary failure at MAIL FROM",
                "The server could not accept mail just now; try again later.",
            ),
        ),
        (
            530,
            None,
            None,
            Explanation(
                "The server wants a login before MAIL",
                "Give the username and password (authentication is required to send).",
            ),
        ),
    ),
    "RCPT": (
        (
            550,
            "5.7.1",
            None,
            Explanation(
                "The server refused to relay to this recipient",
                "Relaying is denied: log in first, or the account may only send to verified "
                "recipients (sandbox mode, e.g. Amazon SES before production access).",
            ),
        ),
        (
            550,
            None,
            None,
            Explanation(
                "The server refused the recipient",
                "The mailbox may not exist, or the account may only send to verified recipients "
                "(sandbox mode). Try an address you own.",
            ),
        ),
        (
            553,
            None,
            None,
            Explanation(
                "The recipient address is not allowed",
                "Check the address for typos.",
            ),
        ),
        (
            552,
            None,
            None,
            Explanation(
                "The recipient's mailbox is full or over quota",
                "Try another recipient.",
            ),
        ),
        (
            451,
            None,
            None,
            Explanation(
                "Temporary failure at RCPT TO",
                "Greylisting or a busy server: real senders retry; try again in a few minutes.",
            ),
        ),
        (
            452,
            None,
            None,
            Explanation(
                "Too many recipients or out of storage",
                "Try again later.",
            ),
        ),
    ),
    "DATA": (
        (
            552,
            None,
            None,
            Explanation(
                "The message was too large",
                "The test message is tiny, so the limit here is a quota: check the dashboard.",
            ),
        ),
        (
            554,
            None,
            None,
            Explanation(
                "The server rejected the message",
                "It may have been classed as spam or policy-violating; the reply names why.",
            ),
        ),
        (
            550,
            None,
            None,
            Explanation(
                "The server rejected the message",
                "The reply names the policy; often an unverified sender domain.",
            ),
        ),
        (
            451,
            None,
            None,
            Explanation(
                "Temporary failure after DATA",
                "Try again in a few minutes.",
            ),
        ),
    ),
}

_SEND_DEFAULT = Explanation(
    "The server refused the test message",
    "Read the server's reply below; it usually names the reason.",
)


def explain_send(stage: str, code: int, message: str) -> Explanation:
    """A refusal at MAIL, RCPT or DATA explained."""
    found = _lookup(_SEND[stage], code, message, _SEND_DEFAULT)
    where = "" if stage in found.summary or "at " in found.summary else f" at {stage}"
    return Explanation(f"{found.summary}{where} ({reply_label(code, message)})", found.advice)


def _lookup(
    table: tuple[tuple[int | None, str | None, str | None, Explanation], ...],
    code: int,
    message: str,
    default: Explanation | None = None,
) -> Explanation:
    enhanced = enhanced_code(message) or ""
    for want_code, want_enhanced, pattern, explanation in table:
        if want_code is not None and want_code != code:
            continue
        if want_enhanced is not None and not enhanced.startswith(want_enhanced):
            continue
        if pattern is not None and pattern.lower() not in message.lower():
            continue
        return explanation
    assert default is not None, "the table ends with a catch-all row"
    return default


# --- greeting -------------------------------------------------------------------------------

GREETING: dict[int, Explanation] = {
    421: Explanation(
        "The server is not accepting connections now (421)",
        "It may be overloaded, in maintenance, or limiting connections from your address. "
        "Try again later; if it persists, your IP may be blocked (ask the provider).",
    ),
    554: Explanation(
        "The server refuses connections from this address (554)",
        "Your IP address may be on a block list or not allowed by the provider's IP access "
        "list. Check the provider's dashboard for IP restrictions.",
    ),
}


# --- TLS certificate verification (OpenSSL verify codes) -------------------------------------

CERT_VERIFY: dict[int, Explanation] = {
    10: Explanation(
        "The certificate has expired",
        "The server's operator must renew it. Until then no client that verifies "
        "certificates (yours should) can connect safely.",
    ),
    9: Explanation(
        "The certificate is not yet valid",
        "Its start date is in the future: the server's clock or yours is wrong, or the "
        "certificate was issued with a wrong date.",
    ),
    62: Explanation(
        "The certificate does not name this host",
        "Use the host name the certificate was issued for (often the provider's documented "
        "host, not an alias or an IP address).",
    ),
    18: Explanation(
        "The certificate is self-signed",
        "No one vouches for it. If this is your own server, pass its certificate with "
        "--cafile; otherwise use the provider's documented host.",
    ),
    19: Explanation(
        "The certificate chain ends in a self-signed certificate that is not trusted",
        "If this is a private CA, pass its certificate with --cafile.",
    ),
    20: Explanation(
        "The certificate was issued by an unknown certificate authority",
        "If this is a private CA, pass its certificate with --cafile; if it is a public "
        "server, it may be sending an incomplete chain (missing intermediate).",
    ),
    2: Explanation(
        "The certificate's issuer is unknown",
        "The server may be sending an incomplete chain (missing intermediate), or the CA is "
        "private: pass it with --cafile.",
    ),
    21: Explanation(
        "The certificate chain cannot be verified (no issuer for the first certificate)",
        "The server probably omits an intermediate certificate; its operator must fix it.",
    ),
}

CERT_DEFAULT = Explanation(
    "The certificate could not be verified",
    "The reason from OpenSSL is below. A private CA can be added with --cafile.",
)

# OpenSSL reasons in a handshake failure that mean "the server only speaks an old TLS".
OLD_TLS_REASONS = frozenset(
    {
        "UNSUPPORTED_PROTOCOL",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "NO_PROTOCOLS_AVAILABLE",
        "WRONG_SSL_VERSION",
        "VERSION_TOO_LOW",
    }
)

# Reasons that mean "what came back is not TLS at all" (a plain-text SMTP greeting).
NOT_TLS_REASONS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "HTTP_REQUEST",
        "UNKNOWN_PROTOCOL",
        "RECORD_TOO_LARGE",
    }
)


# --- connecting -----------------------------------------------------------------------------

_ALTERNATIVE_PORTS = "Many networks block outgoing 25 and sometimes 587; try 465 or 2525."

CONNECT: dict[int | str, Explanation] = {
    errno.ECONNREFUSED: Explanation(
        "Connection refused",
        "Nothing listens on that port: check the port number and the host. " + _ALTERNATIVE_PORTS,
    ),
    "timeout": Explanation(
        "Connection timed out",
        "Packets to the port vanish: a firewall or your ISP likely blocks it. "
        + _ALTERNATIVE_PORTS
        + " `smtp-wizard discover HOST` tries them all at once.",
    ),
    errno.ENETUNREACH: Explanation(
        "Network unreachable",
        "This machine has no route to that address (no network, or IPv6 without IPv6 "
        "connectivity).",
    ),
    errno.EHOSTUNREACH: Explanation(
        "Host unreachable",
        "No route to the host: check the network, a VPN, or a firewall rejecting the connection.",
    ),
    errno.ECONNRESET: Explanation(
        "The connection was reset",
        "Something on the path closed it at once (a firewall, or the server rejecting you).",
    ),
    errno.EADDRNOTAVAIL: Explanation(
        "The address cannot be used from this machine",
        "Check the host's address (an IPv6 address without IPv6 connectivity?).",
    ),
}

CONNECT_DEFAULT = Explanation("Could not connect", "The system's reason is below.")
