"""The presets: the shipped data keeps its invariants, the documented facts stay put, and a
broken presets file is rejected with the provider's id in the message."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from smtp_wizard.errors import UsageError
from smtp_wizard.providers import (
    PASSWORD_KINDS,
    SECURITY_VALUES,
    UNKNOWN,
    Provider,
    ProviderDataError,
    UnknownProviderError,
    UnknownRegionError,
    find_by_host,
    get_provider,
    load_providers,
    parse_providers,
    providers_as_json,
    render_providers_text,
)

REQUIRED_IDS = {
    "zeptomail",
    "zoho",
    "gmail",
    "microsoft365",
    "ses",
    "sendgrid",
    "mailgun",
    "postmark",
    "mailjet",
    "brevo",
    "sparkpost",
    "resend",
    "fastmail",
    "custom",
}

PROVIDERS = load_providers()
REAL = [p for p in PROVIDERS.values() if p.id != "custom"]


def ports_of(provider_id: str) -> set[int]:
    return {p.port for p in get_provider(provider_id).ports}


# -- invariants of the shipped file ------------------------------------------------------


def test_every_requested_preset_is_present_and_custom_comes_last() -> None:
    assert set(PROVIDERS) >= REQUIRED_IDS
    assert list(PROVIDERS)[-1] == "custom"


def test_ids_are_unique_lowercase_and_match_their_keys() -> None:
    for key, provider in PROVIDERS.items():
        assert key == provider.id
        assert provider.id == provider.id.lower()


@pytest.mark.parametrize("provider", REAL, ids=lambda p: p.id)
def test_every_real_provider_has_a_host_and_a_recommended_port(provider: Provider) -> None:
    assert provider.hosts
    assert provider.default_port is provider.ports[0]
    assert provider.host_for() is not None


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=lambda p: p.id)
def test_ports_are_in_range_unique_and_use_a_known_security_mode(provider: Provider) -> None:
    numbers = [p.port for p in provider.ports]
    assert len(numbers) == len(set(numbers))
    for option in provider.ports:
        assert 1 <= option.port <= 65535
        assert option.security in SECURITY_VALUES


@pytest.mark.parametrize("provider", PROVIDERS.values(), ids=lambda p: p.id)
def test_every_provider_states_its_facts_or_says_unknown(provider: Provider) -> None:
    assert provider.docs.startswith("https://")
    assert provider.password_kind in PASSWORD_KINDS
    assert provider.spf_include == UNKNOWN or not provider.spf_include.startswith("include:")
    assert provider.spf_include.strip() and provider.dkim_hint.strip()
    assert provider.auth_failure_advice.strip()
    assert provider.username_hint.strip() and provider.password_hint.strip()
    assert provider.username is None or provider.username.strip()


@pytest.mark.parametrize("provider", REAL, ids=lambda p: p.id)
def test_multi_host_providers_have_exactly_one_default_and_labelled_regions(
    provider: Provider,
) -> None:
    assert sum(h.default for h in provider.hosts) == 1
    if len(provider.hosts) > 1:
        assert all(h.region for h in provider.hosts)


def test_the_custom_preset_knows_no_host_port_or_credentials() -> None:
    custom = get_provider("custom")
    assert custom.hosts == () and custom.ports == ()
    assert custom.host_for() is None and custom.default_port is None
    assert custom.username is None
    assert custom.spf_include == UNKNOWN and custom.dkim_hint == UNKNOWN


def test_providers_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_provider("gmail").name = "x"  # type: ignore[misc]


def test_changing_the_returned_dict_does_not_change_the_next_load() -> None:
    providers = load_providers()
    del providers["gmail"]
    assert "gmail" in load_providers()


def test_loading_providers_does_not_import_textual() -> None:
    code = (
        "import sys, smtp_wizard.providers as p; p.load_providers(); "
        "print('textual' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},
        check=True,
    )
    assert result.stdout.strip() == "False"


# -- documented facts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "username"),
    [
        ("sendgrid", "apikey"),
        ("zeptomail", "emailapikey"),
        ("sparkpost", "SMTP_Injection"),
        ("resend", "resend"),
        ("gmail", None),
        ("mailgun", None),
    ],
)
def test_fixed_usernames_are_recorded_literally(provider_id: str, username: str | None) -> None:
    assert get_provider(provider_id).username == username


def test_postmark_offers_no_port_465() -> None:
    assert 465 not in ports_of("postmark")
    assert ports_of("postmark") == {587, 2525, 25}


def test_sparkpost_offers_no_port_465_only_587_and_2525() -> None:
    assert ports_of("sparkpost") == {587, 2525}


def test_microsoft_365_offers_no_port_465_and_recommends_587() -> None:
    provider = get_provider("microsoft365")
    assert 465 not in ports_of("microsoft365")
    assert provider.default_port is not None and provider.default_port.port == 587


def test_ses_offers_the_alternate_2587_and_2465_ports() -> None:
    ses = get_provider("ses")
    security = {p.port: p.security for p in ses.ports}
    assert security[2587] == "starttls" and security[2465] == "ssl" and security[465] == "ssl"


def test_ses_builds_the_host_from_the_region() -> None:
    ses = get_provider("ses")
    assert ses.host_for("eu-west-1") == "email-smtp.eu-west-1.amazonaws.com"
    assert ses.host_for() == f"email-smtp.{ses.default_region}.amazonaws.com"
    assert ses.default_region in ses.regions


def test_ses_rejects_an_unknown_region_and_suggests_a_close_one() -> None:
    with pytest.raises(UnknownRegionError) as caught:
        get_provider("ses").host_for("eu-west-l")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, UsageError)
    assert "eu-west-l" in str(caught.value) and "eu-west-1" in caught.value.hint


def test_mailgun_and_sparkpost_have_eu_hosts() -> None:
    assert get_provider("mailgun").host_for("EU") == "smtp.eu.mailgun.org"
    assert get_provider("mailgun").host_for() == "smtp.mailgun.org"
    assert get_provider("sparkpost").host_for("eu") == "smtp.eu.sparkpostmail.com"
    assert get_provider("sparkpost").host_for() == "smtp.sparkpostmail.com"


def test_microsoft_365_and_outlook_com_use_different_hosts() -> None:
    microsoft = get_provider("microsoft365")
    assert microsoft.host_for() == "smtp.office365.com"
    assert microsoft.host_for("outlook.com") == "smtp-mail.outlook.com"


def test_zeptomail_has_a_host_per_data_centre() -> None:
    zepto = get_provider("zeptomail")
    assert zepto.host_for() == "smtp.zeptomail.com"
    assert zepto.host_for("EU") == "smtp.zeptomail.eu"
    assert zepto.host_for("india") == "smtp.zeptomail.in"
    assert zepto.host_for("Australia") == "smtp.zeptomail.com.au"


def test_zoho_offers_smtppro_hosts_for_paid_organisations() -> None:
    zoho = get_provider("zoho")
    assert zoho.host_for() == "smtp.zoho.com"
    assert zoho.host_for("eu pro") == "smtppro.zoho.eu"
    assert zoho.host_for("saudi-arabia") == "smtp.zoho.sa"
    assert zoho.host_for("canada") == "smtp.zohocloud.ca"


def test_host_for_accepts_one_of_the_providers_own_hosts() -> None:
    assert get_provider("zoho").host_for("SMTPPRO.ZOHO.IN.") == "smtppro.zoho.in"


def test_host_for_names_the_valid_regions_when_the_region_is_wrong() -> None:
    with pytest.raises(UnknownRegionError) as caught:
        get_provider("mailgun").host_for("asia")
    assert "mailgun" in str(caught.value) and "US, EU" in caught.value.hint


def test_a_provider_with_one_host_has_no_regions_to_choose() -> None:
    with pytest.raises(UnknownRegionError):
        get_provider("gmail").host_for("EU")


def test_notes_cover_the_known_traps() -> None:
    brevo = " ".join(get_provider("brevo").notes)
    assert "not the API key" in brevo
    gmail = " ".join(get_provider("gmail").notes)
    assert "2-Step Verification" in gmail
    ses = " ".join(get_provider("ses").notes)
    assert "not IAM access keys" in ses and "region" in ses
    microsoft = " ".join(get_provider("microsoft365").notes)
    assert "December 2026" in microsoft
    assert "apikey" in get_provider("sendgrid").auth_failure_advice


def test_documented_dns_facts() -> None:
    assert get_provider("gmail").spf_include == "_spf.google.com"
    assert get_provider("gmail").dkim_selectors == ("google",)
    assert get_provider("microsoft365").dkim_selectors == ("selector1", "selector2")
    assert get_provider("fastmail").dkim_selectors == ("fm1", "fm2", "fm3")
    assert get_provider("mailgun").spf_include == "mailgun.org"
    assert get_provider("zeptomail").spf_include == UNKNOWN


# -- lookups -----------------------------------------------------------------------------


def test_get_provider_ignores_case_and_surrounding_space() -> None:
    assert get_provider("  SendGrid ").id == "sendgrid"


def test_a_misspelt_provider_id_suggests_the_right_one() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        get_provider("sendgird")
    error = caught.value
    assert isinstance(error, UsageError)
    assert "sendgird" in error.message
    assert "Did you mean 'sendgrid'" in error.hint
    assert "zeptomail" in error.hint and "custom" in error.hint


def test_an_unrelated_provider_id_lists_the_valid_ids_without_a_guess() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        get_provider("qqqqqq")
    assert "Did you mean" not in caught.value.hint
    assert "sendgrid" in caught.value.hint


@pytest.mark.parametrize(
    ("host", "provider_id"),
    [
        ("smtp.zeptomail.eu", "zeptomail"),
        ("SMTP.ZeptoMail.com.au.", "zeptomail"),
        ("smtppro.zoho.in", "zoho"),
        ("smtp.gmail.com", "gmail"),
        ("smtp-mail.outlook.com", "microsoft365"),
        ("email-smtp.eu-west-1.amazonaws.com", "ses"),
        ("email-smtp.il-central-1.amazonaws.com", "ses"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("  smtp.resend.com  ", "resend"),
    ],
)
def test_find_by_host_recognises_a_presets_host(host: str, provider_id: str) -> None:
    found = find_by_host(host)
    assert found is not None and found.id == provider_id


@pytest.mark.parametrize(
    "host", ["mail.example.com", "", "zeptomail.eu", "email-smtp..amazonaws.com"]
)
def test_find_by_host_returns_none_for_other_hosts(host: str) -> None:
    assert find_by_host(host) is None


def test_every_listed_host_is_found_again_by_find_by_host() -> None:
    for provider in REAL:
        for option in provider.hosts:
            host = provider.host_for(option.region or None)
            assert host is not None
            found = find_by_host(host)
            assert found is not None and found.id == provider.id


# -- output ------------------------------------------------------------------------------


def test_json_output_round_trips_and_carries_every_field() -> None:
    data = providers_as_json(PROVIDERS)
    assert json.loads(json.dumps(data)) == data
    names = {f.name for f in dataclasses.fields(Provider)}
    assert all(set(entry) == names for entry in data)
    zepto = next(entry for entry in data if entry["id"] == "zeptomail")
    assert zepto["hosts"][0] == {"host": "smtp.zeptomail.com", "region": "US", "default": True}
    assert {"port": 465, "security": "ssl", "note": ""} in zepto["ports"]


def test_json_output_accepts_a_plain_list_too() -> None:
    assert providers_as_json([get_provider("gmail")])[0]["id"] == "gmail"


def test_text_listing_has_one_compact_block_per_provider() -> None:
    text = render_providers_text(PROVIDERS)
    blocks = text.strip().split("\n\n")
    assert len(blocks) == len(PROVIDERS)
    for block, provider in zip(blocks, PROVIDERS.values(), strict=True):
        assert block.startswith(f"{provider.id}  {provider.name}")
        assert provider.password_kind in block
    assert all(len(line) <= 100 for line in text.splitlines())


def test_text_listing_shows_hosts_ports_and_literal_usernames() -> None:
    text = render_providers_text([get_provider("sendgrid"), get_provider("mailgun")])
    assert "smtp.sendgrid.net" in text and "587 starttls" in text and "465 ssl" in text
    assert "apikey" in text
    assert "smtp.eu.mailgun.org (EU)" in text


# -- validation of the presets file ------------------------------------------------------

VALID = """
[[provider]]
id = "acme"
name = "Acme Mail"
docs = "https://acme.example/smtp"
username = "apikey"
username_hint = "apikey"
password_kind = "api-key"
password_hint = "An API key."
spf_include = "acme.example"
dkim_selectors = []
dkim_hint = "unknown"
notes = []
auth_failure_advice = "Check the key."

