"""The demo's DNS: the provider's zone, the sender's zone with the usual mistakes, publishing.

Two zones, both under the reserved `.test` TLD (RFC 2606), every address loopback:

- `mailer.test`, the demo provider: its SMTP host, the SPF include its customers add
  (`_spf.mailer.test`), and its DKIM key at `demo._domainkey.mailer.test` (a real RSA key
  made for this run), which customers point a CNAME at;
- `myapp.test`, the sender: an MX that resolves, and the mistakes a newcomer's domain
  usually has: SPF without the provider's include, no DKIM record, DMARC `p=none` without
  reports.

`publish` applies the records plan (`smtp_wizard.records.RecordRow`) to the live zones at
once, as a registrar's form would, so that "Check again" sees the result. A row whose value
is a placeholder the user must fill in is refused; the one kind of placeholder it accepts
is an address at the demo's own domain (the starter DMARC record's
`rua=mailto:dmarc-reports@myapp.test`): every address there is the demo mailbox, a mailbox
the user does read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.transaction
import dns.zone

from smtp_wizard.records import RecordRow, txt_strings, zone_value
from smtp_wizard.sandbox import SandboxError
from smtp_wizard.sandbox.dnsserver import Zones

PROVIDER_DOMAIN: Final = "mailer.test"
SMTP_HOST: Final = f"smtp.{PROVIDER_DOMAIN}"
SPF_INCLUDE: Final = f"_spf.{PROVIDER_DOMAIN}"
DKIM_SELECTOR: Final = "demo"
DKIM_TARGET: Final = "{selector}._domainkey." + PROVIDER_DOMAIN
"""Where customers' DKIM CNAMEs point (the preset's dkim_record value)."""
SENDER_DOMAIN: Final = "myapp.test"
TTL: Final = 300

PROVIDER_SPF: Final = "v=spf1 ip4:127.0.0.0/8 -all"
SENDER_SPF: Final = "v=spf1 mx ~all"  # the mistake: the provider's include is missing
SENDER_DMARC: Final = "v=DMARC1; p=none"  # the mistake: monitoring only, and no reports

_PROVIDER_ZONE: Final = """\
$ORIGIN {domain}.
$TTL {ttl}
@               SOA   ns.{domain}. hostmaster.{domain}. 1 3600 600 86400 300
@               NS    ns.{domain}.
ns              A     127.0.0.1
smtp            A     127.0.0.1
_spf            TXT   {spf}
{selector}._domainkey  TXT  {dkim}
"""

_SENDER_ZONE: Final = """\
$ORIGIN {domain}.
$TTL {ttl}
@               SOA   ns.{domain}. hostmaster.{domain}. 1 3600 600 86400 300
@               NS    ns.{domain}.
@               MX    10 mx.{domain}.
@               TXT   {spf}
ns              A     127.0.0.1
mx              A     127.0.0.1
_dmarc          TXT   {dmarc}
"""


def provider_zone_text(dkim_record: str) -> str:
    """The provider's zone file, with this run's DKIM key."""
    return _PROVIDER_ZONE.format(
        domain=PROVIDER_DOMAIN,
        ttl=TTL,
        spf=zone_value(PROVIDER_SPF),
        selector=DKIM_SELECTOR,
        dkim=zone_value(dkim_record),
    )


def sender_zone_text() -> str:
    """The sender's zone file as a newcomer's domain usually starts."""
    return _SENDER_ZONE.format(
        domain=SENDER_DOMAIN, ttl=TTL, spf=zone_value(SENDER_SPF), dmarc=zone_value(SENDER_DMARC)
    )


def demo_zones(dkim_record: str) -> Zones:
    """Both zones, parsed (absolute names), ready to serve."""
    zones: dict[dns.name.Name, dns.zone.Zone] = {}
    for text in (provider_zone_text(dkim_record), sender_zone_text()):
        zone = dns.zone.from_text(text, origin=None, relativize=False)
        assert zone.origin is not None
        zones[zone.origin] = zone
    return Zones(zones)


# -- publishing ------------------------------------------------------------------------------

_ADDRESS: Final = re.compile(r"[^\s@;:,<>!]+@([A-Za-z0-9.-]+)")


def _placeholder_problem(row: RecordRow, own_domain: str) -> str | None:
    """Why a placeholder row cannot be published, or None when its value is usable as is."""
    if not row.placeholder:
        return None
    if "<" in row.value:
        return "its value holds a placeholder (<...>) to replace with the real value first"
    domains = {m.group(1).lower().rstrip(".") for m in _ADDRESS.finditer(row.value)}
    if domains and all(d == own_domain or d.endswith("." + own_domain) for d in domains):
        return None  # every address of the demo domain reaches the demo mailbox
    return "its value holds an address to change first (a mailbox you read)"


def _rdata(row: RecordRow, rdtype: dns.rdatatype.RdataType) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        strings = [piece.encode("utf-8") for piece in txt_strings(row.value)]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, strings)
    return dns.rdata.from_text(
        dns.rdataclass.IN, rdtype, row.value, origin=dns.name.root, relativize=False
    )


def _text(rdata: dns.rdata.Rdata) -> str:
    """A TXT record's strings joined (how SPF, DKIM and DMARC read it), else its text."""
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text()


def _tag(text: str) -> str:
    """The record's kind as its first tag says it: `v=spf1`, `v=dmarc1`, `v=dkim1` (or "")."""
    head = text.strip().split(";", 1)[0].split(None, 1)
    return head[0].lower() if head and head[0].lower().startswith("v=") else ""


