"""The whole-line prefilter: rules loosened into Hyperscan patterns.

It may only ever skip work, never change a verdict: every line a rule matches must be reported
for that rule. The tests check that on the rules' own examples, on tricky user patterns over
arbitrary text, and that the compiled filter is cached and rebuilt when the cache is bad.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.passes import _line_filter
from corpuskit.passes._cues import _hyperscan, fold
from corpuskit.passes._rules import LineMatcher, Rule, builtin_rules, word_count
from corpuskit.segment import line_bounds, split_lines
from tests.passes.test_cues import _verdicts_filtered

pytestmark = pytest.mark.skipif(_hyperscan is None, reason="hyperscan not installed")


def _flags(r: Rule) -> int:
    return 0 if r.case_sensitive else re.IGNORECASE


def _reported(lf: _line_filter.LineFilter, text: str) -> dict[int, int]:
    data = _line_filter.prepare(text)
    assert data is not None
    return dict(lf.lines(data, len(text), line_bounds(text)[1]))


def test_every_builtin_line_rule_reports_its_examples() -> None:
    rules = builtin_rules("boilerplate").rules
    lf = _line_filter.line_filter([(r.pattern, _flags(r)) for r in rules])
    assert lf is not None
    for k, r in enumerate(rules):
        for ex in r.examples:
            if fold(ex) is None or "\r" in ex:
                continue
            got = _reported(lf, f"intro line\n{ex}\noutro line")
            assert got.get(1, 0) >> k & 1, (r.id, ex)


def test_reports_name_lines_by_index_after_non_ascii_text() -> None:
    rule = Rule(id="share", description="d", pattern=r"share(?:\s+this)?")
    lf = _line_filter.line_filter([(rule.pattern, re.IGNORECASE)])
    assert lf is not None
    text = "Über © “quotes” …\n\n  SHARE this \nshared\nsharé\nShare\nſhare"
    assert _reported(lf, text) == {1: 1, 4: 1, 5: 1}  # ſ: the regex engine equates it with s
    sigma = _line_filter.line_filter([("σ", re.IGNORECASE)])  # ς, Σ and σ are one letter
    assert sigma is not None
    assert _reported(sigma, "ς\nΣ\nσ\ns") == {0: 1, 1: 1, 2: 1}
    for cannot in ("a\r\nb", "İ", "\ud800"):
        assert _line_filter.prepare(cannot) is None


TRICKY = (
    r"(?<=x)foo",  # a look-behind sees the text before the line
    r"(\w+) \1",  # back-reference
    r"\bad\b",
    r"[^aeiou\s]{3}",
    r"(?-i:[A-Z])\w+ news",
    r"\d{4}-\d{2}",
    r"straße",
    r"İstanbul",  # lower-cases to two characters
    r"[À-ÿ]+ info",
    r"(?=.*cookie).{5,}",
    r"(?:ab|cd){40,50}",
    r".{0,400}end",
    r"(?!foo)\w+ bar",
    r"^menu$",
    r"\Aok\Z",
    r"(?x: s h a r e)",
    r"(?s:.+)ok",
    r"(a)?(?(1)b|c)",
    r"[^\W\d_]+ tag",
    r"(?:[\w.-]+\s+){0,2}on\s+(?:x|y)",
    r"K\s*news",
    r"[\u2000-\u200a]*mid[\s\u00a0]+dot",
)
_RULES = (
    *(Rule(id=f"t{i}", description="tricky", pattern=p, max_words=6)
      for i, p in enumerate(TRICKY)),
    Rule(id="cased", description="case-sensitive", pattern="Share", case_sensitive=True),
)
_PARTS = ["Share", "share", "SHARE", "ſhare", "ad", "bad ad", "AD", "xfoo", "foo", "zzz bar",
          "word word", "ab ab", "2020-12", "Straße", "STRASSE", "İstanbul", "istanbul",
          "ÉTÉ info", "cookie policy here", "the end", "menu", "ok", "\u00a0share\u00a0",
          "\u212a news", "Kate news", "Abc news", "abab" * 21, "cd" * 45, "alpha tag",
          "go on x", "a.b c on y", "\u2003mid\u00a0dot", "bc", "c", "\ud800 ok", "x\r\nfoo"]


def _everywhere(m: LineMatcher, text: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, (s, e) in enumerate(split_lines(text)):
        n = word_count(text[s:e])
        for r, rx in zip(m.rules, m._line_regexes, strict=True):
            if n <= r.max_words and rx.fullmatch(text, s, e):
                out[i] = r.id
                break
    return out


_TRICKY_MATCHER: list[LineMatcher] = []


def _tricky() -> LineMatcher:
    if not _TRICKY_MATCHER:
        m = LineMatcher(_RULES)
        assert m.line_filter() is not None  # the filter is what these tests exercise
        _TRICKY_MATCHER.append(m)
    return _TRICKY_MATCHER[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PARTS), st.text(max_size=14)), max_size=10),
       st.sampled_from(["\n", "\n\n", " \n"]))
def test_tricky_patterns_filtered_equal_judging_every_line(parts: list[str], sep: str) -> None:
    m = _tricky()
    text = sep.join(parts)
    assert _verdicts_filtered(m, text) == _everywhere(m, text)


def test_tricky_patterns_remove_what_they_should() -> None:
    m = _tricky()
    text = "\n".join(_PARTS)
    got = _verdicts_filtered(m, text)
    assert got == _everywhere(m, text)
    assert len(got) > 15  # most tricky rules do remove something here


def test_compiled_filter_is_cached_on_disk_and_rebuilt_when_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_line_filter, "_FILTERS", {})
    rules = [("newsletter", re.IGNORECASE), (r"read\s+more", re.IGNORECASE)]
    text = "Newsletter\nbody text\nRead more"
    first = _line_filter.line_filter(rules)
    assert first is not None
    files = list(tmp_path.glob("linefilter-*.hsdb"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert _reported(first, text) == {0: 1, 2: 2}

    monkeypatch.setattr(_line_filter, "_FILTERS", {})  # a new process: loads the file
    loaded = _line_filter.line_filter(rules)
    assert loaded is not None and loaded is not first
    assert _reported(loaded, text) == {0: 1, 2: 2}

    files[0].write_bytes(b"not a database")  # corrupt: compiled again, file replaced
    monkeypatch.setattr(_line_filter, "_FILTERS", {})
    rebuilt = _line_filter.line_filter(rules)
    assert rebuilt is not None
    assert _reported(rebuilt, text) == {0: 1, 2: 2}
    assert files[0].read_bytes() != b"not a database"
    assert not list(tmp_path.glob(".linefilter-*"))  # no temporary file left behind


def test_disk_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", "")
    assert _line_filter.cache_dir() is None
    monkeypatch.setattr(_line_filter, "_FILTERS", {})
    assert _line_filter.line_filter([("menu", re.IGNORECASE)]) is not None


def test_a_rule_hyperscan_refuses_leaves_the_cues_in_charge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_line_filter, "_FILTERS", {})
    monkeypatch.setattr(_line_filter, "loosen", lambda p, f: ["(unbalanced"])
    m = LineMatcher((Rule(id="menu", description="d", pattern="menu"),))
    assert m.line_filter() is None
    text = "menu\nthe menu of the day\nsoup"
    # the cue "menu" picks both lines that hold it (a whole-line pattern would pick one)
    assert [i for i, _ in m.lines_to_judge(text, split_lines(text))] == [0, 1]
    assert _verdicts_filtered(m, text) == {0: "menu"}


def test_line_filter_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUSKIT_LINE_FILTER", "0")
    m = LineMatcher((Rule(id="menu", description="d", pattern="menu"),))
    assert m.line_filter() is None


def test_more_rules_than_a_machine_word_holds() -> None:
    """Masks of 70 rules do not fit numpy's 64 bits: the Python path gives the same lines."""
    words = [f"word{i:02d}" for i in range(70)]
    rules = tuple(Rule(id=w, description="d", pattern=w) for w in words)
    m = LineMatcher(rules)
    assert m.line_filter() is not None
    text = "\n".join(["intro", *words[::-1], "word05 and more", "Word69", "outro"])
    got = dict(m.lines_to_judge(text, split_lines(text)))
    assert got == {1 + k: 1 << (69 - k) for k in range(70)} | {72: 1 << 69}
    assert _verdicts_filtered(m, text) == _everywhere(m, text)


