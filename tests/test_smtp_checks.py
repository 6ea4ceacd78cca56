"""The SMTP checks against real servers on 127.0.0.1: verdicts, security rules, deadlines."""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import base64
import binascii
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.checks.smtp import CHECK_IDS, SmtpSettings, Transcript, prepare, smtp_checks
from smtp_wizard.errors import UsageError
from smtp_wizard.providers import get_provider
from smtp_wizard.secret import Secret
from tests import smtp_servers as servers
from tests.smtp_servers import PASSWORD, USERNAME, RunningServer


async def loopback(host: str) -> list[str]:
    """The host's address, for tests whose subject is not DNS (localhost never is)."""
    return ["127.0.0.1"]


@dataclass
class Outcome:
    results: dict[str, CheckResult]
    order: list[str]
    transcript: Transcript
    seconds: float

    def __getitem__(self, check_id: str) -> CheckResult:
        return self.results[check_id]

    def status(self, check_id: str) -> Status:
        return self.results[check_id].status


def probe(
    server: RunningServer | int,
    security: str,
    *,
    cafile: Any = None,
    timeout: float = 5.0,
    resolve: Callable[[str], Any] = loopback,
    **overrides: Any,
) -> Outcome:
    port = server if isinstance(server, int) else server.port
    options: dict[str, Any] = {
        "host": "localhost",
        "port": port,
        "security": security,
        "username": USERNAME,
        "password": Secret(PASSWORD),
        "cafile": cafile,
        "timeout": timeout,
        "from_address": "app@example.test",
    }
    options.update(overrides)
    settings_ = prepare(SmtpSettings(**options))
    transcript = Transcript()

    async def run() -> list[CheckResult]:
        return [r async for r in smtp_checks(settings_, resolve, transcript)]

    started = time.monotonic()
    results = asyncio.run(run())
    return Outcome(
        {r.id: r for r in results},
        [r.id for r in results],
        transcript,
        time.monotonic() - started,
    )


def assert_every_check_reported(outcome: Outcome) -> None:
    assert sorted(outcome.order) == sorted(CHECK_IDS)
    assert len(CHECK_IDS) == 10


# -- the good paths ----------------------------------------------------------------------------


