"""The one settings resolution: preset, profile and overrides, each value with its origin.

Unit tests of the merge rules (pure), then the same rules seen through every command: a
profile holding only `provider = "sendgrid"` means the same in `check`, `export`,
`discover` and `config show`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smtp_wizard import config, settings
from smtp_wizard.errors import UsageError
from smtp_wizard.settings import Source
from tests.smtp_servers import PASSWORD, USERNAME

TOML = Path("smtp-wizard.toml")


def write(text: str, path: Path = TOML) -> config.Config:
    path.write_text('version = 1\nid = "0123456789ab"\n' + text)
    return config.load(path)


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


def test_a_profile_with_only_a_provider_takes_host_port_security_from_the_preset() -> None:
    cfg = write('[profiles.default]\nprovider = "sendgrid"\nusername = "apikey"\n')
    effective = settings.resolve(cfg)
    assert (effective.host, effective.port, effective.security) == (
        "smtp.sendgrid.net",
        587,
        "starttls",
    )
    assert effective.origin("host").source is Source.PRESET
    assert effective.origin("username").source is Source.PROFILE
    assert effective.explain("port") == "port 587 — from the Twilio SendGrid preset"


def test_flags_beat_the_profile_which_beats_the_preset() -> None:
    cfg = write('[profiles.default]\nprovider = "zeptomail"\nport = 465\n')
    effective = settings.resolve(cfg, None, {"port": 587})
    assert (effective.port, effective.security) == (587, "starttls")
    assert effective.origin("port").label == "--port"
    assert effective.origin("security").source is Source.PRESET
    from_file = settings.resolve(cfg)
    assert (from_file.port, from_file.security) == (465, "ssl")
    assert from_file.origin("port").label == "profiles.default.port"
    assert from_file.origin("security").source is Source.PRESET


def test_security_alone_picks_the_presets_port_for_it() -> None:
    cfg = write('[profiles.default]\nprovider = "sendgrid"\nsecurity = "ssl"\n')
    assert settings.resolve(cfg).port == 465


def test_without_a_preset_the_port_and_mode_follow_each_other() -> None:
    assert settings.resolve(None, None, {"host": "h.example", "port": 465}).security == "ssl"
    assert settings.resolve(None, None, {"host": "h.example", "security": "ssl"}).port == 465
    plain = settings.resolve(None, None, {"host": "h.example"})
    assert (plain.port, plain.security) == (587, "starttls")
    assert plain.origin("port").source is Source.DEFAULT


def test_a_host_that_belongs_to_a_preset_lends_hints_not_values() -> None:
    effective = settings.resolve(None, None, {"host": "smtp.sendgrid.net"})
    assert effective.preset is None and effective.hints is not None
    assert effective.username is None  # `apikey` is filled only for a named preset
    assert effective.port == 587 and effective.origin("port").source is Source.PRESET


def test_the_domain_is_derived_from_the_sender() -> None:
    cfg = write('[profiles.default]\nhost = "h.example"\nfrom_address = "a@mail.example.com"\n')
    effective = settings.resolve(cfg)
    assert effective.domain == "mail.example.com"
    assert effective.origin("domain").source is Source.DERIVED


def test_an_unknown_provider_in_the_file_names_the_key() -> None:
    cfg = write('[profiles.default]\nprovider = "sendgrd"\n')
    with pytest.raises(UsageError) as caught:
        settings.resolve(cfg)
    assert "`profiles.default.provider`" in caught.value.message
    assert "sendgrid" in caught.value.hint


def test_hints_carry_the_config_file_and_profile_in_use() -> None:
    cfg = write('[profiles.eu]\nhost = "h.example"\n', Path("eu.toml"))
    effective = settings.resolve(cfg, "eu")
    text = "Store it with `smtp-wizard config set-password`."
    assert effective.location.contextualize(text) == (
        "Store it with `smtp-wizard config set-password --config eu.toml --profile eu`."
    )
    assert "--config eu.toml" in effective.how_to_set("security", "ssl")


def test_export_uses_the_preset_like_check_does() -> None:
    write(
        '[profiles.default]\nprovider = "sendgrid"\nhost = "smtp.sendgrid.net"\n'
        'username = "apikey"\npassword = { env = "SG_KEY" }\n'
    )
    result = run("export", "--output", "-", "--reveal", env={"SG_KEY": "k"})
    assert result.returncode == 0, result.stderr
    assert "SMTP_PORT=587" in result.stdout and "SMTP_SECURITY=starttls" in result.stdout


def test_check_of_a_provider_only_profile_probes_the_presets_host(dns) -> None:
    # The lookup goes to the loopback DNS server, which does not know the name: no traffic
    # leaves the machine, and the JSON shows which host and port were meant.
    write('[profiles.default]\nprovider = "sendgrid"\n')
    result = run(
        "check", "--json", "--only", "smtp", "--timeout", "2", "--nameserver", dns.nameserver
    )
    document = json.loads(result.stdout)
    first = document["checks"][0]
    assert first["id"] == "dns.host"
    assert first["subject"] == "smtp.sendgrid.net"
    assert "smtp.sendgrid.net:587" in {c.get("subject") for c in document["checks"]}
    assert "no SMTP host" not in result.stderr.lower()


def test_send_test_is_not_failed_by_the_senders_dns_unless_asked(smtpd, certs, dns) -> None:
    server = smtpd(starttls=certs.good())
    common = [
        "--host",
        "localhost",
        "--port",
        str(server.port),
        "--cafile",
        str(certs.cafile),
        "--username",
        USERNAME,
        "--password-env",
        "APP_PW",
        "--from",
        "app@nowhere.test",  # a domain the DNS server does not know: the domain checks fail
        "--nameserver",
        dns.nameserver,
        "--timeout",
        "3",
    ]
    env = {"APP_PW": PASSWORD}
    sent = run("send-test", "--to", "dev@example.test", *common, "--json", env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    checks = {c["id"]: c for c in json.loads(sent.stdout)["checks"]}
    assert checks["smtp.send"]["status"] == "pass"
    assert checks["dns.spf"]["status"] == "skip"  # every id still listed
    assert "not asked for" in checks["dns.spf"]["summary"]
    both = run("send-test", "--to", "dev@example.test", *common, "--only", "smtp,dns", env=env)
    assert both.returncode == 1
    dns_only = run("check", *common, "--only", "dns", "--json", env=env)
    checks = {c["id"]: c for c in json.loads(dns_only.stdout)["checks"]}
    assert checks["smtp.connect"]["status"] == "skip"
    assert server.received.connections == 2


def test_discover_without_host_uses_the_profile_and_save_writes_the_recommendation(
    smtpd, certs
) -> None:
    server = smtpd(starttls=certs.good(), port=2525)
    write('[profiles.default]\nhost = "localhost"\nusername = "u"\n')
    result = run("discover", "--cafile", str(certs.cafile), "--timeout", "3", "--save")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "localhost" in result.stdout
    profile = config.load(TOML).profile()
    assert (profile.port, profile.security) == (2525, "starttls")
    assert profile.username == "u"
    assert server.received.connections >= 1


def test_a_hanging_keyring_is_read_inside_the_checks_deadline(smtpd, certs, tmp_path) -> None:
    """The saved password is read while the probe connects; a silent Secret Service costs
    no more than the one --timeout, and smtp.auth says the keyring did not answer."""
    import socket
    import time

    bus = tmp_path / "silent-bus"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(bus))
    listener.listen(16)
    server = smtpd(starttls=certs.good())
    write(
        f'[profiles.default]\nhost = "localhost"\nport = {server.port}\n'
        f'username = "{USERNAME}"\n'
        'password = { keyring = "smtp-wizard", key = "0123456789ab/default" }\n'
    )
    env = {
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={bus}",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
    }
    started = time.monotonic()
    try:
        result = run(
            "check",
            "--only",
            "smtp",
            "--json",
            "--timeout",
            "3",
            "--cafile",
            str(certs.cafile),
            env=env,
        )
    finally:
        listener.close()
    elapsed = time.monotonic() - started
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["tls.certificate"]["status"] == "pass"  # the probe ran meanwhile
    assert checks["smtp.auth"]["status"] == "fail"
    assert "keyring" in checks["smtp.auth"]["detail"]
    assert elapsed < 3 + 2.5, elapsed  # one deadline plus interpreter start-up


def test_the_wrong_tls_mode_is_fixed_in_the_words_the_user_used(smtpd, certs) -> None:
    server = smtpd(implicit_tls=certs.good())
    probe = ["--only", "smtp", "--json", "--timeout", "4", "--cafile", str(certs.cafile)]
    by_flag = run(
        "check", "--host", "localhost", "--port", str(server.port), *probe, "--security", "starttls"
    )
    tls = {c["id"]: c for c in json.loads(by_flag.stdout)["checks"]}["smtp.tls"]
    assert tls["status"] == "fail"
    assert "pass --security ssl" in tls["advice"]
    write(
        f'[profiles.default]\nhost = "localhost"\nport = {server.port}\nsecurity = "starttls"\n',
        Path("other.toml"),
    )
    by_file = run("check", "--config", "other.toml", *probe)
    tls = {c["id"]: c for c in json.loads(by_file.stdout)["checks"]}["smtp.tls"]
    assert "`smtp-wizard config set security ssl --config other.toml`" in tls["advice"]
