"""The password as a value that cannot be printed by accident.

A `Secret` carries the password through the program. Its `str`, `repr` and `format`
show a fixed mask, so a log line, an exception message, a traceback's locals or a
crash screen that happens to include it shows `Secret('********')` instead. The only
way to the value is the explicit `reveal()`, called where the password leaves for the
server, the keyring or a `.env` the user asked for.
"""

from __future__ import annotations

from typing import NoReturn

MASK = "********"


class Secret:
    """A password or API key; `reveal()` is the one way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The password itself. Call this only where it must leave the program."""
        return self._value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return format(MASK, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac  # here: loading it costs a start-up that rarely compares

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: it would leave the process in clear")