def test_starttls_with_auth_passes_every_check_and_logs_in_inside_tls(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(server, "starttls", cafile=certs.cafile)
    assert_every_check_reported(outcome)
    for check_id in CHECK_IDS[:-1]:  # every check but smtp.send
        assert outcome.status(check_id) is Status.PASS, outcome[check_id]
    assert outcome.status("smtp.send") is Status.SKIP
    assert "STARTTLS completed" in outcome["smtp.tls"].summary
    assert server.received.auth_in_clear() == []
    assert [v for v, _, tls in server.received.commands if v == "AUTH"] == ["AUTH"]


def test_implicit_tls_passes_and_describes_the_handshake(smtpd, certs) -> None:
    server = smtpd(implicit_tls=certs.good())
    outcome = probe(server, "ssl", cafile=certs.cafile)
    assert outcome.status("smtp.tls") is Status.PASS
    assert "TLS from the first byte" in outcome["smtp.tls"].summary
    assert outcome.status("smtp.auth") is Status.PASS
    assert outcome.order.index("smtp.tls") < outcome.order.index("smtp.greeting")


def test_results_arrive_one_by_one_in_conversation_order(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(server, "starttls", cafile=certs.cafile)
    assert outcome.order[:4] == ["dns.host", "smtp.connect", "smtp.greeting", "smtp.ehlo"]


def test_a_test_message_is_well_formed_and_says_who_sent_it(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(
        server, "starttls", cafile=certs.cafile, send_to="dev@example.test", from_name="Example App"
    )
    assert outcome.status("smtp.send") is Status.PASS, outcome["smtp.send"]
    [(sender, recipients, raw)] = server.received.messages
    assert sender == "app@example.test"
    assert recipients == ["dev@example.test"]
    message = message_from_bytes(raw)
    for header in ("Date", "Message-ID", "From", "To", "Subject"):
        assert message[header], header
    assert message["From"] == "Example App <app@example.test>"
    assert "smtp-wizard" in message.get_payload()


def test_the_certificate_verdict_names_host_and_expiry(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    result = probe(server, "starttls", cafile=certs.cafile)["tls.certificate"]
    assert "names localhost" in result.summary
    assert "valid until" in result.summary


def test_a_certificate_expiring_within_21_days_warns_with_the_date(smtpd, certs) -> None:
    server = smtpd(starttls=certs.expiring_soon(days=10))
    result = probe(server, "starttls", cafile=certs.cafile)["tls.certificate"]
    assert result.status is Status.WARN
    assert "expires in" in result.summary and "20" in result.summary


# -- TLS refusals -----------------------------------------------------------------------------


CERTIFICATE_CASES = [
    ("expired", "has expired"),
    ("not_yet_valid", "not yet valid"),
    ("wrong_host", "does not name this host"),
    ("self_signed", "self-signed"),
    ("unknown_ca", "unknown certificate authority"),
]


@pytest.mark.parametrize(("kind", "named"), CERTIFICATE_CASES)
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_each_bad_certificate_is_named_as_such(smtpd, certs, kind, named, security) -> None:
    context = getattr(certs, kind)()
    server = smtpd(starttls=context) if security == "starttls" else smtpd(implicit_tls=context)
    outcome = probe(server, security, cafile=certs.cafile)
    assert outcome.status("tls.certificate") is Status.FAIL
    assert named in outcome["tls.certificate"].summary
    assert outcome.status("smtp.auth") is Status.SKIP
    assert server.received.verbs().count("AUTH") == 0


def test_without_cafile_a_private_ca_is_not_trusted(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(server, "starttls")
    assert outcome.status("tls.certificate") is Status.FAIL
    assert "--cafile" in outcome["tls.certificate"].advice


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_server_with_only_tls_below_1_2_fails_tls_version(smtpd, certs, security) -> None:
    context = certs.old_tls_only()
    if context is None:
        pytest.skip("this OpenSSL cannot serve TLS 1.0/1.1 at all")
    server = smtpd(starttls=context) if security == "starttls" else smtpd(implicit_tls=context)
    outcome = probe(server, security, cafile=certs.cafile)
    assert outcome.status("tls.version") is Status.FAIL
    assert "TLSv1.1" in outcome["tls.version"].summary
    assert "below 1.2" in outcome["smtp.tls"].summary
    assert server.received.verbs().count("AUTH") == 0


def test_starttls_answered_454_fails_smtp_tls_without_fallback(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), starttls_reply="454 4.7.0 TLS not available")
    outcome = probe(server, "starttls", cafile=certs.cafile)
    assert outcome.status("smtp.tls") is Status.FAIL
    assert "refused STARTTLS (454 4.7.0)" in outcome["smtp.tls"].summary
    assert outcome.status("smtp.auth") is Status.SKIP
    assert "AUTH" not in server.received.verbs()


# -- plaintext and AUTH -----------------------------------------------------------------------


def test_starttls_missing_fails_and_no_auth_is_sent_in_clear(smtpd) -> None:
    server = smtpd(auth_require_tls=False)  # offers AUTH on a plain connection, no STARTTLS
    outcome = probe(server, "starttls")
    assert outcome.status("smtp.tls") is Status.FAIL
    assert "does not offer STARTTLS" in outcome["smtp.tls"].summary
    assert outcome.status("smtp.auth") is Status.SKIP
    assert "AUTH" not in server.received.verbs()


def test_security_none_refuses_credentials_without_the_explicit_flag(smtpd) -> None:
    server = smtpd(auth_require_tls=False)
    outcome = probe(server, "none")
    assert outcome.status("smtp.tls") is Status.WARN
    assert outcome.status("smtp.auth") is Status.FAIL
    assert "without TLS" in outcome["smtp.auth"].summary
    assert "AUTH" not in server.received.verbs()


def test_plaintext_auth_only_with_the_flag_and_then_with_a_warning(smtpd) -> None:
    server = smtpd(auth_require_tls=False)
    outcome = probe(server, "none", allow_plaintext_auth=True)
    assert outcome.status("smtp.auth") is Status.WARN
    assert "WITHOUT TLS" in outcome["smtp.auth"].summary
    assert server.received.auth_in_clear() != []


def test_wrong_password_is_explained_as_535(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), password="the-right-one")
    outcome = probe(server, "starttls", cafile=certs.cafile, send_to="dev@example.test")
    result = outcome["smtp.auth"]
    assert result.status is Status.FAIL
    assert "rejected the credentials (535 5.7.8)" in result.summary
    assert outcome.status("smtp.send") is Status.SKIP
    assert PASSWORD not in result.detail + result.summary + result.advice


def test_a_known_provider_adds_its_own_advice_to_535(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), password="the-right-one")
    result = probe(server, "starttls", cafile=certs.cafile, provider=get_provider("sendgrid"))[
        "smtp.auth"
    ]
    assert "apikey" in result.advice


def test_no_auth_mechanism_in_common_fails(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), xoauth2_only=True)
    outcome = probe(server, "starttls", cafile=certs.cafile)
    assert outcome.status("smtp.auth_mechanisms") is Status.FAIL
    assert "XOAUTH2" in outcome["smtp.auth_mechanisms"].summary
    assert outcome.status("smtp.auth") is Status.SKIP


def test_auth_login_payloads_are_redacted_in_the_transcript(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), exclude_mechanisms=("PLAIN",))
    outcome = probe(server, "starttls", cafile=certs.cafile)
    assert outcome.status("smtp.auth") is Status.PASS
    text = "\n".join(outcome.transcript.lines)
    assert "C: AUTH LOGIN <redacted>" in text
    assert "C: <redacted>" in text
    import base64

    for secret in (
        PASSWORD,
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(USERNAME.encode()).decode(),
    ):
        assert secret not in text


