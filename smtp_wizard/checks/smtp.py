"""The live SMTP checks: could an app send mail through this server, and if not, why.

One probe walks the conversation an app would have, turning each stage into a
`CheckResult` as soon as it is known: the host's addresses, the TCP connection, the
greeting, EHLO, TLS (STARTTLS or implicit), the TLS version and certificate, the AUTH
mechanisms, a real login and, when asked, a real message. aiosmtplib speaks the
protocol; this module decides what each outcome means.

Rules that hold whatever the server does:
- one deadline for the whole probe (connect to QUIT), never per read: a server that
  never greets, or drips one byte a second, ends at the deadline;
- AUTH is never sent on a connection without TLS unless the user passed
  `--allow-plaintext-auth` with security `none`; with `starttls` there is no fallback;
- certificates are always verified (the system store plus `--cafile`);
- every value sent to the server is refused before connecting if it holds a control
  character (our own check: not every Python 3.11 has the CVE-2024-6923 fix);
- the transcript shows every command and reply, with AUTH payloads as `<redacted>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import functools
import socket
import ssl
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtplib import SMTPResponse

from smtp_wizard import validate
from smtp_wizard.checks import advice
from smtp_wizard.checks.dnsapi import DnsError, DnsErrorKind
from smtp_wizard.checks.dnsverdict import dns_verdict
from smtp_wizard.checks.facts import (
    AuthFacts,
    CertificateFacts,
    ConnectFacts,
    Facts,
    HostFacts,
    Outcome,
    ProbeFacts,
    ReplyFacts,
    TlsFacts,
)
from smtp_wizard.checks.model import CheckResult, Status, skipped
from smtp_wizard.checks.stages import _LAST_CHECK, _SSL_ORDER, CHECK_IDS, Stage, smtp_plan
from smtp_wizard.errors import UsageError
from smtp_wizard.providers import Provider
from smtp_wizard.secret import Secret

CERT_WARN_DAYS = 21
# Mechanisms we can log in with, in the order we prefer them (PLAIN is the standard one
# over TLS; CRAM-MD5 only where nothing else is offered).
SUPPORTED_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")
# When no greeting has come after this long, check on a second connection whether the
# port expects TLS from the first byte (capped at half the deadline).
WRONG_MODE_GRACE = 2.0
REDACTED = "<redacted>"


@dataclass(frozen=True)
class SmtpSettings:
    """Everything one probe needs, checked when it is built.

    Constructing one refuses (UsageError) any value that would reach the server holding CR,
    LF or another control character, and normalises the host to its ASCII form: settings
    that exist can go on the wire, whoever built them.
    """

    host: str
    port: int
    security: str
    username: str | None = None
    password: Secret | None = None
    password_problem: str = ""
    """Why there is no password (e.g. the keyring is locked): smtp.auth fails saying so."""
    from_address: str | None = None
    from_name: str | None = None
    send_to: str | None = None
    cafile: Path | None = None
    timeout: float = 10.0
    allow_plaintext_auth: bool = False
    ehlo_name: str | None = None
    provider: Provider | None = None
    password_source: Callable[[], Awaitable[tuple[Secret | None, str]]] | None = None
    """Where the password comes from when it is read while the probe runs (the keyring,
    read at the same time as connect and TLS): awaited at AUTH, within the deadline."""
    how_to_set: Callable[[str, str], str] | None = None
    """`how_to_set("security", "ssl")` -> how the user changes a value, in the words of how
    they gave it (`pass --security ssl`, or the `config set` command for their file)."""

    def __post_init__(self) -> None:
        for name, value in _checked(self).items():
            object.__setattr__(self, name, value)

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


_OUTGOING_FIELDS = (
    ("host", "--host"),
    ("username", "--username"),
    ("from_address", "--from"),
    ("from_name", "from_name"),
    ("send_to", "--send-to"),
    ("ehlo_name", "EHLO name"),
)


def prepare(settings: SmtpSettings) -> SmtpSettings:
    """`settings` as they are: construction already checked and normalised them.

    Kept for callers written when checking was a separate step.
    """
    return settings


def _checked(settings: SmtpSettings) -> dict[str, Any]:
    """The normalised values of `settings`, or UsageError before anything is sent.

    Every value that reaches the server is refused if it holds CR, LF or another control
    character, and the host is converted once to its ASCII (IDNA 2008 / UTS 46) form,
    which is then used for DNS, the connection and the certificate check alike.
    """
    for attribute, label in _OUTGOING_FIELDS:
        value = getattr(settings, attribute)
        if value is None:
            continue
        char = validate.control_character(value)
        if char is not None:
            raise UsageError(
                f"{label} contains the control character {validate.describe_char(char)}.",
                "Control characters could inject SMTP commands or headers; nothing was sent. "
                "Remove it and try again.",
            )
    try:
        host, _ = validate.host(settings.host)
        validate.port(settings.port)
        security = validate.security(settings.security)
        from_address = (
            validate.email_address(settings.from_address) if settings.from_address else None
        )
        send_to = validate.email_address(settings.send_to) if settings.send_to else None
    except ValueError as exc:
        raise UsageError(f"Not allowed: {exc}.") from None
    if settings.timeout <= 0:
        raise UsageError("The timeout must be a positive number of seconds.")
    return {
        "host": host,
        "security": security,
        "from_address": from_address,
        "send_to": send_to,
    }


class Transcript:
    """Every command and reply, as a user would read them; AUTH payloads never appear."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._in_auth = False

    def note(self, text: str) -> None:
        self.lines.append(f"* {text}")

    def client(self, words: tuple[bytes, ...]) -> None:
        verb = words[0].decode("ascii", "replace").upper() if words else ""
        if verb == "AUTH":
            self._in_auth = True
            shown = " ".join(w.decode("ascii", "replace") for w in words[:2])
            if len(words) > 2:
                shown += f" {REDACTED}"
        elif self._in_auth:
            shown = REDACTED  # a continuation line of an AUTH exchange
        else:
            shown = b" ".join(words).decode("utf-8", "replace")
        self.lines.append(f"C: {shown}")

    def server(self, code: int, message: str) -> None:
        if code != 334:
            self._in_auth = False
        lines = message.splitlines() or [""]
        for index, line in enumerate(lines):
            separator = "-" if index < len(lines) - 1 else " "
            shown = REDACTED if code == 334 and self._in_auth else line
            self.lines.append(f"S: {code}{separator}{shown}")


