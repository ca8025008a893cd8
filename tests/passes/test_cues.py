"""Cues: the substrings a rule's regex requires, and the line filter built on them.

The filter may only ever skip work, never change a verdict, so the tests compare it with judging
every line by the combined regex, on real pages and on rule examples.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.passes._cues import CueFinder, fold, required_substrings
from corpuskit.passes._rules import LineMatcher, Rule, builtin_rules, word_count
from corpuskit.segment import split_lines
from tests.conftest import SHARED


@pytest.mark.parametrize(
    ("pattern", "want"),
    [
        ("share|teilen", {"share", "teilen"}),
        (r".{0,5}foo\s+bar", {"bar"}),  # the rarer letters (b, a, r beat f, o, o)
        ("(?:a|b)c", {"ac", "bc"}),
        ("shares?", {"share", "shares"}),
        (r"ver\s+más", {"más"}),  # the rarer word, not the one inside "every"/"over"
        (r"(?=.*cookie).{10,}", {"cookie"}),  # a look-ahead's text is required too
        (r"home\s*[›»>]", {"home"}),
        (r"[›»]\s*\w+", {"›", "»"}),
        ("x?", None),
        (r"\w+", None),
        ("(?:foo|.*)", None),
    ],
)
def test_required_substrings(pattern: str, want: set[str] | None) -> None:
    got = required_substrings(pattern, re.IGNORECASE)
    assert (None if got is None else set(got)) == want


def test_cues_are_lower_case_and_folded() -> None:
    # the regex engine equates ſ with s and ı with i case-insensitively; lower() does not
    assert required_substrings("SHARE", re.IGNORECASE) == {"share"}
    assert fold("ſhare") == "share"
    assert fold("Clıck") == "click"
    assert fold("İstanbul") is None  # lower-casing changes the length: offsets would move
    assert re.fullmatch("(?i:share)", "ſhare")  # why folding is needed


def test_finder_reports_every_occurrence() -> None:
    f = CueFinder({"ad": 1, "advert": 2})
    assert sorted(f.find("an advert")) == [(3, 5, 1), (3, 9, 2)]
    assert list(CueFinder({}).find("anything")) == []


def _rule_sets() -> list[tuple[str, tuple[Rule, ...]]]:
    return [(k, builtin_rules(k).rules) for k in ("boilerplate", "copyright")]  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "rules"), _rule_sets())
def test_every_builtin_rule_has_cues_that_its_examples_contain(
    kind: str, rules: tuple[Rule, ...]
) -> None:
    for r in rules:
        need = required_substrings(r.pattern, 0 if r.case_sensitive else re.IGNORECASE)
        assert need, f"{kind} rule {r.id} has no derivable cue: every line would be judged"
        for ex in r.examples:
            folded = fold(ex)
            assert folded is None or any(c in folded for c in need), (r.id, ex)


def _verdicts_everywhere(m: LineMatcher, text: str) -> dict[int, str]:
    """Reference: the combined regex on every line, with the max_words rule."""
    out: dict[int, str] = {}
    for i, (s, e) in enumerate(split_lines(text)):
        rule = m.match(text, s, e)
        if rule is None:
            continue
        n = word_count(text[s:e])
        if n <= rule.max_words:
            out[i] = rule.id
            continue
        line = text[s:e].strip()
        for r in m.rules:
            if n <= r.max_words and r.compiled().fullmatch(line):
                out[i] = r.id
                break
    return out


def _verdicts_filtered(m: LineMatcher, text: str) -> dict[int, str]:
    spans = split_lines(text)
    out: dict[int, str] = {}
    for i, mask in m.lines_to_judge(text, spans):
        rule = m.judge(text, spans[i][0], spans[i][1], mask)
        if rule is not None:
            out[i] = rule.id
    return out


def test_filtered_judging_equals_judging_every_line_on_rule_examples() -> None:
    m = LineMatcher(builtin_rules("boilerplate").rules)
    lines = [ex for r in m.rules for ex in (*r.examples, *r.counter_examples)]
    lines += list(builtin_rules("boilerplate").counter_examples)
    text = "\n".join(lines)
    want = _verdicts_everywhere(m, text)
    assert want  # the examples are removed ...
    assert _verdicts_filtered(m, text) == want  # ... by the same rules


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    ["Share", "share this", "ſhare", "Home › News", "READ MORE", "Advertisement", "  ", "",
     "Photo: AP", "The court read more than", "Cookie Policy", "© 2020", "Clıck here",
     "Newsletter", "x", "Anzeige", "|", "Menü"]), max_size=12))
def test_filtered_judging_equals_judging_every_line(parts: list[str]) -> None:
    m = LineMatcher(builtin_rules("boilerplate").rules)
    text = "\n".join(parts)
    assert _verdicts_filtered(m, text) == _verdicts_everywhere(m, text)


def test_filtered_judging_equals_judging_every_line_on_real_pages() -> None:
    root = SHARED / "trafilatura-eval" / "text"
    if not root.is_dir():
        pytest.skip("../shared/corpora not available")
    m = LineMatcher(builtin_rules("boilerplate").rules)
    pages = sorted(root.glob("*.txt"))[:60]
    removed = 0
    for p in pages:
        text = p.read_text(encoding="utf-8")
        want = _verdicts_everywhere(m, text)
        assert _verdicts_filtered(m, text) == want, p.name
        removed += len(want)
    assert removed > 100


def test_a_rule_without_cues_is_tried_on_every_line() -> None:
    rule = Rule(id="any-short", description="d", pattern=r"\w{3}", examples=("abc",),
                max_words=1)
    m = LineMatcher((rule,))
    assert m.uncued == 1
    text = "abc\nlonger line here\nxyz"
    assert [i for i, _ in m.lines_to_judge(text, split_lines(text))] == [0, 2]
