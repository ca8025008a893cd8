"""corpuskit-pii: what is redacted, what must not be, and the pass invariants on real pages."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest
from corpuskit_pii import RedactPii
from hypothesis import given, settings

from corpuskit import Config, ConfigError, Session, clean
from corpuskit.testing import (
    assert_discovered,
    assert_invariants,
    document_texts,
    run_pass,
)

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"


def test_installed_plugin_is_discovered_but_off_by_default() -> None:
    assert assert_discovered("pii") is RedactPii
    assert "pii" not in Session().pipeline_names(Config())
    assert "pii" in Session().pipeline_names(Config(enable=["pii"]))


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        ("Write to jane.doe+list@example.co.uk today.", "Write to <EMAIL> today.", "email"),
        ("Kontakt: info@stadt-ahlen.de", "Kontakt: <EMAIL>", "email"),
        ("Call +49 30 1234567.", "Call <PHONE>.", "phone"),
        ("Fax: +49 (0)30 1234-5678", "Fax: <PHONE>", "phone"),
        ("Phone (555) 123-4567 now", "Phone <PHONE> now", "phone"),
        ("call 555-123-4567 or", "call <PHONE> or", "phone"),
        ("Telefon: 0341/696290", "Telefon: <PHONE>", "phone"),
        ("Tél. 01 23 45 67 89", "Tél. <PHONE>", "phone"),
        ("+56 9 9200 7878", "<PHONE>", "phone"),
        ("London 020 7946 0958 office", "London <PHONE> office", "phone"),
        ("Logged in from 188.102.128.236 at", "Logged in from <IP_ADDRESS> at", "ipv4"),
        ("DNS 2001:4860:4860::8888 works", "DNS <IP_ADDRESS> works", "ipv6"),
    ],
)
def test_redacts(text: str, expected: str, rule: str) -> None:
    run = run_pass(RedactPii, text)
    assert run.text == expected
    assert run.rules == {rule: 1}
    (edit,) = run.edits
    assert edit.kind == "replace" and edit.before in text and edit.pass_name == "pii"
    assert_invariants(run)


@pytest.mark.parametrize(
    "text",
    [
        "Am 12.03.2021 um 10:30 Uhr",
        "Bettina Kugler 19.10.2019, 05:00 Uhr",
        "Published 2021-03-12",
        "Preis: 1.299,00 €",
        "It costs $ 12 345 678",
        "ISBN 978-3-16-148410-0",
        "9783161484100",
        "from 1990-2000, and 1998 1999 2000",
        "population 1 234 567",
        "sold 2,000,000 copies",
        "Firefox 2.0.0.16 and version 1.2.3.4",
        "time 12:30:45",
        "MAC 00:1A:2B:3C:4D:5E",
        "std::vector<int> and a::b::c",
        "logo@2x.png",
        "pi is 3.14159, total 1234.56",
        "Order no. 12345678",
        "localhost 127.0.0.1, router 192.168.0.1, ::1",
    ],
)
def test_leaves_alone(text: str) -> None:
    run = run_pass(RedactPii, text)
    assert run.text == text
    assert run.edits == []


def test_custom_tokens_switches_and_allow_list() -> None:
    text = "a@example.org, b@example.org, +44 20 7946 0958, 8.8.8.8, 192.168.1.1"
    run = run_pass(RedactPii, text, {
        "email_token": "[E]", "phone_token": "[P]", "ip_token": "[IP]",
        "allow": ["b@example.org"], "only_public_ips": False,
    })
    assert run.text == "[E], b@example.org, [P], [IP], [IP]"
    assert [e.rule for e in run.edits] == ["email", "phone", "ipv4", "ipv4"]
    assert [e.before for e in run.edits] == ["a@example.org", "+44 20 7946 0958", "8.8.8.8",
                                            "192.168.1.1"]
    assert run.counters == {"email_redacted": 1, "ip_redacted": 2,
                            "phone_redacted": 1}
    only_mail = run_pass(RedactPii, text, {"phone": False, "ip": False})
    assert only_mail.text == "<EMAIL>, <EMAIL>, +44 20 7946 0958, 8.8.8.8, 192.168.1.1"


def test_a_token_that_is_pii_itself_is_rejected() -> None:
    with pytest.raises(ConfigError, match="looks like PII"):
        run_pass(RedactPii, "x", {"phone_token": "+1 555 010 0199"})


def test_runs_through_the_public_api_with_metadata_kept() -> None:
    from corpuskit import Document

    doc = Document(id="r1", text="mail x@example.com\n", metadata={"url": "u"})
    result = clean([doc], passes=["pii"])
    (out,) = result.documents
    assert out.text == "mail <EMAIL>\n" and out.metadata == {"url": "u"} and out.id == "r1"


def _pages(n: int) -> list[str]:
    gold = CORPORA / "trafilatura-eval" / "gold.jsonl"
    if not gold.is_file():
        pytest.skip("shared corpora not available")
    ids = [json.loads(line)["id"] for line in gold.read_text(encoding="utf-8").splitlines()]
    texts = [(CORPORA / "trafilatura-eval" / "text" / f"{i}.txt").read_text(encoding="utf-8")
             for i in ids]
    # the pages that mention contact data, plus others, in a fixed order
    return [t for t in texts if "@" in t or "Tel" in t][:n]


def test_real_pages_redactions_are_what_they_claim_and_reversible() -> None:
    run = run_pass(RedactPii, _pages(60), {"only_public_ips": False})
    assert run.rules.get("email", 0) > 20 and run.rules.get("phone", 0) > 20
    for e in run.edits:
        if e.rule == "email":
            assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", e.before)
        elif e.rule in ("ipv4", "ipv6"):
            ipaddress.ip_address(e.before)
        else:
            digits = re.sub(r"\D", "", e.before)
            assert 6 <= len(digits) <= 15 and "\n" not in e.before
            assert not re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", e.before)
    assert_invariants(run)


def test_main_text_snippets_without_contact_data_survive() -> None:
    """The gold main-text snippets of trafilatura-eval are prose with dates, prices and
    numbers; those without an '@' or a 'Tel'-like word must come out untouched."""
    gold = CORPORA / "trafilatura-eval" / "gold.jsonl"
    if not gold.is_file():
        pytest.skip("shared corpora not available")
    lines = gold.read_text(encoding="utf-8").splitlines()
    snippets = [s for line in lines for s in json.loads(line)["with"]]
    prose = [s for s in snippets if "@" not in s and not re.search(r"(?i)tel|phone|fax|\+\d", s)]
    with_digits = [s for s in prose if re.search(r"\d", s)]
    assert len(with_digits) > 200
    run = run_pass(RedactPii, with_digits)
    assert run.texts == with_digits, [e.before for e in run.edits]


@settings(max_examples=60, deadline=None)
@given(document_texts())
def test_any_text_is_revertible_and_idempotent(text: str) -> None:
    assert_invariants(run_pass(RedactPii, [text + " a@b.org +49 30 1234567"]))
