"""The app's settings as a `.env`: rendering per framework, quoting, and a merge that loses nothing.

Every format is a list of `KEY=value` lines in the framework's own names, written to the
app's `.env` (mode 0600), plus, where the framework does not read those variables by
itself, a snippet of code for its config that reads them. The password therefore lives
in one git-ignored file and never in code that gets committed; the snippet never holds it.

A `.env` is read by more than one program, and they disagree. Two of them are the
contract: python-dotenv (`dotenv_values`) and Docker Compose (compose-go's parser). Each
value is written in a form both read back as exactly the same string (`dotenv_value`):

1. bare, when it holds only `A-Z a-z 0-9 _ . , : / @ + % = -`;
2. `'single quoted'`, when it holds no `'` and no backslash: both read it literally,
   except that python-dotenv expands `${NAME}` even there (see 5);
3. `"double quoted"` with `\\\\` and `\\"` escapes, when no `$` in it could start a Compose
   variable (`$$`, `${`, `$name`): the only escapes both parsers decode the same way;
4. `'single quoted'` with `\\'` for each quote, when every backslash is followed by
   something other than a backslash or a quote (Compose keeps `\\\\` as two characters,
   python-dotenv makes it one);
5. otherwise refused. In particular `${...}` has no form at all: python-dotenv expands it
   in unquoted, single- and double-quoted values alike, and `\\$` means `\\$` to it.

A refused value gets an `ExportError` that explains why and never shows the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from smtp_wizard.config import Profile
from smtp_wizard.errors import ExportError, UsageError
from smtp_wizard.formats import FORMATS as FORMATS  # the names, re-exported
from smtp_wizard.fsutil import WriteResult, read_regular_file, write_file
from smtp_wizard.gitcheck import git_ignore_warning as git_ignore_warning  # for cli.py
from smtp_wizard.secret import Secret
from smtp_wizard.validate import SECURITY_MODES, control_character, describe_char

HIDDEN = "<hidden>"
"""Stands for the password in a preview: plainly not a password, and not empty (which would
read as "no authentication")."""

Value = str | Secret
Entries = list[tuple[str, Value]]


def header(fmt: str) -> str:
    """The comment line that starts a preview and heads the block appended to a `.env`."""
    return f"# smtp-wizard: {fmt} settings"


class DerivedSecret(Secret):
    """A value that embeds the password (a URL, a DSN): hidden like the password itself.

    `masked` is the same value with the password replaced by `HIDDEN`, so a preview still
    shows the scheme, user, host and port that a reader wants to check.
    """

    __slots__ = ("masked",)

    def __init__(self, value: str, masked: str) -> None:
        super().__init__(value)
        object.__setattr__(self, "masked", masked)


@dataclass(frozen=True)
class Rendered:
    """One profile in one format: the `.env` entries in output order, and the app snippet."""

    format: str
    entries: tuple[tuple[str, Value], ...]
    """KEY -> value; the password entry holds the `Secret` it was given, and entries that
    embed the password (a URL) hold a `DerivedSecret`, so `repr` never shows it."""
    snippet: str
    """Code the user pastes into the framework's config to read these variables; "" when
    the framework reads them by itself. Never contains the password."""


@dataclass(frozen=True)
class _Server:
    """The profile's facts that every renderer needs, checked and with empties as ""."""

    host: str
    port: int
    security: str
    username: str
    from_address: str
    from_name: str

    @property
    def implicit_tls(self) -> bool:
        return self.security == "ssl"

    @property
    def starttls(self) -> bool:
        return self.security == "starttls"

    @property
    def url_host(self) -> str:
        """The host as it goes into a URL: an IPv6 literal needs brackets."""
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def mailbox(self) -> str:
        """`Name <address>` (quoted where RFC 5322 requires), or the bare address."""
        if not self.from_address or not self.from_name:
            return self.from_address
        # Imported here: the email package is slow to load, and most runs never need it.
        from email.headerregistry import Address
        from email.utils import formataddr

        try:
            return str(Address(display_name=self.from_name, addr_spec=self.from_address))
        except (ValueError, IndexError):
            return formataddr((self.from_name, self.from_address))


