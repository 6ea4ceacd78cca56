"""`check`, `send-test` and `discover` as a user runs them: a real process, real servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smtp_wizard.secret import Secret
from smtp_wizard.secret_store import SecretStore
from tests import smtp_servers as servers
from tests.conftest import require
from tests.smtp_servers import PASSWORD, USERNAME, start_scripted, start_smtpd

SIX_KEYS = {"id", "status", "summary", "detail", "advice", "elapsed_ms"}


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "smtp_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, **(env or {})},
    )


def flags(server, certs, *more: str) -> list[str]:
    return [
        "--host",
        "localhost",
        "--port",
        str(server.port),
        "--cafile",
        str(certs.cafile),
        "--username",
        USERNAME,
        "--timeout",
        "5",
        *more,
    ]


def test_check_passes_and_prints_one_line_per_check(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    result = run("check", *flags(server, certs, "--password-stdin"), stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ dns.host")
    assert any(line.startswith("✓ smtp.auth ") for line in lines)
    assert not any("smtp.send" in line for line in lines)  # not asked for: no row
    assert "0 failed" in result.stdout


def test_check_json_keeps_the_contract_and_never_holds_the_password(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    result = run(
        "check",
        *flags(
            server,
            certs,
            "--password-env",
            "APP_PW",
            "--json",
            "--verbose",
            "--send-to",
            "dev@example.test",
            "--from",
            "app@sender.test",
            "--nameserver",
            dns.nameserver,
        ),
        env={"APP_PW": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert isinstance(document["elapsed_ms"], int)
    for check in document["checks"]:
        assert set(check) >= SIX_KEYS, check
        assert check["status"] in {"pass", "warn", "fail", "skip"}
    assert {c["id"] for c in document["checks"]} >= {"smtp.auth", "smtp.send", "tls.certificate"}
    assert PASSWORD not in result.stdout + result.stderr
    assert any("AUTH PLAIN <redacted>" in line for line in document["transcript"])


def test_send_test_sends_a_message(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    result = run(
        "send-test",
        "--to",
        "dev@example.test",
        "--from",
        "app@sender.test",
        "--nameserver",
        dns.nameserver,
        *flags(server, certs, "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stdout
    assert "✓ smtp.send" in result.stdout
    assert len(server.received.messages) == 1


def test_a_failed_login_exits_1_with_advice(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), password="another")
    result = run("check", *flags(server, certs, "--password-stdin"), stdin=PASSWORD + "\n")
    assert result.returncode == 1
    assert "✗ smtp.auth" in result.stdout
    assert "→ " in result.stdout
    assert PASSWORD not in result.stdout + result.stderr


def test_check_reads_the_saved_profile_and_its_env_reference(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    Path("smtp-wizard.toml").write_text(
        f'version = 1\nid = "abcdef012345"\n[profiles.default]\nhost = "localhost"\n'
        f'port = {server.port}\nsecurity = "starttls"\nusername = "{USERNAME}"\n'
        'password = { env = "APP_SMTP_PASSWORD" }\nfrom_address = "app@sender.test"\n',
        encoding="utf-8",
    )
    result = run(
        "check",
        "--cafile",
        str(certs.cafile),
        "--nameserver",
        dns.nameserver,
        "--json",
        env={"APP_SMTP_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stdout
    statuses = {c["id"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert statuses["smtp.auth"] == "pass"


def test_check_takes_the_password_from_the_real_keyring(smtpd, certs, secret_service) -> None:
    server = smtpd(starttls=certs.good())
    Path("smtp-wizard.toml").write_text(
        f'version = 1\nid = "abcdef012345"\n[profiles.default]\nhost = "localhost"\n'
        f'port = {server.port}\nusername = "{USERNAME}"\n'
        'password = { keyring = "smtp-wizard", key = "abcdef012345/default" }\n',
        encoding="utf-8",
    )
    SecretStore().set("abcdef012345/default", Secret(PASSWORD))
    result = run("check", "--cafile", str(certs.cafile))
    assert result.returncode == 0, result.stdout
    assert "✓ smtp.auth" in result.stdout


def test_an_unreadable_keyring_fails_only_the_login(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    Path("smtp-wizard.toml").write_text(
        f'version = 1\nid = "abcdef012345"\n[profiles.default]\nhost = "localhost"\n'
        f'port = {server.port}\nusername = "{USERNAME}"\n'
        'password = { keyring = "smtp-wizard", key = "abcdef012345/default" }\n',
        encoding="utf-8",
    )
    result = run("check", "--cafile", str(certs.cafile), "--json")
    assert result.returncode == 1
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["smtp.tls"]["status"] == "pass"
    assert checks["smtp.auth"]["status"] == "fail"
    assert "No OS keyring" in checks["smtp.auth"]["detail"]


def test_a_host_name_is_resolved_through_the_given_nameserver(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    result = run(
        "check",
        "--host",
        "smtp.example.test",
        "--port",
        str(server.port),
        "--nameserver",
        dns.nameserver,
        "--cafile",
        str(certs.cafile),
        "--json",
    )
    assert result.returncode == 0, result.stdout
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["dns.host"]["summary"] == "smtp.example.test resolves to 127.0.0.1"
    assert "names smtp.example.test" in checks["tls.certificate"]["summary"]
    assert dns.count("smtp.example.test") >= 1


def test_a_host_that_does_not_exist_fails_dns_host(dns) -> None:
    result = run(
        "check", "--host", "nothere.example.test", "--nameserver", dns.nameserver, "--json"
    )
    assert result.returncode == 1
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["dns.host"]["status"] == "fail"
    assert "NXDOMAIN" in checks["dns.host"]["detail"]
    assert checks["smtp.connect"]["status"] == "skip"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "No SMTP host"),
        (["--host", "localhost", "--cafile", "/nonexistent/ca.pem"], "no such file"),
        (["--host", "localhost", "--username", "u", "--password-env", "NOPE_UNSET"], "NOPE_UNSET"),
        (["--config", "missing.toml"], "No config file"),
        (["--host", "localhost", "--cafile", "not-a-cert.pem"], "Cannot use --cafile"),
        (
            ["--host", "localhost", "--send-to", "a@b.test\r\nRCPT TO:<x@evil.test>"],
            "carriage return",
        ),
    ],
)
def test_bad_usage_exits_2_with_a_message_and_json(args: list[str], message: str) -> None:
    Path("not-a-cert.pem").write_text("this is no certificate\n", encoding="utf-8")
    result = run("check", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(run("check", *args, "--json").stdout)
    assert document == {"ok": False, "error": document["error"], "checks": []}
    assert message in document["error"]


STANDARD = ((587, "starttls"), (465, "ssl"), (2525, "starttls"), (25, "starttls"))


@pytest.fixture
def standard_ports(server_loop, certs):
    """Servers on the real port numbers, on 127.0.0.2 (still loopback) to avoid clashes."""
    if os.geteuid() != 0:
        require("root", "binding ports 25, 465 and 587 needs root")
    context = certs.server_context("127.0.0.2")
    started = []
    try:
        for port, kind in STANDARD:
            if port == 25:
                server = start_scripted(server_loop, servers.no_banner, host="127.0.0.2", port=port)
            elif kind == "ssl":
                server = start_smtpd(server_loop, implicit_tls=context, host="127.0.0.2", port=port)
            else:
                server = start_smtpd(server_loop, starttls=context, host="127.0.0.2", port=port)
            started.append(server)
    except OSError as exc:
        for server in started:
            server.close()
        pytest.fail(f"cannot bind the standard ports on 127.0.0.2: {exc}")
    yield started
    for server in started:
        server.close()


def test_discover_probes_the_standard_ports_and_recommends_465(standard_ports, certs) -> None:
    result = run("discover", "127.0.0.2", "--cafile", str(certs.cafile), "--timeout", "3", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert set(document) >= {"host", "elapsed_ms", "ports", "recommended"}
    statuses = {p["port"]: p["status"] for p in document["ports"]}
    assert statuses == {587: "ok", 465: "ok", 2525: "ok", 25: "timeout"}
    assert document["recommended"] == {"port": 465, "security": "ssl"}
    for entry in document["ports"]:
        assert set(entry) == {"port", "security", "status", "summary", "detail"}
    human = run("discover", "127.0.0.2", "--cafile", str(certs.cafile), "--timeout", "3")
    assert "Recommended: port 465, security ssl" in human.stdout


def test_discover_exits_1_when_nothing_works() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.3", 0))
    result = run("discover", "127.0.0.3", "--timeout", "2", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["recommended"] is None
    assert {p["status"] for p in document["ports"]} == {"refused"}


def test_an_internationalised_host_is_converted_once_for_dns_connection_and_certificate(
    smtpd, certs, dns
) -> None:
    server = smtpd(starttls=certs.server_context("smtp.xn--bcher-kva.test"))
    result = run(
        "check",
        "--host",
        "smtp.bücher.test",
        "--port",
        str(server.port),
        "--nameserver",
        dns.nameserver,
        "--cafile",
        str(certs.cafile),
        "--json",
    )
    assert result.returncode == 0, result.stdout
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["dns.host"]["summary"].startswith("smtp.xn--bcher-kva.test resolves to")
    assert checks["tls.certificate"]["status"] == "pass"
    assert dns.count("smtp.xn--bcher-kva.test") >= 1


def test_check_runs_the_domain_checks_alongside_the_smtp_ones(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    result = run(
        "check",
        *flags(
            server,
            certs,
            "--password-stdin",
            "--domain",
            "example.test",
            "--nameserver",
            dns.nameserver,
            "--json",
        ),
        stdin=PASSWORD + "\n",
    )
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["smtp.auth"]["status"] == "pass"
    assert checks["dns.mx"]["status"] == "pass"
    assert checks["dns.spf"]["status"] == "fail"  # example.test publishes no SPF
    assert checks["dns.dmarc"]["status"] == "fail"
    assert checks["dns.dkim"]["status"] == "skip"  # no selector known
    assert result.returncode == 1


def test_without_a_domain_the_domain_checks_are_skipped_with_the_reason(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    result = run(
        "check", *flags(server, certs, "--password-stdin", "--json"), stdin=PASSWORD + "\n"
    )
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["dns.spf"]["status"] == "skip"
    assert "--domain" in checks["dns.spf"]["summary"]
    assert result.returncode == 0


def test_dns_command_reports_and_prints_the_records_to_add(dns) -> None:
    result = run("dns", "example.test", "--nameserver", dns.nameserver, "--provider", "sendgrid")
    assert result.returncode == 1
    assert "✗ dns.spf" in result.stdout
    assert "v=spf1 include:sendgrid.net ~all" in result.stdout
    assert "Zone file:" in result.stdout
    document = json.loads(
        run(
            "dns",
            "example.test",
            "--nameserver",
            dns.nameserver,
            "--provider",
            "sendgrid",
            "--json",
        ).stdout
    )
    assert {c["id"] for c in document["checks"]} == {"dns.mx", "dns.spf", "dns.dkim", "dns.dmarc"}
    assert document["records"]["domain"] == "example.test"


def test_dns_command_evaluates_spf_for_an_ip(dns) -> None:
    document = json.loads(
        run(
            "dns",
            "split.example.test",
            "--nameserver",
            dns.nameserver,
            "--ip",
            "127.0.0.1",
            "--json",
        ).stdout
    )
    checks = {c["id"]: c for c in document["checks"]}
    assert checks["dns.spf.ip"]["status"] == "pass"
    assert checks["dns.spf"]["status"] in {"pass", "warn"}


def test_dns_command_refuses_a_bad_ip() -> None:
    result = run("dns", "example.test", "--ip", "not-an-ip", "--nameserver", "127.0.0.1:9")
    assert result.returncode == 2
    assert "not an IP address" in result.stderr


def test_a_known_provider_host_without_a_port_takes_the_presets_first_port() -> None:
    from smtp_wizard import settings

    effective = settings.resolve(None, None, {"host": "smtp.resend.com"})
    assert (effective.port, effective.security) == (465, "ssl")  # Resend recommends 465
    effective = settings.resolve(None, None, {"host": "smtp.resend.com", "security": "starttls"})
    assert effective.port == 587
