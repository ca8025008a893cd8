"""corpuskit-langid: tags on real multilingual text, filtering, and the pass invariants."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from corpuskit_langid import LanguageFilter
from hypothesis import given, settings

from corpuskit import Config, ConfigError, Session
from corpuskit.testing import assert_discovered, assert_invariants, document_texts, run_pass

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"

SENTENCES = {
    "en": "The council will vote on the new housing plan next week, after months of debate.",
    "de": "Der Stadtrat stimmt nächste Woche über den neuen Wohnungsplan ab, nach langer Debatte.",
    "fr": "Le conseil municipal votera la semaine prochaine sur le nouveau plan de logement.",
    "es": "El ayuntamiento votará la próxima semana el nuevo plan de vivienda.",
    "pl": "Rada miasta zagłosuje w przyszłym tygodniu nad nowym planem mieszkaniowym.",
}
CHARDET_LANG = {"russian": "ru", "greek": "el", "hebrew": "he", "hungarian": "hu",
                "bulgarian": "bg", "turkish": "tr"}


def test_installed_plugin_is_discovered_but_off_by_default() -> None:
    assert assert_discovered("langid") is LanguageFilter
    assert "langid" not in Session().pipeline_names(Config())


def test_tags_language_and_score_without_changing_text() -> None:
    texts = list(SENTENCES.values())
    run = run_pass(LanguageFilter, texts)
    assert [t["language"] for t in run.tags] == list(SENTENCES)
    assert all(0.5 < t["language_score"] <= 1.0 for t in run.tags)
    assert run.texts == texts and run.edits == []
    assert run.counters == {f"language_{c}": 1 for c in SENTENCES}


def _chardet_docs() -> list[tuple[str, str]]:
    root = CORPORA / "chardet-encodings"
    if not root.is_dir():
        pytest.skip("shared corpora not available")
    out = []
    for line in (root / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        path, enc, lang, *_ = line.split("\t")
        if lang not in CHARDET_LANG:
            continue
        raw = (root / path).read_bytes().decode(enc)
        text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", html.unescape(raw))).split())
        out.append((text, CHARDET_LANG[lang]))
    return out


def test_real_feeds_in_six_languages() -> None:
    """chardet's test feeds, labelled by language by their folder (true labels)."""
    docs = _chardet_docs()
    assert len(docs) > 100
    run = run_pass(LanguageFilter, [t for t, _ in docs])
    right = sum(tag["language"] == gold for tag, (_, gold) in zip(run.tags, docs, strict=True))
    assert right / len(docs) >= 0.9


def test_allowed_drops_the_rest_with_a_reason() -> None:
    texts = list(SENTENCES.values())
    run = run_pass(LanguageFilter, texts, {"allowed": ["en", "de"]})
    assert run.texts == [SENTENCES["en"], SENTENCES["de"]]
    assert run.dropped == ["doc-2", "doc-3", "doc-4"]
    assert {e.rule for e in run.edits} == {"not_allowed"}
    fr = run.edits_of(2)[0]
    assert fr.detail["language"] == "fr" and "not in allowed ['de', 'en']" in fr.reason
    assert_invariants(run)


def test_min_score_drops_uncertain_documents() -> None:
    mixed = "Hello my friend, wie geht es dir, très bien merci, muy bien gracias amigo."
    scored = run_pass(LanguageFilter, mixed).tags[0]["language_score"]
    run = run_pass(LanguageFilter, [mixed, SENTENCES["en"]], {
        "allowed": [run_pass(LanguageFilter, mixed).tags[0]["language"], "en"],
        "min_score": min(0.999, scored + 0.001)})
    assert run.dropped == ["doc-0"] and run.edits[0].rule == "uncertain"


def test_short_documents_are_undetermined_and_kept() -> None:
    run = run_pass(LanguageFilter, ["12 345", "OK", ""], {"allowed": ["en"]})
    assert [t["language"] for t in run.tags] == ["und", "und", "und"]
    assert run.dropped == []


def test_candidates_restrict_the_detector() -> None:
    text = "Dit is een korte Nederlandse zin over het weer van vandaag."
    assert run_pass(LanguageFilter, text).tags[0]["language"] == "nl"
    restricted = run_pass(LanguageFilter, text, {"candidates": ["de", "en"]})
    assert restricted.tags[0]["language"] in ("de", "en")


def test_unknown_language_codes_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown language code"):
        run_pass(LanguageFilter, "x", {"allowed": ["english"]})


@settings(max_examples=30, deadline=None)
@given(document_texts())
def test_filtering_keeps_the_invariants(text: str) -> None:
    assert_invariants(run_pass(LanguageFilter, [text, SENTENCES["de"]], {"allowed": ["de"]}))