@dataclass
class _TlsSnapshot:
    version: str | None
    cipher: str | None
    certificate: dict[str, Any] | None


class _RecordingSMTP(aiosmtplib.SMTP):
    """aiosmtplib's client, writing the transcript and refusing AUTH without TLS."""

    def __init__(self, transcript: Transcript, plaintext_auth: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transcript = transcript
        self.plaintext_auth = plaintext_auth
        self.tls: _TlsSnapshot | None = None

    @property
    def encrypted(self) -> bool:
        return self.transport is not None and (
            self.transport.get_extra_info("sslcontext") is not None
        )

    async def execute_command(self, *args: bytes, **kwargs: Any) -> SMTPResponse:
        if args and args[0].upper() == b"AUTH" and not self.encrypted and not self.plaintext_auth:
            # The last line of defence: the checks never get here, but if they did, no
            # credential leaves without TLS.
            raise RuntimeError("refusing to send AUTH on a connection without TLS")
        self.transcript.client(args)
        response = await super().execute_command(*args, **kwargs)
        self.transcript.server(response.code, response.message)
        return response

    def snapshot_tls(self) -> None:
        """Keep the TLS facts before the transport goes (close() discards it)."""
        if self.transport is None:
            return
        ssl_object = self.transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        cipher = ssl_object.cipher()
        self.tls = _TlsSnapshot(
            version=ssl_object.version(),
            cipher=cipher[0] if cipher else None,
            certificate=ssl_object.getpeercert() or None,
        )

    def close(self) -> None:
        self.snapshot_tls()
        super().close()


# What a missing host name means for dns.host; every other DNS error reads as
# dnsverdict.DNS_VERDICTS says.
_HOST_MISSING: dict[DnsErrorKind, tuple[str, str]] = {
    DnsErrorKind.NXDOMAIN: (
        "{host} has no address",
        "Check the spelling; use the host from the provider's documentation "
        "(`smtp-wizard providers`).",
    ),
    DnsErrorKind.NODATA: (
        "{host} has no address",
        "The name exists but has no address; check the host name.",
    ),
}

# aiosmtplib's limits on one reply (protocol.py): a reply over MAX_RESPONSE_LENGTH, or one
# line over MAX_LINE_LENGTH, ends the read with SMTPResponseException(-1, "Response too
# long"); a line that does not start with a code, with "Malformed SMTP response line".
_MAX_LINE = getattr(aiosmtplib.protocol, "MAX_LINE_LENGTH", 8192)
_MAX_REPLY = getattr(aiosmtplib.protocol, "MAX_RESPONSE_LENGTH", 4 * _MAX_LINE)
_SMTP_LINE_LIMIT = 512  # RFC 5321 §4.5.3.1.5, the reply line including CRLF


def _kib(size: int) -> str:
    return f"{size // 1024} KiB"


@dataclass(frozen=True)
class _BadReply:
    summary: str  # {what}: "greeting", "EHLO reply"; {code}: the code it should have
    detail: str
    advice: str
    outcome: str
    reason: str


# What aiosmtplib's message for an unreadable reply (code -1) means, by its first words.
_BAD_REPLIES: dict[str, _BadReply] = {
    "Response too long": _BadReply(
        f"The {{what}} never ended: no final line within {_kib(_MAX_REPLY)} "
        f"(or one line over {_kib(_MAX_LINE)})",
        "An SMTP reply ends with a line whose code is followed by a space ('{code} text'). "
        "None came: the server sent continuation lines ('{code}-text') or text without a "
        f"line break past {_kib(_MAX_REPLY)}, or one line over {_kib(_MAX_LINE)} (a reply "
        f"line is at most {_SMTP_LINE_LIMIT} bytes, RFC 5321 §4.5.3.1.5). aiosmtplib said: "
        "{message}",
        "The server is broken, or something in the path (a proxy, a TLS terminator) "
        "answers in its place. Check the host and port; if they are right, tell the "
        "server's operator.",
        "not-smtp",
        "the {what} never ended",
    ),
    "Malformed SMTP response line": _BadReply(
        "The server is not an SMTP server: its {what} is not an SMTP reply",
        "It sent: {text}",
        "Check the host and port: this may be a web or other server. SMTP submission is "
        "usually on 587 or 465.",
        "not-smtp",
        "not an SMTP server",
    ),
}


def _bad_reply(exc: BaseException) -> _BadReply | None:
    """The meaning of an SMTP reply aiosmtplib could not read, or None for other errors."""
    if not isinstance(exc, aiosmtplib.SMTPResponseException) or exc.code != -1:
        return None
    return next(
        (meaning for words, meaning in _BAD_REPLIES.items() if exc.message.startswith(words)),
        None,
    )


class _Failed(Exception):
    """A step failed: its results are final and the steps after it are skipped."""

    def __init__(self, *results: CheckResult, reason: str = "") -> None:
        super().__init__(reason)
        self.results = results
        self.reason = reason


def tls_context(cafile: Path | None) -> ssl.SSLContext:
    """The system trust store plus `cafile`; host names checked; TLS 1.2 at least.

    There is deliberately no way to turn verification off. Loading the system store takes
    tens of milliseconds, so one context serves every probe of a run (discovery probes
    several ports at once); a changed cafile gets a fresh one.
    """
    stamp = None
    if cafile is not None:
        with contextlib.suppress(OSError):
            stamp = Path(cafile).stat().st_mtime_ns
    return _cached_context(str(cafile) if cafile is not None else None, stamp)


@functools.lru_cache(maxsize=8)
def _cached_context(cafile: str | None, stamp: int | None) -> ssl.SSLContext:
    return _new_context(cafile)


def _new_context(cafile: str | Path | None) -> ssl.SSLContext:
    """A context of its own (the cached one is shared and must never be changed)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cafile is not None:
        try:
            context.load_verify_locations(cafile=str(cafile))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                f"Cannot use --cafile {cafile}: {getattr(exc, 'strerror', None) or exc}.",
                "Give a PEM file with one or more CA certificates.",
            ) from None
    return context


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


class SmtpProbe:
    """One conversation with the server, step by step; `run` yields the results."""

    def __init__(
        self,
        settings: SmtpSettings,
        resolve: Callable[[str], Any],
        transcript: Transcript | None = None,
        *,
        stage: Stage = Stage.SEND,
    ) -> None:
        self.settings = settings
        self.resolve = resolve
        self.transcript = transcript if transcript is not None else Transcript()
        self.stage = Stage(stage)
        self.context = tls_context(settings.cafile)
        self.deadline = 0.0
        self.address: str | None = None
        self.addresses: list[str] = []
        self.sock: socket.socket | None = None
        self.smtp: _RecordingSMTP | None = None
        self.extensions: dict[str, str] = {}
        self.offered: tuple[str, ...] = ()
        self.mechanisms: list[str] = []
        self.logged_in = False
        self.greeting = ""
        self.tls: TlsFacts | None = None
        self.certificate: CertificateFacts | None = None
        self.right_mode: str | None = None
        """Set when the port wants the other TLS mode (used by discovery)."""
        self.outcome: Outcome | None = None
        """The kind of the first failure (None while nothing failed)."""

    @property
    def with_auth(self) -> bool:
        return self.stage is not Stage.CONNECTION

    @property
    def facts(self) -> ProbeFacts:
        """What this probe learned so far, typed."""
        return ProbeFacts(
            outcome=self.outcome or Outcome.OK,
            addresses=tuple(self.addresses),
            address=self.address,
            greeting=self.greeting,
            tls=self.tls,
            certificate=self.certificate,
            mechanisms=self.offered,
            right_mode=self.right_mode,
            logged_in=self.logged_in,
        )

    # -- the sequence ------------------------------------------------------------------------

    async def run(self) -> AsyncIterator[CheckResult]:
        settings = self.settings
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + settings.timeout
        order = _SSL_ORDER if settings.security == "ssl" else CHECK_IDS
        steps = [self._dns_host, self._connect]
        if settings.security == "ssl":
            steps += [self._implicit_tls_and_greeting, self._ehlo]
        else:
            steps += [self._greeting, self._ehlo, self._starttls]
        steps.append(self._auth_mechanisms)
        if self.stage is not Stage.CONNECTION:
            steps.append(self._auth)
        if self.stage is Stage.SEND:
            steps.append(self._send)
        order = order[: order.index(_LAST_CHECK[self.stage]) + 1]
        done: set[str] = set()
        try:
            for step in steps:
                try:
                    results = await step()
                except _Failed as failure:
                    for result in failure.results:
                        done.add(result.id)
                        yield result
                    for check_id in order:
                        if check_id not in done:
                            done.add(check_id)
                            yield skipped(check_id, failure.reason, settings.endpoint)
                    return
                for result in results:
                    done.add(result.id)
                    yield result
        except (GeneratorExit, asyncio.CancelledError):
            # Abandoned midway (a screen moved on): no polite QUIT, which a silent server
            # would make wait; the sockets close at once.
            await self.close(quit=False)
            raise
        finally:
            await self.close()

    async def close(self, *, quit: bool = True) -> None:
        """QUIT if still connected (briefly, within the deadline), then close everything."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            if quit and smtp.is_connected:
                remaining = self.deadline - asyncio.get_running_loop().time()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    async with asyncio.timeout(max(0.0, min(1.0, remaining))):
                        await smtp.quit()
            smtp.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _bounded(self) -> asyncio.Timeout:
        return asyncio.timeout_at(self.deadline)

    def _set_advice(self, key: str, value: str, why: str) -> str:
        """`Set security = "ssl" for port 465.`, or in the words of how the user set it."""
        if self.settings.how_to_set is None:
            return f'Set {key} = "{value}" {why}.'
        return f"Use {key} {value} {why}: {self.settings.how_to_set(key, value)}."

    def _result(
        self,
        check_id: str,
        status: Status,
        summary: str,
        started: float,
        *,
        facts: Facts | None = None,
        **more: str,
    ) -> CheckResult:
        return CheckResult(
            check_id,
            status,
            summary,
            detail=more.get("detail", ""),
            advice=more.get("advice", ""),
            elapsed_ms=_ms(started),
            subject=more.get("subject", self.settings.endpoint),
            facts=facts,
        )

    def _deadline_failure(self, check_id: str, what: str, started: float) -> _Failed:
        self.outcome = self.outcome or Outcome.TIMEOUT
        return _Failed(
            self._result(
                check_id,
                Status.FAIL,
                f"No {what} within the {self.settings.timeout:g} s deadline",
                started,
                advice="The server stopped answering (or answers too slowly). A firewall may "
                "drop the traffic; try again, or raise --timeout.",
            ),
            reason=f"the {self.settings.timeout:g} s deadline was reached",
        )

    # -- dns.host ----------------------------------------------------------------------------

    async def _dns_host(self) -> list[CheckResult]:
        started = time.monotonic()
        host = self.settings.host
        subject = host
        try:
            async with self._bounded():
                self.addresses = list(await self.resolve(host))
        except TimeoutError:
            error = DnsError(
                DnsErrorKind.TIMEOUT,
                host,
                "A/AAAA",
                f"no answer within the {self.settings.timeout:g} s deadline",
            )
            raise self._host_failure(error, started, outcome=Outcome.TIMEOUT) from None
        except DnsError as exc:
            raise self._host_failure(exc, started) from None
        if host in self.addresses:
            summary = f"{host} is an IP address (no DNS lookup)"
        else:
            summary = f"{host} resolves to {', '.join(self.addresses)}"
        facts = HostFacts(tuple(self.addresses))
        return [
            self._result("dns.host", Status.PASS, summary, started, subject=subject, facts=facts)
        ]

    def _host_failure(
        self, exc: DnsError, started: float, outcome: Outcome = Outcome.DNS
    ) -> _Failed:
        """dns.host failed: a missing name says so; any other error reads as the table says."""
        host = self.settings.host
        self.outcome = outcome
        verdict = dns_verdict(exc)
        summary, advice_text = _HOST_MISSING.get(
            exc.kind, (f"{host} cannot be resolved ({verdict.label})", verdict.advice)
        )
        return _Failed(
            self._result(
                "dns.host",
                verdict.status,
                summary.format(host=host),
                started,
                detail=str(exc),
                advice=advice_text,
                subject=host,
            ),
            reason=f"{host} has no address",
        )

    # -- smtp.connect ------------------------------------------------------------------------

    async def _connect(self) -> list[CheckResult]:
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        errors: list[tuple[str, OSError | str]] = []
        for address in self.addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                async with self._bounded():
                    await loop.sock_connect(sock, (address, self.settings.port))
            except TimeoutError:
                sock.close()
                errors.append((address, "timeout"))
                break  # the deadline is spent
            except OSError as exc:
                sock.close()
                errors.append((address, exc))
                continue
            except BaseException:
                sock.close()
                raise
            self.sock, self.address = sock, address
            self.transcript.note(f"connected to {address} port {self.settings.port}")
            return [
                self._result(
                    "smtp.connect",
                    Status.PASS,
                    f"Connected to {self.settings.endpoint} ({address})",
                    started,
                    facts=ConnectFacts(address, self.settings.port, _ms(started)),
                )
            ]
        address, error = errors[-1]
        key: int | str = error if isinstance(error, str) else (error.errno or 0)
        explanation = advice.CONNECT.get(key, advice.CONNECT_DEFAULT)
        self.outcome = {
            "timeout": Outcome.TIMEOUT,
            errno.ECONNREFUSED: Outcome.REFUSED,
            errno.ENETUNREACH: Outcome.UNREACHABLE,
            errno.EHOSTUNREACH: Outcome.UNREACHABLE,
            errno.EADDRNOTAVAIL: Outcome.UNREACHABLE,
        }.get(key, Outcome.ERROR)
        detail = "; ".join(
            f"{a}: {e if isinstance(e, str) else (e.strerror or e)}" for a, e in errors
        )
        raise _Failed(
            self._result(
                "smtp.connect",
                Status.FAIL,
                f"{explanation.summary}: {self.settings.endpoint}",
                started,
                detail=detail,
                advice=explanation.advice,
            ),
            reason="no connection",
        )

    def _client(self, use_tls: bool) -> _RecordingSMTP:
        settings = self.settings
        ehlo = settings.ehlo_name or _address_literal(self.address or "127.0.0.1")
        return _RecordingSMTP(
            self.transcript,
            plaintext_auth=settings.allow_plaintext_auth and settings.security == "none",
            hostname=settings.host,
            local_hostname=ehlo,
            timeout=None,
            use_tls=use_tls,
            start_tls=False,
            validate_certs=True,
            tls_context=self.context,
        )

    # -- smtp.greeting (plain start: starttls / none) ----------------------------------------

    async def _greeting(self) -> list[CheckResult]:
        started = time.monotonic()
        assert self.sock is not None
        smtp = self.smtp = self._client(use_tls=False)
        sock, self.sock = self.sock, None  # aiosmtplib owns it from here
        connect = asyncio.ensure_future(smtp.connect(sock=sock))
        try:
            async with self._bounded():
                await self._await_greeting_or_tls(connect)
        except TimeoutError:
            await _cancel(connect)
            raise self._deadline_failure("smtp.greeting", "greeting", started) from None
        except _WrongMode:
            await _cancel(connect)
            self.outcome, self.right_mode = Outcome.WRONG_MODE, "ssl"
            port = self.settings.port
            raise _Failed(
                self._result(
                    "smtp.greeting",
                    Status.FAIL,
                    "No SMTP greeting: the server is waiting for a TLS handshake",
                    started,
                ),
                self._result(
                    "smtp.tls",
                    Status.FAIL,
                    f"Wrong TLS mode: port {port} expects TLS from the first byte: choose ssl",
                    started,
                    detail="A second connection completed a TLS handshake with this port.",
                    advice=self._set_advice("security", "ssl", f"for port {port} (implicit TLS)"),
                ),
                reason="the port expects implicit TLS (ssl)",
            ) from None
        except Exception as exc:
            raise self._greeting_failure(exc, started) from None
        except BaseException:  # cancelled from outside: the connect task goes too
            await _cancel(connect)
            raise
        response = connect.result()
        self.transcript.server(response.code, response.message)
        return [self._greeting_result(response, started)]

    async def _await_greeting_or_tls(self, connect: asyncio.Future[SMTPResponse]) -> None:
        """Wait for the greeting; if it is slow, check whether the port speaks TLS instead."""
        remaining = self.deadline - asyncio.get_running_loop().time()
        done, _ = await asyncio.wait({connect}, timeout=min(WRONG_MODE_GRACE, remaining / 2))
        if done:
            connect.result()  # raises the connect error, if any
            return
        tls_probe = asyncio.ensure_future(self._speaks_tls())
        try:
            pending: set[asyncio.Future[Any]] = {connect, tls_probe}
            while connect not in done:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if tls_probe in done and tls_probe.result():
                    raise _WrongMode()
            connect.result()
        finally:
            await _cancel(tls_probe)

    async def _speaks_tls(self) -> bool:
        """On a second connection: does this port complete (or verify) a TLS handshake?"""
        assert self.address is not None
        try:
            _, writer = await asyncio.open_connection(
                self.address,
                self.settings.port,
                ssl=self.context,
                server_hostname=self.settings.host,
            )
        except ssl.SSLCertVerificationError:
            return True  # it spoke TLS far enough to present a certificate
        except (OSError, ssl.SSLError):
            return False
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return True

    def _greeting_result(self, response: SMTPResponse, started: float) -> CheckResult:
        banner = response.message.splitlines()[0] if response.message else ""
        self.greeting = banner
        return self._result(
            "smtp.greeting",
            Status.PASS,
            f"Greeting: 220 {banner}".rstrip(),
            started,
            facts=ReplyFacts(response.code, None, response.message),
        )

    def _greeting_failure(self, exc: BaseException, started: float) -> _Failed:
        """The greeting went wrong: a refusal (421/554), not SMTP at all, or no greeting."""
        if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
            self.transcript.server(exc.code, exc.message)
            self.outcome = Outcome.REFUSED_GREETING
            explanation = advice.GREETING.get(
                exc.code,
                advice.Explanation(
                    f"The server greeted with {exc.code} instead of 220",
                    "It does not accept mail now; the server's text is below.",
                ),
            )
            return _Failed(
                self._result(
                    "smtp.greeting",
                    Status.FAIL,
                    explanation.summary,
                    started,
                    detail=f"{exc.code} {exc.message}",
                    advice=explanation.advice,
                ),
                reason=f"the server refused the session ({exc.code})",
            )
        bad = _bad_reply(exc)
        if bad is not None:
            return self._bad_reply_failure("smtp.greeting", "greeting", 220, bad, exc, started)
        if isinstance(exc, ssl.SSLError | aiosmtplib.SMTPConnectError) and self._tls_cause(exc):
            return self._tls_failure(self._tls_cause(exc), started)  # type: ignore[arg-type]
        self.outcome = Outcome.CLOSED
        return _Failed(
            self._result(
                "smtp.greeting",
                Status.FAIL,
                "The server closed the connection without a greeting",
                started,
                detail=str(exc),
                advice="The server (or a firewall) dropped the connection at once: your IP "
                "may be blocked, or the port is not an SMTP port.",
            ),
            reason="no greeting",
        )

    @staticmethod
    def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
        seen: BaseException | None = exc
        while seen is not None:
            if isinstance(seen, ssl.SSLError):
                return seen
            seen = seen.__cause__ or seen.__context__
        return None

    # -- implicit TLS (ssl) ------------------------------------------------------------------

    async def _implicit_tls_and_greeting(self) -> list[CheckResult]:
        started = time.monotonic()
        assert self.sock is not None
        smtp = self.smtp = self._client(use_tls=True)
        sock, self.sock = self.sock, None
        try:
            async with self._bounded():
                response = await smtp.connect(sock=sock)
        except TimeoutError:
            if smtp.tls is None:
                raise self._deadline_failure("smtp.tls", "TLS handshake", started) from None
            tls_results = self._tls_results(smtp.tls, "implicit TLS", started)
            raise _Failed(
                *tls_results,
                *self._deadline_failure("smtp.greeting", "greeting", started).results,
                reason=f"the {self.settings.timeout:g} s deadline was reached",
            ) from None
        except Exception as exc:
            cause = self._tls_cause(exc)
            if cause is not None or smtp.tls is None:
                if cause is not None:
                    raise self._tls_failure(cause, started) from None
                if isinstance(exc, aiosmtplib.SMTPConnectError) and isinstance(
                    exc.__cause__, ConnectionError
                ):
                    raise await self._handshake_lost(exc, started) from None
                raise self._greeting_failure(exc, started) from None
            failure = self._greeting_failure(exc, started)
            raise _Failed(
                *self._tls_results(smtp.tls, "implicit TLS", started),
                *failure.results,
                reason=failure.reason,
            ) from None
        smtp.snapshot_tls()
        assert smtp.tls is not None
        self.transcript.note(f"TLS from the first byte: {smtp.tls.version} {smtp.tls.cipher}")
        self.transcript.server(response.code, response.message)
        results = self._tls_results(smtp.tls, "implicit TLS", started)
        results.append(self._greeting_result(response, started))
        if any(r.failed for r in results):
            raise _Failed(*results, reason="TLS is not acceptable")
        return results

    def _tls_failure(self, error: ssl.SSLError, started: float) -> _Failed:
        """A failed handshake named: certificate, old TLS only, or not TLS at all."""
        port = self.settings.port
        if isinstance(error, ssl.SSLCertVerificationError):
            self.outcome = Outcome.TLS_FAILED
            explanation = advice.CERT_VERIFY.get(error.verify_code, advice.CERT_DEFAULT)
            return _Failed(
                self._result(
                    "smtp.tls",
                    Status.FAIL,
                    "TLS handshake stopped: the certificate did not verify",
                    started,
                    detail="See tls.certificate.",
                ),
                self._result("tls.version", Status.SKIP, "The handshake did not complete", started),
                self._result(
                    "tls.certificate",
                    Status.FAIL,
                    f"{explanation.summary} ({self.settings.host})",
                    started,
                    detail=f"OpenSSL: {error.verify_message} (code {error.verify_code})",
                    advice=explanation.advice,
                ),
                reason="the certificate did not verify",
            )
        reason = (error.reason or "").upper()
        if reason in advice.OLD_TLS_REASONS:
            return self._old_tls_failure("TLS 1.0/1.1", f"OpenSSL: {error.reason}", started)
        if reason in advice.NOT_TLS_REASONS or self.settings.security == "ssl":
            self.outcome = (
                Outcome.WRONG_MODE if reason in advice.NOT_TLS_REASONS else Outcome.TLS_FAILED
            )
            if reason in advice.NOT_TLS_REASONS:
                self.right_mode = "starttls"
            return _Failed(
                self._result(
                    "smtp.tls",
                    Status.FAIL,
                    f"Wrong TLS mode: port {port} speaks plain SMTP first (STARTTLS): "
                    "choose starttls"
                    if reason in advice.NOT_TLS_REASONS
                    else f"TLS handshake failed ({error.reason or error})",
                    started,
                    detail=f"OpenSSL: {error.reason or error}",
                    advice=self._set_advice("security", "starttls", f"for port {port}")
                    if reason in advice.NOT_TLS_REASONS
                    else "The server's TLS setup is broken or uses something this machine's "
                    "OpenSSL refuses.",
                ),
                reason="no TLS",
            )
        self.outcome = Outcome.TLS_FAILED
        return _Failed(
            self._result(
                "smtp.tls",
                Status.FAIL,
                f"TLS handshake failed ({error.reason or error})",
                started,
                detail=str(error),
                advice="The server's TLS setup is broken or uses something this machine's "
                "OpenSSL refuses.",
            ),
            reason="no TLS",
        )

    def _old_tls_failure(self, version: str, detail: str, started: float) -> _Failed:
        self.outcome = Outcome.TLS_FAILED
        return _Failed(
            self._result(
                "smtp.tls",
                Status.FAIL,
                "TLS handshake failed: the server offers only TLS below 1.2",
                started,
                detail=detail,
            ),
            self._result(
                "tls.version",
                Status.FAIL,
                f"The server offers only {version}, which is deprecated (RFC 8996)",
                started,
                advice="Ask the server's operator to enable TLS 1.2 or 1.3; smtp-wizard "
                "(like current mail libraries) will not use older versions.",
            ),
            reason="no acceptable TLS version",
        )

    async def _handshake_lost(self, exc: BaseException, started: float) -> _Failed:
        """The server dropped the handshake without a reason: is it an old-TLS-only server?

        A server that speaks only TLS 1.0/1.1 often just closes the connection when it sees
        a TLS 1.2+ hello. On a second connection, a hello that also offers the old versions
        (certificates still verified, and nothing sent after the handshake) tells which
        version it would have chosen.
        """
        version = await self._old_tls_version()
        if version is not None:
            return self._old_tls_failure(
                version, f"A handshake allowing old versions negotiated {version}.", started
            )
        return self._dropped("smtp.tls", exc, started)

    async def _old_tls_version(self) -> str | None:
        assert self.address is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context = _new_context(self.settings.cafile)
            try:
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
            except (ValueError, ssl.SSLError):
                return None
        remaining = self.deadline - asyncio.get_running_loop().time()
        writer = None
        try:
            async with asyncio.timeout(max(0.1, min(3.0, remaining))):
                implicit = self.settings.security == "ssl"
                reader, writer = await asyncio.open_connection(
                    self.address,
                    self.settings.port,
                    ssl=context if implicit else None,
                    server_hostname=self.settings.host if implicit else None,
                )
                if not implicit:
                    await _read_reply(reader)
                    writer.write(b"EHLO " + _address_literal(self.address).encode() + b"\r\n")
                    await _read_reply(reader)
                    writer.write(b"STARTTLS\r\n")
                    if not (await _read_reply(reader)).startswith(b"220"):
                        return None
                    await writer.start_tls(context, server_hostname=self.settings.host)
                ssl_object = writer.get_extra_info("ssl_object")
                version = ssl_object.version() if ssl_object else None
        except (OSError, TimeoutError, ssl.SSLError):
            return None
        finally:
            if writer is not None:
                writer.close()
        return version if version in ("TLSv1", "TLSv1.1", "SSLv3") else None

    def _tls_results(self, tls: _TlsSnapshot, how: str, started: float) -> list[CheckResult]:
        facts = self.tls = TlsFacts(
            version=tls.version or "unknown",
            mode="starttls" if how == "STARTTLS" else "implicit",
            cipher=tls.cipher,
        )
        results = [
            self._result(
                "smtp.tls",
                Status.PASS,
                f"{'STARTTLS completed' if how == 'STARTTLS' else 'TLS from the first byte'}"
                f" ({tls.version}, {tls.cipher})",
                started,
                facts=facts,
            )
        ]
        version_ok = tls.version in ("TLSv1.2", "TLSv1.3")
        results.append(
            self._result(
                "tls.version",
                Status.PASS if version_ok else Status.FAIL,
                f"{tls.version} negotiated" if version_ok else f"{tls.version} is below TLS 1.2",
                started,
                facts=facts,
            )
        )
        results.append(self._certificate_result(tls.certificate, started))
        return results

    def _certificate_result(self, cert: dict[str, Any] | None, started: float) -> CheckResult:
        if not cert:
            return self._result(
                "tls.certificate",
                Status.WARN,
                "The server's certificate could not be read",
                started,
            )
        names = [
            value for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address")
        ]
        issuer = _name_field(cert.get("issuer", ()), "organizationName") or _name_field(
            cert.get("issuer", ()), "commonName"
        )
        expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
        days = (expires - datetime.now(UTC)).days
        facts = self.certificate = CertificateFacts(
            subject=", ".join(names) or _name_field(cert.get("subject", ()), "commonName"),
            issuer=issuer or "?",
            not_after=expires,
            days_left=days,
            names=tuple(names),
        )
        detail = (
            f"Issued to {', '.join(names) or '?'} by {issuer or '?'}; "
            f"valid until {expires:%Y-%m-%d}."
        )
        if days < CERT_WARN_DAYS:
            return self._result(
                "tls.certificate",
                Status.WARN,
                f"Valid, but expires in {days} days ({expires:%Y-%m-%d})",
                started,
                detail=detail,
                advice="The server's operator should renew it soon; mail stops when it expires.",
                facts=facts,
            )
        return self._result(
            "tls.certificate",
            Status.PASS,
            f"Trusted, names {self.settings.host}, valid until {expires:%Y-%m-%d}",
            started,
            detail=detail,
            facts=facts,
        )

    # -- smtp.ehlo ---------------------------------------------------------------------------

    async def _ehlo(self) -> list[CheckResult]:
        started = time.monotonic()
        assert self.smtp is not None
        try:
            async with self._bounded():
                await self.smtp.ehlo()
        except TimeoutError:
            raise self._deadline_failure("smtp.ehlo", "reply to EHLO", started) from None
        except aiosmtplib.SMTPHeloError as exc:
            self.outcome = Outcome.ERROR
            raise _Failed(
                self._result(
                    "smtp.ehlo",
                    Status.FAIL,
                    f"The server refused EHLO ({exc.code})",
                    started,
                    detail=exc.message,
                    advice="Without EHLO there is no STARTTLS and no AUTH; this does not look "
                    "like a submission server. Check host and port.",
                ),
                reason="EHLO refused",
            ) from None
        except aiosmtplib.SMTPException as exc:
            bad = _bad_reply(exc)
            if bad is not None:
                raise self._bad_reply_failure(
                    "smtp.ehlo", "EHLO reply", 250, bad, exc, started
                ) from None
            raise self._dropped("smtp.ehlo", exc, started) from None
        self.extensions = dict(self.smtp.esmtp_extensions)
        offered = ", ".join(
            f"{name.upper()} {value}".strip() for name, value in self.extensions.items()
        )
        return [
            self._result(
                "smtp.ehlo",
                Status.PASS,
                f"EHLO accepted; {len(self.extensions)} extensions",
                started,
                detail=f"Offered: {offered or 'nothing'}",
            )
        ]

    def _refused(
        self,
        check_id: str,
        explanation: advice.Explanation,
        exc: aiosmtplib.SMTPResponseException,
        started: float,
        reason: str,
    ) -> _Failed:
        """A reply that refused the step: explained, with the server's own words as detail."""
        return _Failed(
            self._result(
                check_id,
                Status.FAIL,
                explanation.summary,
                started,
                detail=f"{exc.code} {exc.message}".strip(),
                advice=explanation.advice,
                facts=ReplyFacts(exc.code, _enhanced_code(exc.message), exc.message),
            ),
            reason=reason,
        )

    def _bad_reply_failure(
        self,
        check_id: str,
        what: str,
        code: int,
        bad: _BadReply,
        exc: aiosmtplib.SMTPResponseException,
        started: float,
    ) -> _Failed:
        """A reply aiosmtplib could not read (never ended, or not SMTP), said as such."""
        # discover's port status: a greeting that is not SMTP is "not-smtp"; a server
        # that greeted properly and then broke down is an "error".
        self.outcome = self.outcome or (
            Outcome(bad.outcome) if check_id == "smtp.greeting" else Outcome.ERROR
        )
        text = exc.message.removeprefix("Malformed SMTP response line: ").strip()
        values = {"what": what, "code": code, "message": exc.message, "text": repr(text[:200])}
        return _Failed(
            self._result(
                check_id,
                Status.FAIL,
                bad.summary.format(**values),
                started,
                detail=bad.detail.format(**values),
                advice=bad.advice,
            ),
            reason=bad.reason.format(**values),
        )

    def _dropped(self, check_id: str, exc: BaseException, started: float) -> _Failed:
        self.outcome = self.outcome or Outcome.ERROR
        return _Failed(
            self._result(
                check_id,
                Status.FAIL,
                "The server closed the connection",
                started,
                detail=str(exc),
                advice="The server ended the session unexpectedly; try again.",
            ),
            reason="the connection was lost",
        )

    # -- smtp.tls (STARTTLS) -----------------------------------------------------------------

    async def _starttls(self) -> list[CheckResult]:
        started = time.monotonic()
        assert self.smtp is not None
        if self.settings.security == "none":
            return [
                self._result(
                    "smtp.tls",
                    Status.WARN,
                    "No TLS (security none): mail and any login cross the network in clear",
                    started,
                    advice='Use security "starttls" (587) or "ssl" (465) unless this is a '
                    "local relay.",
                ),
                skipped("tls.version", "no TLS with security none", self.settings.endpoint),
                skipped("tls.certificate", "no TLS with security none", self.settings.endpoint),
            ]
        if "starttls" not in self.extensions:
            self.outcome = Outcome.TLS_FAILED
            raise _Failed(
                self._result(
                    "smtp.tls",
                    Status.FAIL,
                    "The server does not offer STARTTLS; smtp-wizard will not continue in "
                    "clear text",
                    started,
                    advice="Use the provider's TLS port (465 with ssl, or 587 with starttls). "
                    "Without TLS the password would cross the network readable by anyone on "
                    "the path.",
                ),
                reason="no TLS",
            )
        self.transcript.client((b"STARTTLS",))
        try:
            async with self._bounded():
                response = await self.smtp.starttls(server_hostname=self.settings.host)
        except TimeoutError:
            raise self._deadline_failure("smtp.tls", "TLS handshake", started) from None
        except aiosmtplib.SMTPResponseException as exc:
            self.transcript.server(exc.code, exc.message)
            self.outcome = Outcome.TLS_FAILED
            raise _Failed(
                self._result(
                    "smtp.tls",
                    Status.FAIL,
                    f"The server refused STARTTLS ({advice.reply_label(exc.code, exc.message)})",
                    started,
                    detail=exc.message,
                    advice="The server offers STARTTLS but cannot start it (often a broken "
                    "certificate setup on its side). Try port 465 with ssl, or tell the "
                    "server's operator.",
                ),
                reason="no TLS",
            ) from None
        except ssl.SSLError as exc:
            raise self._tls_failure(exc, started) from None
        except aiosmtplib.SMTPException as exc:
            cause = self._tls_cause(exc)
            if cause is not None:
                raise self._tls_failure(cause, started) from None
            raise await self._handshake_lost(exc, started) from None
        self.transcript.server(response.code, response.message)
        self.smtp.snapshot_tls()
        assert self.smtp.tls is not None
        self.transcript.note(f"TLS: {self.smtp.tls.version} {self.smtp.tls.cipher}")
        results = self._tls_results(self.smtp.tls, "STARTTLS", started)
        if any(r.failed for r in results):
            raise _Failed(*results, reason="TLS is not acceptable")
        try:
            async with self._bounded():
                await self.smtp.ehlo()
        except TimeoutError:
            raise _Failed(
                *results,
                *self._deadline_failure("smtp.auth_mechanisms", "EHLO reply", started).results,
                reason="deadline",
            ) from None
        except aiosmtplib.SMTPException as exc:
            raise _Failed(
                *results,
                *self._dropped("smtp.auth_mechanisms", exc, started).results,
                reason="EHLO after STARTTLS failed",
            ) from None
        self.extensions = dict(self.smtp.esmtp_extensions)
        return results

    # -- smtp.auth_mechanisms ----------------------------------------------------------------

    async def _auth_mechanisms(self) -> list[CheckResult]:
        started = time.monotonic()
        offered = self.extensions.get("auth", "").upper().split()
        self.offered = tuple(offered)
        self.mechanisms = [m for m in SUPPORTED_MECHANISMS if m in offered]
        facts = AuthFacts(tuple(offered), tuple(self.mechanisms))
        wants_login = bool(self.settings.username) and self.with_auth
        if not offered:
            status = Status.FAIL if wants_login else Status.WARN
            result = self._result(
                "smtp.auth_mechanisms",
                status,
                "The server offers no AUTH",
                started,
                facts=facts,
                advice="Submission servers offer AUTH (after TLS). Port 25 often does not: use "
                "587 or 465."
                if wants_login
                else "Without AUTH this server only relays for trusted addresses.",
            )
            if wants_login:
                raise _Failed(result, reason="no AUTH offered")
            return [result]
        if not self.mechanisms:
            self.outcome = Outcome.ERROR
            result = self._result(
                "smtp.auth_mechanisms",
                Status.FAIL if wants_login else Status.WARN,
                f"No AUTH mechanism in common (server: {' '.join(offered)})",
                started,
                detail=f"smtp-wizard logs in with {', '.join(SUPPORTED_MECHANISMS)}.",
                facts=facts,
                advice="XOAUTH2 only means the provider wants OAuth2 (Google, Microsoft): use an "
                "app password where offered, or a transactional provider.",
            )
            if wants_login:
                raise _Failed(result, reason="no AUTH mechanism in common")
            return [result]
        return [
            self._result(
                "smtp.auth_mechanisms",
                Status.PASS,
                f"AUTH offered: {' '.join(offered)}",
                started,
                detail=f"smtp-wizard will use {self.mechanisms[0]}.",
                facts=facts,
            )
        ]

    # -- smtp.auth ---------------------------------------------------------------------------

    async def _auth(self) -> list[CheckResult]:
        started = time.monotonic()
        settings = self.settings
        assert self.smtp is not None
        if not self.with_auth or not settings.username:
            return [skipped("smtp.auth", "no username given: login not tried", settings.endpoint)]
        if settings.password is None and settings.password_source is not None:
            try:
                async with self._bounded():
                    password, problem = await settings.password_source()
            except TimeoutError:
                password, problem = (
                    None,
                    (
                        "The password could not be read in time (the OS keyring did not answer "
                        f"within the {settings.timeout:g} s deadline)."
                    ),
                )
            settings = self.settings = replace(
                settings, password=password, password_problem=problem, password_source=None
            )
        if settings.password is None:
            raise _Failed(
                self._result(
                    "smtp.auth",
                    Status.FAIL,
                    "No password available",
                    started,
                    detail=settings.password_problem,
                    advice="Give it with --password-stdin or --password-env VAR, or store it "
                    "with `smtp-wizard config set-password`.",
                ),
                reason="no login",
            )
        plaintext = not self.smtp.encrypted
        if plaintext and not self.smtp.plaintext_auth:
            raise _Failed(
                self._result(
                    "smtp.auth",
                    Status.FAIL,
                    "Refusing to send the password without TLS",
                    started,
                    advice="Use security starttls or ssl. Only if this is a trusted local relay: "
                    "--allow-plaintext-auth with security none.",
                ),
                reason="no login",
            )
        mechanism = self.mechanisms[0]
        method = {
            "PLAIN": self.smtp.auth_plain,
            "LOGIN": self.smtp.auth_login,
            "CRAM-MD5": self.smtp.auth_crammd5,
        }[mechanism]
        try:
            async with self._bounded():
                await method(settings.username, settings.password.reveal())
        except TimeoutError:
            raise self._deadline_failure("smtp.auth", "reply to AUTH", started) from None
        except aiosmtplib.SMTPResponseException as exc:
            self.outcome = Outcome.AUTH_FAILED
            explanation = advice.explain_auth(exc.code, exc.message, settings.provider)
            raise self._refused(
                "smtp.auth", explanation, exc, started, "the login failed"
            ) from None
        except aiosmtplib.SMTPException as exc:
            raise self._dropped("smtp.auth", exc, started) from None
        self.logged_in = True
        if plaintext:
            return [
                self._result(
                    "smtp.auth",
                    Status.WARN,
                    f"Logged in as {settings.username} ({mechanism}) WITHOUT TLS",
                    started,
                    advice="The password crossed the network in clear (--allow-plaintext-auth).",
                )
            ]
        return [
            self._result(
                "smtp.auth",
                Status.PASS,
                f"Logged in as {settings.username} ({mechanism})",
                started,
            )
        ]

    # -- smtp.send ---------------------------------------------------------------------------

    async def _send(self) -> list[CheckResult]:
        started = time.monotonic()
        settings = self.settings
        assert self.smtp is not None
        if not settings.send_to:
            return [skipped("smtp.send", "not asked for (--send-to ADDR)", settings.endpoint)]
        if not settings.from_address:
            raise _Failed(
                self._result(
                    "smtp.send",
                    Status.FAIL,
                    "No From address to send the test message from",
                    started,
                    advice="Set from_address in the profile, or pass --from ADDR.",
                ),
                reason="no sender",
            )
        message = build_test_message(settings)
        stage = "MAIL"
        try:
            async with self._bounded():
                await self.smtp.mail(settings.from_address)
                stage = "RCPT"
                await self.smtp.rcpt(settings.send_to)
                stage = "DATA"
                self.transcript.client((b"DATA",))
                self.transcript.note(f"message of {len(message)} bytes")
                response = await self.smtp.data(message)
        except TimeoutError:
            raise self._deadline_failure("smtp.send", f"reply at {stage}", started) from None
        except aiosmtplib.SMTPResponseException as exc:
            if stage == "DATA":
                self.transcript.server(exc.code, exc.message)
            explanation = advice.explain_send(stage, exc.code, exc.message)
            raise self._refused("smtp.send", explanation, exc, started, "sending failed") from None
        except aiosmtplib.SMTPException as exc:
            raise self._dropped("smtp.send", exc, started) from None
        self.transcript.server(response.code, response.message)
        return [
            self._result(
                "smtp.send",
                Status.PASS,
                f"Test message accepted for {settings.send_to}",
                started,
                detail=f"{response.code} {response.message}".strip(),
            )
        ]


def _enhanced_code(message: str) -> str | None:
    """The RFC 3463 enhanced status code at the start of a reply's text (`5.7.8`), if any."""
    first = message.split(maxsplit=1)[0] if message.strip() else ""
    parts = first.split(".")
    if len(parts) == 3 and parts[0] in ("2", "4", "5") and all(p.isdigit() for p in parts[1:]):
        return first
    return None


async def _read_reply(reader: asyncio.StreamReader) -> bytes:
    """One whole SMTP reply (the last line of a multi-line one)."""
    while True:
        line = await reader.readline()
        if len(line) < 4 or line[3:4] != b"-":
            return line


async def _cancel(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait until it has really finished (no task outlives a probe)."""
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


class _WrongMode(Exception):
    """The port completed a TLS handshake while we waited for a plain greeting."""


def _address_literal(address: str) -> str:
    """The EHLO argument for our own address (RFC 5321 §4.1.3): no DNS lookup needed."""
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def _name_field(name: tuple[tuple[tuple[str, str], ...], ...], key: str) -> str:
    for rdn in name:
        for field_name, value in rdn:
            if field_name == key:
                return value
    return ""


def build_test_message(settings: SmtpSettings) -> bytes:
    """A small, well-formed message that says what it is and who sent it."""
    assert settings.from_address and settings.send_to
    domain = settings.from_address.rpartition("@")[2]
    message = EmailMessage()
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    message["From"] = email.utils.formataddr((settings.from_name or "", settings.from_address))
    message["To"] = settings.send_to
    message["Subject"] = "smtp-wizard test message"
    message.set_content(
        "This test message was sent by smtp-wizard to check that this application's\n"
        f"outgoing mail works: server {settings.endpoint}, security {settings.security}.\n"
        "No reply is needed.\n"
    )
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


async def smtp_checks(
    settings: SmtpSettings,
    resolve: Callable[[str], Any],
    transcript: Transcript | None = None,
    *,
    stage: Stage = Stage.SEND,
) -> AsyncIterator[CheckResult]:
    """The SMTP checks in order up to `stage`, each as soon as it is known.

    `resolve(host)` returns the host's addresses (the resolver of checks/dns.py, which
    honours --nameserver). See the module docstring for the rules every probe keeps.
    """
    probe = SmtpProbe(settings, resolve, transcript, stage=stage)
    async for result in probe.run():
        yield result


__all__ = [
    "CHECK_IDS",
    "SmtpProbe",
    "SmtpSettings",
    "Stage",
    "Transcript",
    "build_test_message",
    "prepare",
    "smtp_checks",
    "smtp_plan",
    "tls_context",
]
