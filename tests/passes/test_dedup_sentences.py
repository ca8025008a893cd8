"""The batched sentence rule (numpy similarity join + replayed walk) must decide exactly what
the sentence-by-sentence reference decides: same removals, same named copies, same pairs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuskit.model import Document
from corpuskit.passes import _dedup_join as jn
from corpuskit.passes import _shingles as sh
from corpuskit.passes._dedup_sentences import (
    SentenceSettings,
    Survivors,
    analyse,
    analyse_reference,
    sentence_spans,
    sentence_texts,
)
from tests.conftest import SHARED

_SENTENCES = [
    "The council met on Tuesday to discuss the new budget for the city.",
    "The council met on Tuesday to discuss a new budget for the city.",
    "Officials said the plan would be announced next week.",
    "Officials said that the plan would be announced next week!",
    "Residents were not convinced.",
    "It rained.",
    "Prices rose by 4.5 percent in March, the highest since 2008.",
    "Prices rose by 4.5 percent in April, the highest since 2008.",
    "\u201cWe are working on it,\u201d the mayor said.",
    "wait...what?Yes",
    "Dr. Smith arrived at 10 a.m. and left.",
]

_paragraph = st.lists(st.sampled_from(_SENTENCES), min_size=1, max_size=5).map(" ".join)
_document = st.lists(_paragraph, min_size=1, max_size=6).map("\n\n".join)
_settings = st.builds(
    SentenceSettings,
    norm=st.builds(sh.Normalization, case=st.booleans(), digits=st.booleans(),
                   punctuation=st.booleans()),
    kind=st.sampled_from(["word", "char"]),
    size=st.integers(1, 4),
    threshold=st.sampled_from([0.3, 0.5, 0.6, 0.8, 1.0]),
    min_words=st.integers(1, 6),
    near_words=st.integers(1, 12),
)


def _docs(texts: list[str]) -> list[Document]:
    return [Document(f"d{i}", t) for i, t in enumerate(texts)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_document, min_size=1, max_size=4), _settings)
def test_batched_rule_equals_reference(texts: list[str], ss: SentenceSettings) -> None:
    assert analyse(_docs(texts), ss) == analyse_reference(_docs(texts), ss)


# lines of one blank-line block, some ending mid-sentence (so blocks can look hard-wrapped)
_line = st.tuples(_paragraph, st.sampled_from(["", ",", " and then"])).map("".join)
_blocky_document = st.lists(
    st.tuples(_line, st.sampled_from(["\n", "\n", "\n\n"])), min_size=1, max_size=8
).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_blocky_document, min_size=1, max_size=3), _settings, st.randoms())
def test_batched_rule_equals_reference_with_survivors(texts: list[str], ss: SentenceSettings,
                                                      rnd: Any) -> None:
    """The second look ``apply`` takes (repeats the plan keeps, judged without the paragraphs
    it deletes) and the rule's refusal to unwrap a block are decided alike by both."""
    docs = _docs(texts)
    first = analyse(docs, ss)
    assert first == analyse_reference(docs, ss)
    limits = []
    for d, r in zip(docs, first, strict=True):
        kept = frozenset(p for p in sorted(r.skipped) if rnd.random() < 0.7)
        gone = frozenset(p.index for p in d.paragraphs
                         if p.index not in kept and rnd.random() < 0.4)
        limits.append(Survivors(kept, gone))
    got = analyse(docs, ss, limits)
    assert got == analyse_reference(docs, ss, limits)
    for r, lim in zip(got, limits, strict=True):
        assert not (r.skipped & lim.kept)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aB. !?\u201d)\n\t\x00\x01", max_size=40), max_size=5))
def test_sentence_texts_equals_spans(texts: list[str]) -> None:
    assert sentence_texts(texts) == [[t[s:e] for s, e in sentence_spans(t)] for t in texts]


def test_batched_rule_equals_reference_on_real_pages() -> None:
    root = SHARED / "trafilatura-eval" / "text"
    paths = sorted(root.glob("*.txt"))[:80]
    if not paths:
        pytest.skip("../shared/corpora not available")
    texts = [p.read_text(encoding="utf-8") for p in paths]
    ss = SentenceSettings(sh.Normalization(), "word", 2, 0.6, 4, 8)
    got = analyse(_docs(texts), ss)
    assert got == analyse_reference(_docs(texts), ss)
    assert sum(len(r.removals) + len(r.near_pairs) for r in got) > 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=8), min_size=2, max_size=12),
       st.sampled_from([0.2, 0.5, 0.6, 0.75, 1.0]), st.integers(1, 3))
def test_similar_pairs_equals_brute_force(sets: list[list[int]], t: float, groups: int) -> None:
    """The prefix-filtered join finds every pair the plain all-pairs test finds, and no other."""
    vals = np.array([v for s in sets for v in s], np.uint32)
    off = np.zeros(len(sets) + 1, np.int64)
    np.cumsum([len(s) for s in sets], out=off[1:])
    group = np.array([i % groups for i in range(len(sets))], np.int64)
    li, ri, sim = jn.similar_pairs(vals, off, group, t)
    want = []
    for j in range(len(sets)):
        for i in range(j):
            if group[i] != group[j]:
                continue
            a, b = set(sets[i]), set(sets[j])
            c = len(a & b)
            if not c < t * len(b) and c / (len(a) + len(b) - c) >= t:
                want.append((i, j, c / (len(a) + len(b) - c)))
    assert list(zip(li.tolist(), ri.tolist(), sim.tolist(), strict=True)) == want


def test_copies_of_a_sentence_enter_the_near_join_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paragraph holding one sentence 500 times must not pair it with itself 500^2 times:
    only first occurrences are joined, and the result is still the reference's."""
    sizes: list[int] = []
    real = jn.similar_pairs_either

    def spy(vals, offsets, group, threshold):  # type: ignore[no-untyped-def]
        sizes.append(len(offsets) - 1)
        return real(vals, offsets, group, threshold)

    monkeypatch.setattr(jn, "similar_pairs_either", spy)
    same = "The quick brown fox jumps over the lazy dog again and again today."
    near = "The quick brown fox jumps over the lazy dog again and again tonight."
    text = " ".join([same] * 250 + [near] + [same] * 250) + "\n\nAnother paragraph here.\n"
    ss = SentenceSettings(sh.Normalization(), "word", 2, 0.6, 4, 8)
    got = analyse(_docs([text]), ss)
    assert max(sizes) <= 2
    assert got == analyse_reference(_docs([text]), ss)
    assert got[0].canonical and same in next(iter(got[0].canonical.values()))
