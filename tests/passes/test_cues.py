"""Cues: the substrings a rule's regex requires, and the line filter built on them.

The filter may only ever skip work, never change a verdict, so the tests compare it with judging
every line by the combined regex, on real pages and on rule examples.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.passes import _cues
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
        ("İstanbul", {"stanbul"}),  # 'İ' also matches 'i' and 'I': it names no substring
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


ENGINES = ["ahocorasick"] + (["hyperscan"] if _cues._hyperscan is not None else [])
MODES = ["ahocorasick"] + (["hyperscan-cues", "hyperscan"] if _cues._hyperscan is not None
                           else [])
"""How lines are picked: cues found by either engine, or (``hyperscan``) the whole-line
filter of :mod:`corpuskit.passes._line_filter`."""


def _use(mode: str, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("CORPUSKIT_CUE_ENGINE", mode.split("-")[0])
    mp.setenv("CORPUSKIT_LINE_FILTER", "0" if mode.endswith("-cues") else "1")


@pytest.mark.parametrize("engine", ENGINES)
def test_finder_reports_every_occurrence(engine: str) -> None:
    f = CueFinder({"ad": 1, "advert": 2, "über": 4, "©": 8}, engine)
    assert sorted(f.find("an advert")) == [(3, 5, 1), (3, 9, 2)]
    # character offsets, not UTF-8 byte offsets, after non-ASCII text
    assert sorted(f.find("© über ad")) == [(0, 1, 8), (2, 6, 4), (7, 9, 1)]
    assert list(CueFinder({}, engine).find("anything")) == []
    last, num = f.scan_arrays("x ad ©")
    assert sorted(zip(last.tolist(), num.tolist(), strict=True)) == [(3, 0), (5, 2)]


@pytest.mark.skipif(len(ENGINES) < 2, reason="hyperscan not installed")
def test_engines_find_the_same_occurrences_on_real_pages() -> None:
    root = SHARED / "trafilatura-eval" / "text"
    if not root.is_dir():
        pytest.skip("../shared/corpora not available")
    cues = LineMatcher(builtin_rules("boilerplate").rules).cue_finder.cues
    a, h = CueFinder(cues, "ahocorasick"), CueFinder(cues, "hyperscan")
    n = 0
    for p in sorted(root.glob("*.txt"))[:80]:
        folded = fold(p.read_text(encoding="utf-8"))
        if folded is None:
            continue
        want = sorted(a.find(folded))
        assert sorted(h.find(folded)) == want, p.name
        n += len(want)
    assert n > 1000


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


@pytest.mark.parametrize("mode", MODES)
def test_filtered_judging_equals_judging_every_line_on_rule_examples(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(mode, monkeypatch)
    m = LineMatcher(builtin_rules("boilerplate").rules)
    assert (m.line_filter() is not None) == (mode == "hyperscan")
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


@pytest.mark.parametrize("mode", MODES)
def test_filtered_judging_equals_judging_every_line_on_real_pages(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = SHARED / "trafilatura-eval" / "text"
    if not root.is_dir():
        pytest.skip("../shared/corpora not available")
    _use(mode, monkeypatch)
    m = LineMatcher(builtin_rules("boilerplate").rules)
    assert m.cue_finder.engine == mode.split("-")[0]
    pages = sorted(root.glob("*.txt"))[:60]
    removed = 0
    for p in pages:
        text = p.read_text(encoding="utf-8")
        want = _verdicts_everywhere(m, text)
        assert _verdicts_filtered(m, text) == want, p.name
        removed += len(want)
    assert removed > 100


def test_a_rule_without_cues_is_tried_on_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUSKIT_LINE_FILTER", "0")
    rule = Rule(id="any-short", description="d", pattern=r"\w{3}", examples=("abc",),
                max_words=1)
    m = LineMatcher((rule,))
    assert m.uncued == 1
    text = "abc\nlonger line here\nxyz"
    assert [i for i, _ in m.lines_to_judge(text, split_lines(text))] == [0, 2]


def test_word_counts_match_str_split() -> None:
    from corpuskit.segment import _WHITESPACE, word_counts

    every_space = {c for c in map(chr, range(0x110000)) if c.isspace()}
    assert set(_WHITESPACE) == every_space
    text = "a b\u3000c  d\te\xa0f é\u2003g h"
    spans = [(0, len(text)), (1, 4), (2, 2), (3, 9), (5, len(text)), (len(text), len(text))]
    assert word_counts(text, spans).tolist() == [len(text[s:e].split()) for s, e in spans]


@given(st.text(alphabet="ab \t\xa0é\u3000\n", max_size=40),
       st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=6))
def test_word_counts_property(text: str, raw: list[tuple[int, int]]) -> None:
    from corpuskit.segment import word_counts

    spans = [(min(a, b, len(text)), min(max(a, b), len(text))) for a, b in raw]
    assert word_counts(text, spans).tolist() == [len(text[s:e].split()) for s, e in spans]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=30),
    st.sampled_from(["Share", "© AP", "Cookies", "Newsletter", "Mehr lesen", "Foto: dpa",
                     "\ud800 share", "Ünd Share", "İ share", "SHARE THIS", "\u2003Share\xa0",
                     "Home › News › World", "Read more »", "ſhare", "share\r\nmenu"]),
), max_size=10), st.sampled_from(MODES))
def test_filtered_judging_equals_judging_every_line_on_any_text(
    parts: list[str], mode: str
) -> None:
    """Arbitrary Unicode (lone surrogates, characters whose lower case is longer, line
    separators inside a part): the filters never change a verdict, in any mode."""
    m = _matcher(mode)
    text = "\n".join(parts)
    assert _verdicts_filtered(m, text) == _verdicts_everywhere(m, text)


_MATCHERS: dict[str, LineMatcher] = {}


def _matcher(mode: str) -> LineMatcher:
    """One built-in boilerplate matcher per mode (building one compiles every rule)."""
    if mode not in _MATCHERS:
        with pytest.MonkeyPatch.context() as mp:
            _use(mode, mp)
            m = _MATCHERS[mode] = LineMatcher(builtin_rules("boilerplate").rules)
            m.line_filter()  # decided while the mode's environment is set
    assert _MATCHERS[mode].cue_finder.engine == mode.split("-")[0]
    return _MATCHERS[mode]
