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
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np

from corpuskit.model import Document
from corpuskit.passes import _dedup_join as jn
from corpuskit.passes import _shingles as sh
from corpuskit.segment import split_paragraphs

# end of sentence: terminal punctuation (+ closing quotes/brackets), then whitespace; or, after a
# lower-case word, directly a capital letter ("attack.A previously", but not "U.S.A")
_BOUNDARY = re.compile(
    r"(?P<a>[.!?]+[\"'”’)\]]*)\s+|(?<=[a-z]{2})(?P<b>[.!?]+[\"'”’)\]]*)(?=[A-Z])")
_LEAD = re.compile(r"\s*")
# the same boundaries, written so that every match starts with the class [.!?] (the regex engine
# then jumps between candidate characters instead of trying a look-behind at every position,
# ~6x faster): B's look-behind moves after the first punctuation mark and checks it too
_BOUNDARY_FAST = re.compile(
    r"(?P<x>[.!?])(?:(?P<a>[.!?]*[\"'”’)\]]*)\s+"
    r"|(?<=[a-z]{2}[.!?])(?P<b>[.!?]*[\"'”’)\]]*)(?=[A-Z]))")


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
    skipped: set[int] = field(default_factory=set)
    """Paragraphs left whole for the paragraph rules (they repeat an earlier paragraph, exactly
    or nearly): ``apply`` analyses those the plan keeps after all (see ``DedupPass``)."""


@dataclass(frozen=True)
class SentenceSettings:
    norm: sh.Normalization
    kind: sh.ShingleKind
    size: int
    threshold: float
    min_words: int
    near_words: int


Unskip = Sequence[AbstractSet[int]]
"""Per document: paragraph indices the rule must analyse although they repeat an earlier
paragraph (see :func:`_settle`)."""


@dataclass(frozen=True)
class Survivors:
    """What the paragraph rules decided for one document, for a second look (``apply``).

    ``kept``: repeat paragraphs the rule left whole that the plan keeps after all; they are
    analysed now, and -- as a second run would, where ``gone`` is no longer there -- only
    against sentences of paragraphs not in ``gone`` (the paragraphs the plan deletes). Every
    other paragraph is judged as before, so its text is the one ``scan`` hashed.
    """

    kept: frozenset[int] = frozenset()
    gone: frozenset[int] = frozenset()


Limits = Sequence[Survivors]
_NO_LIMITS = Survivors()


def analyse(docs: Sequence[Document], st: SentenceSettings,
            survivors: Limits | None = None) -> list[DocSentences]:
    """The sentence rule for a batch of documents; equal to :func:`analyse_reference`.

    ``survivors`` (per document, optional): the paragraph rules' decisions (:class:`Survivors`).
    """
    return _settle(docs, st, _analyse_batched, survivors)


def analyse_reference(docs: Sequence[Document], st: SentenceSettings,
                      survivors: Limits | None = None) -> list[DocSentences]:
    """The sentence rule, sentence by sentence: the specification :func:`analyse` must equal
    (kept as the reference the tests compare with; too slow for real prose)."""
    return _settle(docs, st, _analyse_walk, survivors)


def _settle(
    docs: Sequence[Document],
    st: SentenceSettings,
    run: Callable[[Sequence[Document], SentenceSettings, Unskip, Limits], list[DocSentences]],
    survivors: Limits | None = None,
) -> list[DocSentences]:
    """Run the rule until no repeat paragraph is left behind by the copy it repeats.

    A paragraph that repeats an earlier one (exactly, or as a near pair) is left whole for the
    paragraph rules. But when that earlier copy loses sentences here (they repeat something
    before it), the paragraph rules no longer see the two as copies, and the repeat would
    survive with sentences the document already holds: a second ``clean`` would remove them.
    Such repeats are analysed too (their sentences then match what the earlier copy matched),
    and again until nothing more changes. Documents are independent, so only the affected
    ones are re-run; the sets only grow, so this ends.
    """
    limits: Limits = survivors if survivors is not None else [_NO_LIMITS] * len(docs)
    unskip: list[set[int]] = [set(lim.kept) for lim in limits]
    out = run(docs, st, unskip, limits)
    todo = list(range(len(docs)))
    while True:
        grown = [i for i in todo if _left_behind(docs[i], out[i], unskip[i])]
        if not grown:
            return out
        again = run([docs[i] for i in grown], st, [unskip[i] for i in grown],
                    [limits[i] for i in grown])
        for i, res in zip(grown, again, strict=True):
            out[i] = res
        todo = grown


