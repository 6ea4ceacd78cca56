"""The embedded loopback world of `smtp-wizard demo`: a provider, a sender's domain, a mailbox.

A newcomer without a provider account walks every step of the wizard for real against it:
an SMTP submission server (aiosmtpd) with STARTTLS on one port and implicit TLS on
another, AUTH with demo credentials, certificates from a throw-away CA (trustme), a DNS
server for the provider's zone and the sender's zone (which starts with the usual
mistakes), and a mailbox where test sends land. Everything listens on 127.0.0.1 only and
stops with the world.

    from smtp_wizard.sandbox import DemoWorld, missing_extra
    with DemoWorld(folder) as world:
        ...

aiosmtpd, trustme and cryptography are the `demo` extra: this package imports them only
when `DemoWorld` (or another server name) is first used, so `missing_extra()` can tell the
user how to install them instead of failing with an ImportError.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, Final

from smtp_wizard.errors import WizardError

if TYPE_CHECKING:
    from smtp_wizard.sandbox.mailbox import DeliveredMessage, Mailbox
    from smtp_wizard.sandbox.world import DemoWorld

__all__ = [
    "EXTRA_MODULES",
    "INSTALL_HINT",
    "DeliveredMessage",
    "DemoWorld",
    "Mailbox",
    "SandboxError",
    "missing_extra",
]

EXTRA_MODULES: Final = ("aiosmtpd", "trustme", "cryptography")
"""What the `demo` extra brings (cryptography comes with trustme; the DKIM key needs it)."""

INSTALL_HINT: Final = "pip install 'smtp-wizard[demo]'"


class SandboxError(WizardError):
    """The demo world could not start, or refused a change (e.g. a placeholder record)."""


def missing_extra() -> str | None:
    """Why the demo cannot run here (the modules of the `demo` extra that are missing, and
    the command that installs them), or None when everything it needs is installed."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"The demo needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
        f"not installed. Install the demo extra: {INSTALL_HINT}"
    )


_LAZY: Final = {
    "DemoWorld": "smtp_wizard.sandbox.world",
    "Mailbox": "smtp_wizard.sandbox.mailbox",
    "DeliveredMessage": "smtp_wizard.sandbox.mailbox",
}


def __getattr__(name: str) -> Any:
    """Import the servers on first use, so that `missing_extra` works without the extra."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    problem = missing_extra()
    if problem is not None and name == "DemoWorld":
        raise SandboxError(problem)
    return getattr(importlib.import_module(module), name)