# --- quoting --------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_.,:/@+%=-]+")
# python-dotenv's own variable pattern (dotenv/variables.py): what it expands in any value.
_PYTHON_DOTENV_VARIABLE = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")
# A `$` that Compose could read as the start of something (`$$`, `${`, `$name`); letters are
# taken broadly (any Unicode letter) so that the check errs on the side of single quotes.
_COMPOSE_DOLLAR = re.compile(r"\$(?:[${]|[^\W\d])")
# A backslash that single quotes cannot carry the same way in both parsers.
_UNSAFE_BACKSLASH = re.compile(r"\\(?:[\\']|\Z)")


def dotenv_value(value: str) -> str:
    """`value` as it must appear after `KEY=`; ValueError (never quoting it) if impossible.

    See the module docstring for the rule and why each step is safe. Control characters
    are refused before this is reached (`render`), so CR and LF never get here.
    """
    if value == "" or _BARE.fullmatch(value):
        return value
    if _PYTHON_DOTENV_VARIABLE.search(value):
        raise ValueError(
            "it contains ${...}, which python-dotenv replaces with a variable however the "
            "value is quoted, so no .env can hold it literally"
        )
    if "'" not in value and "\\" not in value:
        return f"'{value}'"
    if not _COMPOSE_DOLLAR.search(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not _UNSAFE_BACKSLASH.search(value):
        return "'" + value.replace("'", "\\'") + "'"
    raise ValueError(
        "it combines a $ that Docker Compose would expand with a backslash before a "
        "backslash, a quote or the end; no quoting reads back the same in Docker Compose "
        "and python-dotenv"
    )


# --- the formats ----------------------------------------------------------------------------


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _url(scheme: str, server: _Server, password: Secret, query: str = "") -> DerivedSecret:
    """`scheme://user:password@host:port` with user and password percent-encoded.

    Encoding with `safe=""` turns every reserved character (`@ : / % + ...`) into `%XX`,
    so any parser that splits the URL and unquotes its parts gets the originals back.
    """

    def build(password_part: str) -> str:
        userinfo = quote(server.username, safe="")
        if password_part:
            userinfo += ":" + password_part
        at = "@" if userinfo else ""
        return f"{scheme}://{userinfo}{at}{server.url_host}:{server.port}{query}"

    clear = password.reveal()
    return DerivedSecret(
        build(quote(clear, safe="") if clear else ""),
        masked=build(HIDDEN if clear else ""),
    )


def _optional(entries: Entries, key: str, value: str) -> None:
    """Add `key` only when the profile sets it, so an app's own default survives a merge
    (Laravel's stock `.env` has MAIL_FROM_NAME="${APP_NAME}")."""
    if value:
        entries.append((key, value))


def _env(server: _Server, password: Secret) -> tuple[Entries, str]:
    entries: Entries = [
        ("SMTP_HOST", server.host),
        ("SMTP_PORT", str(server.port)),
        ("SMTP_USERNAME", server.username),
        ("SMTP_PASSWORD", password),
        ("SMTP_SECURITY", server.security),
    ]
    _optional(entries, "SMTP_FROM", server.from_address)
    _optional(entries, "SMTP_FROM_NAME", server.from_name)
    scheme = "smtps" if server.implicit_tls else "smtp"
    entries.append(("SMTP_URL", _url(scheme, server, password)))
    return entries, ""


_DJANGO_SNIPPET = """\
# settings.py. Django does not read .env by itself: load it first, e.g. with python-dotenv
# (from dotenv import load_dotenv; load_dotenv(BASE_DIR / ".env")), or pass it with
# docker compose (env_file: .env).
import os

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ["EMAIL_HOST"]
EMAIL_PORT = int(os.environ["EMAIL_PORT"])
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# At most one of the two is true (Django refuses both): TLS is STARTTLS (port 587), and fails
# rather than send in clear; SSL is implicit TLS from the first byte (port 465).
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "false").lower() == "true"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "false").lower() == "true"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL  # error reports to ADMINS come from here too
"""


def _django(server: _Server, password: Secret) -> tuple[Entries, str]:
    entries: Entries = [
        ("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        ("EMAIL_HOST", server.host),
        ("EMAIL_PORT", str(server.port)),
        ("EMAIL_HOST_USER", server.username),
        ("EMAIL_HOST_PASSWORD", password),
        # Exactly one is true for starttls or ssl, neither for none: never both (Django
        # raises ImproperlyConfigured when both are set).
        ("EMAIL_USE_TLS", _flag(server.starttls)),
        ("EMAIL_USE_SSL", _flag(server.implicit_tls)),
    ]
    _optional(entries, "DEFAULT_FROM_EMAIL", server.mailbox)
    return entries, _DJANGO_SNIPPET


_LARAVEL_SNIPPET = """\
// Laravel reads .env by itself, and the stock config/mail.php of Laravel 11 and later reads
// MAIL_MAILER, MAIL_SCHEME, MAIL_HOST, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD and
// MAIL_FROM_ADDRESS / MAIL_FROM_NAME as they are.
//
// Laravel 10 and earlier have no MAIL_SCHEME: they read MAIL_ENCRYPTION (tls or ssl) and
// let the port decide (465: implicit TLS; otherwise STARTTLS when the server offers it).
//
// Symfony Mailer, under Laravel, uses STARTTLS when the server offers it but carries on in
// clear when it does not. To refuse that (symfony/mailer 7.3 or later), add this line to
// 'mailers' => ['smtp' => [...]] in config/mail.php; MAIL_REQUIRE_TLS is true for STARTTLS:
//
//     'require_tls' => env('MAIL_REQUIRE_TLS', false),
"""


def _laravel(server: _Server, password: Secret) -> tuple[Entries, str]:
    entries: Entries = [
        ("MAIL_MAILER", "smtp"),
        # Laravel 11+ (config/mail.php 'scheme'): smtps is implicit TLS; smtp does STARTTLS.
        ("MAIL_SCHEME", "smtps" if server.implicit_tls else "smtp"),
        ("MAIL_HOST", server.host),
        ("MAIL_PORT", str(server.port)),
        ("MAIL_USERNAME", server.username),
        ("MAIL_PASSWORD", password),
        ("MAIL_REQUIRE_TLS", _flag(server.starttls)),
    ]
    _optional(entries, "MAIL_FROM_ADDRESS", server.from_address)
    _optional(entries, "MAIL_FROM_NAME", server.from_name)
    return entries, _LARAVEL_SNIPPET


_RAILS_SNIPPET = """\
# config/environments/production.rb (or an initializer). Rails does not read .env by itself:
# use the dotenv-rails gem, or pass the file with docker compose (env_file: .env).
config.action_mailer.delivery_method = :smtp
config.action_mailer.smtp_settings = {
  address: ENV.fetch("SMTP_ADDRESS"),
  port: Integer(ENV.fetch("SMTP_PORT")),
  user_name: ENV["SMTP_USER_NAME"].presence,
  password: ENV["SMTP_PASSWORD"].presence,
  authentication: ENV["SMTP_AUTHENTICATION"].presence&.to_sym,
  # STARTTLS or fail (port 587); never together with tls, which the mail gem refuses.
  enable_starttls: ENV.fetch("SMTP_ENABLE_STARTTLS") == "true",
  enable_starttls_auto: false,
  # Implicit TLS from the first byte (SMTPS, port 465).
  tls: ENV.fetch("SMTP_TLS") == "true",
}
config.action_mailer.default_options = { from: ENV["SMTP_FROM"] }.compact
"""


def _rails(server: _Server, password: Secret) -> tuple[Entries, str]:
    entries: Entries = [
        ("SMTP_ADDRESS", server.host),
        ("SMTP_PORT", str(server.port)),
        ("SMTP_USER_NAME", server.username),
        ("SMTP_PASSWORD", password),
        ("SMTP_AUTHENTICATION", "plain" if server.username else ""),
        # ActionMailer's documented keys: enable_starttls (STARTTLS, fail if unsupported)
        # and tls (SMTPS); the mail gem raises if both are set, so at most one is true.
        ("SMTP_ENABLE_STARTTLS", _flag(server.starttls)),
        ("SMTP_TLS", _flag(server.implicit_tls)),
    ]
    _optional(entries, "SMTP_FROM", server.mailbox)
    return entries, _RAILS_SNIPPET


_NODEMAILER_SNIPPET = """\
// Node reads .env with `node --env-file=.env app.js` (Node 20.6+) or the dotenv package.
const nodemailer = require("nodemailer");

const transporter = nodemailer.createTransport({
  host: process.env.SMTP_HOST,
  port: Number(process.env.SMTP_PORT),
  // true only for implicit TLS from the first byte (port 465); false for STARTTLS.
  secure: process.env.SMTP_SECURE === "true",
  // With STARTTLS: upgrade or fail, never fall back to plain text.
  requireTLS: process.env.SMTP_REQUIRE_TLS === "true",
  auth: process.env.SMTP_USER
    ? { user: process.env.SMTP_USER, pass: process.env.SMTP_PASS }
    : undefined,
});

// transporter.sendMail({ from: process.env.SMTP_FROM, to, subject, text });
"""


def _nodemailer(server: _Server, password: Secret) -> tuple[Entries, str]:
    entries: Entries = [
        ("SMTP_HOST", server.host),
        ("SMTP_PORT", str(server.port)),
        # nodemailer's `secure: true` means implicit TLS; STARTTLS is secure: false.
        ("SMTP_SECURE", _flag(server.implicit_tls)),
        ("SMTP_REQUIRE_TLS", _flag(server.starttls)),
        ("SMTP_USER", server.username),
        ("SMTP_PASS", password),
    ]
    _optional(entries, "SMTP_FROM", server.mailbox)
    return entries, _NODEMAILER_SNIPPET


def _spring_variable(javamail_key: str) -> str:
    """The environment variable Spring Boot binds to spring.mail.properties[javamail_key]."""
    return "SPRING_MAIL_PROPERTIES_" + javamail_key.upper().replace(".", "_")


_SPRING_PROPERTIES = (
    "mail.smtp.auth",
    "mail.smtp.starttls.enable",
    "mail.smtp.starttls.required",
    "mail.smtps.auth",
)
_SPRING_SNIPPET = (
    """\
# Spring Boot binds these environment variables to spring.mail.* by itself (relaxed binding),
# but it does not read .env files: pass the file with docker compose (env_file: .env) or your
# run configuration. Do not load it with spring.config.import: that reads it as a .properties
# file, where quotes and backslashes mean something else.
#
# SPRING_MAIL_PROPERTIES_* fill the map spring.mail.properties: Spring lower-cases an
# environment variable's name and turns "_" into ".", which gives JavaMail's keys
# mail.smtp.auth, mail.smtp.starttls.enable, mail.smtp.starttls.required (and mail.smtps.auth,
# read when spring.mail.protocol is smtps). That works only because these keys are lower case
# without dashes; map keys with either cannot come from environment variables. To keep them in
# application.properties instead, reading the same variables:
#
"""
    + "".join(
        f"#   spring.mail.properties.{key}=\\\n#     ${{{_spring_variable(key)}}}\n"
        for key in _SPRING_PROPERTIES
    )
    + """\
#
# The sender is in MAIL_FROM (Spring has no property for it):
#   @Value("${MAIL_FROM}") String from;   ...   message.setFrom(from);
"""
)


def _spring(server: _Server, password: Secret) -> tuple[Entries, str]:
    auth = _flag(bool(server.username))
    starttls = _flag(server.starttls)
    properties = dict(zip(_SPRING_PROPERTIES, (auth, starttls, starttls, auth), strict=True))
    entries: Entries = [
        ("SPRING_MAIL_HOST", server.host),
        ("SPRING_MAIL_PORT", str(server.port)),
        ("SPRING_MAIL_USERNAME", server.username),
        ("SPRING_MAIL_PASSWORD", password),
        # JavaMail's smtps transport is implicit TLS from the first byte (port 465).
        ("SPRING_MAIL_PROTOCOL", "smtps" if server.implicit_tls else "smtp"),
        # starttls.required: fail rather than send in clear when STARTTLS is not offered.
        *((_spring_variable(key), value) for key, value in properties.items()),
    ]
    _optional(entries, "MAIL_FROM", server.mailbox)
    return entries, _SPRING_SNIPPET


_SYMFONY_SNIPPET = """\
# Symfony reads MAILER_DSN from .env by itself (config/packages/mailer.yaml has
# dsn: '%env(MAILER_DSN)%'). To send from MAILER_FROM by default, add to that file:
#
# framework:
#     mailer:
#         headers:
#             From: '%env(MAILER_FROM)%'
#
# In the DSN, smtps:// is implicit TLS (port 465). With smtp://, require_tls=true means
# STARTTLS or fail (symfony/mailer 7.3 or later; older versions ignore it and use STARTTLS
# only when the server offers it), and auto_tls=false turns STARTTLS off (7.1 or later).
"""


def _symfony(server: _Server, password: Secret) -> tuple[Entries, str]:
    # Symfony Mailer docs: "smtps" for implicit TLS; with "smtp", STARTTLS is opportunistic
    # unless require_tls=true (7.3+); auto_tls=false disables it (7.1+).
    scheme, query = {
        "ssl": ("smtps", ""),
        "starttls": ("smtp", "?require_tls=true"),
        "none": ("smtp", "?auto_tls=false"),
    }[server.security]
    entries: Entries = [("MAILER_DSN", _url(scheme, server, password, query))]
    _optional(entries, "MAILER_FROM", server.mailbox)
    return entries, _SYMFONY_SNIPPET


_RENDERERS: dict[str, Callable[[_Server, Secret], tuple[Entries, str]]] = {
    "env": _env,
    "django": _django,
    "laravel": _laravel,
    "rails": _rails,
    "nodemailer": _nodemailer,
    "spring": _spring,
    "symfony": _symfony,
}
assert tuple(_RENDERERS) == FORMATS


# --- render ---------------------------------------------------------------------------------


def _server(profile: Profile) -> _Server:
    """The checked facts of `profile`: an export without a host, port or mode is useless."""
    missing = [
        name for name in ("host", "port", "security") if getattr(profile, name) in (None, "")
    ]
    if missing:
        raise ExportError(
            f"Profile {profile.name!r} has no {' and no '.join(missing)}; there is nothing "
            "to export yet.",
            "Set it in the config file (`smtp-wizard config show` shows it), then export again.",
        )
    if profile.security not in SECURITY_MODES:
        raise ExportError(
            f"Profile {profile.name!r} has security {profile.security!r}.",
            "Set it to starttls, ssl or none in the config file.",
        )
    assert profile.host is not None and profile.port is not None
    for field in ("host", "username", "from_address", "from_name"):
        char = control_character(getattr(profile, field) or "")
        if char is not None:  # checked here too: a URL would hide it behind %XX
            raise ExportError(
                f"Profile {profile.name!r}: {field} contains the control character "
                f"{describe_char(char)}, which cannot be exported.",
                "Correct it in the config file.",
            )
    return _Server(
        host=profile.host,
        port=profile.port,
        security=profile.security,
        username=profile.username or "",
        from_address=profile.from_address or "",
        from_name=profile.from_name or "",
    )


def _check_password(password: Secret) -> None:
    """Refuse what no .env can hold, naming the character but never showing the password."""
    clear = password.reveal()
    if "\r" in clear or "\n" in clear:
        raise ExportError(
            "A password with a line break cannot be written to a .env file: many readers "
            "(docker --env-file, shells) end the value there, and smtp-wizard refuses control "
            "characters in every field.",
            "Check the stored password (smtp-wizard config set-password re-enters it); a "
            "line break is usually pasted by accident.",
        )
    char = control_character(clear)
    if char is not None:
        raise ExportError(
            f"The password contains the control character {describe_char(char)}, "
            "which smtp-wizard does not write to a .env file.",
            "Re-enter the password (smtp-wizard config set-password); a control character "
            "is usually pasted by accident.",
        )


def _check_entry(key: str, value: Value) -> None:
    """Refuse a value no `.env` can hold; a secret one is described, never shown."""
    clear = value.reveal() if isinstance(value, Secret) else value
    subject = f"The password ({key})" if isinstance(value, Secret) else key
    char = control_character(clear)
    if char is not None:
        raise ExportError(
            f"{subject} contains the control character {describe_char(char)}, which cannot "
            "be written to a .env file.",
            "Correct it in the config file.",
        )
    try:
        dotenv_value(clear)
    except ValueError as exc:
        raise ExportError(
            f"{subject} cannot be written to a .env file: {exc}.",
            "Change the value (a provider lets you create a new password or API key), or "
            "set this variable in the app's environment yourself.",
        ) from None


def render(fmt: str, profile: Profile, password: Secret | None) -> Rendered:
    """`profile` in format `fmt`, with `password` (None: an empty password, no AUTH).

    ExportError for an unknown format, a profile without host, port or security, or a
    value no `.env` can hold (see `dotenv_value`); its text never contains the password.
    """
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ExportError(
            f"Unknown export format {fmt!r}.", f"Use one of: {', '.join(FORMATS)}."
        ) from None
    server = _server(profile)
    secret = password if password is not None else Secret("")
    _check_password(secret)
    entries, snippet = renderer(server, secret)
    for key, value in entries:
        _check_entry(key, value)
    return Rendered(format=fmt, entries=tuple(entries), snippet=snippet)


def default_output(fmt: str) -> Path:
    """Where `export` writes without --output: the app's `.env`, for every format."""
    if fmt not in _RENDERERS:
        raise ExportError(f"Unknown export format {fmt!r}.", f"Use one of: {', '.join(FORMATS)}.")
    return Path(".env")


def _shown(value: Value, reveal: bool) -> str:
    if not isinstance(value, Secret):
        return value
    if reveal or not value:
        return value.reveal()
    return value.masked if isinstance(value, DerivedSecret) else HIDDEN


def format_dotenv(rendered: Rendered, *, reveal: bool) -> str:
    """The `.env` lines as text, for `--output -`; the password only with `reveal`."""
    lines = [header(rendered.format)]
    if not reveal and any(_shown(v, False) != _shown(v, True) for _, v in rendered.entries):
        lines.append(
            f"# The password is shown as {HIDDEN}: add --reveal to print it, or write the "
            "file with --output .env"
        )
    lines += [f"{key}={dotenv_value(_shown(value, reveal))}" for key, value in rendered.entries]
    return "\n".join(lines) + "\n"


# --- merging into an existing .env ----------------------------------------------------------

DOTENV_LIMIT = 1 << 20
"""The largest `.env` smtp-wizard reads to merge into (1 MiB): far above any real one, and
a bound on what a wrong `--output` (a log, an image) can cost."""

# A key line as python-dotenv sees it (`export` prefix, key, `=`), up to the value's start.
_KEY_LINE = re.compile(r"(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<key>[^=#\s]+)[ \t]*=[ \t]*")


@dataclass(frozen=True)
class _Statement:
    """One logical entry of a `.env`: a line, or a key whose quoted value spans lines."""

    text: str
    key: str | None
    lead: str
    """What comes before the key: indentation and `export `, kept on replacement."""

    @property
    def ending(self) -> str:
        for ending in ("\r\n", "\n"):
            if self.text.endswith(ending):
                return ending
        return ""


def _line_end(text: str, pos: int) -> int:
    newline = text.find("\n", pos)
    return len(text) if newline == -1 else newline + 1


def _closing_quote(text: str, start: int) -> int:
    """Index of the quote closing the one at `start`; a backslash always takes the next
    character with it (both parsers agree on that). -1 when it is never closed."""
    quote_char = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote_char:
            return index
        index += 1
    return -1


def _statements(text: str) -> list[_Statement]:
    """Split `text` into statements, so a line inside another key's multi-line quoted value
    is never taken for a key line. Only for text `_check_parses` accepted: there every
    opening quote is closed, perhaps lines later, as python-dotenv reads it."""
    statements = []
    pos = 0
    while pos < len(text):
        end = _line_end(text, pos)
        match = _KEY_LINE.match(text, pos, end)
        if match and match.end() < end and text[match.end()] in "'\"":
            closing = _closing_quote(text, match.end())
            if closing != -1:
                end = _line_end(text, closing)
        statements.append(
            _Statement(
                text=text[pos:end],
                key=match["key"] if match else None,
                lead=match["lead"] if match else "",
            )
        )
        pos = end
    return statements


# python-dotenv's grammar (dotenv/parser.py, 1.x), mirrored so that a file it cannot read is
# refused before anything is written, and the merged file is read back as it would read it.
# The loaders disagree on much (Compose is stricter about names), but an unclosed quote,
# the fault that swallows the keys appended after it, fails in both.
_DE_SPACE = re.compile(r"\s*")
_DE_EXPORT = re.compile(r"(?:export[^\S\r\n]+)?")
_DE_QUOTED_KEY = re.compile(r"'([^']+)'")
_DE_KEY = re.compile(r"([^=\#\s]+)")
_DE_BLANK = re.compile(r"[^\S\r\n]*")
_DE_EQUAL = re.compile(r"(=[^\S\r\n]*)")
_DE_VALUE = {
    "'": re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL),
    '"': re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL),
}
_DE_ESCAPES = {"'": re.compile(r"\\[\\']"), '"': re.compile(r"\\[\\'\"abfnrtv]")}
_DE_ESCAPED = dict(zip("\\'\"abfnrtv", "\\'\"\a\b\f\n\r\t\v", strict=True))
_DE_UNQUOTED = re.compile(r"[^\r\n]*")
_DE_COMMENT = re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_DE_END = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_DE_REST = re.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_DE_NEWLINE = re.compile(r"\r\n|\n|\r")
_QUOTE_NAMES = {"'": "single quote (')", '"': 'double quote (")'}


