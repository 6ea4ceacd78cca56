"""Syntax checks as the user types, from the same rules as the config and the command line.

Each validator wraps a function of `smtp_wizard.validate`, so a value the wizard accepts is
one `config set` accepts too. They are cheap and local (no network): the network checks
run when a field is left, in workers.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.validation import ValidationResult, Validator

from smtp_wizard import validate


class Rule(Validator):
    """Valid when `rule(value)` returns; its ValueError's text is the failure shown."""

    def __init__(self, rule: Callable[[str], object], what: str, *, optional: bool = True) -> None:
        super().__init__(failure_description=what)
        self.rule = rule
        self.what = what
        self.optional = optional

    def validate(self, value: str) -> ValidationResult:
        if not value.strip() and self.optional:
            return self.success()
        try:
            self.rule(value)
        except ValueError as error:
            return self.failure(f"{self.what} is not allowed: {error}.")
        return self.success()


def host_warning(value: str) -> str | None:
    """The warning for a host that is valid but doubtful (an IP address), else None."""
    try:
        _, warning = validate.host(value)
    except ValueError:
        return None
    return warning


def host_rule() -> Rule:
    return Rule(validate.host, "The host")


def email_rule(what: str = "The address") -> Rule:
    return Rule(validate.email_address, what)


def domain_rule() -> Rule:
    return Rule(validate.hostname, "The domain")


def text_rule(what: str) -> Rule:
    return Rule(validate.no_control, what)


def port_rule() -> Rule:
    return Rule(validate.port, "The port")


def selectors_rule() -> Rule:
    def check(value: str) -> None:
        for selector in split_selectors(value):
            validate.dkim_selector(selector)

    return Rule(check, "A DKIM selector")


def split_selectors(value: str) -> list[str]:
    """`s1, s2` or `s1 s2` -> ["s1", "s2"]."""
    return [part for part in value.replace(",", " ").split() if part]


def profile_rule() -> Rule:
    return Rule(validate.profile_name, "The profile name", optional=False)


def describe_failure(result: ValidationResult | None) -> str | None:
    """The first failure's text, or None when the value is valid."""
    if result is None or result.is_valid:
        return None
    return result.failure_descriptions[0] if result.failure_descriptions else "Not allowed."


__all__ = [
    "Rule",
    "describe_failure",
    "domain_rule",
    "email_rule",
    "host_rule",
    "host_warning",
    "port_rule",
    "profile_rule",
    "selectors_rule",
    "split_selectors",
    "text_rule",
]
