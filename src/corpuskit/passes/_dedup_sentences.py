"""Repeated sentences inside one document (the news-diff case).

A diff page glues two versions of a story together, so a line can hold the same sentence twice
("...for that attack.A previously unknown ... for that attack.") and a later line can repeat a
sentence of an earlier one with a one-word edit. Paragraph-level dedup cannot see either: the
paragraphs differ as wholes. This module decides, per document and without any corpus state:

- walking sentences in document order, a sentence of at least ``min_words`` words whose
  normalised text equals a *kept* earlier sentence of the document (or, with ``near_words``
  words or more, whose shingle Jaccard with one is >= threshold) is removed;
- a paragraph whose normalised text equals an earlier paragraph's is left alone: the paragraph
  rule (``exact``) removes it whole and names it properly.

Comparing only with *kept* sentences makes the rule idempotent: the kept sentences of the output
are pairwise non-duplicates, so a second run removes nothing. The analysis is a pure function of
the document, so ``scan`` (which needs each paragraph's text after removal, to hash what the
output will contain) and ``apply`` compute the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from corpuskit.model import Document
from corpuskit.passes import _shingles as sh

# end of sentence: terminal punctuation (+ closing quotes/brackets), then whitespace; or, after a
# lower-case word, directly a capital letter ("attack.A previously", but not "U.S.A")
_BOUNDARY = re.compile(
    r"(?P<a>[.!?]+[\"'”’)\]]*)\s+|(?<=[a-z]{2})(?P<b>[.!?]+[\"'”’)\]]*)(?=[A-Z])")
_LEAD = re.compile(r"\s*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``; whitespace between sentences is outside."""
    spans: list[tuple[int, int]] = []
    m0 = _LEAD.match(text)
    pos = m0.end() if m0 else 0
    for m in _BOUNDARY.finditer(text, pos):
        content_end = m.end("a") if m.group("a") is not None else m.end("b")
        if content_end > pos:
            spans.append((pos, content_end))
        pos = m.end()
    end = len(text.rstrip())
    if end > pos:
        spans.append((pos, end))
    return spans


@dataclass(frozen=True)
class SentenceRemoval:
    """Remove ``text[start:end]`` (document offsets) of paragraph ``paragraph``."""

    paragraph: int
    start: int
    end: int
    kept_paragraph: int
    similarity: float


@dataclass
class DocSentences:
    """Result for one document: spans to remove, per-paragraph text after removal."""

    removals: list[SentenceRemoval] = field(default_factory=list)
    emptied: dict[int, SentenceRemoval] = field(default_factory=dict)
    """Paragraphs every sentence of which is removed (deleted whole; value names one copy)."""
    canonical: dict[int, str] = field(default_factory=dict)
    """Paragraph text after removal, only for paragraphs that lose part of their text."""
    norms: list[str] = field(default_factory=list)
    """Normalised text of every paragraph (before removal), in order."""
    near_pairs: list[tuple[int, int]] = field(default_factory=list)
    """(earlier, later) paragraph indices whose whole texts are near-duplicates (Jaccard >=
    threshold): forced LSH candidates, so no within-document pair depends on LSH luck."""


@dataclass(frozen=True)
class SentenceSettings:
    norm: sh.Normalization
    kind: sh.ShingleKind
    size: int
    threshold: float
    min_words: int
    near_words: int


