"""The `smtp-wizard` command line.

Parsing and dispatch only: each sub-command calls into the core and prints. Textual is
imported only when the wizard itself starts, so `--help`, `export`, `providers` and the
checks start fast and run where no terminal UI could.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from smtp_wizard import __version__, validate
from smtp_wizard.errors import UsageError, WizardError
from smtp_wizard.secret import Secret

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CHECKING_COMMANDS = ("check", "discover", "dns", "send-test")
NOT_BUILT = "is not built yet in this version of smtp-wizard"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error honours `--json`: stdout gets only the JSON document.

    Abbreviated flags are off: `--pass` must not quietly mean `--password-stdin`.
    """

    json_output = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            # Echo the unknown options, never the words after them: `--pasword hunter2`
            # would otherwise print the password to a terminal or a CI log.
            words = message.removeprefix(prefix).split()
            options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
            message = (
                f"unrecognized option(s): {' '.join(options)} (values not shown)"
                if options
                else f"{len(words)} unexpected argument(s) (not shown)"
            )
        if Parser.json_output:
            emit_json_error(f"{self.prog}: {message}")
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def emit_json_error(message: str) -> NoReturn:
    print(json.dumps({"ok": False, "error": message, "checks": []}))
    print(f"smtp-wizard: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _typed(rule: Callable[[Any], Any], what: str) -> Callable[[str], Any]:
    """An argparse `type=` from one of the validate rules; its message becomes the error."""

    def convert(text: str) -> Any:
        try:
            return rule(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{what} {exc}") from None

    convert.__name__ = what
    return convert


def _host(text: str) -> str:
    return validate.host(text)[0]


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise ValueError(f"{text} is out of range; give seconds from 0.1 to 600")
    return value


def _nameserver(text: str) -> str:
    import ipaddress

    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.lstrip(":")
    try:
        ipaddress.ip_address(host or text)
    except ValueError:
        raise ValueError(f"{text!r} is not IP[:PORT] (e.g. 127.0.0.1:5353)") from None
    if port:
        validate.port(port)
    return text


class _RefusePassword(argparse.Action):
    """`--password VALUE` is refused: a flag value shows in `ps` and in shell history."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object, **__: object) -> None:
        parser.error(
            "a password is never given as a flag (it would show in `ps` and shell history); "
            "use --password-stdin or --password-env VAR"
        )


def _add_config_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="config file (default ./smtp-wizard.toml)",
    )
    parser.add_argument("--profile", metavar="NAME", help="profile (default: the file's default)")


def _add_common(parser: argparse.ArgumentParser, *, server: bool = True) -> None:
    """The flags every checking command accepts (DESIGN.md, "Commands")."""
    _add_config_flags(parser.add_argument_group("config"))
    group = parser.add_argument_group("server (override the config)")
    if server:
        group.add_argument("--host", type=_typed(_host, "--host"), help="SMTP server host name")
    group.add_argument("--port", type=_typed(validate.port, "--port"), help="SMTP port (1-65535)")
    group.add_argument(
        "--security",
        type=_typed(validate.security, "--security"),
        metavar="{starttls,ssl,none}",
        help="starttls (587), ssl = implicit TLS from the first byte (465), none",
    )
    group.add_argument("--username", type=_typed(validate.no_control, "--username"))
    group.add_argument("--password", nargs="?", action=_RefusePassword, help=argparse.SUPPRESS)
    secret = group.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (never give it as a flag)",
    )
    secret.add_argument(
        "--password-env",
        metavar="VAR",
        type=_typed(validate.env_name, "--password-env"),
        help="read the password from environment variable VAR",
    )
    group.add_argument(
        "--from",
        dest="from_address",
        metavar="ADDR",
        type=_typed(validate.email_address, "--from"),
        help="sender address",
    )
    group = parser.add_argument_group("DNS")
    group.add_argument(
        "--domain",
        type=_typed(validate.hostname, "--domain"),
        help="sending domain for SPF, DKIM and DMARC",
    )
    group.add_argument(
        "--dkim-selector",
        action="append",
        default=[],
        metavar="SEL",
        type=_typed(validate.dkim_selector, "--dkim-selector"),
        help="DKIM selector to check (repeatable)",
    )
    group.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        type=_typed(_nameserver, "--nameserver"),
        help="send DNS queries here instead of the system resolver (repeatable)",
    )
    group = parser.add_argument_group("probe")
    group.add_argument("--cafile", type=Path, metavar="PEM", help="extra trusted CA certificate(s)")
    group.add_argument(
        "--timeout",
        type=_typed(_timeout, "--timeout"),
        default=10.0,
        metavar="SECONDS",
        help="deadline of one whole probe (default 10)",
    )
    group.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    group.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="show the SMTP transcript (AUTH payloads redacted)",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="smtp-wizard",
        description="Get an application's outgoing email configured right: SMTP host, port, "
        "TLS, login, SPF/DKIM/DMARC, checked live; the secret kept in the OS keyring. "
        "Without a command, starts the wizard.",
    )
    parser.add_argument("--version", action="version", version=f"smtp-wizard {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="config file for the wizard (default ./smtp-wizard.toml)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    check = sub.add_parser(
        "check",
        help="run every live check of the saved config (or of flags)",
        description="Run every live check of a profile, non-interactively. "
        "Exit 0: nothing failed; 1: a check failed; 2: bad usage or config.",
    )
    _add_common(check)
    check.add_argument(
        "--send-to",
        metavar="ADDR",
        type=_typed(validate.email_address, "--send-to"),
        help="also send a test message to ADDR (smtp.send)",
    )
    check.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="with --security none: send the credentials without TLS anyway",
    )
    check.set_defaults(handler=cmd_check)

    discover = sub.add_parser(
        "discover",
        help="probe ports 587, 465, 2525 and 25 at once",
        description="Probe which ports and TLS modes a server offers, "
        "all at once, and recommend one.",
    )
    discover.add_argument("target_host", metavar="HOST", type=_typed(_host, "HOST"))
    _add_common(discover, server=False)
    discover.set_defaults(handler=cmd_discover)

    dns = sub.add_parser(
        "dns",
        help="SPF, DKIM, DMARC and MX report, and the records to add",
        description="Check a domain's SPF, DKIM, DMARC and MX records and "
        "print exactly what to publish.",
    )
    dns.add_argument("target_domain", metavar="DOMAIN", type=_typed(validate.hostname, "DOMAIN"))
    dns.add_argument(
        "--provider", metavar="P", help="provider preset (see `smtp-wizard providers`)"
    )
    dns.add_argument("--ip", metavar="ADDR", help="evaluate SPF for this sending IP address")
    _add_common(dns)
    dns.set_defaults(handler=cmd_dns)

    send = sub.add_parser(
        "send-test",
        help="send a test message (same as check --send-to)",
        description="Send a test message through the profile's server.",
    )
    send.add_argument(
        "--to",
        dest="send_to",
        required=True,
        metavar="ADDR",
        type=_typed(validate.email_address, "--to"),
    )
    _add_common(send)
    send.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="with --security none: send the credentials without TLS anyway",
    )
    send.set_defaults(handler=cmd_check)

    from smtp_wizard.export import FORMATS  # no Textual, no network: cheap

    export = sub.add_parser(
        "export",
        help="write the app's settings (.env or a framework's)",
        description="Write the profile's settings for the app, with the "
        "password read from the keyring (or its environment variable). "
        "An existing .env keeps every line that smtp-wizard does not own.",
    )
    _add_config_flags(export)
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="env",
        help="env (SMTP_*), or a framework's own names (default env)",
    )
    export.add_argument(
        "--output",
        metavar="PATH",
        help="file to write or merge into (default .env); - prints to stdout",
    )
    export.add_argument(
        "--reveal",
        action="store_true",
        help="with --output -: print the password too (otherwise masked)",
    )
    export.set_defaults(handler=cmd_export)

    providers = sub.add_parser(
        "providers",
        help="list provider presets",
        description="List the provider presets: hosts, ports, username "
        "conventions, what the password is.",
    )
    providers.add_argument("provider_id", nargs="?", metavar="ID", help="show only this preset")
    providers.add_argument("--json", action="store_true", help="print JSON")
    providers.set_defaults(handler=cmd_providers)

    config = sub.add_parser(
        "config",
        help="show the config; store a password in the keyring",
        description="Inspect the config file, or store a profile's password in the OS keyring.",
    )
    config_sub = config.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=Parser, required=True
    )
    show = config_sub.add_parser(
        "show",
        help="print the config (password location, never value)",
        description="Print the config with the password redacted: "
        "where it lives, never what it is.",
    )
    _add_config_flags(show)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=cmd_config_show)

    set_password = config_sub.add_parser(
        "set-password",
        help="store a profile's password in the OS keyring",
        description="Store the password of a profile in the OS keyring and point the profile "
        "at it. The password is read from standard input (one line) or typed at a hidden "
        "prompt; it is never a command-line argument.",
    )
    _add_config_flags(set_password)
    set_password.add_argument(
        "--password-stdin", action="store_true", help="read it from standard input"
    )
    set_password.set_defaults(handler=cmd_config_set_password)

    parser.set_defaults(handler=cmd_wizard)
    return parser


def _config_path(args: argparse.Namespace) -> Path:
    from smtp_wizard.config import DEFAULT_PATH

    return args.config if args.config is not None else DEFAULT_PATH


def cmd_wizard(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration

    path = _config_path(args)
    if path.exists():
        configuration.load(path)  # a corrupt file is reported (exit 2) before anything else
    raise UsageError(
        f"The interactive wizard {NOT_BUILT}.",
        "Today: `smtp-wizard check`, `discover`, `dns`, `send-test`, `export`, `providers` "
        "and `config`; `smtp-wizard --help` lists them.",
    )


def cmd_providers(args: argparse.Namespace) -> int:
    from smtp_wizard import providers

    presets = providers.load_providers()
    if args.provider_id:
        chosen = providers.get_provider(args.provider_id)
        presets = {chosen.id: chosen}
    if args.json:
        print(json.dumps(providers.providers_as_json(presets.values()), indent=2))
    else:
        print(providers.render_providers_text(presets.values(), full=bool(args.provider_id)))
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration

    cfg = configuration.load(_config_path(args))
    names = [cfg.profile(args.profile).name] if args.profile else list(cfg.profiles)
    if args.json:
        document = cfg.to_toml()
        document["profiles"] = {n: document["profiles"][n] for n in names}
        print(json.dumps({"path": str(cfg.path), **document}, indent=2))
        return EXIT_OK
    print(f"# {cfg.path}  (id {cfg.id}, default profile {cfg.default_profile!r})")
    for name in names:
        profile = cfg.profiles[name]
        print(f"\n[profiles.{name}]")
        for key, value in profile.to_toml().items():
            if key == "password":
                value = f"<in the {profile.password.describe()}>" if profile.password else ""
            print(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    for warning in cfg.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _load_optional_config(args: argparse.Namespace) -> Any:
    """The config named by --config (which must exist), or ./smtp-wizard.toml if present."""
    from smtp_wizard import config as configuration

    if args.config is not None:
        return configuration.load(args.config)
    if configuration.DEFAULT_PATH.exists():
        return configuration.load(configuration.DEFAULT_PATH)
    if args.profile:
        raise UsageError(
            f"--profile {args.profile} given, but there is no {configuration.DEFAULT_PATH}.",
            "Point to the config with --config PATH.",
        )
    return None


def _password_for(args: argparse.Namespace, profile: Any) -> tuple[Secret | None, str]:
    """The password from a flag's source or the profile's reference; else why there is none.

    An explicit flag that yields nothing is bad usage (exit 2); a profile whose keyring
    cannot be read is not: the other checks still run and smtp.auth says why.
    """
    from smtp_wizard.errors import SecretError
    from smtp_wizard.secret_store import resolve_password

    if args.password_stdin:
        return read_password(True), ""
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise UsageError(
                f"--password-env {args.password_env}: that variable is not set or empty."
            )
        return Secret(value), ""
    if profile is None or profile.password is None:
        return None, "No password was given (--password-stdin, --password-env VAR) or configured."
    try:
        return resolve_password(profile.password, profile.name), ""
    except SecretError as error:
        return None, str(error)


def _smtp_settings(args: argparse.Namespace, cfg: Any) -> Any:
    """The probe's settings: flags over the profile over the provider's preset."""
    from smtp_wizard import providers
    from smtp_wizard.checks.smtp import SmtpSettings, prepare

    profile = cfg.profile(args.profile) if cfg is not None else None

    def pick(flag: str, key: str | None = None) -> Any:
        value = getattr(args, flag, None)
        if value not in (None, [], ""):
            return value
        return getattr(profile, key or flag, None) if profile is not None else None

    host = pick("host")
    if not host:
        raise UsageError(
            "No SMTP host to check.",
            "Pass --host (and --port, --security), or run in a folder with smtp-wizard.toml, "
            "or point to one with --config.",
        )
    preset = providers.get_provider(profile.provider) if profile and profile.provider else None
    preset = preset or providers.find_by_host(host)
    security = pick("security")
    port = pick("port")
    if port is None and preset is not None and preset.default_port is not None:
        wanted = [p for p in preset.ports if security in (None, p.security)]
        if wanted:
            port, security = wanted[0].port, wanted[0].security
    if port is None:
        port = {"ssl": 465, "none": 25}.get(security or "", 587)
    if security is None:
        security = "ssl" if port in (465, 2465) else "starttls"
    username = pick("username")
    password, problem = _password_for(args, profile) if username else (None, "")
    _check_cafile(args.cafile)
    return prepare(
        SmtpSettings(
            host=host,
            port=port,
            security=security,
            username=username,
            password=password,
            password_problem=problem,
            from_address=pick("from_address"),
            from_name=profile.from_name if profile is not None else None,
            send_to=getattr(args, "send_to", None),
            cafile=args.cafile,
            timeout=args.timeout,
            allow_plaintext_auth=getattr(args, "allow_plaintext_auth", False),
            provider=preset,
        )
    )


def _check_cafile(cafile: Path | None) -> None:
    """A --cafile that is missing or not PEM is bad usage, reported before any probe."""
    from smtp_wizard.checks.smtp import tls_context

    if cafile is None:
        return
    if not cafile.is_file():
        raise UsageError(f"--cafile {cafile}: no such file.", "Give a PEM file of CAs.")
    tls_context(cafile)  # raises UsageError for a file that holds no certificate


def _print_warnings(cfg: Any) -> None:
    for warning in getattr(cfg, "warnings", []) or []:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio

    from smtp_wizard import render
    from smtp_wizard.checks.dns import make_resolver
    from smtp_wizard.checks.domain import domain_checks
    from smtp_wizard.checks.model import collect, merge
    from smtp_wizard.checks.smtp import Transcript, smtp_checks

    cfg = _load_optional_config(args)
    _print_warnings(cfg)
    settings = _smtp_settings(args, cfg)
    profile = cfg.profile(args.profile) if cfg is not None else None
    resolver = make_resolver(args.nameserver, timeout=args.timeout)
    transcript = Transcript()
    domain = args.domain or (profile.domain if profile else None)
    if not domain and settings.from_address:
        domain = settings.from_address.rpartition("@")[2]
    selectors = args.dkim_selector or (profile.dkim_selectors if profile else [])

    async def run() -> Any:
        stream = merge(
            [
                smtp_checks(settings, resolver.addresses, transcript),
                domain_checks(
                    domain,
                    nameservers=args.nameserver,
                    timeout=args.timeout,
                    provider=settings.provider,
                    selectors=selectors,
                ),
            ]
        )

        async def shown() -> Any:
            async for result in stream:
                if not args.json:
                    print(render.result_line(result), flush=True)
                yield result

        return await collect(shown())

    report = asyncio.run(run())
    if args.json:
        document = report.to_json()
        if args.verbose:
            document["transcript"] = transcript.lines
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return report.exit_code
    advice = render.advice_block(report.checks)
    if advice:
        print("\n" + advice)
    if args.verbose:
        print("\nTranscript:\n" + "\n".join(f"  {line}" for line in transcript.lines))
    print("\n" + render.summary_line(report))
    return report.exit_code


def cmd_dns(args: argparse.Namespace) -> int:
    import asyncio
    import ipaddress

    from smtp_wizard import providers, render
    from smtp_wizard.checks.dns import make_resolver
    from smtp_wizard.checks.domain import domain_checks
    from smtp_wizard.checks.model import collect
    from smtp_wizard.records import records_to_add, render_records_text

    cfg = _load_optional_config(args)
    _print_warnings(cfg)
    profile = cfg.profile(args.profile) if cfg is not None else None
    provider_id = args.provider or (profile.provider if profile else None)
    provider = providers.get_provider(provider_id) if provider_id else None
    if provider is None and profile is not None and profile.host:
        provider = providers.find_by_host(profile.host)
    if args.ip is not None:
        try:
            ipaddress.ip_address(args.ip)
        except ValueError:
            raise UsageError(f"--ip {args.ip!r} is not an IP address.") from None
    selectors = args.dkim_selector or (
        profile.dkim_selectors if profile and profile.domain == args.target_domain else []
    )
    domain = args.target_domain

    async def run() -> tuple[Any, Any]:
        async def shown() -> Any:
            stream = domain_checks(
                domain,
                nameservers=args.nameserver,
                timeout=args.timeout,
                provider=provider,
                selectors=selectors,
                ip=args.ip,
            )
            async for result in stream:
                if not args.json:
                    print(render.result_line(result), flush=True)
                yield result

        plan_resolver = make_resolver(args.nameserver, timeout=args.timeout)
        report, plan = await asyncio.gather(
            collect(shown()), _bounded_plan(records_to_add(domain, plan_resolver, provider))
        )
        return report, plan

    report, plan = asyncio.run(run())
    if args.json:
        document = report.to_json()
        document["records"] = plan.to_json() if plan is not None else None
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return report.exit_code
    advice = render.advice_block(report.checks)
    if advice:
        print("\n" + advice)
    if plan is not None:
        print("\n" + render_records_text(plan).rstrip())
    else:
        print("\nThe records to add could not be worked out (DNS did not answer in time).")
    print("\n" + render.summary_line(report))
    return report.exit_code


async def _bounded_plan(work: Any) -> Any:
    """The record plan, or None when DNS failed so badly that there is none to give."""
    from smtp_wizard.checks.dnsapi import DnsError

    try:
        return await work
    except (DnsError, TimeoutError):
        return None


def cmd_discover(args: argparse.Namespace) -> int:
    import asyncio

    from smtp_wizard import providers
    from smtp_wizard.checks.discover import discover
    from smtp_wizard.checks.dns import make_resolver

    _check_cafile(args.cafile)
    resolver = make_resolver(args.nameserver, timeout=args.timeout)
    found = asyncio.run(
        discover(
            args.target_host,
            resolve=resolver.addresses,
            srv=resolver.srv,
            domain=args.domain,
            cafile=args.cafile,
            timeout=args.timeout,
            provider=providers.find_by_host(args.target_host),
        )
    )
    if args.json:
        print(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return found.exit_code
    print(f"{found.host}: {len(found.ports)} ports probed in {found.elapsed_ms} ms\n")
    marks = {"ok": "✓"}
    for port in found.ports:
        mark = marks.get(port.status, "✗")
        print(f"{mark} {port.port:>5} {port.security:<9} {port.status:<12} {port.summary}")
    for service, record in found.srv:
        print(f"\nSRV {service}: {record.target}:{record.port} (priority {record.priority})")
    if found.srv_problem:
        print(f"\nSRV lookup: {found.srv_problem}")
    if found.recommended is not None:
        chosen = found.recommended
        print(f"\nRecommended: port {chosen.port}, security {chosen.security}. {found.reason}")
    else:
        print(f"\nNothing to recommend. {found.reason}")
    return found.exit_code


def read_password(from_stdin: bool) -> Secret:
    """One password from stdin (one trailing newline dropped) or from a hidden prompt."""
    if from_stdin or not sys.stdin.isatty():
        value = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        import getpass

        value = getpass.getpass("Password (hidden): ")
        if getpass.getpass("Again, to be sure: ") != value:
            raise UsageError("The two passwords differ; nothing was stored.")
    if not value:
        raise UsageError("The password is empty; nothing was stored.")
    if "\n" in value or "\r" in value:
        raise UsageError("A password cannot hold a line break; nothing was stored.")
    return Secret(value)


def cmd_config_set_password(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration
    from smtp_wizard.secret_store import SecretStore

    cfg = configuration.load(_config_path(args))
    profile = cfg.profile(args.profile)
    secret = read_password(args.password_stdin)
    ref = cfg.keyring_ref(profile.name)
    SecretStore(ref.service).set(ref.key, secret)
    if profile.password != ref:
        profile.password = ref
        configuration.save(cfg)
    print(
        f"Stored the password of profile {profile.name!r} in the {ref.describe()}.",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration
    from smtp_wizard import export
    from smtp_wizard.secret_store import resolve_password

    cfg = configuration.load(_config_path(args))
    profile = cfg.profile(args.profile)
    password = resolve_password(profile.password, profile.name)
    rendered = export.render(args.format, profile, password)
    if args.output == "-":
        sys.stdout.write(export.format_dotenv(rendered, reveal=args.reveal))
        return EXIT_OK
    if args.reveal:
        raise UsageError("--reveal only applies to --output - (a file always holds the password).")
    target = Path(args.output) if args.output else export.default_output(args.format)
    export.write_dotenv(target, rendered)
    print(
        f"Wrote {args.format} settings of profile {profile.name!r} to {target} (mode 0600).",
        file=sys.stderr,
    )
    if rendered.snippet:
        print("\nTo read them in your app:\n\n" + rendered.snippet, file=sys.stderr)
    return EXIT_OK


def report_error(error: WizardError, stream: TextIO) -> None:
    print(f"smtp-wizard: {error.message}", file=stream)
    if error.hint:
        for line in error.hint.splitlines():
            print(f"  {line}", file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.json_output = "--json" in argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except WizardError as error:
        if getattr(args, "json", False) and args.command in (*CHECKING_COMMANDS, "providers"):
            print(json.dumps({"ok": False, "error": str(error), "checks": []}))
        report_error(error, sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("smtp-wizard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout went away (e.g. `| head`); nothing more can be said there.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get("SMTP_WIZARD_DEBUG"):
            raise
        print(
            f"smtp-wizard: internal error ({type(exc).__name__}). This is a bug; rerun with "
            "SMTP_WIZARD_DEBUG=1 to see where, and report it.",
            file=sys.stderr,
        )
        return 70
