"""Input the command line must survive: typos, secrets in the wrong place, odd bytes.

Each case runs the real command in a subprocess and reads what a user would read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from smtp_wizard import __version__

SECRET = "hunter2-Sup3r$ecret"


def run(*args: str | bytes, env: dict[str, str] | None = None, stdin: str = ""):
    return subprocess.run(
        [sys.executable, "-m", "smtp_wizard", *args],
        input=stdin.encode(),
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def text(result: subprocess.CompletedProcess[bytes]) -> str:
    return (result.stdout + result.stderr).decode("utf-8", "replace")


def assert_usage_error(result: subprocess.CompletedProcess[bytes]) -> None:
    assert result.returncode == 2, text(result)
    assert "Traceback" not in text(result)
    assert "internal error" not in text(result)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--password-env", SECRET],
        ["check", "--security", SECRET],
        ["check", "--port", SECRET],
        ["check", "--host", SECRET + " x"],
        ["check", "--from", SECRET],
        ["check", "--timeout", SECRET],
        ["check", "--nameserver", SECRET],
        ["check", "--only", SECRET],
        ["check", "--color", SECRET],
        ["check", "--profile", SECRET + "!"],
        ["export", "--format", SECRET],
        ["config", "init", "--password-env", SECRET],
        ["check", SECRET],
        [SECRET],
    ],
)
def test_a_usage_error_never_repeats_what_was_typed(argv: list[str]) -> None:
    for extra in ([], ["--json"]):
        result = run(*argv, *extra)
        assert_usage_error(result)
        assert SECRET not in text(result)
        assert "hunter2" not in text(result)
        if extra:
            assert "hunter2" not in json.loads(result.stdout)["error"]


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["check", "--sned-to", "a@example.com"], "--send-to"),
        (["check", "--nameservr", "127.0.0.1"], "--nameserver"),
        (["config", "show", "--jsno"], "--json"),
        (["chek"], "check"),
        (["config", "delete-pasword"], "delete-password"),
        (["export", "--format", "djngo"], "django"),
    ],
)
def test_a_typo_gets_a_did_you_mean(argv: list[str], meant: str) -> None:
    result = run(*argv)
    assert_usage_error(result)
    assert f"did you mean {meant}" in text(result)


@pytest.mark.parametrize(
    "value", ["127.0.0.1:", "[::1:53", "[::1]x", "::1:53x", "127.0.0.1:99999", "[::1]:"]
)
def test_a_malformed_nameserver_is_refused_when_parsed(value: str) -> None:
    result = run("dns", "example.test", "--nameserver", value)
    assert_usage_error(result)
    assert "IP[:PORT]" in text(result) or "1 to 65535" in text(result)


@pytest.mark.parametrize("value", ["1e-9", "0", "0.05", "601", "nan", "inf"])
def test_a_timeout_outside_its_range_is_refused(value: str) -> None:
    result = run("check", "--host", "localhost", "--timeout", value)
    assert_usage_error(result)
    assert "0.1 to 600" in text(result)


def test_a_username_of_bytes_that_are_not_utf8_is_refused() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smtp_wizard",
            "check",
            "--host",
            "localhost",
            "--username",
            os.fsdecode(b"caf\xe9"),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert_usage_error(result)
    assert "not UTF-8" in text(result)


def test_a_password_env_of_bytes_that_are_not_utf8_is_refused() -> None:
    env = {**os.environ}
    env_b = {k.encode(): v.encode() for k, v in env.items()}
    env_b[b"APP_PW"] = b"caf\xe9"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smtp_wizard",
            "check",
            "--host",
            "localhost",
            "--username",
            "u",
            "--password-env",
            "APP_PW",
            "--timeout",
            "1",
        ],
        capture_output=True,
        timeout=60,
        check=False,
        env=env_b,  # type: ignore[arg-type]
    )
    assert_usage_error(result)
    assert "not UTF-8" in text(result)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"smtp-wizard {__version__}"


def test_completion_scripts_come_from_argcomplete_and_complete_commands(tmp_path) -> None:
    for shell in ("bash", "zsh", "fish"):
        result = run("completion", shell)
        assert result.returncode == 0, text(result)
        assert b"smtp-wizard" in result.stdout
    bash = shutil.which("bash")
    assert bash is not None
    script = run("completion", "bash").stdout.decode()
    registered = subprocess.run(
        [bash, "-c", f"{script}\ncomplete -p smtp-wizard"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert registered.returncode == 0 and "smtp-wizard" in registered.stdout
    # The program answers argcomplete's protocol itself: what bash asks on <TAB>.
    line = "smtp-wizard con"
    answer = subprocess.run(
        [sys.executable, "-m", "smtp_wizard"],
        capture_output=True,
        timeout=30,
        check=False,
        env={
            **os.environ,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_SHELL": "bash",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(tmp_path / "answer"),
            "_ARGCOMPLETE_IFS": "\n",
        },
    )
    assert answer.returncode == 0, answer.stderr
    assert (tmp_path / "answer").read_text().split() == ["config"]
