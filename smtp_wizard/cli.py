"""The `smtp-wizard` command line.

Parsing and dispatch only: each sub-command asks the core (settings.py resolves what the
user meant, checks/ runs the probes) and prints. Textual is imported only when the wizard
itself starts, so `--help`, `export`, `providers` and the checks start fast and run where
no terminal UI could.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from smtp_wizard import __version__, validate
from smtp_wizard.errors import UsageError, WizardError
from smtp_wizard.launch import require_terminal, start_wizard
from smtp_wizard.secret import Secret

if TYPE_CHECKING:
    from smtp_wizard.config import Config
    from smtp_wizard.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CHECKING_COMMANDS = ("check", "discover", "dns", "send-test")
NOT_BUILT = "is not built yet in this version of smtp-wizard"
SCOPES = ("smtp", "dns")
SHELLS = ("bash", "zsh", "fish")
HIDDEN_VALUE = "(value not shown)"


class Parser(argparse.ArgumentParser):
    """argparse, with three promises kept for every usage error.

    - With `--json`, stdout gets only the JSON document.
    - A value the user typed is never repeated: a password pasted into the wrong flag must
      not reach a terminal, a CI log or a JSON document.
    - An unknown option or command gets a did-you-mean. Abbreviations are off: `--pass` must
      not quietly mean `--password-stdin`.
    """

    json_output = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = _safe_usage_message(message, self)
        if Parser.json_output:
            emit_json_error(f"{self.prog}: {message}")
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings if s.startswith("--")]


def _safe_usage_message(message: str, parser: argparse.ArgumentParser) -> str:
    """argparse's message without the values the user typed, plus a did-you-mean."""
    prefix = "unrecognized arguments: "
    if message.startswith(prefix):
        # Echo the unknown options, never the words after them: `--pasword hunter2`
        # would otherwise print the password to a terminal or a CI log.
        words = message.removeprefix(prefix).split()
        options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        if not options:
            return f"{len(words)} unexpected argument(s) ({HIDDEN_VALUE})"
        known = _option_strings(parser)
        hints = []
        for option in options:
            close = difflib.get_close_matches(option, known, n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean {close[0]} (for {option})?")
        text = f"unrecognized option(s): {' '.join(options)} (values not shown)"
        return text + ("; " + "; ".join(hints) if hints else "")
    choice = _INVALID_CHOICE.match(message)
    if choice:
        choices = re.findall(r"'([^']*)'", choice["choices"])
        close = difflib.get_close_matches(choice["value"], choices, n=1, cutoff=0.6)
        meant = f"; did you mean {close[0]}?" if close else ""
        what = "command" if choice["arg"] in ("COMMAND", "ACTION") else "choice"
        listed = ", ".join(choices)
        return (
            f"argument {choice['arg']}: not a known {what} {HIDDEN_VALUE}; "
            f"choose from {listed}{meant}"
        )
    return message


_INVALID_CHOICE = re.compile(
    r"argument (?P<arg>.+?): invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)$",
    re.S,
)


def emit_json_error(message: str) -> NoReturn:
    print(json.dumps({"ok": False, "error": message, "checks": []}))
    print(f"smtp-wizard: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _hide(message: str, text: str) -> str:
    """`message` with every occurrence of the typed `text` replaced: it might be a secret."""
    if not text:
        return message
    for form in (repr(text), f'"{text}"', text.strip()):
        if form:
            message = re.sub(
                rf"(?<![\w.]){re.escape(form)}(?![\w.])" if form[:1].isalnum() else re.escape(form),
                "the value given",
                message,
            )
    return message


def _typed(rule: Callable[[Any], Any], what: str) -> Callable[[str], Any]:
    """An argparse `type=` from one of the validate rules; its message becomes the error.

    The message never holds the value: a password typed into the wrong flag
    (`--password-env "$SMTP_PASSWORD"`) must not be printed back.
    """

    def convert(text: str) -> Any:
        try:
            return rule(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{_hide(str(exc), text)} {HIDDEN_VALUE}") from None

    convert.__name__ = what
    return convert


def _host(text: str) -> str:
    return validate.host(text)[0]


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("it is not a number of seconds; give seconds from 0.1 to 600") from None
    if not 0.1 <= value <= 600:  # NaN fails this too
        raise ValueError("it is out of range; give seconds from 0.1 to 600")
    return value


def _nameserver(text: str) -> str:
    """IP, IP:PORT, [IPv6] or [IPv6]:PORT; anything else is refused here, not later."""
    import ipaddress

    shape = "is not IP[:PORT] (e.g. 127.0.0.1:5353, or [::1]:5353 for IPv6 with a port)"
    if text.startswith("["):
        inside, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError(f"it {shape}")
        host, port = inside, rest[1:] if rest else None
        if rest and not port:
            raise ValueError(f"it {shape}: the port after ':' is missing")
    elif text.count(":") == 1:
        host, port = text.split(":")
        if not port:
            raise ValueError(f"it {shape}: the port after ':' is missing")
    else:
        host, port = text, None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"it {shape}") from None
    if port is not None:
        validate.port(port)
    if address.version == 6 and port is not None and not text.startswith("["):
        raise ValueError(f"it {shape}")
    return text


def _scopes(text: str) -> list[str]:
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    for word in words:
        if word not in SCOPES:
            raise ValueError(f"it is not one of {', '.join(SCOPES)}")
    if not words:
        raise ValueError(f"it is empty; give {' or '.join(SCOPES)}")
    return words


class _Extend(argparse.Action):
    """Repeatable flag whose values may also be comma lists: `--only smtp --only dns`."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        current = list(getattr(namespace, self.dest, None) or [])
        current += [v for v in values if v not in current]
        setattr(namespace, self.dest, current)


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
    parser.add_argument(
        "--profile",
        metavar="NAME",
        type=_typed(validate.profile_name, "--profile"),
        help="profile (default: the file's default)",
    )


def _add_secret_flags(group: argparse._ArgumentGroup) -> None:
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


def _add_server_flags(group: argparse._ArgumentGroup, *, host: bool = True) -> None:
    group.add_argument(
        "--provider", metavar="ID", help="provider preset (see `smtp-wizard providers`)"
    )
    if host:
        group.add_argument("--host", type=_typed(_host, "--host"), help="SMTP server host name")
    group.add_argument("--port", type=_typed(validate.port, "--port"), help="SMTP port (1-65535)")
    group.add_argument(
        "--security",
        type=_typed(validate.security, "--security"),
        metavar="{starttls,ssl,none}",
        help="starttls (587), ssl = implicit TLS from the first byte (465), none",
    )
    group.add_argument("--username", type=_typed(validate.no_control, "--username"))


def _add_common(parser: argparse.ArgumentParser, *, server: bool = True) -> None:
    """The flags every checking command accepts (DESIGN.md, "Commands")."""
    _add_config_flags(parser.add_argument_group("config"))
    group = parser.add_argument_group("server (override the config)")
    _add_server_flags(group, host=server)
    _add_secret_flags(group)
    _add_from(group)
    group = parser.add_argument_group("DNS")
    _add_domain(group)
    group.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        type=_typed(_nameserver, "--nameserver"),
        help="send DNS queries here instead of the system resolver (repeatable)",
    )
    group = parser.add_argument_group("probe and output")
    group.add_argument("--cafile", type=Path, metavar="PEM", help="extra trusted CA certificate(s)")
    group.add_argument(
        "--timeout",
        type=_typed(_timeout, "--timeout"),
        default=10.0,
        metavar="SECONDS",
        help="deadline of one whole probe, 0.1 to 600 (default 10)",
    )
    group.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    _add_color(group)
    group.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="show the SMTP transcript (AUTH payloads redacted)",
    )


def _add_wizard_flags(group: argparse._ArgumentGroup) -> None:
    """The flags the wizard shares with `check` (DESIGN.md): how checks reach the world."""
    group.add_argument(
        "--nameserver",
        action="append",
        default=None,
        metavar="IP[:PORT]",
        type=_typed(_nameserver, "--nameserver"),
        help="send DNS queries here instead of the system resolver (repeatable)",
    )
    group.add_argument("--cafile", type=Path, metavar="PEM", help="extra trusted CA certificate(s)")
    group.add_argument(
        "--timeout",
        type=_typed(_timeout, "--timeout"),
        default=None,
        metavar="SECONDS",
        help="deadline of one whole probe, 0.1 to 600 (default 10)",
    )


def _add_from(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--from",
        dest="from_address",
        metavar="ADDR",
        type=_typed(validate.email_address, "--from"),
        help="sender address",
    )


def _add_domain(group: argparse._ArgumentGroup) -> None:
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
        help="DKIM selector (repeatable)",
    )


def _add_color(group: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--color",
        "--colour",
        dest="color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour: auto (a terminal, unless NO_COLOR is set), always or never",
    )


def _add_scope(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--only",
        action=_Extend,
        type=_typed(_scopes, "--only"),
        default=None,
        metavar="{smtp,dns}",
        help=f"run only these checks (repeatable or a comma list; default: {default})",
    )


def _add_plaintext(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        help="with --security none: send the credentials without TLS anyway",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="smtp-wizard",
        description="Get an application's outgoing email configured right: SMTP host, port, "
        "TLS, login, SPF/DKIM/DMARC, checked live; the secret kept in the OS keyring. "
        "Without a command, starts the wizard.",
    )
    parser.add_argument("--version", "-V", action="version", version=f"smtp-wizard {__version__}")
    wizard = parser.add_argument_group("the wizard (no command)")
    _add_config_flags(wizard)
    _add_wizard_flags(wizard)
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
    _add_plaintext(check)
    _add_scope(check, "smtp,dns")
    check.set_defaults(handler=cmd_check, default_scope=("smtp", "dns"))

    discover = sub.add_parser(
        "discover",
        help="probe ports 587, 465, 2525 and 25 at once",
        description="Probe which ports and TLS modes a server offers, all at once, and "
        "recommend one. Without HOST, the profile's host (or its preset's) is probed.",
    )
    discover.add_argument(
        "target_host", metavar="HOST", nargs="?", type=_typed(_host, "HOST"), default=None
    )
    _add_common(discover, server=False)
    discover.add_argument(
        "--save",
        action="store_true",
        help="write the recommended port and security into the profile",
    )
    discover.set_defaults(handler=cmd_discover)

    dns = sub.add_parser(
        "dns",
        help="SPF, DKIM, DMARC and MX report, and the records to add",
        description="Check a domain's SPF, DKIM, DMARC and MX records and "
        "print exactly what to publish. Without DOMAIN, the profile's sending domain.",
    )
    dns.add_argument(
        "target_domain",
        metavar="DOMAIN",
        nargs="?",
        type=_typed(validate.hostname, "DOMAIN"),
        default=None,
    )
    dns.add_argument("--ip", metavar="ADDR", help="evaluate SPF for this sending IP address")
    _add_common(dns)
    dns.set_defaults(handler=cmd_dns)

    send = sub.add_parser(
        "send-test",
        help="send a test message (check --send-to, SMTP checks only)",
        description="Send a test message through the profile's server. Only the SMTP checks "
        "run unless --only smtp,dns asks for the domain checks too.",
    )
    send.add_argument(
        "--to",
        dest="send_to",
        required=True,
        metavar="ADDR",
        type=_typed(validate.email_address, "--to"),
    )
    _add_common(send)
    _add_plaintext(send)
    _add_scope(send, "smtp")
    send.set_defaults(handler=cmd_check, default_scope=("smtp",))

    from smtp_wizard.formats import FORMATS

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

    _add_config_commands(sub)

    completion = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description="Print a completion script. bash: "
        'eval "$(smtp-wizard completion bash)" in ~/.bashrc; zsh: the same in ~/.zshrc; '
        "fish: smtp-wizard completion fish > ~/.config/fish/completions/smtp-wizard.fish",
    )
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(handler=cmd_completion)

    demo = sub.add_parser(
        "demo",
        help="walk the wizard on an embedded loopback world: no provider account needed",
        description="Start a demo SMTP server (STARTTLS and implicit TLS, AUTH with demo "
        "credentials), a DNS server for a demo domain and a mailbox, all on 127.0.0.1 for "
        "this run only, and open the wizard on them. Nothing leaves this machine; the "
        "config and exports go to the demo's own folder. Needs the `demo` extra: "
        "pip install 'smtp-wizard[demo]'.",
    )
    demo.add_argument(
        "--folder",
        type=Path,
        metavar="PATH",
        help="where the demo writes its config, exports and mailbox "
        "(default: a new folder under the system's temporary directory)",
    )
    demo.add_argument(
        "--timeout",
        type=_typed(_timeout, "--timeout"),
        default=10.0,
        metavar="SECONDS",
        help="deadline of one whole probe (default 10)",
    )
    demo.set_defaults(handler=cmd_demo)

    parser.set_defaults(handler=cmd_wizard)
    return parser


def _add_config_commands(sub: Any) -> None:
    config = sub.add_parser(
        "config",
        help="create, change and show the config; the password in the keyring",
        description="The config file without an editor: every change is validated as "
        "loading validates it.",
    )
    actions = config.add_subparsers(
        dest="config_command", metavar="ACTION", parser_class=Parser, required=True
    )

    init = actions.add_parser(
        "init",
        help="create the config file (or, with --profile, a new profile)",
        description="Create smtp-wizard.toml with one profile, filled from the provider "
        "preset where it knows the value; with --profile NAME in an existing file, add that "
        "profile. Then store the password with `config set-password`.",
    )
    _add_config_flags(init)
    group = init.add_argument_group("profile")
    _add_server_flags(group)
    group.add_argument(
        "--region", metavar="REGION", help="the preset's region (e.g. EU, india, us-east-1)"
    )
    _add_from(group)
    group.add_argument(
        "--from-name", metavar="NAME", type=_typed(validate.no_control, "--from-name")
    )
    _add_domain(group)
    group.add_argument(
        "--password-env",
        metavar="VAR",
        type=_typed(validate.env_name, "--password-env"),
        help='keep the password in environment variable VAR (password = { env = "VAR" })',
    )
    init.set_defaults(handler=cmd_config_init)

    set_ = actions.add_parser(
        "set",
        help="change one value of a profile",
        description="Set KEY of the profile to VALUE, validated as loading validates it. "
        "Keys: provider, host, port, security, username, from_address (or from), from_name, "
        "domain, dkim_selectors (a comma list), password (env:VAR or keyring), and "
        "default_profile (of the file).",
    )
    _add_config_flags(set_)
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")
    set_.set_defaults(handler=cmd_config_set)

    unset = actions.add_parser(
        "unset", help="remove one value from a profile", description="Remove KEY from the profile."
    )
    _add_config_flags(unset)
    unset.add_argument("key", metavar="KEY")
    unset.set_defaults(handler=cmd_config_unset)

    list_ = actions.add_parser(
        "list", help="list the profiles", description="List the profiles of the config file."
    )
    _add_config_flags(list_)
    list_.add_argument("--json", action="store_true", help="print JSON")
    list_.set_defaults(handler=cmd_config_list)

    show = actions.add_parser(
        "show",
        help="print the config (password location, never value)",
        description="Print the config with the password redacted: "
        "where it lives, never what it is. Each value says where it comes from.",
    )
    _add_config_flags(show)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=cmd_config_show)

    set_password = actions.add_parser(
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

    delete_password = actions.add_parser(
        "delete-password",
        help="remove a profile's password from the OS keyring",
        description="Delete the profile's keyring entry and its `password` reference.",
    )
    _add_config_flags(delete_password)
    delete_password.set_defaults(handler=cmd_config_delete_password)


# --- config and settings -------------------------------------------------------------------


def _config_path(args: argparse.Namespace) -> Path:
    from smtp_wizard.config import DEFAULT_PATH

    return args.config if args.config is not None else DEFAULT_PATH


def _load(args: argparse.Namespace) -> Config:
    from smtp_wizard import config as configuration

    path = _config_path(args)
    if args.config is None and not path.exists():
        raise UsageError(
            f"No config file at {path}.",
            "Create one: `smtp-wizard config init --provider ID` (or --host HOST), or point "
            "to one with --config PATH.",
        )
    cfg = configuration.load(path)
    _note_location(cfg, getattr(args, "profile", None))
    _print_warnings(cfg)
    return cfg


_CONTEXT: dict[str, Any] = {}
"""Which file and profile this run uses, so that every suggested command names them."""


def _note_location(cfg: Config, profile: str | None) -> None:
    from smtp_wizard.settings import Location

    _CONTEXT["location"] = Location(cfg.path, profile, cfg.default_profile)


def _in_context(text: str) -> str:
    location = _CONTEXT.get("location")
    return location.contextualize(text) if location is not None and text else text


async def _contextual(stream: Any) -> Any:
    from dataclasses import replace

    async for result in stream:
        yield replace(result, detail=_in_context(result.detail), advice=_in_context(result.advice))


def _load_optional_config(args: argparse.Namespace) -> Config | None:
    """The config named by --config (which must exist), or ./smtp-wizard.toml if present."""
    from smtp_wizard import config as configuration

    if args.config is not None or configuration.DEFAULT_PATH.exists():
        return _load(args)
    if args.profile:
        raise UsageError(
            f"--profile {args.profile} given, but there is no {configuration.DEFAULT_PATH}.",
            "Point to the config with --config PATH, or create it with "
            f"`smtp-wizard config init --profile {args.profile}`.",
        )
    return None


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "provider": getattr(args, "provider", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "security": getattr(args, "security", None),
        "username": getattr(args, "username", None),
        "from_address": getattr(args, "from_address", None),
        "domain": getattr(args, "domain", None),
        "dkim_selectors": tuple(getattr(args, "dkim_selector", None) or ()),
    }


def _settings(args: argparse.Namespace, cfg: Config | None, **extra: Any) -> Settings:
    from smtp_wizard import settings as resolution

    return resolution.resolve(cfg, args.profile, {**_overrides(args), **extra})


def _given_password(args: argparse.Namespace) -> Secret | None:
    """The password from --password-stdin or --password-env; None when neither was given."""
    if getattr(args, "password_stdin", False):
        return read_password(True)
    name = getattr(args, "password_env", None)
    if name:
        return _password_from_env(name, f"--password-env {name}")
    return None


def _password_from_env(name: str, label: str) -> Secret:
    raw = os.environb.get(name.encode()) if os.name != "nt" else None
    value = os.environ.get(name)
    if raw is not None:
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                f"{label}: that variable holds bytes that are not UTF-8 text.",
                "Set it again from a UTF-8 source (a password manager, or a UTF-8 terminal).",
            ) from None
    if not value:
        raise UsageError(f"{label}: that variable is not set or empty.")
    return _checked_secret(value)


def _checked_secret(value: str) -> Secret:
    if "\n" in value or "\r" in value:
        raise UsageError("A password cannot hold a line break; nothing was used or stored.")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise UsageError(
            "The password holds bytes that are not UTF-8 text; nothing was used or stored.",
            "Enter it from a UTF-8 source (a password manager, or a UTF-8 terminal).",
        )
    return Secret(value)


def _check_cafile(cafile: Path | None) -> None:
    """A --cafile that is missing or not PEM is bad usage, reported before any probe."""
    if cafile is None:
        return
    from smtp_wizard.checks.smtp import tls_context

    if not cafile.is_file():
        raise UsageError(f"--cafile {cafile}: no such file.", "Give a PEM file of CAs.")
    tls_context(cafile)  # raises UsageError for a file that holds no certificate


def _print_warnings(cfg: Config | None) -> None:
    for warning in getattr(cfg, "warnings", []) or []:
        print(f"warning: {_in_context(warning)}", file=sys.stderr)


# --- the wizard and small commands ---------------------------------------------------------


def cmd_wizard(args: argparse.Namespace) -> int:
    _check_cafile(args.cafile)
    return start_wizard(
        config_path=args.config,
        profile=args.profile,
        nameservers=tuple(args.nameserver or ()),
        cafile=args.cafile,
        timeout=args.timeout if args.timeout is not None else 10.0,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from smtp_wizard import sandbox

    missing = sandbox.missing_extra()
    if missing is not None:
        raise UsageError(missing)
    if args.folder is not None:
        folder = args.folder.expanduser()
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UsageError(
                f"{folder} is not an empty folder: the demo writes its own config, .env and "
                "mailbox there, and never over your files.",
                "Name a new or empty folder, or leave out --folder for a new temporary one.",
            )
    require_terminal("The demo")
    if args.folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="smtp-wizard-demo-"))
    from smtp_wizard.tui import run_demo

    with sandbox.DemoWorld(folder) as world:
        code = run_demo(world, timeout=args.timeout)
    print(f"smtp-wizard demo: the demo's config, exports and mailbox are in {folder}")
    return code


def cmd_providers(args: argparse.Namespace) -> int:
    from smtp_wizard import providers

    presets = providers.load_providers()
    if args.provider_id:
        chosen = providers.get_provider(args.provider_id)
        presets = {chosen.id: chosen}
    if args.json:
        print(json.dumps(providers.providers_as_json(presets.values()), indent=2))
        return EXIT_OK
    from smtp_wizard import render

    style = render.Style.detect(sys.stdout)
    width = min(100, style.width - 1 if style.tty else style.width)
    print(
        providers.render_providers_text(presets.values(), width=width, full=bool(args.provider_id))
    )
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["smtp-wizard"], shell=args.shell))
    return EXIT_OK


# --- config commands -----------------------------------------------------------------------


def _location_words(cfg: Config, profile: str | None = None) -> str:
    from smtp_wizard.settings import Location

    return Location(cfg.path, profile, cfg.default_profile).flags


def cmd_config_init(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration
    from smtp_wizard import providers
    from smtp_wizard import settings as resolution
    from smtp_wizard.config import EnvRef, Profile

    path = _config_path(args)
    name = args.profile or "default"
    if path.exists():
        cfg = configuration.load(path)
        _print_warnings(cfg)
        if not args.profile:
            raise UsageError(
                f"{path} already exists (profiles: {', '.join(cfg.profiles) or 'none'}).",
                "Add another profile with `smtp-wizard config init --profile NAME ...`"
                f"{_location_words(cfg)}, or change a value with "
                f"`smtp-wizard config set KEY VALUE{_location_words(cfg)}`.",
            )
        if name in cfg.profiles:
            raise UsageError(
                f"Profile {name!r} already exists in {path}.",
                f"Change it with `smtp-wizard config set KEY VALUE{_location_words(cfg, name)}`.",
            )
    else:
        cfg = configuration.Config.new(path)
        cfg.default_profile = name
    if args.region and not args.provider:
        raise UsageError("--region needs --provider (a preset with regions).")
    preset = providers.get_provider(args.provider) if args.provider else None
    host = args.host or (preset.host_for(args.region) if preset and args.region else None)
    # The same resolution every command uses fills what the preset knows; init writes it
    # down so that the file says what is in effect.
    effective = resolution.resolve(
        None,
        None,
        {
            **_overrides(args),
            "host": host,
            "from_name": args.from_name,
            "password": EnvRef(args.password_env) if args.password_env else None,
        },
    )
    profile = Profile(name=name)
    for key in resolution.FIELDS:
        value = getattr(effective, key)
        if key in ("port", "security") and effective.host is None:
            continue  # no server yet: a default port would say more than anyone chose
        setattr(profile, key, list(value) if isinstance(value, tuple) else value)
    cfg.profiles[name] = profile
    _save(cfg)
    where = _location_words(cfg, name)
    print(f"Created profile {name!r} in {path}.", file=sys.stderr)
    for line in _profile_lines(cfg, name):
        print(f"  {line}", file=sys.stderr)
    steps = []
    if preset is not None and not profile.username:
        steps.append(
            f"username: {preset.username_hint} (smtp-wizard config set username ...{where})"
        )
    if profile.password is None:
        steps.append(f"store the password: smtp-wizard config set-password{where}")
    steps.append(f"check it: smtp-wizard check{where}")
    print("\nNext:", file=sys.stderr)
    for number, step in enumerate(steps, 1):
        print(f"  {number}. {step}", file=sys.stderr)
    return EXIT_OK


def _save(cfg: Config) -> None:
    from smtp_wizard import config as configuration

    # An existing file is edited in place (comments and layout kept); a new one is written.
    result = configuration.save_changes(cfg) if cfg.path.exists() else configuration.save(cfg)
    if result is None:
        return
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _profile_lines(cfg: Config, name: str) -> list[str]:
    """`key = value` lines of a profile, the password as where it lives."""
    profile = cfg.profiles[name]
    lines = []
    for key, value in profile.to_toml().items():
        if key == "password":
            shown = f"<in the {profile.password.describe()}>" if profile.password else ""
            lines.append(f"password = {shown}")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    return lines


def _toml_value(value: Any) -> str:
    """One value as TOML would spell it (dates and nested tables included), on one line."""
    import tomli_w

    try:
        text = tomli_w.dumps({"v": value}).strip()
    except (TypeError, ValueError, RecursionError):
        return repr(value)
    if text.startswith("v = "):
        return text.removeprefix("v = ")
    return json.dumps(value, default=str, ensure_ascii=False)


def cmd_config_set(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration

    cfg = _load(args)
    name = args.profile or cfg.default_profile
    changed = configuration.set_value(cfg, name, args.key, args.value)
    _save(changed)
    key = configuration.canonical_key(args.key)
    if key == "default_profile":
        print(f"Set default_profile = {args.value!r} in {cfg.path}.", file=sys.stderr)
    else:
        lines = [x for x in _profile_lines(changed, name) if x.startswith(f"{key} = ")]
        line = lines[0] if lines else f"{key} = (empty)"
        print(f"Set {line} in profile {name!r} of {cfg.path}.", file=sys.stderr)
    return EXIT_OK


def cmd_config_unset(args: argparse.Namespace) -> int:
    from smtp_wizard import config as configuration

    cfg = _load(args)
    name = args.profile or cfg.default_profile
    changed, removed = configuration.unset_value(cfg, name, args.key)
    if not removed:
        print(
            f"Profile {name!r} has no {args.key}; nothing changed.",
            file=sys.stderr,
        )
        return EXIT_OK
    _save(changed)
    print(f"Removed {removed} from profile {name!r} of {cfg.path}.", file=sys.stderr)
    return EXIT_OK


def cmd_config_list(args: argparse.Namespace) -> int:
    from smtp_wizard import settings as resolution

    cfg = _load(args)
    rows = []
    for name in cfg.profiles:
        effective = resolution.resolve(cfg, name)
        rows.append(
            {
                "name": name,
                "default": name == cfg.default_profile,
                "provider": effective.provider,
                "host": effective.host,
                "port": effective.port,
                "security": effective.security,
                "username": effective.username,
                "password": resolution.describe_password(effective.password),
                "from_address": effective.from_address,
            }
        )
    if args.json:
        print(json.dumps({"path": str(cfg.path), "profiles": rows}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print(f"{cfg.path} has no profiles yet: `smtp-wizard config init --profile NAME`.")
        return EXIT_OK
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        mark = "*" if row["default"] else " "
        server = f"{row['host'] or '(no host)'}:{row['port']} {row['security']}"
        provider = f" [{row['provider']}]" if row["provider"] else ""
        print(f"{mark} {row['name']:<{width}}  {server}{provider}  password: {row['password']}")
    print(f"\n* the default profile of {cfg.path}")
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    from smtp_wizard import settings as resolution

    cfg = _load(args)
    names = [cfg.profile(args.profile).name] if args.profile else list(cfg.profiles)
    if args.json:
        document = cfg.to_toml()
        if not cfg.id_saved:
            document["id"] = None
        document["profiles"] = {n: document["profiles"][n] for n in names}
        document["effective"] = {n: _effective_json(resolution.resolve(cfg, n)) for n in names}
        print(
            json.dumps(
                {"path": str(cfg.path), **document},
                indent=2,
                default=_json_default,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    identity = cfg.id if cfg.id_saved else "none yet: one is written with the next change"
    print(f"# {cfg.path}  (id {identity}, default profile {cfg.default_profile!r})")
    for name in names:
        print(f"\n[profiles.{name}]")
        for line in _profile_lines(cfg, name):
            print(line)
        effective = resolution.resolve(cfg, name)
        filled = [
            effective.explain(key)
            for key in ("host", "port", "security", "username", "domain")
            if getattr(effective, key) not in (None, ())
            and (origin := effective.origin(key)) is not None
            and origin.source is not resolution.Source.PROFILE
        ]
        if filled:
            print("# in effect, not written in the file:")
            for line in filled:
                print(f"#   {line}")
    return EXIT_OK


def _json_default(value: Any) -> Any:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if isoformat is not None else str(value)


def _effective_json(effective: Settings) -> dict[str, Any]:
    from smtp_wizard.settings import FIELDS

    document: dict[str, Any] = {}
    for key in FIELDS:
        value = getattr(effective, key)
        if key == "password":
            value = effective.password.to_toml() if effective.password else None
        elif isinstance(value, tuple):
            value = list(value)
        origin = effective.origin(key)
        document[key] = {
            "value": value,
            "from": str(origin.source) if origin else None,
            "where": origin.label if origin else None,
        }
    return document


def read_password(from_stdin: bool) -> Secret:
    """One password from stdin (one trailing newline dropped) or from a hidden prompt."""
    if from_stdin or not sys.stdin.isatty():
        raw = sys.stdin.buffer.readline(64 * 1024 + 1)
        if len(raw) > 64 * 1024:
            raise UsageError("The password on standard input is longer than 64 KiB.")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(
                "The password on standard input holds bytes that are not UTF-8 text; nothing "
                "was used or stored.",
                "Give it from a UTF-8 source (a password manager, or a UTF-8 terminal).",
            ) from None
        value = value.removesuffix("\n").removesuffix("\r")
    else:
        import getpass

        value = getpass.getpass("Password (hidden): ")
        if getpass.getpass("Again, to be sure: ") != value:
            raise UsageError("The two passwords differ; nothing was stored.")
    if not value:
        raise UsageError("The password is empty; nothing was stored.")
    return _checked_secret(value)


def cmd_config_set_password(args: argparse.Namespace) -> int:
    from smtp_wizard.secret_store import SecretStore

    cfg = _load(args)
    profile = cfg.profile(args.profile)
    needs_save = profile.password != cfg.keyring_ref(profile.name) or not cfg.id_saved
    if needs_save:
        _check_writable(cfg.path)
    secret = read_password(args.password_stdin)
    ref = cfg.keyring_ref(profile.name)
    SecretStore(ref.service).set(ref.key, secret)
    if needs_save:
        profile.password = ref
        try:
            _save(cfg)
        except WizardError as error:
            raise UsageError(
                f"The password was stored in the {ref.describe()}, but {cfg.path} could not "
                f"be updated to point at it: {error.message}",
                f"Fix that and run this again, or add this line to [profiles.{profile.name}] "
                f'by hand: password = {{ keyring = "{ref.service}", key = "{ref.key}" }}',
            ) from None
    print(
        f"Stored the password of profile {profile.name!r} in the {ref.describe()}.",
        file=sys.stderr,
    )
    return EXIT_OK


def _check_writable(path: Path) -> None:
    """Refuse before the keyring is touched when the config cannot be saved afterwards."""
    folder = path.parent if str(path.parent) else Path()
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"Cannot write to the folder of {path} ({folder.resolve()}); nothing was stored.",
            "Run where you may write, or point to another file with --config PATH.",
        )


def cmd_config_delete_password(args: argparse.Namespace) -> int:
    from smtp_wizard.config import KeyringRef
    from smtp_wizard.secret_store import SecretStore

    cfg = _load(args)
    profile = cfg.profile(args.profile)
    ref = profile.password if isinstance(profile.password, KeyringRef) else None
    if ref is None:
        ref = cfg.keyring_ref(profile.name) if cfg.id_saved else None
    deleted = SecretStore(ref.service).delete(ref.key) if ref is not None else False
    if isinstance(profile.password, KeyringRef):
        profile.password = None
        _save(cfg)
        note = f"; removed the `password` reference from profile {profile.name!r}"
    else:
        note = ""
    if deleted:
        print(
            f"Deleted the password of profile {profile.name!r} from the {ref.describe()}{note}.",  # type: ignore[union-attr]
            file=sys.stderr,
        )
    else:
        print(f"The keyring held no password for profile {profile.name!r}{note}.", file=sys.stderr)
    return EXIT_OK


# --- checks --------------------------------------------------------------------------------


def _scope(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(args.only) if args.only else tuple(args.default_scope)


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio

    from smtp_wizard.checks.run import CheckRun

    scope = _scope(args)
    cfg = _load_optional_config(args)
    effective = _settings(args, cfg)
    given = _given_password(args)
    _check_cafile(args.cafile)
    work = CheckRun(
        effective,
        _run_options(args),
        scope=scope,
        given=given,
        send_to=getattr(args, "send_to", None),
        allow_plaintext_auth=getattr(args, "allow_plaintext_auth", False),
    )

    async def run() -> Any:
        from smtp_wizard import render

        plan = render.check_plan(
            work.smtp.security if work.smtp is not None else None,
            send=bool(getattr(args, "send_to", None)),
            domain="dns" in scope,
            selectors=work.selectors,
        )
        async with work:
            report = await _show(args, work, plan)
        if args.json:
            report.checks = _json_order(report.checks + work.not_asked)
        return report

    report = asyncio.run(run())
    lines = work.transcript.lines
    if args.json:
        document = report.to_json()
        if args.verbose:
            document["transcript"] = lines
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return report.exit_code
    if args.verbose:
        print("\nTranscript:\n" + "\n".join(f"  {line}" for line in lines))
    return report.exit_code


def _run_options(args: argparse.Namespace) -> Any:
    from smtp_wizard.checks.run import RunOptions

    return RunOptions(
        nameservers=tuple(args.nameserver or ()), cafile=args.cafile, timeout=args.timeout
    )


def _selectors(effective: Settings) -> tuple[str, ...]:
    """The DKIM selectors the domain checks will ask for: given, else the preset's."""
    from smtp_wizard.checks.plan import selectors_of

    return selectors_of(effective)


def _json_order(results: list[Any]) -> list[Any]:
    """Every id, in the order of the conversation: SMTP first, then the domain checks."""
    from smtp_wizard.checks.domain import DOMAIN_CHECK_IDS
    from smtp_wizard.checks.smtp import CHECK_IDS

    order = {check_id: i for i, check_id in enumerate((*CHECK_IDS, *DOMAIN_CHECK_IDS))}
    return sorted(results, key=lambda r: order.get(r.id, len(order)))


async def _show(
    args: argparse.Namespace, stream: Any, plan: list[str], *, summary: bool = True
) -> Any:
    """Print the results live in plan order (unless --json), then advice and summary."""
    from smtp_wizard import render
    from smtp_wizard.checks.model import collect

    stream = _contextual(stream)
    if args.json:
        return await collect(stream)
    style = render.Style.detect(sys.stdout, args.color)
    return await render.show_report(stream, plan, sys.stdout, style, summary=summary)


def cmd_dns(args: argparse.Namespace) -> int:
    import asyncio
    import ipaddress

    from smtp_wizard import render
    from smtp_wizard.checks.domain import domain_report
    from smtp_wizard.records import render_records_text

    cfg = _load_optional_config(args)
    effective = _settings(args, cfg)
    domain = args.target_domain or effective.domain
    if not domain:
        raise UsageError(
            "No domain to check.",
            "Give one (`smtp-wizard dns example.com`), or set from_address or domain in the "
            "profile.",
        )
    if args.ip is not None:
        try:
            ipaddress.ip_address(args.ip)
        except ValueError:
            raise UsageError(f"--ip: not an IP address {HIDDEN_VALUE}.") from None
    selectors = _selectors(effective) if domain == effective.domain else ()

    async def run() -> tuple[Any, Any]:
        work = domain_report(
            domain,
            nameservers=args.nameserver,
            timeout=args.timeout,
            provider=effective.hints,
            selectors=selectors,
            ip=args.ip,
        )
        plan = render.check_plan(None, domain=True, selectors=selectors, domain_ip=bool(args.ip))
        report = await _show(args, work.results(), plan, summary=False)
        return report, await work.plan()

    report, plan = asyncio.run(run())
    if args.json:
        document = report.to_json()
        document["records"] = plan.to_json() if plan is not None else None
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return report.exit_code
    if plan is not None:
        print("\n" + render_records_text(plan).rstrip())
    else:
        print("\nThe records to add could not be worked out (DNS did not answer in time).")
    print("\n" + render.summary_line(report, render.Style.detect(sys.stdout, args.color)))
    return report.exit_code


def cmd_discover(args: argparse.Namespace) -> int:
    import asyncio

    from smtp_wizard.checks.discover import discover
    from smtp_wizard.checks.dns import make_resolver

    _check_cafile(args.cafile)
    cfg = _load_optional_config(args)
    effective = _settings(args, cfg, host=args.target_host)
    host = effective.require_host()
    if args.save and cfg is None:
        raise UsageError(
            "--save needs a config file to save into.",
            "Create one with `smtp-wizard config init`, or point to it with --config PATH.",
        )
    resolver = make_resolver(args.nameserver, timeout=args.timeout)
    found = asyncio.run(
        discover(
            host,
            resolve=resolver.addresses,
            srv=resolver.srv,
            domain=args.domain,
            cafile=args.cafile,
            timeout=args.timeout,
            provider=effective.hints,
        )
    )
    saved = ""
    if args.save and cfg is not None and found.recommended is not None:
        profile = cfg.profile(args.profile)
        profile.port, profile.security = found.recommended.port, found.recommended.security
        if args.target_host and args.target_host != profile.host:
            profile.host = args.target_host
        _save(cfg)
        saved = (
            f"Saved port {profile.port} and security {profile.security}"
            + (f" (and host {profile.host})" if args.target_host else "")
            + f" into profile {profile.name!r} of {cfg.path}."
        )
    if args.json:
        document = found.to_json()
        if args.save:
            document["saved"] = bool(saved)
        print(json.dumps(document, indent=2, ensure_ascii=False))
        if saved:
            print(saved, file=sys.stderr)
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
        if saved:
            print(saved)
        elif cfg is not None and not args.save:
            print(
                "Save it into the profile: "
                f"`smtp-wizard discover --save{_location_words(cfg, args.profile)}`"
            )
    else:
        print(f"\nNothing to recommend. {found.reason}")
        if args.save:
            print("Nothing was saved.")
    return found.exit_code


def cmd_export(args: argparse.Namespace) -> int:
    from smtp_wizard import export
    from smtp_wizard import settings as resolution
    from smtp_wizard.gitcheck import git_ignore_warning

    cfg = _load(args)
    effective = resolution.resolve(cfg, args.profile)
    needs_password = effective.password is not None or effective.username
    password = resolution.require_password(effective) if needs_password else None
    profile = effective.as_profile()
    rendered = export.render(args.format, profile, password)
    if args.output == "-":
        sys.stdout.write(export.format_dotenv(rendered, reveal=args.reveal))
        return EXIT_OK
    if args.reveal:
        raise UsageError("--reveal only applies to --output - (a file always holds the password).")
    target = Path(args.output) if args.output else export.default_output(args.format)
    result = export.write_dotenv(target, rendered)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    through = f" (the link's target {result.path})" if result.path != target else ""
    print(
        f"Wrote {args.format} settings of profile {profile.name!r} to {target}{through} "
        "(mode 0600).",
        file=sys.stderr,
    )
    ignored = git_ignore_warning(target)
    if ignored:
        print(f"warning: {ignored}", file=sys.stderr)
    if rendered.snippet:
        print("\nTo read them in your app:\n\n" + rendered.snippet, file=sys.stderr)
    return EXIT_OK


# --- entry point ---------------------------------------------------------------------------


def report_error(error: WizardError, stream: TextIO) -> None:
    print(f"smtp-wizard: {_in_context(error.message)}", file=stream)
    if error.hint:
        for line in _in_context(error.hint).splitlines():
            print(f"  {line}", file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.json_output = "--json" in argv
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
    args = _parse(parser, argv)
    try:
        return args.handler(args)
    except (Exception, KeyboardInterrupt) as error:
        json_error = getattr(args, "json", False) and args.command in (
            *CHECKING_COMMANDS,
            "providers",
        )
        return report_failure(error, json_error=json_error)


def report_failure(error: BaseException, *, json_error: bool = False) -> int:
    """Say what went wrong, as every command says it; the exit status.

    A WizardError is a classified failure (its message, its hint, its exit code); anything
    else is a bug, reported in one line without a traceback (SMTP_WIZARD_DEBUG=1 re-raises).
    """
    if isinstance(error, WizardError):
        if json_error:
            print(json.dumps({"ok": False, "error": _in_context(str(error)), "checks": []}))
        report_error(error, sys.stderr)
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        print("smtp-wizard: interrupted", file=sys.stderr)
        return 130
    if isinstance(error, BrokenPipeError):
        # stdout went away (e.g. `| head`); nothing more can be said there.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    if os.environ.get("SMTP_WIZARD_DEBUG") or not isinstance(error, Exception):
        raise error
    print(
        f"smtp-wizard: internal error ({type(error).__name__}). This is a bug; rerun with "
        "SMTP_WIZARD_DEBUG=1 to see where, and report it.",
        file=sys.stderr,
    )
    return 70


def _parse(parser: Parser, argv: list[str]) -> argparse.Namespace:
    """parse_args, with the sub-command's parser known to the did-you-mean of an error."""
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the sub-command's parser: its usage, its options for a did-you-mean
        _subparser(parser, args).error("unrecognized arguments: " + " ".join(extra))
    return args


def _subparser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The innermost sub-command parser that `args` went through."""
    current = parser
    for dest in ("command", "config_command"):
        name = getattr(args, dest, None)
        actions = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not name or not actions:
            break
        current = actions[0].choices.get(name, current)
    return current