def analyse(docs: Sequence[Document], st: SentenceSettings) -> list[DocSentences]:
    """The sentence rule for a batch of documents.

    Fast path: a document none of whose word 4-grams occurs twice cannot hold a repeated
    sentence of 4+ words, nor two near-duplicate paragraphs or sentences of ``near_words``+
    words (those share long runs of words), so only the few documents with a repeated 4-gram
    (found with one numpy sort over the batch) go through the sentence-by-sentence analysis.
    Every result carries the normalised text of each paragraph, which ``scan`` reuses.
    """
    ptexts = [p.text for d in docs for p in d.paragraphs]
    pnorms = sh.normalize_batch(ptexts, st.norm)
    counts = [len(d.paragraphs) for d in docs]
    # a repeated sentence of min_words words repeats its word n-grams for n <= min_words
    n = max(1, min(4, st.min_words, st.near_words // 2))
    flagged = _docs_with_repeats(pnorms, counts, n)
    out = [DocSentences() for _ in docs]
    pos = 0
    slow: list[int] = []
    for di, n in enumerate(counts):
        out[di].norms = pnorms[pos : pos + n]
        pos += n
        if di in flagged:
            slow.append(di)
    if slow:
        for di, res in zip(slow, _analyse_slow([docs[i] for i in slow], st), strict=True):
            res.norms = out[di].norms
            out[di] = res
    return out


def _docs_with_repeats(pnorms: list[str], counts: list[int], n: int) -> set[int]:
    """Documents (batch positions) in which some word n-gram occurs twice."""
    if not pnorms:
        return set()
    h, off = sh.shingle_batch(pnorms, "word", n)
    par_doc = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    sh_doc = np.repeat(par_doc, np.diff(off))
    keys = np.sort((sh_doc << np.uint64(32)) | h.astype(np.uint64))
    dup = keys[1:] == keys[:-1]
    return {int(x) for x in np.unique(keys[1:][dup] >> np.uint64(32)).tolist()}


def _analyse_slow(docs: Sequence[Document], st: SentenceSettings) -> list[DocSentences]:
    """The sentence rule, sentence by sentence, for documents that may repeat something."""
    sent_text: list[str] = []
    where: list[tuple[int, int, int, int]] = []  # (doc, paragraph, start, end) doc offsets
    para_norm_src: list[str] = []
    for di, d in enumerate(docs):
        for p in d.paragraphs:
            para_norm_src.append(p.text)
            for s, e in sentence_spans(p.text):
                sent_text.append(p.text[s:e])
                where.append((di, p.index, p.start + s, p.start + e))
    norms = sh.normalize_batch(sent_text, st.norm)
    pnorms = sh.normalize_batch(para_norm_src, st.norm)
    words = [sh.word_count(x) for x in norms]
    shingle_sets = _sets(norms, [i for i, w in enumerate(words) if w >= st.near_words], st)
    par_sets = _sets(pnorms, [i for i, x in enumerate(pnorms)
                              if sh.word_count(x) >= st.near_words], st)
    out: list[DocSentences] = []
    si = 0
    pi = 0
    for d in docs:
        res = DocSentences()
        kept_exact: dict[str, int] = {}  # normalised sentence -> paragraph holding it
        kept_near: list[tuple[frozenset[int], int]] = []
        postings: dict[int, list[int]] = {}
        seen_par: set[str] = set()
        par_list: list[tuple[frozenset[int], int]] = []
        par_post: dict[int, list[int]] = {}
        for p in d.paragraphs:
            pnorm = pnorms[pi]
            pa = par_sets.get(pi)
            pi += 1
            # a paragraph that repeats an earlier one of the document, exactly or nearly, is
            # left whole for the paragraph rules (which name the copy kept corpus-wide)
            skip = pnorm in seen_par and pnorm != ""
            seen_par.add(pnorm)
            if pa is not None and not skip:
                for idx, _sim in _all_near(pa, par_list, par_post, st.threshold):
                    res.near_pairs.append((par_list[idx][1], p.index))
                    skip = True
                idx_p = len(par_list)
                par_list.append((pa, p.index))
                for hsh in pa:
                    par_post.setdefault(hsh, []).append(idx_p)
            spans: list[int] = []
            while si < len(where) and where[si][0] == len(out) and where[si][1] == p.index:
                spans.append(si)
                si += 1
            if skip:
                continue
            removed: list[tuple[int, int, float]] = []  # (sentence idx, kept paragraph, sim)
            for k in spans:
                key = norms[k]
                if words[k] < st.min_words:
                    continue
                hit = kept_exact.get(key)
                if hit is not None:
                    removed.append((k, hit, 1.0))
                    continue
                a = shingle_sets.get(k)
                if a is not None:
                    best = _best_near(a, kept_near, postings, st.threshold)
                    if best is not None:
                        removed.append((k, kept_near[best[0]][1], best[1]))
                        continue
                kept_exact[key] = p.index
                if a is not None:
                    idx = len(kept_near)
                    kept_near.append((a, p.index))
                    for hsh in a:
                        postings.setdefault(hsh, []).append(idx)
            if removed:
                _record(p.index, p.start, p.end, d.text, spans, removed, where, res)
        out.append(res)
    return out


def _sets(texts: list[str], idx: list[int], st: SentenceSettings) -> dict[int, frozenset[int]]:
    out: dict[int, frozenset[int]] = {}
    if idx:
        h, off = sh.shingle_batch([texts[i] for i in idx], st.kind, st.size)
        hl = h.tolist()
        ol = off.tolist()
        for j, i in enumerate(idx):
            out[i] = frozenset(hl[ol[j] : ol[j + 1]])
    return out


def _all_near(
    a: frozenset[int],
    kept: list[tuple[frozenset[int], int]],
    postings: dict[int, list[int]],
    threshold: float,
) -> list[tuple[int, float]]:
    counts: dict[int, int] = {}
    for hsh in a:
        for idx in postings.get(hsh, ()):
            counts[idx] = counts.get(idx, 0) + 1
    need = threshold * len(a)
    out: list[tuple[int, float]] = []
    for idx, c in sorted(counts.items()):
        if c < need:
            continue
        b = kept[idx][0]
        sim = c / (len(a) + len(b) - c)
        if sim >= threshold:
            out.append((idx, sim))
    return out


def _best_near(
    a: frozenset[int],
    kept: list[tuple[frozenset[int], int]],
    postings: dict[int, list[int]],
    threshold: float,
) -> tuple[int, float] | None:
    counts: dict[int, int] = {}
    for hsh in a:
        for idx in postings.get(hsh, ()):
            counts[idx] = counts.get(idx, 0) + 1
    need = threshold * len(a)
    best: tuple[int, float] | None = None
    for idx, c in sorted(counts.items()):
        if c < need:
            continue
        b = kept[idx][0]
        sim = c / (len(a) + len(b) - c)
        if sim >= threshold and (best is None or sim > best[1]):
            best = (idx, sim)
    return best


def _record(
    pidx: int,
    pstart: int,
    pend: int,
    text: str,
    spans: list[int],
    removed: list[tuple[int, int, float]],
    where: list[tuple[int, int, int, int]],
    res: DocSentences,
) -> None:
    gone = {k for k, _, _ in removed}
    if gone.issuperset(spans):
        _k, kept_p, sim = removed[0]
        res.emptied[pidx] = SentenceRemoval(pidx, pstart, pend, kept_p, sim)
        return
    # each removed sentence goes with the whitespace after it; a removed run at the end of the
    # paragraph goes with the whitespace before it, so no trailing space is left
    last_kept = max(j for j, k in enumerate(spans) if k not in gone)
    for k, kept_p, sim in removed:
        j = spans.index(k)
        if j > last_kept:
            start, end = where[spans[j - 1]][3], where[k][3]
        elif j > 0 and where[spans[j - 1]][3] == where[k][2] and where[k][3] != where[
                spans[j + 1]][2]:
            # glued to the previous sentence ("attack.A ...") but not to the next: take the
            # (empty) gap before and keep the space after, so neighbours stay apart
            start, end = where[spans[j - 1]][3], where[k][3]
        else:
            start, end = where[k][2], where[spans[j + 1]][2]
        res.removals.append(SentenceRemoval(pidx, start, end, kept_p, sim))
    res.removals = _coalesce(res.removals)
    # text after removal: apply this paragraph's removals
    own = sorted((r for r in res.removals if r.paragraph == pidx), key=lambda r: r.start)
    parts: list[str] = []
    pos = pstart
    for r in own:
        parts.append(text[pos : r.start])
        pos = r.end
    parts.append(text[pos:pend])
    res.canonical[pidx] = "".join(parts)


def _coalesce(rs: list[SentenceRemoval]) -> list[SentenceRemoval]:
    """Removals of one paragraph that touch or overlap become one span (edits must not overlap);
    the merged span keeps the first removal's kept copy and the lowest similarity."""
    rs = sorted(rs, key=lambda r: (r.paragraph, r.start))
    out: list[SentenceRemoval] = []
    for r in rs:
        if out and out[-1].paragraph == r.paragraph and r.start <= out[-1].end:
            prev = out[-1]
            out[-1] = SentenceRemoval(prev.paragraph, prev.start, max(prev.end, r.end),
                                      prev.kept_paragraph, min(prev.similarity, r.similarity))
        else:
            out.append(r)
    return out