def _left_behind(doc: Document, res: DocSentences, unskip: set[int]) -> bool:
    """Add to ``unskip`` the repeats whose earlier copy loses text; True if any was added."""
    changed = set(res.emptied) | set(res.canonical)
    if not changed:
        return False
    before = len(unskip)
    first: dict[str, int] = {}
    for p, norm in zip(doc.paragraphs, res.norms, strict=True):
        if not norm:
            continue
        a = first.setdefault(norm, p.index)
        if a != p.index and a in changed:
            unskip.add(p.index)
    for a, b in res.near_pairs:
        if a in changed:
            unskip.add(b)
    return len(unskip) > before


def _analyse_batched(
    docs: Sequence[Document], st: SentenceSettings, unskip: Unskip, limits: Limits
) -> list[DocSentences]:
    """The sentence rule for a batch of documents, batched; equal to :func:`_analyse_walk`.

    The reference walks every sentence against an inverted index of the kept ones, in Python.
    But a sentence can only be removed, or a paragraph paired, if the document holds a
    *partner* for it: another sentence with the same normalised text (both of
    ``min_words``+ words), or another sentence or paragraph whose shingle Jaccard reaches the
    threshold. Those partners are found for the whole batch at once (a dictionary of sentence
    texts; an exact numpy similarity join, :mod:`._dedup_join`), and the reference's walk --
    which sentence is kept, which copy a removed one names -- is then replayed only over the
    sentences that have a partner, in document order. A sentence without one is kept by the
    reference and matches nothing later, so leaving it out changes nothing. Paragraph pairs
    need no walk at all: the reference compares every paragraph with every earlier one that is
    not an exact repeat.
    """
    counts = [len(d.paragraphs) for d in docs]
    pnorms = sh.normalize_batch([p.text for d in docs for p in d.paragraphs], st.norm)
    out = [DocSentences() for _ in docs]
    # 1. paragraphs: exact repeats of an earlier paragraph, near pairs (verified, exact test)
    p_items: list[int] = []  # global paragraph rows with a shingle set, not exact repeats
    p_group: list[int] = []
    exact_rep: set[int] = set()
    pos = 0
    for di, n in enumerate(counts):
        out[di].norms = pnorms[pos : pos + n]
        seen: set[str] = set()
        for g in range(pos, pos + n):
            t = pnorms[g]
            if t and t in seen:
                exact_rep.add(g)
                continue
            seen.add(t)
            if sh.word_count(t) >= st.near_words:
                p_items.append(g)
                p_group.append(di)
        pos += n
    par_of: list[tuple[int, int]] = [(di, pi) for di, n in enumerate(counts) for pi in range(n)]
    skip = set(exact_rep)
    if len(p_items) > 1:
        h, off = sh.shingle_batch([pnorms[g] for g in p_items], st.kind, st.size)
        li, ri, _sim = jn.similar_pairs(h, off, np.array(p_group, np.int64), st.threshold)
        for a, b in zip(li.tolist(), ri.tolist(), strict=True):
            ga, gb = p_items[a], p_items[b]
            di, pa = par_of[ga]
            pb = par_of[gb][1]
            d = docs[di]
            out[di].near_pairs.append((d.paragraphs[pa].index, d.paragraphs[pb].index))
            skip.add(gb)
    # 2. sentences of the paragraphs the rule looks at
    pos = 0
    for di, n in enumerate(counts):
        if unskip[di]:
            paras = docs[di].paragraphs
            skip.difference_update(g for g in range(pos, pos + n)
                                   if paras[g - pos].index in unskip[di])
        pos += n
    for g in skip:
        di, pi = par_of[g]
        out[di].skipped.add(docs[di].paragraphs[pi].index)
    rows = [g for g in range(len(pnorms)) if g not in skip]
    ptexts = [docs[par_of[g][0]].paragraphs[par_of[g][1]].text for g in rows]
    sent_text: list[str] = []
    sent_row: list[int] = []  # global paragraph row of each sentence
    first_sent: dict[int, int] = {}
    for g, parts in zip(rows, sentence_texts(ptexts), strict=True):
        first_sent[g] = len(sent_text)
        sent_text.extend(parts)
        sent_row.extend([g] * len(parts))
    if not sent_text:
        return out
    norms = sh.normalize_batch(sent_text, st.norm)
    words = [x.count(" ") + 1 if x else 0 for x in norms]
    min_w = st.min_words
    near_w = max(st.min_words, st.near_words)
    # 3. partners: equal normalised text, or a verified near pair
    first_of: dict[tuple[int, str], int] = {}
    involved: set[int] = set()
    near_items: list[int] = []
    for k, w in enumerate(words):
        if w < min_w:
            continue
        j = first_of.setdefault((par_of[sent_row[k]][0], norms[k]), k)
        if j != k:
            involved.add(j)
            involved.add(k)
        elif w >= near_w:
            near_items.append(k)
    # Near pairs are joined between first occurrences only: a sentence repeated n times would
    # otherwise pair with itself n^2 times. The walk keeps a text at most once, at its first
    # occurrence (a later copy hits the exact rule or, if the first was removed, is removed
    # too), so the partners a copy can be removed against are the first occurrences of the
    # texts near it, in either role of the pair, that come before the copy.
    rep_partners: dict[int, list[tuple[int, float]]] = {}
    if len(near_items) > 1:
        h, off = sh.shingle_batch([norms[k] for k in near_items], st.kind, st.size)
        grp = np.array([par_of[sent_row[k]][0] for k in near_items], np.int64)
        li, ri, sim, fwd, rev = jn.similar_pairs_either(h, off, grp, st.threshold)
        for x, y, v, f, r in zip(li.tolist(), ri.tolist(), sim.tolist(), fwd.tolist(),
                                 rev.tolist(), strict=True):
            ka, kb = near_items[x], near_items[y]
            involved.add(ka)
            involved.add(kb)
            if f:
                rep_partners.setdefault(kb, []).append((ka, v))
            if r:  # later copies of ka against kb
                rep_partners.setdefault(ka, []).append((kb, v))

    def partners(k: int) -> list[tuple[int, float]]:
        rep = first_of[(par_of[sent_row[k]][0], norms[k])]
        return sorted((ka, v) for ka, v in rep_partners.get(rep, ()) if ka < k)
    if not involved:
        return out
    # 4. the reference's walk, over the sentences with a partner, in document order
    by_doc: dict[int, list[int]] = {}
    for k in sorted(involved):
        by_doc.setdefault(par_of[sent_row[k]][0], []).append(k)
    for di, ks in by_doc.items():
        d = docs[di]
        kept_exact: dict[str, int] = {}  # normalised sentence -> paragraph holding it
        kept_near: dict[int, int] = {}  # kept sentence with a shingle set -> its paragraph
        # kept sentences by text: one each, but for a paragraph judged without the plan's
        # deleted ones (Survivors), a copy of a text kept only in such a paragraph is kept too
        kept_copies: dict[str, list[int]] = {}
        removed: dict[int, list[tuple[int, int, float]]] = {}  # paragraph row -> removals
        lim = limits[di]
        for k in ks:
            g = sent_row[k]
            pindex = d.paragraphs[par_of[g][1]].index
            gone = lim.gone if pindex in lim.kept else frozenset()
            hit = kept_exact.get(norms[k])
            if hit is not None and hit not in gone:
                removed.setdefault(g, []).append((k - first_sent[g], hit, 1.0))
                continue
            if words[k] >= near_w:
                best: tuple[int, float] | None = None
                cands = sorted((kc, v) for ka, v in partners(k)
                               for kc in kept_copies.get(norms[ka], ())
                               if kept_near[kc] not in gone)
                for kc, v in cands:
                    if best is None or v > best[1]:
                        best = (kc, v)
                if best is not None:
                    removed.setdefault(g, []).append(
                        (k - first_sent[g], kept_near[best[0]], best[1]))
                    continue
                kept_near[k] = pindex
                kept_copies.setdefault(norms[k], []).append(k)
            kept_exact[norms[k]] = pindex
        for g in sorted(removed):
            p = d.paragraphs[par_of[g][1]]
            where = [(di, p.index, p.start + s0, p.start + e0)
                     for s0, e0 in sentence_spans(p.text)]
            _record(p.index, p.start, p.end, d.text, list(range(len(where))), removed[g],
                    where, out[di], d.segmentation)
    return out


