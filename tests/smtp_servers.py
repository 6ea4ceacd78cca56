"""Real SMTP servers on 127.0.0.1 for the tests: aiosmtpd for the well-behaved ones,
small scripted asyncio servers for the faults, trustme certificates for TLS.

Every server runs on one background event loop (its own thread), listens on an ephemeral
port, counts its connections and records what it received, including whether each
command arrived inside TLS, so a test can assert that no AUTH line ever crossed a
plaintext connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USERNAME = "apikey"
PASSWORD = "s3cret pass\u00e9 $HOME #1"


class ServerLoop:
    """One event loop in a daemon thread that hosts every test server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Received:
    """What one server saw: each command with whether TLS was on, and the messages."""

    commands: list[tuple[str, str, bool]] = field(default_factory=list)
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    connections: int = 0

    def verbs(self) -> list[str]:
        return [verb for verb, _, _ in self.commands]

    def auth_in_clear(self) -> list[str]:
        return [arg for verb, arg, tls in self.commands if verb == "AUTH" and not tls]


@dataclass
class RunningServer:
    host: str
    port: int
    received: Received
    server: asyncio.AbstractServer
    loop: ServerLoop

    def close(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            self.server.close_clients() if hasattr(self.server, "close_clients") else None
            await asyncio.sleep(0)

        self.loop.run(shutdown())


# -- aiosmtpd ---------------------------------------------------------------------------------


class _Handler:
    def __init__(
        self,
        received: Received,
        rcpt_reply: str | None,
        data_reply: str | None,
        mail_reply: str | None = None,
    ):
        self.received = received
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.mail_reply = mail_reply

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.messages.append(
            (envelope.mail_from or "", list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 2.0.0 OK queued as TEST1"


class _RecordingSMTP(SMTP):
    """aiosmtpd's server, recording each command and whether it came inside TLS."""

    received: Received
    starttls_reply: str | None = None
    xoauth2_only: bool = False

    def _tls_on(self) -> bool:
        transport = self.transport
        return self._tls_protocol is not None or (
            transport is not None and transport.get_extra_info("sslcontext") is not None
        )

    def _record(self, verb: str, arg: str) -> None:
        self.received.commands.append((verb, arg, self._tls_on()))

    async def smtp_EHLO(self, arg: str) -> None:
        self._record("EHLO", arg)
        await super().smtp_EHLO(arg)

    async def smtp_STARTTLS(self, arg: str) -> None:
        self._record("STARTTLS", arg)
        if self.starttls_reply:
            await self.push(self.starttls_reply)
            return
        await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg: str) -> None:
        self._record("AUTH", arg)
        await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg: str) -> None:
        self._record("MAIL", arg)
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str) -> None:
        self._record("RCPT", arg)
        await super().smtp_RCPT(arg)

    async def smtp_QUIT(self, arg: str) -> None:
        self._record("QUIT", arg)
        await super().smtp_QUIT(arg)


class _XOAuthOnlySMTP(_RecordingSMTP):
    """Offers only XOAUTH2: no mechanism smtp-wizard logs in with."""

    async def auth_XOAUTH2(self, _: SMTP, args: list[bytes]) -> AuthResult:
        return AuthResult(success=False, handled=False)


def _authenticator(
    username: str, password: str, refusal: str | None = None
) -> Callable[..., AuthResult]:
    """Accept `username`/`password`; refuse anything else (with `refusal` as the reply)."""

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any):
        if isinstance(data, LoginPassword):
            ok = data.login.decode() == username and data.password.decode() == password
            if ok and refusal is None:
                return AuthResult(success=True, handled=False)
        return AuthResult(success=False, handled=False, message=refusal)

    return check


