"""DemoWorld: the demo provider, the sender's domain and the mailbox, running on loopback.

    with DemoWorld(folder) as world:
        world.host, world.starttls_port, world.ssl_port, world.username, world.password
        world.nameserver   # "127.0.0.1:PORT": pass as --nameserver
        world.cafile       # the throw-away CA: pass as cafile
        world.publish(plan.rows)
        await world.mailbox.wait(1, timeout=10)

Every server runs on one background thread with an event loop of its own, so the wizard's
loop (or a test's) only talks to them over loopback sockets, exactly as it would talk to a
provider. `start()` either brings up everything or nothing; `stop()` closes every socket
and ends the thread before it returns.

The preset (`world.provider`, id "demo") is registered for this process with
`providers.register_session_preset` while the world runs, so the wizard finds it by id and
by host like any other preset; `stop()` unregisters it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from smtp_wizard import providers
from smtp_wizard.providers import HostOption, PortOption, Provider
from smtp_wizard.records import RecordRow
from smtp_wizard.sandbox import SandboxError, missing_extra
from smtp_wizard.sandbox.certs import make_certificates, make_dkim_key
from smtp_wizard.sandbox.dnsserver import DnsServer, Zones
from smtp_wizard.sandbox.mailbox import MAILBOX_FOLDER, Mailbox
from smtp_wizard.sandbox.smtpserver import DemoSmtpServer, quiet_aiosmtpd_log
from smtp_wizard.sandbox.zones import (
    DKIM_SELECTOR,
    DKIM_TARGET,
    PROVIDER_DOMAIN,
    SENDER_DOMAIN,
    SMTP_HOST,
    SPF_INCLUDE,
    demo_zones,
    publish,
)

PROVIDER_ID: Final = "demo"
USERNAME: Final = "demo"
PASSWORD: Final = "open-sesame-42"  # noqa: S105 (public by design: it is shown on screen)
"""The demo's password: shown on screen, the same for everyone, good for nothing else."""
PASSWORD_HINT: Final = "The demo password shown when the demo starts; it works nowhere else."  # noqa: S105
CAFILE_NAME: Final = "demo-ca.pem"
LOOPBACK: Final = "127.0.0.1"
START_TIMEOUT: Final = 15.0
MAX_ERRORS: Final = 100


def demo_provider(starttls_port: int, ssl_port: int) -> Provider:
    """The demo's preset: what a real provider's entry in providers.toml would say."""
    return Provider(
        id=PROVIDER_ID,
        name="Demo provider (loopback)",
        hosts=(HostOption(SMTP_HOST, "", True),),
        ports=(
            PortOption(starttls_port, "starttls", "the demo's submission port (like 587)"),
            PortOption(ssl_port, "ssl", "the demo's implicit-TLS port (like 465)"),
        ),
        username=USERNAME,
        username_hint=f"{USERNAME} (the demo's username, shown when the demo starts)",
        password_kind="smtp-credentials",  # noqa: S106 (a kind, not a password)
        password_hint=PASSWORD_HINT,
        spf_include=SPF_INCLUDE,
        dkim_selectors=(DKIM_SELECTOR,),
        dkim_hint=(
            f"Publish a CNAME at {DKIM_SELECTOR}._domainkey.<your domain> pointing to "
            f"{DKIM_TARGET.format(selector=DKIM_SELECTOR)}: the demo provider publishes "
            "its key there."
        ),
        docs="built into smtp-wizard (`smtp-wizard demo`): nothing to look up elsewhere",
        notes=(
            f"Everything runs on {LOOPBACK} for this run only: the servers, the DNS of "
            f"{PROVIDER_DOMAIN} and {SENDER_DOMAIN}, and the mailbox where test sends land.",
            "The certificates come from a throw-away CA that only this run trusts.",
        ),
        auth_failure_advice=(
            f"The demo accepts only the username {USERNAME} and the demo password shown when "
            "it started: check both for a typo."
        ),
        dkim_record=("CNAME", DKIM_TARGET),
    )


