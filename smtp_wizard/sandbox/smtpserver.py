"""The demo provider's submission server: aiosmtpd on loopback, STARTTLS and implicit TLS.

It behaves like a provider's server where the wizard can tell: STARTTLS is required
before AUTH (and before mail) on the submission port, the other port speaks TLS from the
first byte, AUTH PLAIN and LOGIN are offered only inside TLS, a wrong password gets a real
`535 5.7.8`, and mail is refused until the client has logged in. What it accepts is not
relayed anywhere: it lands in the demo mailbox with a Received header that says how it
came (TLS version, cipher, who logged in).
"""

from __future__ import annotations

import asyncio
import email.utils
import hmac
import logging
import secrets
import ssl
from collections.abc import Callable
from typing import Any, Final

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smtp_wizard.sandbox.listener import TcpListener
from smtp_wizard.sandbox.mailbox import Mailbox

IDENT: Final = "smtp-wizard demo"
IDLE_TIMEOUT: Final = 120.0  # seconds a silent client is kept


class _QuietSession(Session):
    """aiosmtpd's Session without the deprecation warning it logs at every login.

    aiosmtpd writes that warning to the `mail.log` logger, which in a terminal app with no
    logging set up would print over the wizard's screen.
    """

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _DemoSMTP(SMTP):
    """One client connection."""

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def tls_facts(self) -> tuple[str, str] | None:
        """(TLS version, cipher) of this connection, or None while it is in plaintext."""
        transport = self.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None:
            return None
        cipher = ssl_object.cipher()
        return str(ssl_object.version()), str(cipher[0]) if cipher else "unknown"


class _ImplicitTlsSMTP(_DemoSMTP):
    """The implicit-TLS port: aiosmtpd knows only STARTTLS as TLS, but here the transport
    is TLS from the first byte, so AUTH is allowed at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth_require_tls = False  # aiosmtpd's own flag; the connection is TLS already


def _printable(text: str | None, fallback: str) -> str:
    """Client-supplied text (the EHLO name) made safe for a header line."""
    cleaned = "".join(c for c in (text or "") if " " < c < "\x7f")[:100]
    return cleaned or fallback


class _Handler:
    """Where accepted messages go: the demo mailbox, with a Received header on top."""

    def __init__(self, mailbox: Mailbox, host: str) -> None:
        self.mailbox = mailbox
        self.host = host

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        queue_id = secrets.token_hex(5).upper()
        received = self._received(server, session, envelope, queue_id)
        content = envelope.original_content or b""
        self.mailbox.deliver(received + content, envelope.mail_from or "", envelope.rcpt_tos)
        return f"250 2.0.0 OK: queued as {queue_id} (delivered to the demo mailbox)"

    def _received(self, server: SMTP, session: Session, envelope: Envelope, queue_id: str) -> bytes:
        """A Received header in the form most servers write (RFC 5321 §4.4, RFC 3848)."""
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        tls = server.tls_facts() if isinstance(server, _DemoSMTP) else None
        user = session.auth_data if isinstance(session.auth_data, str) else None
        protocol = "ESMTP" + ("S" if tls else "") + ("A" if session.authenticated else "")
        lines = [f"Received: from {_printable(session.host_name, 'unknown')} ([{peer}])"]
        if tls:
            lines.append(f"\t(using {tls[0]} with cipher {tls[1]})")
        if user:
            lines.append(f"\t(authenticated as {_printable(user, 'unknown')})")
        lines.append(f"\tby {self.host} ({IDENT}) with {protocol} id {queue_id}")
        if len(envelope.rcpt_tos) == 1:  # "for" names one recipient only (RFC 5321 §4.4)
            lines.append(f"\tfor <{_printable(envelope.rcpt_tos[0], 'unknown')}>")
        lines[-1] += f"; {email.utils.formatdate(usegmt=True)}"
        return ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")


def _authenticator(username: str, password: str) -> Callable[..., AuthResult]:
    """AUTH PLAIN / LOGIN against the demo credentials; anything else gets aiosmtpd's 535."""
    user_bytes, password_bytes = username.encode("utf-8"), password.encode("utf-8")

    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            right_user = hmac.compare_digest(data.login, user_bytes)
            right_password = hmac.compare_digest(data.password, password_bytes)
            if right_user and right_password:
                return AuthResult(success=True, auth_data=username)
        return AuthResult(success=False, handled=False)  # 535 5.7.8 from aiosmtpd

    return check


def quiet_aiosmtpd_log() -> None:
    """Give aiosmtpd's logger a handler of its own, so that with no logging configured its
    warnings never fall through to Python's last-resort handler on stderr (the wizard's
    screen). Configured logging still receives them."""
    logger = logging.getLogger("mail.log")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


class DemoSmtpServer:
    """Both listeners of the demo provider on `address`, ephemeral ports, one TLS context."""

    def __init__(
        self,
        *,
        host: str,
        tls: ssl.SSLContext,
        username: str,
        password: str,
        mailbox: Mailbox,
        address: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.address = address
        self.starttls_port = 0
        self.ssl_port = 0
        self._tls = tls
        self._handler = _Handler(mailbox, host)
        self._authenticator = _authenticator(username, password)
        self._listeners: list[TcpListener] = []

    def _factory(self, implicit: bool) -> Callable[[], SMTP]:
        def make() -> SMTP:
            cls = _ImplicitTlsSMTP if implicit else _DemoSMTP
            return cls(
                self._handler,
                hostname=self.host,
                ident=IDENT,
                tls_context=None if implicit else self._tls,
                require_starttls=not implicit,
                auth_required=True,
                auth_require_tls=True,
                authenticator=self._authenticator,
                enable_SMTPUTF8=True,
                timeout=IDLE_TIMEOUT,
                loop=asyncio.get_running_loop(),
            )

        return make

    async def open(self) -> None:
        """Both listeners; on a failure, whatever was opened is closed again."""
        try:
            for implicit in (False, True):
                listener = TcpListener(
                    self._factory(implicit), self.address, tls=self._tls if implicit else None
                )
                await listener.open()
                self._listeners.append(listener)
        except BaseException:
            await self.close()
            raise
        self.starttls_port, self.ssl_port = (listener.port for listener in self._listeners)

    async def close(self) -> None:
        """Stop listening and end every connection, even one in its TLS handshake;
        idempotent."""
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            await listener.close()