async def _start_aiosmtpd(
    received: Received,
    *,
    implicit_tls: ssl.SSLContext | None,
    starttls: ssl.SSLContext | None,
    offer_auth: bool,
    auth_require_tls: bool,
    starttls_reply: str | None,
    rcpt_reply: str | None,
    data_reply: str | None,
    xoauth2_only: bool,
    password: str,
    exclude_mechanisms: tuple[str, ...],
    host: str,
    port: int,
    mail_reply: str | None,
    auth_reply: str | None,
) -> asyncio.AbstractServer:
    handler = _Handler(received, rcpt_reply, data_reply, mail_reply)
    cls = _XOAuthOnlySMTP if xoauth2_only else _RecordingSMTP

    def factory() -> SMTP:
        received.connections += 1
        kwargs: dict[str, Any] = {
            "hostname": "smtp.example.test",
            "tls_context": starttls,
            # aiosmtpd knows only STARTTLS as TLS; under implicit TLS the transport is TLS.
            "auth_require_tls": auth_require_tls and implicit_tls is None,
        }
        if offer_auth:
            kwargs["authenticator"] = _authenticator(USERNAME, password, auth_reply)
        if xoauth2_only:
            kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        elif exclude_mechanisms:
            kwargs["auth_exclude_mechanism"] = list(exclude_mechanisms)
        smtp = cls(handler, **kwargs)
        smtp.received = received
        smtp.starttls_reply = starttls_reply
        return smtp

    return await asyncio.get_running_loop().create_server(factory, host, port, ssl=implicit_tls)


def start_smtpd(
    loop: ServerLoop,
    *,
    implicit_tls: ssl.SSLContext | None = None,
    starttls: ssl.SSLContext | None = None,
    offer_auth: bool = True,
    auth_require_tls: bool = True,
    starttls_reply: str | None = None,
    rcpt_reply: str | None = None,
    data_reply: str | None = None,
    xoauth2_only: bool = False,
    password: str = PASSWORD,
    exclude_mechanisms: tuple[str, ...] = (),
    host: str = "127.0.0.1",
    port: int = 0,
    mail_reply: str | None = None,
    auth_reply: str | None = None,
) -> RunningServer:
    received = Received()
    server = loop.run(
        _start_aiosmtpd(
            received,
            implicit_tls=implicit_tls,
            starttls=starttls,
            offer_auth=offer_auth,
            auth_require_tls=auth_require_tls,
            starttls_reply=starttls_reply,
            rcpt_reply=rcpt_reply,
            data_reply=data_reply,
            xoauth2_only=xoauth2_only,
            password=password,
            exclude_mechanisms=exclude_mechanisms,
            host=host,
            port=port,
            mail_reply=mail_reply,
            auth_reply=auth_reply,
        )
    )
    return RunningServer(host, server.sockets[0].getsockname()[1], received, server, loop)


# -- scripted faults --------------------------------------------------------------------------

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, Received], Awaitable[None]]