class DemoWorld:
    """The demo's servers and their data; see the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.host: str = SMTP_HOST
        self.domain: str = SENDER_DOMAIN
        self.username: str = USERNAME
        self.password: str = PASSWORD
        self.from_address: str = f"noreply@{SENDER_DOMAIN}"
        self.recipient: str = f"you@{SENDER_DOMAIN}"
        self.cafile: Path = self.folder / CAFILE_NAME
        self.mailbox = Mailbox(self.folder / MAILBOX_FOLDER)
        self.dkim_private_key: bytes | None = None
        """The provider's DKIM private key (PEM, PKCS#8), made by `start()`."""
        self.dkim_selector: str = DKIM_SELECTOR
        self._zones: Zones | None = None
        self._dns: DnsServer | None = None
        self._smtp: DemoSmtpServer | None = None
        self._provider: Provider | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []
        """Unexpected errors inside the servers (asyncio's exception handler), kept here
        rather than printed: a line on stderr would land in the middle of the wizard's
        screen. Empty in a healthy run; tests assert so."""

    # ------------------------------------------------------------------ what is running

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _started(self) -> tuple[DnsServer, DemoSmtpServer, Provider]:
        if self._dns is None or self._smtp is None or self._provider is None:
            raise SandboxError("The demo has not been started: call start() first.")
        return self._dns, self._smtp, self._provider

    @property
    def provider(self) -> Provider:
        """The demo preset (id "demo"), with this run's ports."""
        return self._started()[2]

    @property
    def starttls_port(self) -> int:
        return self._started()[1].starttls_port

    @property
    def ssl_port(self) -> int:
        return self._started()[1].ssl_port

    @property
    def nameserver(self) -> str:
        """`127.0.0.1:PORT`, what `--nameserver` takes."""
        return self._started()[0].nameserver

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Bring every server up on loopback, or raise SandboxError with nothing left running."""
        if self._thread is not None:
            raise SandboxError("The demo is already running.")
        problem = missing_extra()
        if problem is not None:
            raise SandboxError(problem)
        self._provider = None
        try:
            self._prepare()
            self._launch()
        except BaseException as exc:
            self.stop()
            if isinstance(exc, SandboxError) or not isinstance(exc, Exception):
                raise
            raise SandboxError(f"The demo could not start: {_reason(exc)}") from exc
        providers.register_session_preset(self.provider)

    def _prepare(self) -> None:
        """Folder, certificates, DKIM key, zones and servers (nothing listening yet)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SandboxError(
                f"The demo could not create its folder {self.folder}: {_reason(exc)}"
            ) from exc
        quiet_aiosmtpd_log()
        certificates = make_certificates(self.host, self.cafile)
        key = make_dkim_key()
        self.dkim_private_key = key.private_pem
        self._zones = demo_zones(key.record)
        self._dns = DnsServer(self._zones, LOOPBACK)
        self._smtp = DemoSmtpServer(
            host=self.host,
            tls=certificates.server_context,
            username=self.username,
            password=self.password,
            mailbox=self.mailbox,
            address=LOOPBACK,
        )

    def _launch(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._keep_error)
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="smtp-wizard-demo", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), loop).result(START_TIMEOUT)
        assert self._smtp is not None
        self._provider = demo_provider(self._smtp.starttls_port, self._smtp.ssl_port)

    async def _open(self) -> None:
        assert self._dns is not None and self._smtp is not None
        try:
            await self._dns.open()
            await self._smtp.open()
        except BaseException:
            await self._close()
            raise

    async def _close(self) -> None:
        if self._smtp is not None:
            await self._smtp.close()
        if self._dns is not None:
            await self._dns.close()

    def _keep_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if len(self.errors) < MAX_ERRORS:
            exception = context.get("exception")
            detail = f": {type(exception).__name__}: {exception}" if exception else ""
            self.errors.append(f"{context.get('message', 'error')}{detail}")

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Close every socket and end the thread; idempotent, safe after a failed start.

        The demo preset is unregistered too: its ports no longer answer.
        """
        if self._provider is not None and providers.load_providers().get(PROVIDER_ID) is (
            self._provider
        ):
            providers.unregister_session_preset(PROVIDER_ID)
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._close(), loop).result(START_TIMEOUT)
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT)
        self._loop = None
        self._thread = None

    def __enter__(self) -> DemoWorld:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ the demo's DNS

    def publish(self, rows: Iterable[RecordRow]) -> list[str]:
        """Apply the records plan's rows to the live zones at once; see `zones.publish`."""
        if self._zones is None:
            raise SandboxError("The demo has not been started: call start() first.")
        return publish(self._zones, rows, self.domain)


def _reason(exc: BaseException) -> str:
    """An error as one line for the user (its class name when it has no message)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
