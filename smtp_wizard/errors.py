"""One error vocabulary for the core.

Every error the user can cause or meet (a bad file, a bad flag, a keyring that will not
answer) is a `WizardError`: a message that says what is wrong, an optional hint that
says what to do, and the exit status the command line should end with. The command line
prints these without a traceback; anything else is a bug.
"""

from __future__ import annotations


class WizardError(Exception):
    """A failure explained to the user: `message`, then `hint` on how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(WizardError):
    """Bad input: a flag, a value, a file that cannot be read. Exit status 2."""


class ConfigError(UsageError):
    """The config file is unreadable, corrupt or holds a value that is not allowed.

    For a value that is not allowed, `key` names it (`profiles.default.port`) and `reason`
    says why, so a caller that set the value itself (`config set`) can word its own message.
    """

    key: str | None = None
    reason: str | None = None


class SecretError(WizardError):
    """The secret could not be stored or read.

    `kind` tells the cases apart for callers that react differently: "no-backend",
    "locked", "dropped" (a backend that keeps nothing), "timeout", "missing" (no such
    entry or variable), "error".
    """

    def __init__(self, message: str, hint: str = "", kind: str = "error") -> None:
        super().__init__(message, hint)
        self.kind = kind


class ExportError(UsageError):
    """Settings could not be rendered or written."""