_MARK = "\x01"
_MARK_SUB = "\\g<x>\\g<a>\\g<b>" + _MARK


def sentence_texts(texts: Sequence[str]) -> list[list[str]]:
    """``[text[s:e] for s, e in sentence_spans(text)]`` for many texts, with one regex
    substitution over their concatenation (a template, so no Python call per sentence).

    Each boundary match becomes its content (``x`` and group ``a`` or ``b``; the other is
    empty) plus a mark; text before the first sentence is whitespace (``lstrip``), after the
    last the rest (``rstrip``, dropped when empty). Matches cannot cross the NUL separator
    (not whitespace, not a capital, not a lower-case letter). Texts holding NUL or the mark
    go one by one.
    """
    joined = "\x00".join(texts)
    if _MARK in joined or joined.count("\x00") != len(texts) - 1:
        return [[t[s:e] for s, e in sentence_spans(t)] for t in texts]
    out: list[list[str]] = []
    for para in _BOUNDARY_FAST.sub(_MARK_SUB, joined).split("\x00"):
        parts = para.split(_MARK)
        parts[0] = parts[0].lstrip()
        parts[-1] = parts[-1].rstrip()
        if not parts[-1]:
            parts.pop()
        out.append(parts)
    return out


def _analyse_walk(
    docs: Sequence[Document], st: SentenceSettings, unskip: Unskip, limits: Limits
) -> list[DocSentences]:
    """The sentence rule, sentence by sentence, skipping repeat paragraphs not in ``unskip``."""
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
        res = DocSentences(norms=pnorms[pi : pi + len(d.paragraphs)])
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
            if skip and p.index not in unskip[len(out)]:
                res.skipped.add(p.index)
                continue
            removed: list[tuple[int, int, float]] = []  # (sentence idx, kept paragraph, sim)
            lim = limits[len(out)]
            gone = lim.gone if p.index in lim.kept else frozenset()
            for k in spans:
                key = norms[k]
                if words[k] < st.min_words:
                    continue
                hit = kept_exact.get(key)
                if hit is not None and hit not in gone:
                    removed.append((k, hit, 1.0))
                    continue
                a = shingle_sets.get(k)
                if a is not None:
                    best = _best_near(a, kept_near, postings, st.threshold, gone)
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
                _record(p.index, p.start, p.end, d.text, spans, removed, where, res,
                        d.segmentation)
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
    gone: AbstractSet[int] = frozenset(),
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
        b, para = kept[idx]
        if para in gone:
            continue
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
    mode: str = "auto",
) -> None:
    gone = {k for k, _, _ in removed}
    if gone.issuperset(spans):
        _k, kept_p, sim = removed[0]
        res.emptied[pidx] = SentenceRemoval(pidx, pstart, pend, kept_p, sim)
        return
    # each removed sentence goes with the whitespace after it; a removed run at the end of the
    # paragraph goes with the whitespace before it, so no trailing space is left
    last_kept = max(j for j, k in enumerate(spans) if k not in gone)
    mine: list[SentenceRemoval] = []
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
        mine.append(SentenceRemoval(pidx, start, end, kept_p, sim))
    own = _coalesce(mine)
    # text after removal: apply this paragraph's removals
    parts: list[str] = []
    pos = pstart
    for r in own:
        parts.append(text[pos : r.start])
        pos = r.end
    parts.append(text[pos:pend])
    after = "".join(parts)
    if mode == "auto" and _breaks_block(text[pstart:pend], after):
        return
    res.removals.extend(own)
    res.canonical[pidx] = after


def _breaks_block(before: str, after: str) -> bool:
    """True when a paragraph of several lines (a hard-wrapped block) would no longer read as
    one paragraph after the removals.

    Cutting a sentence out of a wrapped block changes its line lengths; the block may then stop
    looking hard-wrapped and fall apart into its lines (``split_paragraphs``), which the next
    run would judge one by one ("Oktober 2023" left on a line of its own is an exact repeat of
    some other page's line). Such a paragraph is left whole: the next run sees the same block
    and leaves it again, so the decision is stable.
    """
    if "\n" not in before and "\r" not in before:
        return False
    return len(split_paragraphs(after, "auto")) != 1


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