[[provider.hosts]]
host = "smtp.acme.example"

[[provider.ports]]
port = 587
security = "starttls"

[[provider]]
id = "custom"
name = "Custom"
docs = "https://example.org/"
username = ""
username_hint = "unknown"
password_kind = "unknown"
password_hint = "unknown"
spf_include = "unknown"
dkim_selectors = []
dkim_hint = "unknown"
notes = []
auth_failure_advice = "Check both."
hosts = []
ports = []
"""


def test_the_minimal_valid_document_parses() -> None:
    providers = parse_providers(VALID)
    assert list(providers) == ["acme", "custom"]
    assert providers["acme"].host_for() == "smtp.acme.example"
    assert providers["custom"].username is None


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ('security = "starttls"', 'security = "tls"', "security 'tls'"),
        ("port = 587", "port = 0", "outside 1-65535"),
        ("port = 587", "port = 70000", "outside 1-65535"),
        ("port = 587", 'port = "587"', "'port' has the wrong type"),
        ("port = 587", "port = true", "'port' has the wrong type"),
        ('password_kind = "api-key"', 'password_kind = "token"', "password_kind 'token'"),
        ('docs = "https://acme.example/smtp"', 'docs = "http://acme.example"', "https://"),
        ('spf_include = "acme.example"', 'spf_include = "include:acme.example"', "bare domain"),
        ('spf_include = "acme.example"', 'spf_include = ""', "bare domain"),
        ('auth_failure_advice = "Check the key."', 'auth_failure_advice = " "', "'unknown'"),
        ('name = "Acme Mail"\n', "", "missing: name"),
        ('name = "Acme Mail"', 'name = "Acme Mail"\nnmae = "typo"', "unknown key(s): nmae"),
        ('host = "smtp.acme.example"', 'host = "SMTP.acme.example"', "lowercase host name"),
        ('host = "smtp.acme.example"', 'host = "smtp.{region}.example"', "'regions' list"),
    ],
)
def test_a_broken_presets_file_is_rejected_naming_the_provider(
    old: str, new: str, complaint: str
) -> None:
    broken = VALID.replace(old, new, 1)
    assert broken != VALID
    with pytest.raises(ProviderDataError) as caught:
        parse_providers(broken)
    assert "'acme'" in str(caught.value)
    assert complaint in str(caught.value)


def test_a_provider_without_ports_is_rejected_unless_it_is_custom() -> None:
    broken = VALID.replace('[[provider.ports]]\nport = 587\nsecurity = "starttls"\n', "", 1)
    broken = broken.replace('"Check the key."', '"Check the key."\nports = []', 1)
    with pytest.raises(ProviderDataError, match=r"'acme'.*at least one host and one port"):
        parse_providers(broken)


def test_duplicate_ids_are_rejected() -> None:
    first = VALID.split("[[provider]]")[1]
    with pytest.raises(ProviderDataError, match="'acme' is defined twice"):
        parse_providers("[[provider]]" + first + VALID)


def test_custom_must_exist_and_come_last() -> None:
    acme, custom = VALID.split("[[provider]]")[1:]
    with pytest.raises(ProviderDataError, match="last entry"):
        parse_providers("[[provider]]" + custom + "[[provider]]" + acme)
    with pytest.raises(ProviderDataError, match="must define the 'custom'"):
        parse_providers("[[provider]]" + acme)


def test_several_hosts_need_labels_and_exactly_one_default() -> None:
    two_hosts = VALID.replace(
        '[[provider.hosts]]\nhost = "smtp.acme.example"\n',
        '[[provider.hosts]]\nhost = "smtp.acme.example"\nregion = "US"\n\n'
        '[[provider.hosts]]\nhost = "smtp.eu.acme.example"\nregion = "EU"\n',
        1,
    )
    with pytest.raises(ProviderDataError, match=r"'acme'.*exactly one host"):
        parse_providers(two_hosts)
    unlabelled = two_hosts.replace('region = "EU"', 'region = ""')
    with pytest.raises(ProviderDataError, match=r"'acme'.*region label"):
        parse_providers(unlabelled)
    fixed = two_hosts.replace('region = "US"', 'region = "US"\ndefault = true')
    assert parse_providers(fixed)["acme"].host_for("eu") == "smtp.eu.acme.example"


def test_a_templated_host_needs_its_default_region_in_the_list() -> None:
    templated = VALID.replace(
        'host = "smtp.acme.example"',
        'host = "smtp.{region}.acme.example"',
        1,
    ).replace(
        'notes = []\nauth_failure_advice = "Check the key."',
        'notes = []\nauth_failure_advice = "Check the key."\n'
        'regions = ["eu-west-1"]\ndefault_region = "us-east-1"',
        1,
    )
    with pytest.raises(ProviderDataError, match=r"'acme'.*default_region 'us-east-1'"):
        parse_providers(templated)
    fixed = templated.replace('default_region = "us-east-1"', 'default_region = "eu-west-1"')
    assert parse_providers(fixed)["acme"].host_for() == "smtp.eu-west-1.acme.example"


def test_invalid_toml_is_reported_as_a_data_error() -> None:
    with pytest.raises(ProviderDataError, match="not valid TOML"):
        parse_providers("[[provider]\n")


def _line_of(text: str, label: str) -> str:
    """The line of a `providers ID` entry that starts with `label`, with its continuation."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(f"  {label} "):
            following = []
            for more in lines[index + 1 :]:
                if not more.startswith(" " * 12):
                    break
                following.append(more.strip())
            return " ".join([line.strip(), *following])
    raise AssertionError(f"no {label} line in:\n{text}")


def test_one_preset_puts_each_hint_beside_the_field_it_explains() -> None:
    sendgrid = render_providers_text([get_provider("sendgrid")], full=True)
    assert "literally the word" in _line_of(sendgrid, "username")
    assert _line_of(sendgrid, "password").startswith("password  api-key — A SendGrid API key")
    assert "587 starttls   Recommended by SendGrid." in sendgrid
    assert sendgrid.count("apikey") == 1  # said once, on the username line
    ses = render_providers_text([get_provider("ses")], full=True)
    assert "25 starttls    Throttled on EC2 by default" in ses
    fastmail = render_providers_text([get_provider("fastmail")], full=True)
    assert _line_of(fastmail, "dkim").startswith("dkim      selectors fm1, fm2, fm3 — If Fastmail")
    for provider in PROVIDERS.values():
        text = render_providers_text([provider], full=True)
        assert all(len(line) <= 100 for line in text.splitlines() if "https://" not in line)