@dataclass(frozen=True)
class _Binding:
    """One statement as python-dotenv reads it; `error` says why it cannot (never quoting
    the line, which may hold a secret)."""

    line: int
    key: str | None
    value: str | None
    error: str | None = None


class _Unreadable(Exception):
    """Where python-dotenv gives up on a statement (`pos`), why, and its key if read."""

    def __init__(self, reason: str, pos: int, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos
        self.key = key


def _dotenv_bindings(text: str) -> list[_Binding]:
    """`text` statement by statement, as python-dotenv's `parse_stream` reads it."""
    text = text.removeprefix("\ufeff")
    bindings = []
    pos = 0
    while pos < len(text):
        start = _match(_DE_SPACE, text, pos)
        if start >= len(text):
            break
        line = len(_DE_NEWLINE.findall(text, 0, start)) + 1
        try:
            key, value, pos = _dotenv_binding(text, start)
        except _Unreadable as exc:
            bindings.append(_Binding(line, exc.key, None, exc.reason))
            pos = _match(_DE_REST, text, exc.pos)
            continue
        bindings.append(_Binding(line, key, value))
    return bindings


def _match(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """End of `pattern` matched at `pos` (for patterns that always match)."""
    match = pattern.match(text, pos)
    assert match is not None
    return match.end()


def _dotenv_binding(text: str, pos: int) -> tuple[str | None, str | None, int]:
    """(key, value, end) of the statement at `pos`; _Unreadable where python-dotenv fails."""
    pos = _match(_DE_EXPORT, text, pos)
    key = None
    if not text.startswith("#", pos):
        pattern = _DE_QUOTED_KEY if text.startswith("'", pos) else _DE_KEY
        match = pattern.match(text, pos)
        if match is None:
            reason = (
                "its name opens a single quote (') that is never closed"
                if pattern is _DE_QUOTED_KEY
                else "it has no variable name before the ="
            )
            raise _Unreadable(reason, pos)
        key, pos = match[1], match.end()
    pos = _match(_DE_BLANK, text, pos)
    value = None
    quoted = False
    if text.startswith("=", pos):
        equal = _DE_EQUAL.match(text, pos)
        assert equal is not None
        pos = equal.end()
        char = text[pos : pos + 1]
        if (len(equal[1]) > 1 and char == "#") or char in ("", "\n", "\r"):
            value = ""
        elif char in _DE_VALUE:
            match = _DE_VALUE[char].match(text, pos)
            if match is None:
                raise _Unreadable(
                    f"its value opens a {_QUOTE_NAMES[char]} that is never closed", pos, key
                )
            value = _DE_ESCAPES[char].sub(lambda m: _DE_ESCAPED[m[0][1]], match[1])
            pos, quoted = match.end(), True
        else:
            match = _DE_UNQUOTED.match(text, pos)
            assert match is not None
            value = re.sub(r"\s+#.*", "", match[0]).rstrip()
            pos = match.end()
    pos = _match(_DE_COMMENT, text, pos)
    end = _DE_END.match(text, pos)
    if end is None:
        raise _Unreadable(
            "there is more text after its closing quote"
            if quoted
            else "it is neither KEY=value, a bare KEY, nor a comment",
            pos,
            key if quoted else None,  # without an `=`, the "key" may be a pasted secret
        )
    return key, value, end.end()


def _check_parses(text: str, source: str) -> None:
    """Refuse a `.env` its loaders cannot read: merging into it could lose our keys (an
    unclosed quote swallows every line up to the next quote, which may be ours)."""
    for binding in _dotenv_bindings(text):
        if binding.error is not None:
            named = f" ({binding.key})" if binding.key else ""
            raise ExportError(
                f"{source}, line {binding.line}{named}: {binding.error}, so python-dotenv and "
                "Docker Compose cannot read that line; smtp-wizard did not write to the file.",
                "Correct that line (or delete it), then export again; or export to another "
                "file with --output PATH.",
            )


def _check_reads_back(text: str, values: dict[str, str], source: str) -> None:
    """The merged file, read as python-dotenv reads it, must give exactly our values."""
    read = {b.key: b.value for b in _dotenv_bindings(text) if b.key is not None}
    for key, value in values.items():
        if read.get(key) != value:
            raise ExportError(
                f"After merging, python-dotenv would not read {key} back as written to "
                f"{source}, so smtp-wizard did not write the file.",
                "This is a bug in smtp-wizard: please report it, describing the file's layout "
                "(not its values). Meanwhile, export to a new file with --output PATH.",
            )


def merge_dotenv(existing: str, rendered: Rendered, *, source: str = ".env") -> str:
    """`existing` (.env text) with the keys of `rendered` set: the rest kept byte for byte.

    Each key this export owns is replaced where it stands (the first time it appears;
    later duplicates of it are dropped, since the last one would win when read). Keys
    that were absent go at the end, under the format's header comment unless the file
    already has it. CRLF line endings, a missing final newline and a UTF-8 byte order
    mark (which both parsers skip) are kept.

    ExportError, naming `source` and the line, when `existing` has a statement its loaders
    cannot read (an unclosed quote, text after a closing quote, a line without a name).
    """
    _check_parses(existing, source)
    bom = "\ufeff" if existing.startswith("\ufeff") else ""
    existing = existing.removeprefix(bom)
    values = {
        key: value.reveal() if isinstance(value, Secret) else value
        for key, value in rendered.entries
    }
    newline = "\r\n" if "\r\n" in existing[: existing.find("\n") + 1] else "\n"
    title = header(rendered.format)

    out: list[str] = []
    seen: set[str] = set()
    has_title = False
    for statement in _statements(existing):
        if statement.text.strip() == title:
            has_title = True
        key = statement.key
        if key is None or key not in values:
            out.append(statement.text)
            continue
        if key in seen:
            continue
        seen.add(key)
        out.append(f"{statement.lead}{key}={dotenv_value(values[key])}{statement.ending}")

    missing = [key for key, _ in rendered.entries if key not in seen]
    if not missing:
        merged = bom + "".join(out)
    else:
        body = "".join(out)
        if body and not body.endswith("\n"):
            body += newline
        block = []
        if not has_title:
            if body.strip() and not body.endswith(("\n\n", "\n\r\n")):
                block.append("")
            block.append(title)
        block += [f"{key}={dotenv_value(values[key])}" for key in missing]
        final = "" if existing and not existing.endswith("\n") else newline
        merged = bom + body + newline.join(block) + final
    _check_reads_back(merged, values, source)
    return merged


def write_dotenv(path: Path, rendered: Rendered) -> WriteResult:
    """Merge `rendered` into the `.env` at `path` (or create it), atomically, mode 0600.

    The file holds the password, so it ends up readable by its owner only, even if it was
    0644 before; its owner and group are kept (see `WriteResult.warnings`). A symbolic link
    is written through; a directory, device, FIFO or socket is refused, and so is a file
    its loaders cannot read (see `merge_dotenv`). Until the final rename the old file is
    untouched: a failure leaves it as it was and no partial file behind.
    """
    path = Path(path)
    try:
        raw = read_regular_file(path, limit=DOTENV_LIMIT, what=".env file", error=ExportError)
    except FileNotFoundError:
        raw = b""  # nothing to merge (a dangling link included); write_file creates it
    except ExportError as exc:
        raise ExportError(
            exc.message,
            "Export to a regular file with --output PATH, or print the settings with --output -.",
        ) from None
    try:
        existing = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"{path} is not UTF-8 text (byte {exc.start}); smtp-wizard will not rewrite it.",
            "Convert it to UTF-8, or export to another file with --output PATH.",
        ) from None
    data = merge_dotenv(existing, rendered, source=str(path)).encode("utf-8")
    try:
        return write_file(path, data, mode=0o600)
    except ExportError:
        raise
    except UsageError as exc:
        raise ExportError(exc.message, exc.hint) from None
