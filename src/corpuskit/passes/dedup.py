"""The ``dedup`` pass: exact and near-duplicate paragraphs, within and across documents.

A paragraph that repeats an earlier one -- exactly after normalisation, or as a near-duplicate
(verified Jaccard of word-bigram sets >= ``threshold``) -- is removed, and its edit names the
kept copy (document id and paragraph index) and the measured similarity. Inside one document a
sentence that repeats an earlier kept sentence is removed too (``repeated-sentence``), which is
what a news-diff page gluing two versions of a story needs.

How (details in the helper modules):

- ``scan`` (per batch, in workers): sentence rule -> text each paragraph will have; normalise
  the batch in one regex pass; xxh3-128 of every paragraph; word-bigram shingles, MinHash
  signatures (numpy, bit-identical to ``datasketch.MinHash``) and LSH band keys only for
  paragraphs of ``min_words`` or more whose exact text was not signed already in this shard
  (exact duplicates never reach MinHash). State: compact numpy columns
  (:mod:`._dedup_state`, ~36 bytes per paragraph + ~260 per signed 200-byte paragraph).
- ``merge``: links chunks in shard order; past ``memory_limit_mb`` they go to disk.
- ``finalize`` (driver): exact groups, then sorted band keys -> candidate pairs -> every pair
  verified on its shingle sets -> survivors by policy (``first``, ``longest`` or the
  ``corpuskit_dedup_choose_survivor`` hook); optionally loads and updates a persistent index.
- ``apply``: deletes what the plan names; removes repeated sentences.

Shingling (word 2-grams, threshold 0.6) was chosen by measurement on a labeled pair set built
from wiki revisions, plagiarism answers and synthetic light edits: see
benchmarks/RESULTS-dedup.md.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pluggy
import xxhash
from pydantic import Field, model_validator

from corpuskit.hookspecs import hookspec
from corpuskit.model import Document, Paragraph
from corpuskit.pass_api import Pass, PassContext, PassOptions
from corpuskit.passes import _dedup_index as dindex
from corpuskit.passes import _minhash as mh
from corpuskit.passes import _shingles as sh
from corpuskit.passes._dedup_plan import Plan, PlanEntry, PlanSettings, build_table, decide
from corpuskit.passes._dedup_sentences import (
    DocSentences,
    SentenceSettings,
    Survivors,
    analyse,
)
from corpuskit.passes._dedup_state import (
    Chunk,
    DedupState,
    default_spill_parent,
    empty_chunk,
    merge_states,
)
from corpuskit.plugin_api import hookimpl
from corpuskit.registry import PassRegistrar
from corpuskit.segment import split_paragraphs

__all__ = [
    "DedupHookSpecs",
    "DedupOptions",
    "DedupPass",
    "corpuskit_addhooks",
    "corpuskit_register_passes",
]


class DedupOptions(PassOptions):
    """Options of the ``dedup`` pass (``[passes.dedup]``)."""

    threshold: float = Field(
        0.6, gt=0.0, le=1.0,
        description="Jaccard similarity of shingle sets at or above which two paragraphs are "
        "near-duplicates (verified exactly on every candidate pair).")
    num_perm: int = Field(128, ge=8, le=1024, description="MinHash permutations.")
    seed: int = Field(1, ge=0, description="MinHash seed (datasketch-compatible).")
    shingle: Literal["word", "char"] = Field(
        "word", description="Shingle kind: word n-grams or character n-grams.")
    shingle_size: int = Field(2, ge=1, le=sh.MAX_SHINGLE_SIZE, description="n of the n-grams.")
    lowercase: bool = Field(True, description="Ignore case when comparing.")
    digits: bool = Field(False, description="Treat every digit as 0 when comparing.")
    punctuation: bool = Field(True, description="Ignore punctuation when comparing.")
    whitespace: bool = Field(True, description="Ignore whitespace differences when comparing.")
    scope: Literal["corpus", "document"] = Field(
        "corpus", description="Find duplicates across the whole corpus or only inside each "
        "document.")
    min_words: int = Field(
        8, ge=1, description="Paragraphs (and sentences) shorter than this many words are "
        "removed only when exactly repeated.")
    sentences: bool = Field(
        True, description="Remove a sentence that repeats an earlier sentence of the same "
        "document (rule repeated-sentence).")
    sentence_min_words: int = Field(
        5, ge=1, description="Shortest sentence the repeated-sentence rule removes when it is "
        "repeated exactly.")
    keep: Literal["first", "longest"] = Field(
        "first", description="Which copy survives: the first in corpus order, or the longest. "
        "A plugin implementing corpuskit_dedup_choose_survivor overrides this.")
    lsh_bands: int | None = Field(
        None, ge=1, description="LSH bands (default: tuned for recall at the threshold).")
    lsh_rows: int | None = Field(None, ge=1, description="LSH rows per band.")
    index: str | None = Field(
        None, description="Directory of a persistent dedup index: paragraphs kept by earlier "
        "runs win over this run's copies, and this run's kept paragraphs are added to it.")
    index_update: bool = Field(True, description="Write this run's kept paragraphs to the index.")
    memory_limit_mb: float | None = Field(
        None, ge=0, description="Dedup state kept in RAM before spilling to disk "
        "(default: a quarter of RAM; 0: never spill).")
    spill_dir: str | None = Field(None, description="Where spilled state goes (default: TMPDIR).")

    @model_validator(mode="after")
    def _bands_fit(self) -> DedupOptions:
        if (self.lsh_bands is None) != (self.lsh_rows is None):
            raise ValueError("set both lsh_bands and lsh_rows, or neither")
        if self.lsh_bands is not None and self.lsh_rows is not None and (
                self.lsh_bands * self.lsh_rows > self.num_perm):
            raise ValueError("lsh_bands * lsh_rows must not exceed num_perm")
        return self


class DedupHookSpecs:
    """Hookspecs published by the dedup pass (added through ``corpuskit_addhooks``)."""

    @hookspec(firstresult=True)
    def corpuskit_dedup_choose_survivor(self, cluster: list[dict[str, Any]]) -> int | None:
        """Pick the copy to keep among duplicates: return an index into ``cluster`` or None.

        Each item has ``doc_id``, ``paragraph``, ``ordinal`` ([shard, position]), ``length``
        (characters) and ``words``, in corpus order. Called in the driver for every group of
        exact duplicates and every near-duplicate cluster (unless a persistent index holds a
        copy: old copies always win). Must be deterministic.
        """


@hookimpl
def corpuskit_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    if not hasattr(pluginmanager.hook, "corpuskit_dedup_choose_survivor"):
        pluginmanager.add_hookspecs(DedupHookSpecs)


def _physical_ram() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 8 << 30


_CACHE_MAX = 1 << 21


class DedupPass(Pass):
    """Remove repeated and near-duplicate paragraphs, naming the copy kept."""

    name = "dedup"
    summary = "remove exact and near-duplicate paragraphs (MinHash LSH, verified) and repeated " \
              "sentences, naming the kept copy"
    version = "1"
    Options = DedupOptions
    default_enabled = True
    default_order = 400
    corpus_scope = True

    def __init__(self, options: PassOptions | None = None,
                 hook: pluggy.HookRelay | None = None) -> None:
        super().__init__(options, hook)
        o = self.opts
        self.norm = sh.Normalization(o.lowercase, o.digits, o.punctuation, o.whitespace)
        if o.lsh_bands is not None and o.lsh_rows is not None:
            self.bands, self.rows = o.lsh_bands, o.lsh_rows
        else:
            # favour recall: tuned for a threshold 0.1 lower, false negatives weighted 4:1
            self.bands, self.rows = mh.optimal_params(max(0.05, o.threshold - 0.1), o.num_perm,
                                                      0.2, 0.8)
        self.sentence_settings = SentenceSettings(
            self.norm, o.shingle, o.shingle_size, o.threshold, o.sentence_min_words,
            o.min_words)
        self._signed: set[int] = set()
        """xxh3 of texts already signed by this instance since its last merge (exact repeats
        skip MinHash); cleared by merge so it never outlives one shard's scan."""

    @property
    def opts(self) -> DedupOptions:
        assert isinstance(self.options, DedupOptions)
        return self.options

    def params(self) -> dict[str, Any]:
        """Everything that changes signatures, band keys or the meaning of a match."""
        o = self.opts
        return {
            "scheme": mh.SCHEME, "num_perm": o.num_perm, "seed": o.seed, "bands": self.bands,
            "rows": self.rows, "shingle": o.shingle, "shingle_size": o.shingle_size,
            "normalization": self.norm.key(), "min_words": o.min_words,
            "hash": "xxh3_128", "sentences": o.sentences,
        }

    def memory_limit_bytes(self) -> int:
        mb = self.opts.memory_limit_mb
        if mb is None:
            return _physical_ram() // 4
        return int(mb * (1 << 20))

    # -- scan ---------------------------------------------------------------------------------
    def _sentences(self, docs: Sequence[Document]) -> list[DocSentences]:
        if not self.opts.sentences:
            return [DocSentences() for _ in docs]  # no norms: scan normalises itself
        return analyse(docs, self.sentence_settings)

    def scan(self, docs: Sequence[Document]) -> DedupState:
        o = self.opts
        texts: list[str] = []
        doc_col: list[int] = []
        para_col: list[int] = []
        doc_keys: list[int] = []
        doc_ids: list[str] = []
        forced: list[tuple[int, int]] = []  # rows in `texts`
        norms: list[str] = []
        renorm: list[int] = []  # rows whose text the sentence rule changed
        for d, an in zip(docs, self._sentences(docs), strict=True):
            key = (d.ordinal[0] << 32) | d.ordinal[1]
            doc_keys.append(key)
            doc_ids.append(d.id)
            row_of: dict[int, int] = {}
            for p in d.paragraphs:
                if p.index in an.emptied:
                    continue
                row_of[p.index] = len(texts)
                changed = an.canonical.get(p.index)
                if changed is not None or not an.norms:
                    renorm.append(len(texts))
                    norms.append("")
                else:
                    norms.append(an.norms[p.index])
                texts.append(p.text if changed is None else changed)
                doc_col.append(key)
                para_col.append(p.index)
            forced.extend((row_of[a], row_of[b]) for a, b in an.near_pairs
                          if a in row_of and b in row_of)
        for i, t in zip(renorm, sh.normalize_batch([texts[i] for i in renorm], self.norm),
                        strict=True):
            norms[i] = t
        keep = [i for i, t in enumerate(norms) if t]
        if not keep:
            c = empty_chunk(self.bands)
            return DedupState([c])
        hi = np.empty(len(keep), np.uint64)
        lo = np.empty(len(keep), np.uint64)
        words = np.empty(len(keep), np.uint32)
        near_local: list[int] = []
        document_scope = o.scope == "document"
        seen_batch: set[tuple[int, int]] = set()
        signed = self._signed
        if len(signed) > _CACHE_MAX:
            signed.clear()
        for j, i in enumerate(keep):
            t = norms[i]
            h = xxhash.xxh3_128_intdigest(t.encode("utf-8", "surrogatepass"))
            hh, ll = h >> 64, h & 0xFFFFFFFFFFFFFFFF
            hi[j] = hh
            lo[j] = ll
            w = t.count(" ") + 1
            words[j] = w
            if w < o.min_words:
                continue
            if document_scope:
                k2 = (doc_col[i], hh)
                if k2 in seen_batch:
                    continue
                seen_batch.add(k2)
            else:
                if hh in signed:
                    continue
                signed.add(hh)
            near_local.append(j)
        near_texts = [norms[keep[j]] for j in near_local]
        hashes, offsets = sh.shingle_batch(near_texts, o.shingle, o.shingle_size)
        sig = mh.signatures(hashes, offsets, o.num_perm, o.seed)
        bands = mh.band_keys(sig, self.bands, self.rows)
        sh_val, sh_off = _unique_segments(hashes, offsets)
        kept_idx = np.array(keep, dtype=np.int64)
        local = np.full(len(texts), -1, dtype=np.int64)
        local[kept_idx] = np.arange(len(keep))
        pairs = np.array([(local[a], local[b]) for a, b in forced
                          if local[a] >= 0 and local[b] >= 0], dtype=np.int32).reshape(-1, 2)
        chunk = Chunk(
            doc=np.array(doc_col, dtype=np.uint64)[kept_idx],
            para=np.array(para_col, dtype=np.uint32)[kept_idx],
            hi=hi, lo=lo,
            length=np.fromiter((len(texts[i]) for i in keep), np.uint32, len(keep)),
            words=words,
            near_row=np.array(near_local, dtype=np.int32),
            bands=np.ascontiguousarray(bands.T),
            sh_off=sh_off, sh_val=sh_val, pairs=pairs,
            doc_keys=doc_keys, doc_ids=doc_ids,
        )
        return DedupState([chunk])

    def merge(self, states: Sequence[Any]) -> DedupState:
        self._signed = set()
        limit = self.memory_limit_bytes()
        return merge_states(list(states), limit, self.opts.spill_dir or default_spill_parent())

    # -- finalize -----------------------------------------------------------------------------
    def finalize(self, state: Any) -> Plan:
        o = self.opts
        if not isinstance(state, DedupState):
            state = self.merge([])
        settings = PlanSettings(o.threshold, o.scope, o.keep, self.bands,
                                self.memory_limit_bytes() if o.memory_limit_mb != 0 else 0)
        params = self.params()
        digest = build_table(None, state).digest
        old = None
        index_path = Path(o.index) if o.index else None
        if index_path is not None:
            old = dindex.load(index_path, params, digest)
        table = build_table(old, state)
        plan, _counts, decider = decide(table, settings, self._chooser())
        if index_path is not None and o.index_update:
            dindex.save(index_path, params, table, decider, digest, self.bands)
        return plan

    def _chooser(self) -> Any:
        caller = getattr(self.hook, "corpuskit_dedup_choose_survivor", None) if self.hook else None
        if caller is None or not caller.get_hookimpls():
            return None

        def choose(cluster: list[dict[str, Any]]) -> int | None:
            out = caller(cluster=cluster)
            return None if out is None else int(out)

        return choose

    # -- apply --------------------------------------------------------------------------------
    def apply(self, doc: Document, ctx: PassContext) -> None:
        self.apply_batch([doc], [ctx])

    def apply_batch(self, docs: Sequence[Document], ctxs: Sequence[PassContext]) -> None:
        analyses = self._sentences(docs)
        plans = [(ctx.plan or {}).get((d.ordinal[0], d.ordinal[1]), {})
                 for d, ctx in zip(docs, ctxs, strict=True)]
        self._reanalyse_kept_repeats(docs, plans, analyses)
        for d, ctx, an, entries in zip(docs, ctxs, analyses, plans, strict=True):
            for p in d.paragraphs:
                e = entries.get(p.index)
                if e is not None:
                    rule, kept_doc, kept_par, sim = e
                    what = "exact repeat" if rule == "exact" else \
                        f"near-duplicate (Jaccard {sim:.2f})"
                    ctx.delete_paragraph(
                        p, rule=rule,
                        reason=f"{what} of paragraph {kept_par} of {kept_doc!r}, which is kept",
                        kept={"doc_id": kept_doc, "paragraph": kept_par}, similarity=sim)
                    ctx.count(f"{rule}_paragraphs")
                    continue
                em = an.emptied.get(p.index)
                if em is not None:
                    ctx.delete_paragraph(
                        p, rule="repeated-sentence",
                        reason=f"every sentence repeats one kept in paragraph "
                               f"{em.kept_paragraph} of this document",
                        kept={"doc_id": d.id, "paragraph": em.kept_paragraph},
                        similarity=round(em.similarity, 4))
                    ctx.count("repeated_sentence_paragraphs")
            for r in an.removals:
                if r.paragraph in entries:
                    continue
                ctx.replace(
                    r.start, r.end, "", rule="repeated-sentence",
                    reason=f"sentence repeats one kept in paragraph {r.kept_paragraph} of this "
                           "document",
                    kept={"doc_id": d.id, "paragraph": r.kept_paragraph},
                    similarity=round(r.similarity, 4))
                ctx.count("repeated_sentences")
            if d.segmentation == "auto" and (entries or an.emptied or an.removals):
                _keep_lines_apart(d, ctx, entries, an)

    def _reanalyse_kept_repeats(self, docs: Sequence[Document],
                                plans: Sequence[dict[int, PlanEntry]],
                                analyses: list[DocSentences]) -> None:
        """Run the sentence rule again over the repeat paragraphs the plan keeps.

        The rule leaves a paragraph that repeats an earlier one of its document (exactly, or as
        a near pair) whole, for the paragraph rules. Those usually delete it; but when the copy
        it is near was itself removed as a copy of a third paragraph that it is *not* near,
        it survives, and a second run -- where the copy is gone -- would cut its repeated
        sentences. They are cut now instead, judged as the second run judges them: against
        sentences of paragraphs the plan keeps (:class:`Survivors`). Not when a paragraph of
        this document is deleted naming it as the kept copy (``keep = "longest"``).
        """
        if not self.opts.sentences:
            return
        redo: list[int] = []
        limits: list[Survivors] = []
        for i, (an, entries) in enumerate(zip(analyses, plans, strict=True)):
            if not an.skipped:
                continue
            doc_id = docs[i].id
            named = {kp for _r, kd, kp, _s in entries.values() if kd == doc_id}
            kept = {p for p in an.skipped if p not in entries and p not in named}
            if kept:
                redo.append(i)
                limits.append(Survivors(frozenset(kept), frozenset(entries)))
        if not redo:
            return
        again = analyse([docs[i] for i in redo], self.sentence_settings, limits)
        for i, res in zip(redo, again, strict=True):
            analyses[i] = res


