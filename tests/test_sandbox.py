"""The demo world (`smtp_wizard.sandbox`) through the real core: real sockets on loopback.

Each test starts a world of its own (a tenth of a second: a CA, a DKIM key, three
listeners) and talks to it the way `smtp-wizard demo` does: the SMTP checks with the
world's CA file, the resolver of `--nameserver`, the domain checks with the demo preset,
the records plan published into the live zone, and a test send read back from the
mailbox. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dns.message
import dns.query
import dns.rcode
import pytest

from smtp_wizard import providers
from smtp_wizard.checks.discover import discover
from smtp_wizard.checks.dns import make_resolver
from smtp_wizard.checks.dnsapi import DnsError
from smtp_wizard.checks.domain import domain_report
from smtp_wizard.checks.model import CheckResult, Status
from smtp_wizard.checks.smtp import SmtpSettings, prepare, smtp_checks
from smtp_wizard.records import Published, RecordPlan, RecordRow, plan_records
from smtp_wizard.sandbox import INSTALL_HINT, SandboxError, missing_extra
from smtp_wizard.secret import Secret
from tests.conftest import require

if TYPE_CHECKING:
    from smtp_wizard.sandbox import DemoWorld

THREAD_NAME = "smtp-wizard-demo"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    """A running demo world in a folder of its own, stopped after the test."""
    problem = missing_extra()
    if problem is not None:
        require("the demo extra", problem)
    from smtp_wizard.sandbox import DemoWorld

    with DemoWorld(tmp_path / "demo") as started:
        yield started
    assert started.errors == []  # nothing went wrong inside the servers


# -- helpers ----------------------------------------------------------------------------------


def smtp_run(
    world: DemoWorld,
    security: str,
    *,
    password: str | None = None,
    send_to: str | None = None,
) -> dict[str, CheckResult]:
    """The SMTP checks against the demo, as `check --nameserver --cafile` runs them."""
    port = world.starttls_port if security == "starttls" else world.ssl_port
    settings = prepare(
        SmtpSettings(
            host=world.host,
            port=port,
            security=security,
            username=world.username,
            password=Secret(password if password is not None else world.password),
            from_address=world.from_address,
            send_to=send_to,
            cafile=world.cafile,
            timeout=5.0,
            provider=world.provider,
        )
    )
    resolver = make_resolver([world.nameserver], timeout=5.0)

    async def run() -> list[CheckResult]:
        return [r async for r in smtp_checks(settings, resolver.addresses)]

    return {r.id: r for r in asyncio.run(run())}


def domain_run(world: DemoWorld) -> tuple[dict[str, CheckResult], RecordPlan | None]:
    """The domain checks and the records plan, as `smtp-wizard dns` builds them."""

    async def run() -> tuple[dict[str, CheckResult], RecordPlan | None]:
        report = domain_report(
            world.domain,
            nameservers=[world.nameserver],
            timeout=5.0,
            provider=world.provider,
            selectors=("demo",),
        )
        results = {r.id: r async for r in report.results()}
        return results, await report.plan()

    return asyncio.run(run())


def refused(port: int) -> bool:
    """Nothing accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
        return False