def test_every_character_is_matched_by_every_pattern_character_it_equals() -> None:
    """For every code point x, the pattern written for any character the regex engine equates
    with x (they share a fold) matches x as prepare() hands it to Hyperscan; and the text-side
    replacements cover every non-ASCII character equated with an ASCII letter."""
    import hyperscan

    targets: dict[str, list[str]] = {}
    for o in range(0x110000):
        if 0xD800 <= o < 0xE000:
            continue
        x = chr(o)
        f = _line_filter._folded(x)
        if f is None:
            assert x == "İ"  # the one character prepare() must refuse
            continue
        if f != x or x.upper() != x:
            targets.setdefault(f, []).append(x)
        if f.isascii() and not x.isascii():
            assert x in _line_filter._TEXT_FOLD, x
    fs = sorted(targets)
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[f"^(?:{_line_filter._lit(f)})$".encode() for f in fs],
               ids=list(range(len(fs))), elements=len(fs),
               flags=[_line_filter._flags()] * len(fs))
    missed = []
    for k, f in enumerate(fs):
        for x in (*targets[f], f):
            data = _line_filter.prepare(x)
            assert data is not None
            got: list[int] = []
            db.scan(data, match_event_handler=lambda i, *_, got=got: got.append(i))
            if k not in got:
                missed.append((x, f))
    assert not missed


def test_no_home_directory_means_no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORPUSKIT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert _line_filter.cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert _line_filter.cache_dir() == Path("/somewhere/corpuskit")
