"""The command line as a user meets it: a real process, its exit status and its output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from smtp_wizard import config
from smtp_wizard.secret import Secret
from smtp_wizard.secret_store import SecretStore

PASSWORD = "p@ss w$rd #1 'x' \"y\" \\z é"
COMMANDS = ("check", "discover", "dns", "send-test", "export", "providers", "config")


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smtp_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], status: int = 2) -> None:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def write_config(text: str = "", path: Path = Path("smtp-wizard.toml")) -> Path:
    path.write_text(
        'version = 1\nid = "0123abcd4567"\ndefault_profile = "default"\n\n'
        "[profiles.default]\n"
        'host = "smtp.example.com"\nport = 587\nsecurity = "starttls"\n'
        'username = "apikey"\nfrom_address = "noreply@example.com"\nfrom_name = "Example"\n' + text,
        encoding="utf-8",
    )
    return path


def test_every_command_has_help() -> None:
    for command in COMMANDS:
        result = run(command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert f"smtp-wizard {command}" in result.stdout


def test_checking_commands_accept_the_common_flags() -> None:
    for command in ("check", "dns", "send-test"):
        text = run(command, "--help").stdout
        for flag in (
            "--config",
            "--profile",
            "--host",
            "--port",
            "--security",
            "--username",
            "--password-stdin",
            "--password-env",
            "--from",
            "--domain",
            "--dkim-selector",
            "--nameserver",
            "--cafile",
            "--timeout",
            "--json",
        ):
            assert flag in text, (command, flag)
    assert "--send-to" in run("check", "--help").stdout


def test_the_wizard_without_a_terminal_points_to_the_script_commands() -> None:
    result = run()  # stdin and stdout are pipes here
    assert_clean_failure(result)
    assert "needs a terminal" in result.stderr
    assert "smtp-wizard check" in result.stderr
    assert "smtp-wizard export" in result.stderr


def test_the_wizard_with_flags_says_the_same_without_a_terminal() -> None:
    bare, flagged = run(), run("--timeout", "5")  # the fast road and the parser's road
    assert_clean_failure(flagged)
    assert flagged.stderr == bare.stderr


def test_a_corrupt_config_is_reported_before_the_terminal_on_both_roads() -> None:
    Path("smtp-wizard.toml").write_text("version = [\n")
    for result in (run(), run("--config", "smtp-wizard.toml")):
        assert_clean_failure(result)
        assert "smtp-wizard.toml" in result.stderr
        assert "needs a terminal" not in result.stderr


def test_without_arguments_the_wizard_starts_without_building_the_parser() -> None:
    # Building the parser costs about as much as drawing a screen: `smtp-wizard` alone
    # goes straight to the wizard (launch.start_wizard), with the defaults the parser has.
    probe = (
        "import sys, smtp_wizard.launch as launch\n"
        "def fake(**given):\n"
        "    print(sorted(given.items()), 'argparse' in sys.modules, flush=True)\n"
        "    return 0\n"
        "launch.start_wizard = fake\n"
        "sys.exit(launch.main([]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] False"
    from smtp_wizard.cli import build_parser

    defaults = build_parser().parse_args([])
    assert (defaults.config, defaults.profile, defaults.cafile) == (None, None, None)
    assert not defaults.nameserver
    assert defaults.timeout is None  # cmd_wizard then passes start_wizard's default, 10 s


def test_the_demo_without_a_terminal_exits_2_without_starting_servers() -> None:
    result = run("demo", "--folder", "demo-here")
    assert_clean_failure(result)
    assert "needs a terminal" in result.stderr
    assert not Path("demo-here").exists() or not any(Path("demo-here").iterdir())


def test_the_demo_never_writes_into_a_folder_that_holds_files() -> None:
    Path("app").mkdir()
    Path("app/.env").write_text("SECRET_KEY=mine\n")
    result = run("demo", "--folder", "app")
    assert_clean_failure(result)
    assert "not an empty folder" in result.stderr
    assert [p.name for p in Path("app").iterdir()] == [".env"]


def test_the_wizard_takes_the_flags_of_check_that_it_needs() -> None:
    text = run("--help").stdout
    for flag in ("--config", "--profile", "--nameserver", "--cafile", "--timeout"):
        assert flag in text, flag
    assert "demo" in text


def run_in_terminal(*args: str) -> tuple[int, str]:
    """Run smtp-wizard with a pseudo-terminal as stdin and stdout; (exit status, output)."""
    import pty

    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "smtp_wizard", *args],
        stdin=child,
        stdout=child,
        stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(child)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        os.close(main)
    return process.returncode, stderr.decode()


def test_a_corrupt_config_is_reported_as_the_cli_reports_it_and_nothing_opens() -> None:
    Path("smtp-wizard.toml").write_text("version = 1\n[profiles.default\n")
    before = Path("smtp-wizard.toml").read_bytes()
    status, stderr = run_in_terminal()
    shown = run("config", "show")
    assert status == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.strip() == shown.stderr.strip()
    assert Path("smtp-wizard.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "0"], "1 to 65535"),
        (["--port", "abc"], "not a port number"),
        (["--port", "99999"], "1 to 65535"),
        (["--host", "smtp example.com"], "space"),
        (["--host", "smtp.example.com\r\nQUIT"], "carriage return"),
        (["--username", "apikey\nRCPT TO:<x@evil.test>"], "line feed"),
        (["--from", "not-an-address"], "name@example.com"),
        (["--security", "tls"], "starttls"),
        (["--timeout", "-1"], "out of range"),
        (["--nameserver", "dns.example.com"], "IP[:PORT]"),
    ],
)
def test_bad_flag_values_exit_2_with_a_message(args: list[str], expected: str) -> None:
    result = run("check", *args)
    assert_clean_failure(result)
    assert expected in result.stderr
    result = run("check", *args, "--json")
    assert_clean_failure(result)
    assert expected in json.loads(result.stdout)["error"]


def test_a_password_is_never_accepted_as_a_flag() -> None:
    for argv in (["--password", "hunter2"], ["--password=hunter2"], ["--pass", "hunter2"]):
        result = run("check", *argv)
        assert_clean_failure(result)
        assert "hunter2" not in result.stderr
    assert "never given as a flag" in run("check", "--password", "hunter2").stderr


def test_config_show_names_where_the_password_lives_never_the_value() -> None:
    write_config('password = { env = "SMTP_PASSWORD" }\n')
    os.environ["SMTP_PASSWORD"] = PASSWORD
    try:
        result = run("config", "show")
    finally:
        del os.environ["SMTP_PASSWORD"]
    assert result.returncode == 0, result.stderr
    assert "environment variable $SMTP_PASSWORD" in result.stdout
    assert 'host = "smtp.example.com"' in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    document = json.loads(run("config", "show", "--json").stdout)
    assert document["profiles"]["default"]["password"] == {"env": "SMTP_PASSWORD"}


def test_a_corrupt_config_exits_2_naming_line_column_and_backup() -> None:
    path = write_config()
    Path("smtp-wizard.toml.bak").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    path.write_text(
        path.read_text(encoding="utf-8").replace("port = 587", "port = = 587"), encoding="utf-8"
    )
    before = path.read_bytes()
    for argv in (
        [],
        ["config", "show"],
        ["export"],
        ["config", "set-password", "--password-stdin"],
    ):
        result = run(*argv, stdin="x\n")
        assert_clean_failure(result)
        assert "line 7, column 8" in result.stderr
        assert "smtp-wizard.toml.bak" in result.stderr
    assert path.read_bytes() == before


def test_an_unknown_profile_exits_2_listing_the_known_ones() -> None:
    write_config()
    for argv in (["config", "show", "--profile", "prod"], ["export", "--profile", "prod"]):
        result = run(*argv)
        assert_clean_failure(result)
        assert "No profile 'prod'" in result.stderr
        assert "default" in result.stderr


def test_set_password_then_export_through_the_real_keyring(secret_service: object) -> None:
    path = write_config()
    result = run("config", "set-password", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    cfg = config.load(path)
    assert cfg.profile().password == cfg.keyring_ref("default")
    assert PASSWORD not in path.read_text(encoding="utf-8")
    assert Path("smtp-wizard.toml.bak").exists()

    result = run("export")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    env_file = Path(".env")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dotenv_values(env_file)
    assert values["SMTP_PASSWORD"] == PASSWORD
    assert values["SMTP_HOST"] == "smtp.example.com"


def test_export_to_stdout_masks_the_password_unless_revealed(secret_service: object) -> None:
    path = write_config()
    cfg = config.load(path)
    ref = cfg.keyring_ref("default")
    SecretStore(ref.service).set(ref.key, Secret(PASSWORD))
    path.write_text(
        path.read_text(encoding="utf-8") + f'password = {{ keyring = "smtp-wizard", '
        f'key = "{ref.key}" }}\n',
        encoding="utf-8",
    )
    masked = run("export", "--output", "-")
    assert masked.returncode == 0, masked.stderr
    assert "SMTP_HOST=" in masked.stdout
    assert PASSWORD not in masked.stdout + masked.stderr
    revealed = run("export", "--output", "-", "--reveal", "--format", "django")
    assert revealed.returncode == 0, revealed.stderr
    assert "EMAIL_HOST_PASSWORD=" in revealed.stdout
    assert not Path(".env").exists()


def test_export_with_no_secret_available_exits_2_and_writes_nothing(
    secret_service: object,
) -> None:
    write_config('password = { keyring = "smtp-wizard", key = "0123abcd4567/default" }\n')
    result = run("export")
    assert_clean_failure(result)
    assert "No password for profile 'default'" in result.stderr
    assert 'password = { env = "SMTP_PASSWORD" }' in result.stderr
    assert not Path(".env").exists()


def test_export_without_any_keyring_explains_and_writes_nothing() -> None:
    write_config('password = { keyring = "smtp-wizard", key = "0123abcd4567/default" }\n')
    result = run("export")
    assert_clean_failure(result)
    assert "No OS keyring" in result.stderr
    assert not Path(".env").exists()


def test_export_into_a_place_that_cannot_be_written_exits_2_and_keeps_the_file() -> None:
    write_config('password = { env = "SMTP_PASSWORD" }\n')
    Path("not-a-folder").write_text("I am a file\n", encoding="utf-8")
    os.environ["SMTP_PASSWORD"] = PASSWORD
    try:
        result = run("export", "--output", "not-a-folder/.env")
    finally:
        del os.environ["SMTP_PASSWORD"]
    assert_clean_failure(result)
    assert "Cannot write" in result.stderr or "Cannot read the .env file" in result.stderr
    assert PASSWORD not in result.stderr
    assert Path("not-a-folder").read_text(encoding="utf-8") == "I am a file\n"


def test_set_password_refuses_an_empty_password() -> None:
    path = write_config()
    before = path.read_bytes()
    result = run("config", "set-password", "--password-stdin", stdin="\n")
    assert_clean_failure(result)
    assert "empty" in result.stderr
    assert path.read_bytes() == before


def test_set_password_without_a_keyring_offers_the_env_alternative() -> None:
    path = write_config()
    before = path.read_bytes()
    result = run("config", "set-password", "--password-stdin", stdin=PASSWORD + "\n")
    assert_clean_failure(result)
    assert "No OS keyring" in result.stderr
    assert 'password = { env = "SMTP_PASSWORD" }' in result.stderr
    assert PASSWORD not in result.stderr
    assert path.read_bytes() == before


def test_providers_lists_presets_as_text_and_json() -> None:
    text = run("providers")
    assert text.returncode == 0, text.stderr
    assert "sendgrid" in text.stdout
    document = json.loads(run("providers", "--json").stdout)
    ids = {entry["id"] for entry in document}
    assert {"zeptomail", "sendgrid", "ses", "custom"} <= ids
    detail = run("providers", "brevo").stdout
    assert "https://" in detail
    assert "not the API key" in detail
    unknown = run("providers", "sendgird")
    assert_clean_failure(unknown)
    assert "sendgrid" in unknown.stderr


HYGIENE = """
import sys
from smtp_wizard.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("TEXTUAL-LOADED" if loaded else "TEXTUAL-ABSENT", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["export", "--help"],
        ["providers"],
        ["providers", "--json"],
        ["export", "--output", "-"],
        ["config", "show"],
        ["check", "--help"],
    ],
)
def test_headless_commands_never_import_textual(argv: list[str]) -> None:
    write_config('password = { env = "SMTP_PASSWORD" }\n')
    result = subprocess.run(
        [sys.executable, "-c", HYGIENE.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SMTP_PASSWORD": "x"},
    )
    assert "TEXTUAL-ABSENT" in result.stderr, result.stderr


def test_the_console_script_and_the_module_agree() -> None:
    script = Path(sys.executable).with_name("smtp-wizard")
    if not script.exists():
        pytest.fail(f"{script} is missing: install the project (pip install -e '.[test]')")
    a = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    b = run("--version")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    assert a.stdout.startswith("smtp-wizard ")


def test_the_demo_without_its_extra_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['aiosmtpd'] = None\n"
        "from smtp_wizard.cli import main; sys.exit(main(['demo']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert_clean_failure(result)
    assert "aiosmtpd" in result.stderr
    assert "pip install 'smtp-wizard[demo]'" in result.stderr