class _Change:
    """One row, checked and parsed: where it goes and what it holds."""

    def __init__(self, row: RecordRow, zones: Zones) -> None:
        self.row = row
        try:
            self.name = dns.name.from_text(row.name.rstrip(".") + ".")
            self.rdtype = dns.rdatatype.from_text(row.type)
        except dns.exception.DNSException as exc:
            raise SandboxError(f"Cannot publish the {row.kind} record {row.name}: {exc}") from exc
        zone = zones.zone_for(self.name)
        if zone is None:
            served = ", ".join(sorted(origin.to_text(True) for origin in zones.zones))
            raise SandboxError(
                f"Cannot publish {row.name}: the demo DNS serves only {served}.",
            )
        self.zone = zone
        try:
            self.rdata = _rdata(row, self.rdtype)
        except Exception as exc:  # dnspython raises many kinds for a bad value
            raise SandboxError(
                f"Cannot publish the {row.kind} record at {row.name}: its value is not a "
                f"valid {row.type} record ({exc})."
            ) from exc

    def describe(self, verb: str) -> str:
        return f"{self.row.kind}: {verb} {self.row.type} {self.row.name} {self.row.value}"

    def apply(self, txn: dns.transaction.Transaction) -> str:
        current = txn.get(self.name, self.rdtype)
        existing = list(current) if current is not None else []
        action = self.row.action
        if action == "delete":
            kept = [r for r in existing if not self._same(r)]
            if len(kept) == len(existing):
                return self.describe("nothing to delete (not published):")
            self._store(txn, kept)
            return self.describe("deleted")
        self._check_cname_rule(txn)
        if action == "add":
            if any(self._same(r) for r in existing):
                return self.describe("already published:")
            self._store(txn, [*existing, self.rdata])
            return self.describe("added")
        # replace: the records of the same kind (SPF, DMARC, ...) make way for the new one
        kept: list[dns.rdata.Rdata] = []
        if self.rdtype == dns.rdatatype.TXT:
            tag = _tag(self.row.value)
            if not tag:
                raise SandboxError(
                    f"Cannot tell which TXT record at {self.row.name} this {self.row.kind} "
                    "record replaces (its value has no v= tag): publish a delete and an add."
                )
            kept = [r for r in existing if _tag(_text(r)) != tag]
        replaced = len(kept) < len(existing)
        self._store(txn, [*kept, self.rdata])
        return self.describe("replaced" if replaced else "added")

    def _same(self, rdata: dns.rdata.Rdata) -> bool:
        """Is `rdata` the row's record? TXT by its joined text (where the strings are cut
        does not matter), other types by their data."""
        if self.rdtype == dns.rdatatype.TXT:
            return _text(rdata) == self.row.value
        return rdata == self.rdata

    def _check_cname_rule(self, txn: dns.transaction.Transaction) -> None:
        """A CNAME cannot share its name with other records (RFC 1034 §3.6.2)."""
        node = txn.get_node(self.name)
        if node is None:
            return
        types = {rds.rdtype for rds in node.rdatasets}
        is_cname = self.rdtype == dns.rdatatype.CNAME
        clash = (types - {dns.rdatatype.CNAME}) if is_cname else types & {dns.rdatatype.CNAME}
        if clash:
            raise SandboxError(
                f"Cannot publish the {self.row.kind} record at {self.row.name}: a CNAME cannot "
                "share its name with other records; delete the other record first."
            )

    def _store(self, txn: dns.transaction.Transaction, rdatas: list[dns.rdata.Rdata]) -> None:
        if not rdatas:
            txn.delete(self.name, self.rdtype)
            return
        rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, self.rdtype)
        for rdata in rdatas:
            rdataset.add(rdata, TTL)
        txn.replace(self.name, rdataset)


def publish(zones: Zones, rows: Iterable[RecordRow], own_domain: str) -> list[str]:
    """Apply `rows` (add, replace, delete; keep changes nothing) to the live zones at once.

    `replace` swaps the TXT records that carry the same `v=` tag as the row (the SPF
    record, the DMARC record) and leaves the others (a site verification) alone; for
    another type it swaps the whole set. Every row is checked before anything changes; a
    row that cannot be published (a placeholder, a name outside the demo's zones, a CNAME
    beside other records, a TXT replace without a v= tag) raises SandboxError and leaves
    every zone as it was. Returns one line per row applied.
    """
    changes: list[_Change] = []
    problems: list[str] = []
    for row in rows:
        if row.action == "keep":
            continue
        if row.action not in ("add", "replace", "delete"):
            raise SandboxError(f"Cannot publish {row.name}: unknown action '{row.action}'.")
        problem = _placeholder_problem(row, own_domain) if row.action != "delete" else None
        if problem is not None:
            problems.append(f"{row.kind} record at {row.name}: {problem}")
            continue
        changes.append(_Change(row, zones))
    if problems:
        raise SandboxError(
            "Nothing was published: " + "; ".join(problems) + ".",
            "Publish the other rows without it, or edit the value first.",
        )
    done: list[str] = []
    with zones.lock:
        writers: dict[dns.name.Name, dns.transaction.Transaction] = {}
        try:
            for change in changes:
                origin = change.zone.origin
                assert origin is not None
                if origin not in writers:
                    writers[origin] = change.zone.writer()
                done.append(change.apply(writers[origin]))
        except BaseException:
            for txn in writers.values():
                txn.rollback()
            raise
        for origin, txn in writers.items():
            if txn.changed():
                txn.update_serial(name=origin)
            txn.commit()
    return done