def start_scripted(
    loop: ServerLoop, script: Script, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """A TCP server on loopback that runs `script` for each connection."""
    received = Received()

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.connections += 1
        try:
            await script(reader, writer, received)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def start() -> asyncio.AbstractServer:
        return await asyncio.start_server(client, host, port)

    server = loop.run(start())
    return RunningServer(host, server.sockets[0].getsockname()[1], received, server, loop)


async def banner_421(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    writer.write(b"421 4.3.2 Service not available, closing transmission channel\r\n")
    await writer.drain()


async def banner_554(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    writer.write(b"554 5.7.1 Your IP is on our block list\r\n")
    await writer.drain()


async def no_banner(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    while data := await reader.read(1024):
        received.raw.append(data)


async def close_at_once(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    return


async def ssh_banner(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    await writer.drain()
    await reader.read(1024)


async def one_byte_a_second(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    for byte in b"220 slow.example.test ESMTP drip drip drip\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(1)


ENDLESS_CHUNK_LINES = 64  # lines written at once by the endless servers


async def _endless(writer: asyncio.StreamWriter, line: bytes) -> None:
    """Write `line` over and over until the client goes away (a server stuck in a loop)."""
    chunk = line * ENDLESS_CHUNK_LINES
    while not writer.is_closing():
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.001)


async def endless_greeting(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    """`220-` continuation lines forever: the greeting never reaches its final line."""
    await _endless(writer, b"220-endless.example.test still greeting you\r\n")


async def endless_greeting_line(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    """One greeting line that never ends: `220 ` and then text forever, no line break."""
    writer.write(b"220 ")
    await _endless(writer, b"x")


async def long_greeting_line(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    """A complete greeting whose single line is 10 KiB (SMTP allows 512 bytes)."""
    writer.write(b"220 " + b"y" * 10240 + b"\r\n")
    await writer.drain()
    await reader.read(1024)


async def endless_ehlo(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    """A proper greeting, then an EHLO reply of `250-` lines that never ends."""
    writer.write(b"220 endless.example.test ESMTP\r\n")
    await writer.drain()
    line = await reader.readline()
    received.raw.append(line)
    if line.upper().startswith(b"EHLO"):
        await _endless(writer, b"250-EXTENSION-THAT-NEVER-ENDS\r\n")


async def recording_smtp(reader, writer, received) -> None:  # type: ignore[no-untyped-def]
    """A minimal SMTP server that accepts anything and records every byte it receives.

    It offers AUTH PLAIN/LOGIN without TLS (tests use `--security none
    --allow-plaintext-auth`), so every field the client sends (EHLO name, username in the
    AUTH payload, MAIL FROM, RCPT TO, the message) crosses this socket and lands in
    `received.raw`.
    """
    writer.write(b"220 recorder.example.test ESMTP\r\n")
    await writer.drain()
    in_data = False
    while line := await reader.readline():
        received.raw.append(line)
        if in_data:
            if line in (b".\r\n", b".\n"):
                in_data = False
                writer.write(b"250 2.0.0 queued\r\n")
            continue
        verb = line.split(b" ", 1)[0].strip().upper()
        received.commands.append((verb.decode("ascii", "replace"), "", False))
        reply = {
            b"EHLO": b"250-recorder.example.test\r\n250 AUTH PLAIN LOGIN\r\n",
            b"AUTH": b"235 2.7.0 accepted\r\n",
            b"DATA": b"354 go ahead\r\n",
            b"QUIT": b"221 bye\r\n",
        }.get(verb, b"250 OK\r\n")
        in_data = verb == b"DATA"
        writer.write(reply)
        await writer.drain()
        if verb == b"QUIT":
            return


# -- certificates -----------------------------------------------------------------------------


@dataclass
class Certificates:
    """A throw-away CA and the server certificates the tests need."""

    ca: trustme.CA
    cafile: Path
    folder: Path

    @classmethod
    def make(cls, folder: Path) -> Certificates:
        ca = trustme.CA()
        cafile = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(cafile))
        return cls(ca, cafile, folder)

    def server_context(
        self,
        *names: str,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        issuer: trustme.CA | None = None,
    ) -> ssl.SSLContext:
        names = names or ("smtp.example.test", "localhost", "127.0.0.1")
        cert = (issuer or self.ca).issue_cert(*names, not_before=not_before, not_after=not_after)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        return context

    def good(self) -> ssl.SSLContext:
        return self.server_context()

    def expired(self) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        return self.server_context(
            not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
        )

    def not_yet_valid(self) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        return self.server_context(
            not_before=now + dt.timedelta(days=2), not_after=now + dt.timedelta(days=400)
        )

    def expiring_soon(self, days: int = 10) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        return self.server_context(
            not_before=now - dt.timedelta(days=30), not_after=now + dt.timedelta(days=days)
        )

    def wrong_host(self) -> ssl.SSLContext:
        return self.server_context("other.example.test")

    def self_signed(self) -> ssl.SSLContext:
        """The server presents a CA certificate of its own: signed by itself alone."""
        other = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        other.cert_pem.write_to_path(str(self.folder / "self-signed.pem"))
        other.private_key_pem.write_to_path(str(self.folder / "self-signed.key"))
        context.load_cert_chain(
            str(self.folder / "self-signed.pem"), str(self.folder / "self-signed.key")
        )
        return context

    def unknown_ca(self) -> ssl.SSLContext:
        return self.server_context(issuer=trustme.CA())

    def old_tls_only(self) -> ssl.SSLContext | None:
        """A context that serves only TLS 1.0/1.1, or None where OpenSSL refuses to."""
        context = self.server_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = ssl.TLSVersion.TLSv1_1
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
            except (ValueError, ssl.SSLError):
                return None
        return context
