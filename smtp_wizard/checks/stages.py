"""The SMTP checks' ids and the order they come in, without the probe itself.

Screens and plans need the order before anything runs (and before aiosmtplib, ssl and the
email package are loaded); `checks.smtp` runs the probe and re-exports these names.
"""

from __future__ import annotations

from enum import StrEnum

CHECK_IDS = (
    "dns.host",
    "smtp.connect",
    "smtp.greeting",
    "smtp.ehlo",
    "smtp.tls",
    "tls.version",
    "tls.certificate",
    "smtp.auth_mechanisms",
    "smtp.auth",
    "smtp.send",
)
# Under implicit TLS the handshake comes before the greeting.
_SSL_ORDER = (
    "dns.host",
    "smtp.connect",
    "smtp.tls",
    "tls.version",
    "tls.certificate",
    "smtp.greeting",
    "smtp.ehlo",
    "smtp.auth_mechanisms",
    "smtp.auth",
    "smtp.send",
)


class Stage(StrEnum):
    """How far a probe goes: the port screen stops before AUTH, the login screen before
    sending, `check --send-to` goes all the way."""

    CONNECTION = "connection"
    """dns.host through smtp.auth_mechanisms: no credentials are sent."""
    LOGIN = "login"
    """... through smtp.auth."""
    SEND = "send"
    """... through smtp.send."""


_LAST_CHECK = {
    Stage.CONNECTION: "smtp.auth_mechanisms",
    Stage.LOGIN: "smtp.auth",
    Stage.SEND: "smtp.send",
}


def smtp_plan(security: str, stage: Stage = Stage.SEND) -> tuple[str, ...]:
    """The check ids a probe with `security` reports up to `stage`, in the order they come."""
    order = _SSL_ORDER if security == "ssl" else CHECK_IDS
    return order[: order.index(_LAST_CHECK[stage]) + 1]


__all__ = ["CHECK_IDS", "Stage", "smtp_plan"]
