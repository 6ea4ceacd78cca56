"""What the screens need from the core: plans known up front, probes that stop at a stage,
typed facts, discovery port by port, runs that leave nothing behind, and settings that
cannot reach the wire with a control character in them. Real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from smtp_wizard import settings as resolution
from smtp_wizard.checks.discover import discover_ports
from smtp_wizard.checks.facts import (
    AuthFacts,
    CertificateFacts,
    ConnectFacts,
    HostFacts,
    Outcome,
    ReplyFacts,
    TlsFacts,
)
from smtp_wizard.checks.model import CheckResult, Status, running
from smtp_wizard.checks.plan import check_plan
from smtp_wizard.checks.run import CheckRun, RunOptions
from smtp_wizard.checks.smtp import (
    SmtpProbe,
    SmtpSettings,
    Stage,
    Transcript,
    smtp_checks,
    smtp_plan,
)
from smtp_wizard.errors import UsageError
from smtp_wizard.secret import Secret
from tests import smtp_servers as servers
from tests.smtp_servers import PASSWORD, USERNAME


async def loopback(host: str) -> list[str]:
    return ["127.0.0.1"]


def settings_for(port: int, security: str, cafile: Any, **more: Any) -> SmtpSettings:
    options: dict[str, Any] = {
        "host": "localhost",
        "port": port,
        "security": security,
        "username": USERNAME,
        "password": Secret(PASSWORD),
        "cafile": cafile,
        "timeout": 5.0,
    }
    options.update(more)
    return SmtpSettings(**options)


def run_probe(settings: SmtpSettings, stage: Stage) -> tuple[list[CheckResult], SmtpProbe]:
    probe = SmtpProbe(settings, loopback, Transcript(), stage=stage)

    async def go() -> list[CheckResult]:
        return [r async for r in probe.run()]

    return asyncio.run(go()), probe


# -- settings that cannot reach the wire unprepared ----------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("send_to", "me@example.test\r\nRCPT TO:<victim@example.test>"),
        ("from_address", "app@example.test\nBcc: x@example.test"),
        ("username", "apikey\r\nQUIT"),
        ("host", "smtp.example.test\r\n"),
        ("from_name", "Shop\x00"),
    ],
)
def test_settings_with_a_control_character_cannot_be_built(field: str, value: str) -> None:
    with pytest.raises(UsageError) as caught:
        SmtpSettings(**{"host": "localhost", "port": 587, "security": "starttls", field: value})
    assert "control character" in caught.value.message
    assert value not in str(caught.value)


def test_settings_are_normalised_when_built_without_prepare() -> None:
    built = SmtpSettings(host="Bücher.example", port=587, security="STARTTLS")
    assert built.host == "xn--bcher-kva.example"
    assert built.security == "starttls"


def test_the_resolution_refuses_a_control_character_in_an_override() -> None:
    with pytest.raises(UsageError) as caught:
        resolution.resolve(None, None, {"from_address": "a@example.test\r\nBcc: b@x.test"})
    assert "--from contains the control character" in caught.value.message


# -- stages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.parametrize("stage", list(Stage))
def test_the_plan_names_the_results_in_the_order_they_come(smtpd, certs, security, stage) -> None:
    server = (
        smtpd(starttls=certs.good()) if security == "starttls" else smtpd(implicit_tls=certs.good())
    )
    settings = settings_for(
        server.port,
        security,
        certs.cafile,
        send_to="me@example.test",
        from_address="app@example.test",
    )
    results, _ = run_probe(settings, stage)
    assert [r.id for r in results] == list(smtp_plan(security, stage))


def test_the_connection_stage_stops_before_auth_and_sends_no_credentials(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    results, probe = run_probe(
        settings_for(server.port, "starttls", certs.cafile), Stage.CONNECTION
    )
    assert results[-1].id == "smtp.auth_mechanisms"
    assert all(r.status is Status.PASS for r in results), results
    assert "AUTH" not in [verb for verb, _, _ in server.received.commands]
    assert not any(line.startswith("C: AUTH") for line in probe.transcript.lines)
    assert probe.facts.outcome is Outcome.OK
    assert probe.facts.logged_in is False


def test_the_login_stage_logs_in_and_sends_nothing(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    settings = settings_for(
        server.port,
        "starttls",
        certs.cafile,
        send_to="me@example.test",
        from_address="app@example.test",
    )
    results, probe = run_probe(settings, Stage.LOGIN)
    assert results[-1].id == "smtp.auth"
    assert results[-1].status is Status.PASS
    assert probe.facts.logged_in
    assert "MAIL" not in [verb for verb, _, _ in server.received.commands]


# -- typed facts -----------------------------------------------------------------------------


def test_each_result_carries_the_facts_behind_its_text(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    results, probe = run_probe(settings_for(server.port, "starttls", certs.cafile), Stage.LOGIN)
    by_id = {r.id: r for r in results}
    assert by_id["dns.host"].facts == HostFacts(("127.0.0.1",))
    connect = by_id["smtp.connect"].facts
    assert isinstance(connect, ConnectFacts)
    assert (connect.address, connect.port) == ("127.0.0.1", server.port)
    tls = by_id["smtp.tls"].facts
    assert isinstance(tls, TlsFacts)
    assert tls.mode == "starttls"
    assert tls.version in ("TLSv1.2", "TLSv1.3")
    assert tls.modern
    assert by_id["tls.version"].facts == tls
    cert = by_id["tls.certificate"].facts
    assert isinstance(cert, CertificateFacts)
    assert "localhost" in cert.names
    assert cert.issuer  # trustme's CA organisation
    assert cert.not_after > datetime.now(UTC)
    assert cert.days_left == (cert.not_after - datetime.now(UTC)).days
    mechanisms = by_id["smtp.auth_mechanisms"].facts
    assert isinstance(mechanisms, AuthFacts)
    assert "PLAIN" in mechanisms.mechanisms
    assert mechanisms.usable[0] == "PLAIN"
    assert probe.facts.tls == tls
    assert probe.facts.certificate == cert
    assert "PLAIN" in probe.facts.mechanisms
    # Facts stay out of the JSON contract.
    assert "facts" not in by_id["smtp.tls"].to_json()


def test_a_refused_login_carries_the_reply_code_and_the_outcome(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good(), auth_reply="535 5.7.8 Authentication credentials invalid")
    results, probe = run_probe(settings_for(server.port, "starttls", certs.cafile), Stage.LOGIN)
    auth = results[-1]
    assert auth.id == "smtp.auth"
    assert auth.status is Status.FAIL
    assert auth.facts == ReplyFacts(535, "5.7.8", "5.7.8 Authentication credentials invalid")
    assert probe.facts.outcome is Outcome.AUTH_FAILED


def test_a_closed_port_ends_the_probe_with_the_refused_outcome() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, probe = run_probe(settings_for(port, "starttls", None), Stage.CONNECTION)
    assert probe.facts.outcome is Outcome.REFUSED


# -- the plan before anything runs -----------------------------------------------------------


def test_the_plan_lists_every_row_with_what_it_waits_for() -> None:
    plan = check_plan(
        "ssl",
        stage=Stage.LOGIN,
        endpoint="smtp.example.test:465",
        host="smtp.example.test",
        domain="example.test",
        selectors=("s1", "s2"),
    )
    ids = [row.id for row in plan]
    assert ids == [
        *smtp_plan("ssl", Stage.LOGIN),
        "dns.mx",
        "dns.spf",
        "dns.dkim",
        "dns.dkim",
        "dns.dmarc",
    ]
    by_id = {row.id: row for row in plan}
    assert by_id["smtp.auth"].depends_on == ("smtp.auth_mechanisms",)
    assert by_id["smtp.tls"].depends_on == ("smtp.connect",)  # implicit TLS: before greeting
    assert by_id["dns.spf"].depends_on == ()
    assert [row.subject for row in plan if row.id == "dns.dkim"] == [
        "s1._domainkey.example.test",
        "s2._domainkey.example.test",
    ]
    assert by_id["tls.certificate"].label == "certificate"
    assert by_id["smtp.auth"].step == "login"


# -- discovery, port by port -----------------------------------------------------------------


def test_discovery_yields_a_working_port_while_a_silent_one_still_waits(
    smtpd, scripted, certs
) -> None:
    good = smtpd(starttls=certs.good())
    silent = scripted(servers.no_banner)

    async def go() -> list[tuple[float, int, str]]:
        started = time.monotonic()
        seen = []
        async with running(
            discover_ports(
                "localhost",
                resolve=loopback,
                cafile=certs.cafile,
                timeout=3.0,
                ports=[(silent.port, "starttls"), (good.port, "starttls")],
            )
        ) as reports:
            async for report in reports:
                seen.append((time.monotonic() - started, report.port, report.status))
        return seen

    seen = asyncio.run(go())
    assert [(port, status) for _, port, status in seen] == [
        (good.port, "ok"),
        (silent.port, "timeout"),
    ]
    assert seen[0][0] < 1.5  # long before the silent port's deadline


def test_a_discovery_report_carries_typed_facts(smtpd, certs) -> None:
    server = smtpd(implicit_tls=certs.good())

    async def go() -> list[Any]:
        return [
            r
            async for r in discover_ports(
                "localhost",
                resolve=loopback,
                cafile=certs.cafile,
                timeout=3.0,
                ports=[(server.port, "ssl")],
            )
        ]

    (report,) = asyncio.run(go())
    assert report.ok
    assert report.outcome is Outcome.OK
    assert report.facts is not None and report.facts.tls is not None
    assert report.facts.tls.mode == "implicit"
    assert report.mechanisms == list(report.facts.mechanisms)
    assert [r.id for r in report.results][-1] == "smtp.auth_mechanisms"


# -- runs leave nothing behind ---------------------------------------------------------------


def _other_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def test_a_run_cancelled_midway_leaves_no_task_and_no_connection(scripted) -> None:
    silent = scripted(servers.no_banner)
    effective = resolution.resolve(
        None,
        None,
        {
            "host": "127.0.0.1",
            "port": silent.port,
            "security": "starttls",
            "username": "u",
            "from_address": "app@example.test",
        },
    )

    async def go() -> tuple[list[str], set[asyncio.Task[Any]]]:
        work = CheckRun(
            effective,
            RunOptions(nameservers=("127.0.0.1:9",), timeout=5.0),
            scope=("smtp",),
            given=Secret("x"),
        )
        assert [row.id for row in work.plan][:2] == ["dns.host", "smtp.connect"]
        seen: list[str] = []

        async def consume() -> None:
            async with work as results:
                async for result in results:
                    seen.append(result.id)

        task = asyncio.ensure_future(consume())
        deadline = time.monotonic() + 3
        while "smtp.connect" not in seen and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        cancelled = time.monotonic()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        stopping.append(time.monotonic() - cancelled)
        await asyncio.sleep(0)
        return seen, _other_tasks()

    stopping: list[float] = []
    seen, left = asyncio.run(go())
    assert seen == ["dns.host", "smtp.connect"]
    assert left == set()
    assert stopping[0] < 0.3  # no polite QUIT to a server that never greeted


def test_running_closes_a_stream_left_by_break(smtpd, certs) -> None:
    server = smtpd(starttls=certs.good())
    settings = settings_for(server.port, "starttls", certs.cafile)

    async def go() -> set[asyncio.Task[Any]]:
        async with running(smtp_checks(settings, loopback)) as results:
            async for result in results:
                if result.id == "smtp.connect":
                    break
        return _other_tasks()

    assert asyncio.run(go()) == set()


def test_check_gives_the_verdicts_of_the_shared_run(smtpd, certs, capsys) -> None:
    """`check --json` and a CheckRun on the same settings (what the wizard runs) agree."""
    import json

    from smtp_wizard import cli

    server = smtpd(starttls=certs.good(), auth_reply="535 5.7.8 Authentication credentials invalid")
    flags = {"host": "localhost", "port": server.port, "security": "starttls", "username": USERNAME}
    code = cli.main(
        [
            "check",
            "--json",
            "--only",
            "smtp",
            "--cafile",
            str(certs.cafile),
            "--timeout",
            "5",
            "--host",
            "localhost",
            "--port",
            str(server.port),
            "--security",
            "starttls",
            "--username",
            USERNAME,
            "--password-env",
            "THE_PASSWORD",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    from_cli = {c["id"]: c["status"] for c in document["checks"]}

    async def go() -> dict[str, str]:
        work = CheckRun(
            resolution.resolve(None, None, flags),
            RunOptions(cafile=certs.cafile, timeout=5.0),
            scope=("smtp",),
            given=Secret(PASSWORD),
        )
        async with work as results:
            found = {r.id: str(r.status) async for r in results}
        return found | {r.id: str(r.status) for r in work.not_asked}

    assert code == 1
    assert asyncio.run(go()) == from_cli
    assert from_cli["smtp.auth"] == "fail"


@pytest.fixture(autouse=True)
def _password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THE_PASSWORD", PASSWORD)
