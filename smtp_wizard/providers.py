"""Presets for the SMTP services people actually use, so nobody has to type a host by hand.

The facts live in `providers.toml` next to this module, not in code: they change when
providers change their docs, and a data file is easier to review against those docs than a
Python literal. The file is validated when it is loaded, so a typo in it fails loudly (naming
the provider) instead of surfacing later as a wrong port in someone's config.

No network access and no UI imports here: the wizard, the command line and the SMTP checker
all read the same presets.
"""

from __future__ import annotations

import functools
import re
import textwrap
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from smtp_wizard.errors import UsageError

Security = Literal["starttls", "ssl", "none"]

SECURITY_VALUES: tuple[str, ...] = ("starttls", "ssl", "none")
PASSWORD_KINDS: tuple[str, ...] = (
    "api-key",
    "smtp-key",
    "app-password",
    "account-password",
    "smtp-credentials",
    "server-token",
    "unknown",
)
UNKNOWN = "unknown"
CUSTOM_ID = "custom"
REGION_PLACEHOLDER = "{region}"

_DATA_FILE = "providers.toml"
_ID_RE = re.compile(r"^[a-z0-9]+$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# SPF include targets are DNS names, not host names: labels like "_spf" are normal there.
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_REGION_CODE_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


class UnknownProviderError(UsageError):
    """An id that names no preset; the hint lists the valid ones and the nearest match."""


class UnknownRegionError(UsageError, ValueError):
    """A region that the chosen provider does not serve; also a ValueError for plain callers."""


class ProviderDataError(ValueError):
    """`providers.toml` breaks its own schema.

    This is a packaging bug rather than a user mistake, so it is deliberately not a
    WizardError: the command line should show a traceback, not a polite hint.
    """


@dataclass(frozen=True)
class PortOption:
    """One port a provider accepts, and how TLS is negotiated on it."""

    port: int
    security: str  # "starttls" | "ssl" | "none"
    note: str = ""


@dataclass(frozen=True)
class HostOption:
    """One submission host; several exist when a provider runs separate regions."""

    host: str  # may contain "{region}" only for templated providers (SES)
    region: str = ""  # label such as "US", "EU", "India"; "" when only one
    default: bool = False


@dataclass(frozen=True)
class Provider:
    """Everything the wizard knows about one provider, straight from its documentation."""

    id: str
    name: str
    hosts: tuple[HostOption, ...]
    ports: tuple[PortOption, ...]  # preference order; ports[0] is the recommended one
    username: str | None  # literal username when fixed, else None
    username_hint: str
    password_kind: str
    password_hint: str
    spf_include: str  # domain only (no "include:"), or "unknown"
    dkim_selectors: tuple[str, ...]
    dkim_hint: str
    docs: str
    notes: tuple[str, ...]
    auth_failure_advice: str
    regions: tuple[str, ...] = ()  # for templated hosts (SES): allowed region values
    default_region: str = ""
    dkim_record: tuple[str, str] | None = None
    """(type, value) of the DKIM record per selector where the provider fixes it; the
    value may hold {selector} and {domain}, and <...> for what only its dashboard shows."""

    @property
    def templated(self) -> bool:
        """True when the host is built from a region code rather than picked from a list."""
        return any(REGION_PLACEHOLDER in h.host for h in self.hosts)

    @property
    def default_host(self) -> HostOption | None:
        """The host option to offer first; None for the custom preset, which knows no host.

        For a templated provider (SES) this is the template itself; call `host_for()` to get
        a host name you can connect to.
        """
        for option in self.hosts:
            if option.default:
                return option
        return self.hosts[0] if self.hosts else None

    @property
    def default_port(self) -> PortOption | None:
        """The provider's recommended port, or None when nothing is known (custom)."""
        return self.ports[0] if self.ports else None

    def region_labels(self) -> tuple[str, ...]:
        """What `host_for` accepts, for prompts and error messages."""
        if self.templated:
            return self.regions
        return tuple(h.region for h in self.hosts if h.region)

    def host_for(self, region: str | None = None) -> str | None:
        """The host to connect to, by region label ("EU", "india pro") or SES region code.

        Labels match loosely (case, spaces, dashes) because they are typed on a command
        line. A full host name of this provider is accepted too, so a value read back from
        a config file round-trips. Returns None only for a provider without hosts (custom).
        """
        if not self.hosts:
            if region:
                raise UnknownRegionError(
                    f"Provider '{self.id}' has no regions.",
                    "Give the host name directly instead of a region.",
                )
            return None
        if self.templated:
            return self._templated_host(region)
        if region is None or not region.strip():
            default = self.default_host
            return default.host if default else None
        wanted = _region_key(region)
        for option in self.hosts:
            if _region_key(option.region) == wanted or option.host == _normalize_host(region):
                return option.host
        raise UnknownRegionError(
            f"Provider '{self.id}' has no region '{region.strip()}'.",
            _choices_hint(region, self.region_labels()),
        )

    def _templated_host(self, region: str | None) -> str:
        code = (region or "").strip().lower() or self.default_region
        template = self.hosts[0].host
        if code not in self.regions:
            as_host = _normalize_host(code)
            for candidate in self.regions:
                if template.replace(REGION_PLACEHOLDER, candidate) == as_host:
                    return as_host
            hint = _choices_hint(code, self.regions)
            if _REGION_CODE_RE.match(code):
                hint += (
                    f" If {self.name} has added this region since, use the custom preset"
                    f" with host {template.replace(REGION_PLACEHOLDER, code)}."
                )
            raise UnknownRegionError(
                f"Provider '{self.id}' has no region '{code}'.",
                hint,
            )
        return template.replace(REGION_PLACEHOLDER, code)


def _region_key(label: str) -> str:
    """Why: 'Saudi Arabia', 'saudi-arabia' and 'SAUDI_ARABIA' should all mean the same."""
    return re.sub(r"[^a-z0-9]", "", label.lower())


def _normalize_host(host: str) -> str:
    """Why: DNS names are case-insensitive and a trailing dot is the fully qualified form."""
    return host.strip().lower().rstrip(".")


def _choices_hint(given: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    import difflib  # for a did-you-mean only

    close = difflib.get_close_matches(given.strip(), choices, n=1, cutoff=0.6)
    if not close:
        by_key = {_region_key(c): c for c in choices}
        keys = difflib.get_close_matches(_region_key(given), list(by_key), n=1, cutoff=0.6)
        close = [by_key[k] for k in keys]
    prefix = f"Did you mean '{close[0]}'? " if close else ""
    return f"{prefix}Valid choices: {', '.join(choices)}."


# -- loading and validation --------------------------------------------------------------

_PROVIDER_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "name": str,
    "docs": str,
    "username": str,
    "username_hint": str,
    "password_kind": str,
    "password_hint": str,
    "spf_include": str,
    "dkim_selectors": list,
    "dkim_hint": str,
    "notes": list,
    "auth_failure_advice": str,
    "hosts": list,
    "ports": list,
}
_OPTIONAL_PROVIDER_KEYS: dict[str, type] = {
    "regions": list,
    "default_region": str,
    "dkim_record": dict,
}
_DKIM_RECORD_TYPES = ("CNAME", "TXT")


def parse_providers(text: str) -> dict[str, Provider]:
    """Parse and validate the presets file's text; `load_providers` reads the packaged one.

    Separate from loading so tests can feed broken data and check that each mistake is
    reported with the provider it belongs to.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProviderDataError(f"{_DATA_FILE} is not valid TOML: {exc}") from None
    entries = data.get("provider")
    if not isinstance(entries, list) or not entries:
        raise ProviderDataError(f"{_DATA_FILE} has no [[provider]] entries.")
    providers: dict[str, Provider] = {}
    for index, entry in enumerate(entries):
        provider = _build_provider(entry, index)
        if provider.id in providers:
            raise ProviderDataError(f"Provider '{provider.id}' is defined twice.")
        providers[provider.id] = provider
    if CUSTOM_ID not in providers:
        raise ProviderDataError(f"{_DATA_FILE} must define the '{CUSTOM_ID}' provider.")
    if list(providers)[-1] != CUSTOM_ID:
        raise ProviderDataError(f"Provider '{CUSTOM_ID}' must be the last entry.")
    return providers


def _fail(pid: str, message: str) -> ProviderDataError:
    return ProviderDataError(f"Provider '{pid}' in {_DATA_FILE}: {message}")


def _check_keys(
    pid: str,
    table: Any,
    required: Mapping[str, type | tuple[type, ...]],
    optional: Mapping[str, type],
    where: str,
) -> None:
    if not isinstance(table, dict):
        raise _fail(pid, f"{where} must be a table.")
    unknown = sorted(set(table) - set(required) - set(optional))
    if unknown:
        raise _fail(pid, f"{where} has unknown key(s): {', '.join(unknown)}.")
    missing = [key for key in required if key not in table]
    if missing:
        raise _fail(pid, f"{where} is missing: {', '.join(missing)}.")
    for key, value in table.items():
        expected = required.get(key) or optional[key]
        # bool is an int subclass; a port of `true` must not pass as 1.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise _fail(pid, f"{where}: '{key}' has the wrong type ({type(value).__name__}).")


def _string_list(pid: str, values: list[Any], key: str) -> tuple[str, ...]:
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise _fail(pid, f"'{key}' must be a list of non-empty strings.")
    return tuple(values)


def _build_provider(entry: Any, index: int) -> Provider:
    pid = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
    pid = pid if isinstance(pid, str) else f"#{index + 1}"
    _check_keys(pid, entry, _PROVIDER_KEYS, _OPTIONAL_PROVIDER_KEYS, "the entry")
    if not _ID_RE.match(pid):
        raise _fail(pid, "id must be lowercase letters and digits only.")
    for key in ("name", "username_hint", "password_hint", "dkim_hint", "auth_failure_advice"):
        if not entry[key].strip():
            raise _fail(pid, f"'{key}' is empty; write 'unknown' if the docs do not say.")
    if not entry["docs"].startswith("https://"):
        raise _fail(pid, "'docs' must be an https:// link.")
    if entry["password_kind"] not in PASSWORD_KINDS:
        raise _fail(
            pid,
            f"password_kind '{entry['password_kind']}' is not one of {', '.join(PASSWORD_KINDS)}.",
        )
    spf = entry["spf_include"]
    if spf != UNKNOWN and (spf.startswith("include:") or not _DOMAIN_RE.match(spf)):
        raise _fail(pid, f"spf_include '{spf}' must be a bare domain or 'unknown'.")
    ports = _build_ports(pid, entry["ports"])
    hosts = _build_hosts(pid, entry["hosts"])
    regions = tuple(entry.get("regions", ()))
    default_region = entry.get("default_region", "")
    _check_regions(pid, hosts, regions, default_region)
    if pid != CUSTOM_ID and (not hosts or not ports):
        raise _fail(pid, "needs at least one host and one port (only 'custom' may have none).")
    dkim_record = None
    if "dkim_record" in entry:
        table = entry["dkim_record"]
        if set(table) != {"type", "value"} or table["type"] not in _DKIM_RECORD_TYPES:
            raise _fail(pid, 'dkim_record must be { type = "CNAME" or "TXT", value = ... }.')
        dkim_record = (table["type"], table["value"])
    return Provider(
        id=pid,
        name=entry["name"].strip(),
        hosts=hosts,
        ports=ports,
        username=entry["username"] or None,
        username_hint=entry["username_hint"],
        password_kind=entry["password_kind"],
        password_hint=entry["password_hint"],
        spf_include=spf,
        dkim_selectors=_string_list(pid, entry["dkim_selectors"], "dkim_selectors"),
        dkim_hint=entry["dkim_hint"],
        docs=entry["docs"],
        notes=_string_list(pid, entry["notes"], "notes"),
        auth_failure_advice=entry["auth_failure_advice"],
        regions=_string_list(pid, list(regions), "regions"),
        default_region=default_region,
        dkim_record=dkim_record,
    )


def _build_ports(pid: str, tables: list[Any]) -> tuple[PortOption, ...]:
    ports: list[PortOption] = []
    for table in tables:
        _check_keys(pid, table, {"port": int, "security": str}, {"note": str}, "a port")
        port, security = table["port"], table["security"]
        if not 1 <= port <= 65535:
            raise _fail(pid, f"port {port} is outside 1-65535.")
        if security not in SECURITY_VALUES:
            raise _fail(
                pid,
                f"port {port} has security '{security}'; use one of {', '.join(SECURITY_VALUES)}.",
            )
        if any(p.port == port for p in ports):
            raise _fail(pid, f"port {port} is listed twice.")
        ports.append(PortOption(port=port, security=security, note=table.get("note", "")))
    return tuple(ports)


def _build_hosts(pid: str, tables: list[Any]) -> tuple[HostOption, ...]:
    hosts: list[HostOption] = []
    for table in tables:
        _check_keys(pid, table, {"host": str}, {"region": str, "default": bool}, "a host")
        host = table["host"]
        probe = host.replace(REGION_PLACEHOLDER, "region-1")
        if host != host.lower() or not _HOST_RE.match(probe):
            raise _fail(pid, f"host '{host}' is not a lowercase host name.")
        hosts.append(HostOption(host, table.get("region", ""), table.get("default", False)))
    if len(hosts) > 1:
        labels = [_region_key(h.region) for h in hosts]
        if not all(labels):
            raise _fail(pid, "every host needs a region label when there are several.")
        if len(set(labels)) != len(labels):
            raise _fail(pid, "region labels must be unique.")
        if sum(h.default for h in hosts) != 1:
            raise _fail(pid, "exactly one host must be marked default = true.")
    elif hosts and not hosts[0].default:
        hosts[0] = HostOption(hosts[0].host, hosts[0].region, True)
    return tuple(hosts)


def _check_regions(
    pid: str, hosts: tuple[HostOption, ...], regions: tuple[Any, ...], default_region: str
) -> None:
    templated = [h for h in hosts if REGION_PLACEHOLDER in h.host]
    if not templated:
        if regions or default_region:
            raise _fail(pid, "'regions' is only for hosts containing {region}.")
        return
    if len(hosts) != 1:
        raise _fail(pid, "a {region} host must be the provider's only host.")
    if not regions:
        raise _fail(pid, "a {region} host needs a 'regions' list.")
    if not all(isinstance(r, str) and _REGION_CODE_RE.match(r) for r in regions):
        raise _fail(pid, "'regions' must hold lowercase region codes like 'eu-west-1'.")
    if len(set(regions)) != len(regions):
        raise _fail(pid, "'regions' has duplicates.")
    if default_region not in regions:
        raise _fail(pid, f"default_region '{default_region}' is not in 'regions'.")


@functools.cache
def _load_packaged() -> dict[str, Provider]:
    # Beside this module (the package is installed as files; importlib.resources would add
    # a few milliseconds to every start for the same answer).
    text = Path(__file__).with_name(_DATA_FILE).read_text(encoding="utf-8")
    return parse_providers(text)


_SESSION_PRESETS: dict[str, Provider] = {}


def register_session_preset(provider: Provider) -> None:
    """Add a preset for this process only (the demo's provider), before 'custom'.

    Nothing is written anywhere: a config that names it works while the process that
    registered it runs (`smtp-wizard demo`), and is an unknown provider elsewhere.
    """
    _SESSION_PRESETS[provider.id] = provider


def unregister_session_preset(provider_id: str) -> None:
    _SESSION_PRESETS.pop(provider_id, None)


def load_providers() -> dict[str, Provider]:
    """All presets, in file order with 'custom' last; parsed once per process.

    A fresh dict is returned each time so a caller that edits it cannot change what the
    next caller sees (the Provider objects themselves are frozen). Presets registered for
    this session come just before 'custom'.
    """
    packaged = _load_packaged()
    if not _SESSION_PRESETS:
        return dict(packaged)
    ordered = {k: v for k, v in packaged.items() if k != CUSTOM_ID}
    ordered.update(_SESSION_PRESETS)
    if CUSTOM_ID in packaged:
        ordered[CUSTOM_ID] = packaged[CUSTOM_ID]
    return ordered


def get_provider(provider_id: str) -> Provider:
    """The preset with this id; an unknown id is a usage error that suggests the right one."""
    providers = load_providers()
    key = provider_id.strip().lower()
    if key in providers:
        return providers[key]
    import difflib  # for a did-you-mean only

    close = difflib.get_close_matches(key, list(providers), n=1, cutoff=0.6)
    suggestion = f"Did you mean '{close[0]}'? " if close else ""
    raise UnknownProviderError(
        f"Unknown provider '{provider_id.strip()}'.",
        f"{suggestion}Valid providers: {', '.join(providers)}.",
    )


def find_by_host(host: str) -> Provider | None:
    """The preset a host name belongs to, so a config that only names a host gets its hints.

    Templated hosts match any region code, known or not: recognising the provider is more
    useful than insisting the region list is complete.
    """
    wanted = _normalize_host(host)
    if not wanted:
        return None
    for provider in load_providers().values():
        for option in provider.hosts:
            if REGION_PLACEHOLDER in option.host:
                head, _, tail = option.host.partition(REGION_PLACEHOLDER)
                pattern = re.escape(head) + r"[a-z0-9-]+" + re.escape(tail)
                if re.fullmatch(pattern, wanted):
                    return provider
            elif option.host == wanted:
                return provider
    return None


# -- output ------------------------------------------------------------------------------


def _as_list(providers: Iterable[Provider] | Mapping[str, Provider]) -> list[Provider]:
    if isinstance(providers, Mapping):
        return list(providers.values())
    return list(providers)


def provider_to_dict(provider: Provider) -> dict[str, Any]:
    """One preset as plain JSON types (lists, not tuples), so a JSON round trip is lossless."""
    result: dict[str, Any] = {}
    for field in fields(provider):
        value = getattr(provider, field.name)
        if field.name == "hosts":
            value = [{"host": h.host, "region": h.region, "default": h.default} for h in value]
        elif field.name == "ports":
            value = [{"port": p.port, "security": p.security, "note": p.note} for p in value]
        elif isinstance(value, tuple):
            value = list(value)
        result[field.name] = value
    return result


def providers_as_json(
    providers: Iterable[Provider] | Mapping[str, Provider],
) -> list[dict[str, Any]]:
    """Every field of every preset, for `--json` output and for other tools to read."""
    return [provider_to_dict(p) for p in _as_list(providers)]


_LABEL_WIDTH = 10
_NBSP = "\xa0"  # textwrap does not break here, so "host (label)" stays on one line


def _wrap(label: str, value: str, width: int, hang: int = 0) -> list[str]:
    """Why: Zoho alone has sixteen hosts; unwrapped they would run off any terminal.

    `hang` indents continuation lines further, under a hint that follows a short value.
    """
    lines = textwrap.wrap(
        value,
        width=width,
        initial_indent=f"  {label:<{_LABEL_WIDTH}}",
        subsequent_indent=" " * (2 + _LABEL_WIDTH + hang),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_NBSP, " ") for line in lines]


def _hosts_line(provider: Provider) -> tuple[str, str]:
    if provider.templated:
        template = provider.hosts[0].host
        return "host", f"{template} (region: {provider.default_region} by default)"
    if not provider.hosts:
        return "host", "(you provide it)"
    if len(provider.hosts) == 1:
        return "host", provider.hosts[0].host
    parts = []
    for option in provider.hosts:
        tags = ", ".join([option.region] + (["default"] if option.default else []))
        parts.append(f"{option.host} ({tags})".replace(" ", _NBSP))
    return "hosts", ", ".join(parts)


def _known(hint: str) -> bool:
    return bool(hint.strip()) and hint.strip() != UNKNOWN


def _if_known(value: str) -> str:
    return value if value != UNKNOWN else ""


def _beside(value: str, hint: str) -> str:
    """`value — hint`, or the hint alone when it already starts with the value."""
    if not _known(hint):
        return value
    if not value or hint.startswith(value):
        return hint
    return f"{value} — {hint}"


def _port_lines(provider: Provider, width: int) -> list[str]:
    """One port per line with its note beside it, the notes lined up in one column."""
    if not provider.ports:
        return _wrap("ports", "(you provide it)", width)
    names = [f"{p.port} {p.security}" for p in provider.ports]
    column = max(len(name) for name in names) + 2
    lines: list[str] = []
    for index, (port, name) in enumerate(zip(provider.ports, names, strict=True)):
        label = "ports" if index == 0 else ""
        if not port.note:
            lines += _wrap(label, name.replace(" ", _NBSP), width)
            continue
        value = name.replace(" ", _NBSP) + _NBSP * (column - len(name)) + port.note
        lines += _wrap(label, value, width, hang=column)
    return lines


def render_providers_text(
    providers: Iterable[Provider] | Mapping[str, Provider], width: int = 100, *, full: bool = False
) -> str:
    """A terminal listing: one block per provider, long host lists wrapped.

    The compact form answers "which host, port and username"; `full` (one preset asked for
    by id) puts each hint beside the field it explains (what to type as the username, what
    the password is, each port's note, the DKIM setup), then the notes users trip on and
    the documentation link.
    """
    blocks: list[str] = []
    for provider in _as_list(providers):
        lines = [f"{provider.id}  {provider.name}"]
        host_label, hosts = _hosts_line(provider)
        lines += _wrap(host_label, hosts, width)
        if not full:
            ports = ", ".join(f"{p.port} {p.security}" for p in provider.ports)
            rows = [
                ("ports", ports or "(you provide it)"),
                ("username", provider.username or provider.username_hint),
                ("password", provider.password_kind),
            ]
            for label, value in rows:
                lines += _wrap(label, value, width)
            blocks.append("\n".join(lines))
            continue
        lines += _port_lines(provider, width)
        selectors = ", ".join(provider.dkim_selectors)
        rows = [
            ("username", _beside(provider.username or "", provider.username_hint)),
            ("password", _beside(_if_known(provider.password_kind), provider.password_hint)),
            ("spf", provider.spf_include),
            ("dkim", _beside(f"selectors {selectors}" if selectors else "", provider.dkim_hint)),
        ]
        rows += [("note", note) for note in provider.notes]
        rows.append(("docs", provider.docs))
        for label, value in rows:
            lines += _wrap(label, value or UNKNOWN, width)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
