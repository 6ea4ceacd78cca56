"""A Secret never shows its value unless asked to, wherever it ends up."""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest

from smtp_wizard.secret import MASK, Secret

PASSWORD = "correct-horse-battery-staple"


def test_str_repr_and_format_show_only_the_mask() -> None:
    secret = Secret(PASSWORD)
    for shown in (
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>40}",
        "%s" % secret,  # noqa: UP031 (logging still formats this way)
        str([secret]),
        str({"password": secret}),
    ):
        assert PASSWORD not in shown
        assert MASK in shown


def test_reveal_gives_the_value() -> None:
    assert Secret(PASSWORD).reveal() == PASSWORD


def test_a_log_record_with_the_secret_shows_the_mask(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("smtp_wizard.test").info("login with %s", Secret(PASSWORD))
    assert PASSWORD not in caplog.text


def test_a_traceback_with_locals_does_not_show_the_secret() -> None:
    def login(password: Secret) -> None:
        raise RuntimeError(f"login failed for {password}")

    try:
        login(Secret(PASSWORD))
    except RuntimeError as exc:
        rendered = "".join(
            traceback.TracebackException.from_exception(exc, capture_locals=True).format()
        )
    assert "password = Secret('********')" in rendered
    assert PASSWORD not in rendered


def test_cannot_be_pickled_or_changed() -> None:
    secret = Secret(PASSWORD)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(AttributeError):
        secret._value = "other"  # type: ignore[misc]


def test_equality_compares_values_without_revealing_them() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
