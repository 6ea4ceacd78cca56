"""Pure checks of the values a user types: host, port, security, addresses, names.

Each returns the cleaned value or raises `ValueError` whose text completes the sentence
"<field> is not allowed: ..." and says what is allowed. The config loader, the command
line and the wizard's input fields all use these, so every surface agrees.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Final

SECURITY_MODES: Final = ("starttls", "ssl", "none")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# RFC 5322 dot-atom local part; quoted local parts are legal but no sending service takes them.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def control_character(value: str) -> str | None:
    """The first control character in `value` (CR, LF, NUL, DEL, C1, ...), or None.

    SMTP is a line protocol: a CR or LF in any field sent to a server could end one
    command and start another (header and command injection). Unicode category Cc covers
    C0, DEL and C1; the line and paragraph separators are refused too.
    """
    for char in value:
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            return char
    return None


def describe_char(char: str) -> str:
    """A control character as a user can recognise it: `U+000A (line feed)`."""
    name = unicodedata.name(char, "")
    names = {"\n": "line feed", "\r": "carriage return", "\t": "tab", "\x00": "NUL"}
    label = names.get(char, name.lower() or "control character")
    return f"U+{ord(char):04X} ({label})"


def no_control(value: str) -> str:
    """`value` unchanged, or ValueError naming the control character it holds.

    Bytes that are not UTF-8 (they reach Python from argv or the environment as lone
    surrogates) are refused too: they cannot be sent, stored or written back.
    """
    char = control_character(value)
    if char is not None:
        raise ValueError(f"it contains the control character {describe_char(char)}")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("it holds bytes that are not UTF-8 text")
    return value


def port(value: object) -> int:
    """A TCP port, 1 to 65535, from an int or a string of digits."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a port number; use a whole number from 1 to 65535")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit() or not text.isascii():
            raise ValueError(f"{value!r} is not a port number; use a whole number from 1 to 65535")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"{value!r} is not a port number; use a whole number from 1 to 65535")
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is out of range; a port is a whole number from 1 to 65535")
    return value


def security(value: object) -> str:
    """One of starttls, ssl (implicit TLS from the first byte) or none."""
    if not isinstance(value, str) or value.strip().lower() not in SECURITY_MODES:
        raise ValueError(
            f"{value!r} is not a security mode; use starttls (port 587), "
            "ssl (implicit TLS, port 465) or none"
        )
    return value.strip().lower()


def host(value: object) -> tuple[str, str | None]:
    """A host name in its ASCII (IDNA 2008 / UTS 46) form, and a warning or None.

    An IP address is accepted with a warning: certificates name hosts, so TLS to an IP
    address usually fails the host name check.
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a host name")
    no_control(value)
    text = value.strip()
    if not text:
        raise ValueError("it is empty; give the SMTP server's host name, e.g. smtp.example.com")
    if any(ch.isspace() for ch in text):
        raise ValueError(
            f"{text!r} contains a space; a host name is one word like smtp.example.com"
        )
    literal = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        pass
    else:
        return str(address), (
            f"{address} is an IP address: certificates name hosts, so the TLS host check will "
            "likely fail. Use the server's host name if it has one."
        )
    return hostname(text), None


def hostname(value: str) -> str:
    """A DNS name in ASCII form (lower case, no trailing dot), converted once via UTS 46."""
    text = no_control(value).strip().rstrip(".")
    if not text:
        raise ValueError("it is empty")
    if any(ch.isspace() for ch in text):
        raise ValueError(f"{text!r} contains a space")
    if not text.isascii():
        import idna  # only for a name outside ASCII

        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"{value!r} is not a valid internationalised name ({exc})") from None
    text = text.lower()
    if len(text) > 253:
        raise ValueError("it is longer than the 253 characters DNS allows")
    for label in text.split("."):
        if not _LABEL.match(label):
            raise ValueError(
                f"{value!r} is not a host name: each dot-separated part must be 1-63 letters, "
                "digits or hyphens, not starting or ending with a hyphen"
            )
    return text


def email_address(value: object) -> str:
    """A plain address local@domain (no display name); the domain in ASCII form."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an email address")
    no_control(value)
    text = value.strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain:
        raise ValueError(f"{text!r} is not an email address; expected name@example.com")
    if not _LOCAL_PART.match(local) or len(local) > 64:
        raise ValueError(
            f"{text!r} is not an email address: the part before @ may hold letters, digits and "
            "!#$%&'*+/=?^_`{|}~.- (no spaces or quotes)"
        )
    try:
        ascii_domain = hostname(domain)
    except ValueError:
        raise ValueError(f"{text!r} is not an email address: {domain!r} is not a domain") from None
    if "." not in ascii_domain:
        raise ValueError(f"{text!r} is not an email address: {domain!r} has no dot")
    return f"{local}@{ascii_domain}"


def env_name(value: object) -> str:
    """The name of an environment variable: letters, digits, underscore, not a digit first."""
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ValueError(
            f"{value!r} is not an environment variable name; use letters, digits and _ "
            "(e.g. SMTP_PASSWORD)"
        )
    return value


def profile_name(value: object) -> str:
    """A profile name: up to 64 letters, digits, `_`, `.` and `-`."""
    if not isinstance(value, str) or not _PROFILE_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a profile name; use up to 64 letters, digits, '_', '.' or '-'"
        )
    return value


def dkim_selector(value: object) -> str:
    """A DKIM selector: one or more DNS labels (RFC 6376 §3.1)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a DKIM selector")
    try:
        return hostname(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a DKIM selector; use letters, digits and hyphens, e.g. s1"
        ) from None