def _keep_lines_apart(doc: Document, ctx: PassContext, entries: dict[int, PlanEntry],
                      an: DocSentences) -> None:
    """Keep the paragraphs of the output the ones the pass judged.

    A blank-line block that does not look hard-wrapped is read line by line. Removing some of
    its lines (or shortening them) can leave lines that *do* look hard-wrapped, and the next
    run would read them as one paragraph: a new text, judged again (a near-duplicate of the
    unwrapped copy of the same words, say). Where that would happen a blank line is inserted
    (rule ``keep-apart``, the document's own line break), splitting the block only where
    needed, so that each line kept stays a paragraph of its own.
    """
    removed = set(entries) | set(an.emptied)
    paras = doc.paragraphs
    kept = [p for p in paras if p.index not in removed]
    if len(kept) < 2:
        return
    text = doc.text
    edits = ctx.edits()
    e_start = [e.start for e in edits]
    shortened = {r.paragraph for r in an.removals}
    # runs of kept paragraphs that the output separates by one line break only
    runs: list[list[Paragraph]] = []
    for a, b in itertools.pairwise(kept):
        lo = bisect.bisect_left(e_start, a.end)
        hi = bisect.bisect_right(e_start, b.start)
        pos = a.end
        gap: list[str] = []
        for e in edits[lo:hi]:
            if e.end > b.start:
                break
            gap.append(text[pos : e.start])
            gap.append(e.after)
            pos = e.end
        gap.append(text[pos : b.start])
        if _line_breaks("".join(gap)) != 1:
            continue
        if runs and runs[-1][-1] is a:
            runs[-1].append(b)
        else:
            runs.append([a, b])
    n = len(paras)
    for run in runs:
        first, last = run[0].index, run[-1].index
        unchanged = (
            last - first + 1 == len(run)
            and not any(p.index in shortened for p in run)
            and (first == 0 or _line_breaks(text[paras[first - 1].end : run[0].start]) > 1)
            and (last == n - 1 or _line_breaks(text[run[-1].end : paras[last + 1].start]) > 1)
        )
        if unchanged:
            continue  # the same block as in the input, which read line by line
        texts = [an.canonical.get(p.index, p.text) for p in run]
        if any("\n" in t or "\r" in t for t in texts):
            continue
        if len(split_paragraphs("\n".join(texts), "auto")) == len(texts):
            continue
        block = [texts[0]]
        for p, t in zip(run[1:], texts[1:], strict=True):
            if len(split_paragraphs("\n".join([*block, t]), "auto")) == len(block) + 1:
                block.append(t)
                continue
            brk = "\r\n" if text[max(0, p.start - 2) : p.start] == "\r\n" else \
                text[p.start - 1]
            ctx.replace(p.start, p.start, brk, rule="keep-apart",
                        reason="blank line inserted so that the lines left around this one by "
                               "removals stay paragraphs of their own (joined, they would read "
                               "as one hard-wrapped paragraph)")
            ctx.count("kept_apart_lines")
            block = [t]


def _line_breaks(gap: str) -> int:
    return gap.count("\n") + gap.count("\r") - gap.count("\r\n")


def _unique_segments(vals: Any, offsets: Any) -> tuple[Any, Any]:
    """Per-segment sorted unique values of a CSR array (the shingle *sets*)."""
    n = len(offsets) - 1
    if len(vals) == 0:
        return np.zeros(0, np.uint32), np.zeros(n + 1, np.int64)
    seg = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    order = np.lexsort((vals, seg))
    v = vals[order]
    s = seg[order]
    keep = np.ones(len(v), dtype=bool)
    keep[1:] = (v[1:] != v[:-1]) | (s[1:] != s[:-1])
    counts = np.bincount(s[keep], minlength=n)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return v[keep].astype(np.uint32), off


@hookimpl
def corpuskit_register_passes(register: PassRegistrar) -> None:
    register(DedupPass)
