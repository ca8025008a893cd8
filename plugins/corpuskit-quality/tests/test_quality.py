"""corpuskit-quality: each rule fires on what it targets, reasons carry the value, real text."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpuskit_quality import QualityFilter
from corpuskit_quality.signals import duplicate_ngram_char_fraction, top_ngram_char_fraction
from hypothesis import given, settings

from corpuskit import Config, ConfigError, Session
from corpuskit.testing import assert_discovered, assert_invariants, document_texts, run_pass

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"

PROSE = (
    "The committee met on Tuesday to discuss the new budget for the library. Members agreed "
    "that the reading room needs better lighting, and that the opening hours should be longer "
    "during the exam period. A decision on the children's section was postponed until the "
    "next meeting, because several parents asked to be heard first. The chair thanked the "
    "volunteers who had catalogued the donated books over the summer.\n"
)


def _corpus(*parts: str) -> Path:
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip("shared corpora not available")
    return path


def test_installed_plugin_is_discovered_but_off_by_default() -> None:
    assert assert_discovered("quality") is QualityFilter
    assert "quality" not in Session().pipeline_names(Config())


def test_good_prose_passes_untouched() -> None:
    run = run_pass(QualityFilter, PROSE)
    assert run.text == PROSE and run.edits == []
    assert run.tags == [{"quality": "pass"}]


@pytest.mark.parametrize(
    ("rule", "text", "signal", "value"),
    [
        ("min_words", "Too short to be a document.\n", "word_count", 6),
        ("min_mean_word_length", "a b c d e f g h i j " * 6, "mean_word_length", 1.0),
        ("max_mean_word_length", "Donaudampfschifffahrtsgesellschaft " * 60,
         "mean_word_length", 34.0),
        ("symbol_word_ratio", PROSE + "#tag #tag #tag #tag #tag #tag #tag #tag #tag #tag\n",
         "symbol_word_ratio", round(10 / (len(PROSE.split()) + 10), 4)),
        ("alpha_words", PROSE + " ".join(str(n) for n in range(100, 140)) + "\n",
         "alpha_word_fraction", round(len(PROSE.split()) / (len(PROSE.split()) + 40), 4)),
        ("lorem_ipsum", PROSE + "Lorem ipsum dolor sit amet.\n", "lorem_ipsum", 1.0),
    ],
)
def test_each_rule_names_itself_with_the_measured_value(
    rule: str, text: str, signal: str, value: float
) -> None:
    run = run_pass(QualityFilter, text)
    (tags,) = run.tags
    assert tags["quality"] == "fail"
    failed = {f["rule"]: f for f in tags["quality_failed"]}
    assert rule in failed
    assert failed[rule]["signal"] == signal and failed[rule]["value"] == value
    assert run.edits == []  # flag mode never changes text


def test_line_rules() -> None:
    bullets = "".join(f"• item number {i} of the list here\n" for i in range(12))
    ellipses = "".join(f"Read the whole story about topic {i} here...\n" for i in range(12))
    repeated = PROSE + "Subscribe to our newsletter now!\n" * 6
    rules = [{f["rule"] for f in run_pass(QualityFilter, t).tags[0]["quality_failed"]}
             for t in (bullets, ellipses, repeated)]
    assert "bullet_lines" in rules[0]
    assert "ellipsis_lines" in rules[1]
    assert {"duplicate_lines", "top_4gram"} <= rules[2]


def test_ngram_signals_by_hand() -> None:
    words = ["a", "b", "a", "b", "c"]  # "a b" twice: 4 of 5 word characters
    assert top_ngram_char_fraction(words, 2) == pytest.approx(4 / 5)
    assert duplicate_ngram_char_fraction(words, 2) == pytest.approx(4 / 5)
    assert duplicate_ngram_char_fraction(["x", "y", "z", "w"], 2) == 0.0


def test_drop_mode_drops_with_every_failure_in_the_edit() -> None:
    short = "Too short to be a document.\n"
    run = run_pass(QualityFilter, [PROSE, short], {"action": "drop"})
    assert run.dropped == ["doc-1"] and run.texts == [PROSE]
    (edit,) = run.edits
    assert edit.kind == "drop" and edit.rule == "min_words" and edit.before == short
    assert "word_count 6 < 50" in edit.reason
    assert [f["rule"] for f in edit.detail["failed"]] == ["min_words"]
    assert run.counters == {"failed_min_words": 1}
    assert_invariants(run)


def test_skip_and_thresholds_are_options() -> None:
    short = "Too short to be a document.\n"
    assert run_pass(QualityFilter, short, {"skip": ["min_words"]}).tags[0]["quality"] == "pass"
    assert run_pass(QualityFilter, short, {"min_words": 5}).tags[0]["quality"] == "pass"
    with pytest.raises(ConfigError, match="unknown rule"):
        run_pass(QualityFilter, short, {"skip": ["min_wrods"]})


def test_signals_option_tags_every_measure() -> None:
    run = run_pass(QualityFilter, PROSE, {"signals": True})
    sig = run.tags[0]["quality_signals"]
    assert sig["word_count"] == len(PROSE.split())
    assert sig["duplicate_line_fraction"] == 0.0 and "top_2gram_char_fraction" in sig


def test_seed_pages() -> None:
    """The Naharnet article is clean prose; the news-diff page interleaves two versions of one
    story, so its repeated n-grams fail."""
    seeds = _corpus("seeds")
    naharnet = (seeds / "000_689c66bfcca1f209.txt").read_text(encoding="utf-8")
    newsdiff = (seeds / "002_607ef6372322371d.txt").read_text(encoding="utf-8")
    run = run_pass(QualityFilter, [naharnet, newsdiff], {"action": "drop"})
    assert run.dropped == ["doc-1"]
    assert run.edits[0].rule.startswith("duplicate_")


def test_wikipedia_revisions_mostly_pass() -> None:
    root = _corpus("wiki-versions")
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.txt"))[:80]]
    run = run_pass(QualityFilter, texts)
    passed = sum(t.get("quality") == "pass" for t in run.tags)
    assert passed >= 0.8 * len(texts)


@settings(max_examples=40, deadline=None)
@given(document_texts())
def test_drop_mode_keeps_the_invariants(text: str) -> None:
    run = run_pass(QualityFilter, [text, PROSE], {"action": "drop"})
    assert run.outputs[1] == PROSE
    assert_invariants(run)