def udp_free(port: int) -> bool:
    """Nothing holds UDP 127.0.0.1:`port` (it can be bound again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
        return True


def demo_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def dns_port(world: DemoWorld) -> int:
    return int(world.nameserver.rpartition(":")[2])


# -- lifecycle --------------------------------------------------------------------------------


def test_the_world_listens_on_loopback_only_and_writes_its_ca_into_its_folder(
    world: DemoWorld, tmp_path: Path
) -> None:
    assert world.nameserver.startswith("127.0.0.1:")
    assert len({world.starttls_port, world.ssl_port, dns_port(world)}) == 3
    assert world.cafile.parent == tmp_path / "demo"
    assert world.cafile.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert world.dkim_private_key is not None
    assert world.dkim_private_key.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (world.username, world.from_address, world.recipient) == (
        "demo",
        "noreply@myapp.test",
        "you@myapp.test",
    )


def test_stop_closes_every_port_and_ends_the_thread(world: DemoWorld) -> None:
    ports = (world.starttls_port, world.ssl_port, dns_port(world))
    assert not any(refused(port) for port in ports)
    world.stop()
    assert all(refused(port) for port in ports)
    assert udp_free(dns_port(world))
    assert demo_threads() == []
    world.stop()  # idempotent


def test_stop_ends_connections_that_are_still_open(world: DemoWorld) -> None:
    with (
        socket.create_connection(("127.0.0.1", world.starttls_port), timeout=5) as talking,
        socket.create_connection(("127.0.0.1", world.ssl_port), timeout=5) as handshaking,
        socket.create_connection(("127.0.0.1", dns_port(world)), timeout=5) as dns_client,
    ):
        assert talking.recv(1024).startswith(b"220 smtp.mailer.test")
        world.stop()
        for client in (talking, handshaking, dns_client):  # the server ended each of them
            with contextlib.suppress(ConnectionResetError):
                assert client.recv(1024) == b""
    assert demo_threads() == []


def test_a_failed_start_says_why_and_leaves_nothing_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = missing_extra()
    if problem is not None:
        require("the demo extra", problem)
    from smtp_wizard.sandbox import DemoWorld
    from smtp_wizard.sandbox.dnsserver import DnsServer
    from smtp_wizard.sandbox.smtpserver import DemoSmtpServer

    opened: list[int] = []
    real_open = DnsServer.open

    async def dns_open(self: DnsServer) -> None:
        await real_open(self)
        opened.append(self.port)

    async def smtp_open(self: DemoSmtpServer) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(DnsServer, "open", dns_open)
    monkeypatch.setattr(DemoSmtpServer, "open", smtp_open)
    world = DemoWorld(tmp_path / "demo")
    with pytest.raises(SandboxError, match=r"The demo could not start: .*Address already in use"):
        world.start()
    assert opened and refused(opened[0]) and udp_free(opened[0])
    assert demo_threads() == []
    assert not world.running
    with pytest.raises(SandboxError, match="not been started"):
        _ = world.nameserver


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    problem = missing_extra()
    if problem is not None:
        require("the demo extra", problem)
    from smtp_wizard.sandbox import DemoWorld

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SandboxError, match="could not create its folder"):
        DemoWorld(blocker / "demo").start()
    assert demo_threads() == []


def test_a_running_world_refuses_a_second_start(world: DemoWorld) -> None:
    with pytest.raises(SandboxError, match="already running"):
        world.start()


def test_without_the_demo_extra_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert INSTALL_HINT == "pip install 'smtp-wizard[demo]'"
    monkeypatch.setitem(sys.modules, "aiosmtpd", None)  # what find_spec sees when absent
    message = missing_extra()
    assert message is not None
    assert "aiosmtpd" in message
    assert "pip install 'smtp-wizard[demo]'" in message


# -- SMTP -------------------------------------------------------------------------------------

LOGIN_CHECKS = (
    "dns.host",
    "smtp.connect",
    "smtp.greeting",
    "smtp.ehlo",
    "smtp.tls",
    "tls.version",
    "tls.certificate",
    "smtp.auth_mechanisms",
    "smtp.auth",
)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_the_smtp_checks_pass_on_both_ports_with_the_demo_credentials(
    world: DemoWorld, security: str
) -> None:
    results = smtp_run(world, security)
    assert {i: results[i].status for i in LOGIN_CHECKS} == dict.fromkeys(LOGIN_CHECKS, Status.PASS)
    assert "smtp.mailer.test" in results["tls.certificate"].summary
    assert "PLAIN" in results["smtp.auth_mechanisms"].summary
    assert "LOGIN" in results["smtp.auth_mechanisms"].summary


def test_a_wrong_password_is_refused_with_535(world: DemoWorld) -> None:
    results = smtp_run(world, "starttls", password="not-the-demo-password")
    assert results["smtp.auth"].status is Status.FAIL
    assert "535" in results["smtp.auth"].summary
    assert results["smtp.tls"].status is Status.PASS


@pytest.mark.parametrize(
    ("port", "wrong", "right"), [("ssl", "starttls", "ssl"), ("starttls", "ssl", "starttls")]
)
def test_the_wrong_tls_mode_on_a_demo_port_names_the_right_one(
    world: DemoWorld, port: str, wrong: str, right: str
) -> None:
    number = world.ssl_port if port == "ssl" else world.starttls_port
    settings = prepare(
        SmtpSettings(host=world.host, port=number, security=wrong, cafile=world.cafile, timeout=5.0)
    )
    resolver = make_resolver([world.nameserver], timeout=5.0)

    async def run() -> list[CheckResult]:
        return [r async for r in smtp_checks(settings, resolver.addresses)]

    tls = {r.id: r for r in asyncio.run(run())}["smtp.tls"]
    assert tls.status is Status.FAIL
    assert f"choose {right}" in tls.summary


def test_auth_and_mail_wait_for_starttls_on_the_submission_port(world: DemoWorld) -> None:
    with socket.create_connection(("127.0.0.1", world.starttls_port), timeout=5) as sock:
        reader = sock.makefile("rb")

        def reply() -> list[bytes]:
            lines = [reader.readline()]
            while lines[-1][3:4] == b"-":
                lines.append(reader.readline())
            return lines

        assert reply()[0].startswith(b"220 ")
        sock.sendall(b"EHLO client.test\r\n")
        ehlo = b"".join(reply())
        assert b"STARTTLS" in ehlo and b"AUTH" not in ehlo
        sock.sendall(b"AUTH PLAIN AGRlbW8Ab3Blbi1zZXNhbWUtNDI=\r\n")
        assert reply()[0][:1] == b"5"
        sock.sendall(b"MAIL FROM:<noreply@myapp.test>\r\n")
        assert reply()[0].startswith(b"530")


def test_discovery_finds_both_demo_ports(world: DemoWorld) -> None:
    resolver = make_resolver([world.nameserver], timeout=5.0)
    found = asyncio.run(
        discover(
            world.host,
            resolve=resolver.addresses,
            cafile=world.cafile,
            timeout=5.0,
            provider=world.provider,
            ports=[(world.starttls_port, "starttls"), (world.ssl_port, "ssl")],
        )
    )
    assert {(p.port, p.security, p.status) for p in found.ports} == {
        (world.starttls_port, "starttls", "ok"),
        (world.ssl_port, "ssl", "ok"),
    }
    assert found.recommended is not None


# -- the mailbox ------------------------------------------------------------------------------


def test_a_test_send_lands_in_the_mailbox_with_a_received_header(world: DemoWorld) -> None:
    async def send_and_wait() -> tuple[dict[str, CheckResult], list[Any]]:
        waiting = asyncio.ensure_future(world.mailbox.wait(1, timeout=10))
        results = await asyncio.to_thread(smtp_run, world, "ssl", send_to=world.recipient)
        return results, await waiting

    results, messages = asyncio.run(send_and_wait())
    assert results["smtp.send"].status is Status.PASS
    [message] = messages
    assert message.mail_from == world.from_address
    assert message.rcpt_tos == (world.recipient,)
    assert message.subject == "smtp-wizard test message"
    name, received = message.headers[0]
    assert name == "Received"
    assert "by smtp.mailer.test" in received and "with ESMTPSA" in received
    assert "authenticated as demo" in received and "using TLSv1." in received
    assert message.header("to") == world.recipient
    assert "smtp-wizard" in message.body
    assert message.path is not None and message.path.parent == world.folder / "mailbox"
    assert message.path.read_bytes() == message.raw
    for path in world.folder.rglob("*"):  # the CA, the mailbox: never the password
        assert not path.is_file() or world.password.encode() not in path.read_bytes()
    assert world.mailbox.messages() == [message]


def test_waiting_for_mail_that_never_comes_times_out(world: DemoWorld) -> None:
    with pytest.raises(TimeoutError, match="holds 0 messages, not 1"):
        asyncio.run(world.mailbox.wait(1, timeout=0.2))


# -- DNS and publishing -----------------------------------------------------------------------


def test_the_sender_domain_starts_with_the_usual_mistakes(world: DemoWorld) -> None:
    results, plan = domain_run(world)
    assert results["dns.mx"].status is Status.PASS
    assert results["dns.spf"].status is not Status.PASS
    assert "_spf.mailer.test" in results["dns.spf"].summary
    assert results["dns.dkim"].status is Status.FAIL
    assert results["dns.dkim"].subject == "demo._domainkey.myapp.test"
    assert results["dns.dmarc"].status is Status.WARN
    assert "p=none" in results["dns.dmarc"].summary
    assert plan is not None
    rows = {row.kind: row for row in plan.rows}
    assert (rows["SPF"].action, rows["SPF"].value) == (
        "replace",
        "v=spf1 mx include:_spf.mailer.test ~all",
    )
    assert (rows["DKIM"].type, rows["DKIM"].value, rows["DKIM"].placeholder) == (
        "CNAME",
        "demo._domainkey.mailer.test",
        False,
    )


def test_publishing_the_plan_turns_spf_and_dkim_green(world: DemoWorld) -> None:
    _, plan = domain_run(world)
    assert plan is not None
    changes = world.publish(plan.rows)
    assert len(changes) == 3
    results, after = domain_run(world)
    assert results["dns.spf"].status is Status.PASS
    assert results["dns.dkim"].status is Status.PASS
    assert "published as a CNAME to demo._domainkey.mailer.test" in results["dns.dkim"].summary
    assert results["dns.mx"].status is Status.PASS
    # DMARC now sends reports to the demo mailbox; p=none stays a warning by design: the
    # plan's next step (p=quarantine) comes after weeks of reports, not in one go.
    assert "rua=" not in results["dns.dmarc"].summary
    assert "p=none" in results["dns.dmarc"].summary
    assert after is not None
    assert {row.action for row in after.rows} == {"keep"}


def test_the_next_dmarc_step_published_turns_every_domain_check_green(world: DemoWorld) -> None:
    """In the demo the weeks of reading reports are skipped: p=quarantine at once."""
    _, plan = domain_run(world)
    assert plan is not None
    world.publish(plan.rows)
    _, after = domain_run(world)
    assert after is not None
    world.publish(after.dmarc.later[:1])
    results, _ = domain_run(world)
    assert {r.id: r.status for r in results.values()} == dict.fromkeys(
        ("dns.mx", "dns.spf", "dns.dkim", "dns.dmarc"), Status.PASS
    )


def test_the_demo_presets_dkim_row_is_complete_without_asking_dns(world: DemoWorld) -> None:
    plan = plan_records(world.domain, world.provider, Published())
    [dkim] = plan.dkim.rows
    assert (dkim.action, dkim.name, dkim.type, dkim.placeholder) == (
        "add",
        "demo._domainkey.myapp.test",
        "CNAME",
        False,
    )
    assert dkim.zone_line() == (
        "demo._domainkey.myapp.test. 3600 IN CNAME demo._domainkey.mailer.test."
    )


def row(kind: str, action: str, name: str, rtype: str, value: str, **extra: Any) -> RecordRow:
    host = name.removesuffix(".myapp.test") if name != "myapp.test" else "@"
    return RecordRow(kind, action, host, name, rtype, value, **extra)


def txt(world: DemoWorld, name: str) -> list[str]:
    resolver = make_resolver([world.nameserver], timeout=5.0)
    return list(asyncio.run(resolver.txt(name)).records)


def test_publish_refuses_a_placeholder_and_changes_nothing(world: DemoWorld) -> None:
    rows = [
        row("SPF", "replace", "myapp.test", "TXT", "v=spf1 mx include:_spf.mailer.test ~all"),
        row(
            "DKIM",
            "add",
            "s1._domainkey.myapp.test",
            "TXT",
            "<the key the provider shows: v=DKIM1; p=...>",
            placeholder=True,
        ),
    ]
    with pytest.raises(SandboxError, match=r"Nothing was published: DKIM record .*placeholder"):
        world.publish(rows)
    assert txt(world, "myapp.test") == ["v=spf1 mx ~all"]


def test_publish_refuses_an_address_outside_the_demo_domain(world: DemoWorld) -> None:
    value = "v=DMARC1; p=none; rua=mailto:reports@elsewhere.test"
    rows = [row("DMARC", "replace", "_dmarc.myapp.test", "TXT", value, placeholder=True)]
    with pytest.raises(SandboxError, match="address to change first"):
        world.publish(rows)
    assert txt(world, "_dmarc.myapp.test") == ["v=DMARC1; p=none"]


def test_publish_refuses_a_cname_beside_other_records_and_changes_nothing(
    world: DemoWorld,
) -> None:
    rows = [
        row("SPF", "replace", "myapp.test", "TXT", "v=spf1 mx include:_spf.mailer.test ~all"),
        row("DKIM", "add", "myapp.test", "CNAME", "demo._domainkey.mailer.test"),
    ]
    with pytest.raises(SandboxError, match="CNAME cannot share its name"):
        world.publish(rows)
    assert txt(world, "myapp.test") == ["v=spf1 mx ~all"]


def test_publish_refuses_names_the_demo_does_not_serve(world: DemoWorld) -> None:
    rows = [row("SPF", "add", "example.com", "TXT", "v=spf1 -all")]
    with pytest.raises(SandboxError, match=r"serves only mailer\.test, myapp\.test"):
        world.publish(rows)


def test_publish_adds_beside_and_deletes_exactly_the_row_given(world: DemoWorld) -> None:
    verification = "site-verification=abc123"
    world.publish([row("SPF", "add", "myapp.test", "TXT", verification)])
    assert sorted(txt(world, "myapp.test")) == sorted(["v=spf1 mx ~all", verification])
    changes = world.publish([row("SPF", "delete", "myapp.test", "TXT", "v=spf1 mx ~all")])
    assert changes == ["SPF: deleted TXT myapp.test v=spf1 mx ~all"]
    assert txt(world, "myapp.test") == [verification]
    assert world.publish([row("SPF", "keep", "myapp.test", "TXT", verification)]) == []
    cname = row("DKIM", "add", "demo._domainkey.myapp.test", "CNAME", "demo._domainkey.mailer.test")
    world.publish([cname])
    assert txt(world, "demo._domainkey.myapp.test")[0].startswith("v=DKIM1; k=rsa; p=")
    world.publish([replace(cname, action="delete")])
    with pytest.raises(DnsError):
        txt(world, "demo._domainkey.myapp.test")


def test_publish_refuses_a_txt_replace_it_cannot_place(world: DemoWorld) -> None:
    with pytest.raises(SandboxError, match="Cannot tell which TXT record"):
        world.publish([row("SPF", "replace", "myapp.test", "TXT", "site-verification=abc")])
    assert txt(world, "myapp.test") == ["v=spf1 mx ~all"]


def test_names_outside_the_demo_zones_are_refused_never_forwarded(world: DemoWorld) -> None:
    query = dns.message.make_query("example.com", "A")
    response = dns.query.udp(query, "127.0.0.1", port=dns_port(world), timeout=5)
    assert response.rcode() == dns.rcode.REFUSED
    assert not response.answer


def test_the_demo_preset_is_registered_while_the_world_runs(world: DemoWorld) -> None:
    assert providers.get_provider("demo") is world.provider
    assert providers.find_by_host(world.host) is world.provider
    assert list(providers.load_providers())[-2:] == ["demo", "custom"]
    world.stop()
    assert "demo" not in providers.load_providers()