def test_auth_plain_payload_is_redacted_in_the_transcript(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    text = "\n".join(probe(server, "starttls", cafile=certs.cafile).transcript.lines)
    assert "C: AUTH PLAIN <redacted>" in text
    assert "S: 235" in text


def test_no_username_skips_the_login(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(server, "starttls", cafile=certs.cafile, username=None, password=None)
    assert outcome.status("smtp.auth") is Status.SKIP
    assert "AUTH" not in server.received.verbs()


def test_a_missing_password_fails_the_login_with_the_reason(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(
        server,
        "starttls",
        cafile=certs.cafile,
        password=None,
        password_problem="The OS keyring is locked.",
    )
    assert outcome.status("smtp.auth") is Status.FAIL
    assert outcome["smtp.auth"].detail == "The OS keyring is locked."


# -- sending ----------------------------------------------------------------------------------


def test_550_at_rcpt_is_explained(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), rcpt_reply="550 5.1.1 No such user here")
    result = probe(server, "starttls", cafile=certs.cafile, send_to="nobody@example.test")[
        "smtp.send"
    ]
    assert result.status is Status.FAIL
    assert "refused the recipient at RCPT (550 5.1.1)" in result.summary
    assert "550 5.1.1 No such user here" in result.detail


def test_a_refusal_after_data_is_explained(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), data_reply="554 5.7.1 Message rejected as spam")
    result = probe(server, "starttls", cafile=certs.cafile, send_to="dev@example.test")["smtp.send"]
    assert result.status is Status.FAIL
    assert "rejected the message at DATA (554 5.7.1)" in result.summary


# -- greeting faults --------------------------------------------------------------------------


def test_a_421_greeting_is_reported_with_the_servers_text(scripted) -> None:
    outcome = probe(scripted(servers.banner_421), "starttls")
    result = outcome["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "(421)" in result.summary
    assert "Service not available" in result.detail
    assert outcome.status("smtp.ehlo") is Status.SKIP


def test_a_554_greeting_is_reported(scripted) -> None:
    result = probe(scripted(servers.banner_554), "starttls")["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "(554)" in result.summary


def test_a_non_smtp_banner_is_recognised(scripted) -> None:
    result = probe(scripted(servers.ssh_banner), "starttls")["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "not an SMTP server" in result.summary
    assert "SSH-2.0" in result.detail


def test_an_immediate_close_is_reported(scripted) -> None:
    result = probe(scripted(servers.close_at_once), "starttls")["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "closed the connection without a greeting" in result.summary


def test_no_banner_ends_at_the_deadline(scripted) -> None:
    outcome = probe(scripted(servers.no_banner), "starttls", timeout=2)
    assert outcome.status("smtp.greeting") is Status.FAIL
    assert "within the 2 s deadline" in outcome["smtp.greeting"].summary
    assert 1.9 < outcome.seconds < 3.0


def test_one_byte_a_second_ends_at_the_overall_deadline(scripted) -> None:
    outcome = probe(scripted(servers.one_byte_a_second), "starttls", timeout=3)
    assert outcome.status("smtp.greeting") is Status.FAIL
    assert outcome.seconds < 4.0


def test_a_refused_port_is_named(unused_port) -> None:
    outcome = probe(unused_port, "starttls")
    result = outcome["smtp.connect"]
    assert result.status is Status.FAIL
    assert "refused" in result.summary
    assert "2525" in result.advice
    assert outcome.status("smtp.greeting") is Status.SKIP


# -- wrong TLS mode, both directions ----------------------------------------------------------


def test_starttls_against_an_implicit_tls_port_names_ssl(smtpd, certs) -> None:
    server = smtpd(implicit_tls=certs.good())
    outcome = probe(server, "starttls", cafile=certs.cafile, timeout=6)
    result = outcome["smtp.tls"]
    assert result.status is Status.FAIL
    assert "expects TLS from the first byte: choose ssl" in result.summary
    assert outcome.seconds < 6
    assert "AUTH" not in server.received.verbs()


def test_ssl_against_a_starttls_port_names_starttls(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    outcome = probe(server, "ssl", cafile=certs.cafile)
    result = outcome["smtp.tls"]
    assert result.status is Status.FAIL
    assert "speaks plain SMTP first (STARTTLS): choose starttls" in result.summary
    assert outcome.seconds < 5


# -- cancellation -----------------------------------------------------------------------------


def test_cancelling_a_probe_leaks_no_task_and_closes_the_connection(scripted) -> None:
    server = scripted(servers.no_banner)
    settings_ = prepare(
        SmtpSettings(host="localhost", port=server.port, security="starttls", timeout=10)
    )

    async def run() -> set[asyncio.Task[Any]]:
        async def consume() -> None:
            async for _ in smtp_checks(settings_, loopback):
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(2.5)  # past the wrong-mode grace: a second connection is open too
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.1)
        return asyncio.all_tasks() - {asyncio.current_task()}

    leftovers = asyncio.run(run())
    assert leftovers == set()
    assert server.received.connections >= 1


# -- control characters -----------------------------------------------------------------------

CONTROL = st.sampled_from(["\r", "\n", "\r\n", "\x00", "\x1b", "\x7f", "\x85", "\u2028"])
FIELDS = ("host", "username", "from_address", "send_to", "from_name", "ehlo_name")


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    control=CONTROL,
    prefix=st.text(max_size=8),
    suffix=st.text(max_size=8),
)
def test_prepare_refuses_a_control_character_in_every_field(
    field: str, control: str, prefix: str, suffix: str
) -> None:
    """The unit behind the end-to-end test below: the settings are refused as a whole."""
    base = {
        "host": "localhost",
        "username": USERNAME,
        "from_address": "app@example.test",
        "send_to": "dev@example.test",
        "from_name": "App",
        "ehlo_name": "client.example.test",
    }
    base[field] = prefix + control + suffix
    with pytest.raises(UsageError, match="control character"):
        prepare(SmtpSettings(port=25, security="starttls", password=Secret(PASSWORD), **base))


# The real command against a server that records every byte: a value with a control
# character (header or command injection: "a\r\nRCPT TO:<...>") is refused with exit 2
# before any connection, whether it comes from a flag or from the config file.
E2E_PASSWORD_VARIABLE = "SMTP_WIZARD_TEST_PASSWORD"
CLEAN = {
    "username": USERNAME,
    "from_address": "app@example.test",
    "from_name": "App",
    "send_to": "dev@example.test",
}
FLAG_CASES = [
    ("--username", "username", "api\r\nkey"),
    ("--username", "username", "api\x1bkey"),
    ("--username", "username", "api\u2028key"),
    ("--from", "from_address", "app@example.test\r\nRCPT TO:<victim@evil.test>"),
    ("--send-to", "send_to", "dev@example.test\nDATA"),
    ("--host", "host", "127.0.0.1\r\nQUIT"),
]
CONFIG_CASES = [
    ("username", "api\u0000key"),  # NUL cannot be in argv; a config file can hold it
    ("username", "api\rkey"),
    ("from_name", "App\r\nBcc: victim@evil.test"),
    ("from_name", "App\u0085Bcc"),
    ("from_address", "app@example.test\nRCPT TO:<victim@evil.test>"),
]


def _cli(*args: str, server: RunningServer, dns_nameserver: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "smtp_wizard",
            "check",
            *args,
            "--port",
            str(server.port),
            "--security",
            "none",
            "--allow-plaintext-auth",
            "--password-env",
            E2E_PASSWORD_VARIABLE,
            "--nameserver",
            dns_nameserver,
            "--timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, E2E_PASSWORD_VARIABLE: PASSWORD},
    )


def _flag_args(values: dict[str, str]) -> list[str]:
    return [
        "--host",
        values.get("host", "127.0.0.1"),
        "--username",
        values["username"],
        "--from",
        values["from_address"],
        "--send-to",
        values["send_to"],
    ]


def _config_args(values: dict[str, str], folder: Path) -> list[str]:
    path = folder / "smtp-wizard.toml"
    lines = [
        "version = 1",
        'id = "0123456789ab"',
        'default_profile = "default"',
        "",
        "[profiles.default]",
        'host = "127.0.0.1"',
    ]
    lines += [
        f"{key} = {json.dumps(values[key])}" for key in ("username", "from_address", "from_name")
    ]
    lines.append(f'password = {{ env = "{E2E_PASSWORD_VARIABLE}" }}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["--config", str(path), "--send-to", values["send_to"]]


def _seen(server: RunningServer) -> bytes:
    """Everything the server received, with AUTH payloads decoded (the username is inside)."""
    raw = b"".join(server.received.raw)
    decoded = []
    for line in raw.split(b"\r\n"):
        for word in line.split(b" "):
            with contextlib.suppress(ValueError, binascii.Error):
                decoded.append(base64.b64decode(word, validate=True))
    return raw + b"\n" + b"\n".join(decoded)


def test_the_recording_server_sees_every_field_of_a_clean_run(scripted, dns, tmp_path) -> None:
    """The control for the tests below: the same run with clean values does reach it."""
    for args in (_flag_args(CLEAN), _config_args(CLEAN, tmp_path)):
        server = scripted(servers.recording_smtp)
        result = _cli(*args, server=server, dns_nameserver=dns.nameserver)
        assert result.returncode in (0, 1), result.stderr
        seen = _seen(server)
        assert server.received.connections == 1
        assert USERNAME.encode() in seen
        assert b"MAIL FROM:<app@example.test>" in seen
        assert b"RCPT TO:<dev@example.test>" in seen
    assert b"App" in seen  # the From name, in the message's header


@pytest.mark.parametrize(("flag", "field", "value"), FLAG_CASES)
def test_a_control_character_in_a_flag_never_reaches_the_server(
    scripted, dns, flag: str, field: str, value: str
) -> None:
    server = scripted(servers.recording_smtp)
    result = _cli(
        *_flag_args({**CLEAN, field: value}), server=server, dns_nameserver=dns.nameserver
    )
    _assert_refused_before_connecting(result, server, flag, value)


@pytest.mark.parametrize(("field", "value"), CONFIG_CASES)
def test_a_control_character_in_the_config_never_reaches_the_server(
    scripted, dns, tmp_path, field: str, value: str
) -> None:
    server = scripted(servers.recording_smtp)
    args = _config_args({**CLEAN, field: value}, tmp_path)
    result = _cli(*args, server=server, dns_nameserver=dns.nameserver)
    _assert_refused_before_connecting(result, server, field, value)


def _assert_refused_before_connecting(
    result: subprocess.CompletedProcess, server: RunningServer, where: str, value: str
) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "control character" in result.stderr.lower(), result.stderr
    assert where.lstrip("-").replace("-", "_") in result.stderr.replace("-", "_"), result.stderr
    assert server.received.connections == 0
    assert server.received.raw == []
    assert PASSWORD not in result.stdout + result.stderr


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def blackhole_port():
    """A port whose listen queue is full: new connections hang, as behind a firewall."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    filler = socket.create_connection(server.getsockname())
    try:
        yield server.getsockname()[1]
    finally:
        filler.close()
        server.close()


def test_a_connection_that_hangs_is_named_a_timeout_with_alternatives(blackhole_port) -> None:
    outcome = probe(blackhole_port, "starttls", timeout=2)
    result = outcome["smtp.connect"]
    assert result.status is Status.FAIL
    assert "timed out" in result.summary
    assert "firewall" in result.advice
    assert "465" in result.advice and "2525" in result.advice
    assert outcome.seconds < 3


def test_an_unreachable_network_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit test of the table: no loopback address can be unreachable, so the error is made."""
    import errno

    async def unreachable(self, sock, address):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(asyncio.selector_events.BaseSelectorEventLoop, "sock_connect", unreachable)
    result = probe(1, "starttls")["smtp.connect"]
    assert result.status is Status.FAIL
    assert "Network unreachable" in result.summary


@pytest.mark.parametrize(
    ("reply", "provider", "summary", "advice"),
    [
        (
            "535 5.7.8 Authentication credentials invalid",
            "brevo",
            "rejected the credentials (535 5.7.8)",
            "SMTP key",
        ),
        (
            "534 5.7.9 Application-specific password required",
            "gmail",
            "stronger login (534 5.7.9)",
            "app password",
        ),
        (
            "530 5.7.0 Must issue a STARTTLS command first",
            None,
            "requires something before AUTH (530 5.7.0)",
            "STARTTLS",
        ),
        (
            "454 4.7.0 Temporary authentication failure",
            None,
            "Temporary authentication failure (454 4.7.0)",
            "Try again",
        ),
        (
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled",
            "microsoft365",
            "refused basic authentication for SMTP (535 5.7.139)",
            "OAuth2",
        ),
        (
            "535 5.7.30 Basic authentication is not supported for Client Submission",
            None,
            "refused basic authentication (535 5.7.30)",
            "OAuth2",
        ),
    ],
)
def test_each_auth_refusal_is_explained(smtpd, certs, reply, provider, summary, advice) -> None:
    server = smtpd(starttls=certs.good(), auth_reply=reply)
    result = probe(
        server,
        "starttls",
        cafile=certs.cafile,
        provider=get_provider(provider) if provider else None,
    )["smtp.auth"]
    assert result.status is Status.FAIL
    assert summary in result.summary
    assert advice.lower() in result.advice.lower()
    assert reply in result.detail


@pytest.mark.parametrize(
    ("option", "reply", "summary"),
    [
        ("mail_reply", "550 5.7.1 Sender address not verified", "refused the sender address"),
        ("mail_reply", "553 5.1.8 Sender not allowed", "sender address is not allowed"),
        ("mail_reply", "451 4.3.0 Try later", "Temporary failure at MAIL FROM"),
        ("rcpt_reply", "550 5.7.1 Relaying denied", "refused to relay"),
        ("rcpt_reply", "451 4.7.1 Greylisted", "Temporary failure at RCPT TO"),
        ("data_reply", "552 5.3.4 Message too big", "too large"),
        ("data_reply", "451 4.3.0 Local error", "Temporary failure after DATA"),
    ],
)
def test_each_send_refusal_is_explained(smtpd, certs, option, reply, summary) -> None:
    server = smtpd(starttls=certs.good(), **{option: reply})
    result = probe(server, "starttls", cafile=certs.cafile, send_to="dev@example.test")["smtp.send"]
    assert result.status is Status.FAIL
    assert summary in result.summary
    assert reply in result.detail


# -- replies that never end ---------------------------------------------------------------------


def test_an_endless_multiline_greeting_is_named_as_such_within_the_deadline(scripted) -> None:
    outcome = probe(scripted(servers.endless_greeting), "starttls", timeout=5)
    result = outcome["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "greeting never ended" in result.summary
    assert "not an SMTP server" not in result.summary
    assert "KiB" in result.summary
    assert "continuation lines ('220-text')" in result.detail
    assert outcome.status("smtp.ehlo") is Status.SKIP
    assert outcome.seconds < 5.0


def test_an_endless_ehlo_reply_is_named_as_such_within_the_deadline(scripted) -> None:
    outcome = probe(scripted(servers.endless_ehlo), "starttls", timeout=5)
    assert outcome.status("smtp.greeting") is Status.PASS
    result = outcome["smtp.ehlo"]
    assert result.status is Status.FAIL
    assert "EHLO reply never ended" in result.summary
    assert "closed the connection" not in result.summary
    assert "continuation lines ('250-text')" in result.detail
    assert outcome.status("smtp.tls") is Status.SKIP
    assert outcome.seconds < 5.0


def test_a_greeting_line_without_end_is_named_as_such(scripted) -> None:
    outcome = probe(scripted(servers.endless_greeting_line), "starttls", timeout=5)
    result = outcome["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "greeting never ended" in result.summary
    assert "not an SMTP server" not in result.summary
    assert outcome.seconds < 5.0


def test_a_greeting_line_over_8_kib_is_named_too_long(scripted) -> None:
    outcome = probe(scripted(servers.long_greeting_line), "starttls", timeout=5)
    result = outcome["smtp.greeting"]
    assert result.status is Status.FAIL
    assert "one line over 8 KiB" in result.summary
    assert "not an SMTP server" not in result.summary
    assert outcome.seconds < 5.0
