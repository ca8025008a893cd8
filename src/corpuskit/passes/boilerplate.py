"""The ``boilerplate`` pass: remove site chrome, by rule and by corpus frequency.

Two kinds of evidence, one pass (their edits must not overlap, so one pass decides per line):

* **Rules** (``rules/boilerplate.toml`` plus user files and plugin rules): whole-line patterns
  for share/subscribe/cookie/read-more/ad/navigation/credit/comment lines in several languages,
  folded into one regex that runs over the whole text, since most lines match nothing.
* **Frequency** (``corpus_scope``): a line whose *template* (lower-cased, with URLs, quoted
  strings, capitalised words after the first (names, and so dates' month names), and numbers
  replaced by placeholders) occurs in at least
  ``min_docs`` documents (and ``min_fraction`` of them) is a chrome candidate. Every copy that
  passes the context test goes, not all but one: chrome is not content that happens to be
  duplicated (the dedup pass keeps one copy; cc_net-style chrome removal keeps none).

Why a context test (jusText's idea, for plain text): body text recurs too. A quote repeated in
many articles sits between content lines; a wire story reprinted by ten sites recurs together
with the *same* surrounding text. So a candidate is removed only when

1. it recurs in *different* documents, not copies of one text: each scanned document has a
   signature (the smallest hash of its long lines) and a template needs at least
   ``min_contexts`` of its documents to carry distinct signatures (counted with a bottom-k
   sketch of ``SIG_K`` values, so the state stays small and mergeable); and
2. it sits in a head or tail run of chrome (lines that are rule matches, candidates or very
   short), or it is short (``body_max_words``) and next to another chrome line. Long lines
   (over ``long_words``) only go from a head or tail run.

State (scan → merge): per template hash its document count, plus up to ``SIG_K`` document
signatures; numpy arrays of 8-12 bytes per distinct line template and 16 per signature pair,
so about 30 bytes per distinct line of the corpus (a 100 MB corpus: tens of MB). Merging sums
counts and unions signatures, so any sharding gives the same plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash
from pydantic import Field

from corpuskit.model import Document, prime_segmentation
from corpuskit.pass_api import Pass, PassContext, PassOptions
from corpuskit.passes._line_filter import prepare
from corpuskit.passes._rules import LineMatcher, Rule, assemble, corpuskit_addhooks, word_count
from corpuskit.plugin_api import hookimpl
from corpuskit.segment import join_lines

__all__ = [
    "BoilerplateOptions",
    "BoilerplatePass",
    "FreqState",
    "corpuskit_addhooks",
    "corpuskit_register_passes",
    "line_template",
    "line_templates",
    "nonblank_lines",
]

SIG_K = 8
"""Document signatures kept per template (bottom-k); enough to tell 'many contexts' from one."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_T_URL = re.compile(r"(?:https?://|www\.)[^\s]+")
_T_MAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_AT_TOKEN = re.compile(r"(?<!\S)[^\s@]*@\S*")
"""A whitespace-delimited token holding an ``@``. Every ``_T_MAIL`` match lies inside one (its
characters are never whitespace), so substituting inside these tokens only gives the same text
as substituting over the whole text, without ``_T_MAIL`` trying every position of the text
(it has no literal prefix, which made it the slowest step of templating)."""
_T_QUOTE = re.compile(
    "'[^'\\r\\n]{1,80}'|\"[^\"\\r\\n]{1,80}\"|“[^”\\r\\n]{1,80}”|„[^“\\r\\n]{1,80}“"
    "|«[^»\\r\\n]{1,80}»|‘[^’\\r\\n]{1,80}’"
)
_T_NUM = re.compile(r"\d+(?:[.,:/-]\d+)*")
_T_NAME = re.compile(r"(?<=[^\S\r\n])[A-ZÀ-ÖØ-ÞĀ-Ž][^\s<>]*")
"""A capitalised word that does not start its line: a name (or a German noun)."""
_T_WS = re.compile(r"[^\S\r\n]{2,}|[^\S\r\n ]")
_ODD_BLANK = re.compile(r"[^\S\r\n ]")
_TERMINAL = re.compile(r"[.!?:]['\"”’)]*$")
_PLACEHOLDER = re.compile(r"<[nwqu]>")
_LITERAL = re.compile(r"[^\W\d_]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_LONG_CHARS = 80
"""Lines this long make a document's context signature (see :func:`_signature`)."""
_MEMO_MAX = 200_000
"""Verdicts remembered per pass instance. Chrome recurs across the pages of a site (a third to
a half of the lines of the real corpora are repeats), so a cache of line verdicts skips most
regex work; it is cleared when it grows past this many lines, which bounds its memory."""


def _key(original: str, template: str) -> str:
    """What a line is counted as: its template, or the exact line when the template is too
    generic (placeholders and fewer than two literal words: "<n> <w> <w>" would make every
    "1 Pck. Vanillepuddingpulver" of a recipe site look like chrome)."""
    return _exact_key(original) if _generic(template) else template


def _generic(template: str) -> bool:
    return "<" in template and len(_LITERAL.findall(_PLACEHOLDER.sub(" ", template))) < 2


def _exact_key(original: str) -> str:
    return "=" + " ".join(original.lower().split())


_NOT_SEEN: Any = object()
"""Memo lookups' default: None is a verdict (no rule removes the line)."""

_GENERIC = -1
"""Memo value for a template too generic to count: its key is the exact line (see _key)."""


class _KeyHashes:
    """``_h(_key(original, template))``, remembered per line and per template.

    Why: templating is the cost of the frequency part, and chrome is by definition what recurs:
    a line seen before (in an earlier page of the site, or in ``scan`` when ``apply`` runs on
    the same instance) is not templated again. A template recurs more often still, and deciding
    whether it is too generic costs two regex calls; a generic template's key is the exact line,
    so that hash is still computed per line. Both memos are cleared past ``_MEMO_MAX`` entries.
    """

    def __init__(self) -> None:
        self.memo: dict[str, int] = {}
        self.lines: dict[str, int] = {}

    def of_line(self, original: str) -> int:
        """The key hash of one line, templating it only the first time it is seen (a line's
        template depends on nothing else, see :func:`_normalise`)."""
        h = self.lines.get(original)
        if h is None:
            if len(self.lines) > _MEMO_MAX:
                self.lines.clear()
            h = self.lines[original] = self(original, line_template(original))
        return h

    def __call__(self, original: str, template: str) -> int:
        memo = self.memo
        h = memo.get(template)
        if h is None:
            if len(memo) > _MEMO_MAX:
                memo.clear()
            h = memo[template] = _GENERIC if _generic(template) else _h(template)
        if h == _GENERIC:
            return _h(_exact_key(original))
        return h


class BoilerplateOptions(PassOptions):
    """Options of the ``boilerplate`` pass."""

    rules: bool = Field(True, description="Remove lines that match a boilerplate rule.")
    extra_rules: list[str] = Field(
        default_factory=list,
        description="Paths of TOML rule files (same shape as the built-in boilerplate.toml).",
    )
    builtin_rules: bool = Field(True, description="Use the rules shipped with corpuskit.")
    disabled_rules: list[str] = Field(
        default_factory=list, description="Rule ids to switch off (unknown ids are an error)."
    )
    frequency: bool = Field(
        True, description="Remove lines whose template recurs across many documents."
    )
    min_docs: int = Field(
        5, ge=2, description="A template must occur in at least this many documents."
    )
    min_fraction: float = Field(
        0.0, ge=0.0, le=1.0,
        description="... and in at least this fraction of all documents (0 = count only).",
    )
    min_contexts: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Share of a template's documents (up to 8 sampled) that must have "
        "different content; below it the line is reprinted body text, not chrome.",
    )
    long_words: int = Field(
        25, ge=1, description="Recurring lines longer than this go only from a head/tail run."
    )
    body_max_words: int = Field(
        8, ge=0, description="A recurring line inside the body goes only if at most this long "
        "and next to another chrome line.",
    )
    edge_neutral_words: int = Field(
        3, ge=0, description="Short lines that do not end a head/tail chrome run (a lone "
        "'Politik' between menu lines).",
    )
    max_template_chars: int = Field(
        400, ge=1, description="Longer lines are never counted (chrome is short; this keeps "
        "the scan state small).",
    )


@dataclass
class FreqState:
    """Mergeable scan state: template hash -> document count, and (hash, signature) pairs."""

    docs: int = 0
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    pair_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    pair_sigs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))


@dataclass(frozen=True)
class FreqPlan:
    """What ``apply`` needs: frequent template hashes with (doc count, distinct contexts)."""

    docs: int
    threshold: int
    frequent: dict[int, tuple[int, int]]


def _h(s: str) -> int:
    return int(xxhash.xxh3_64_intdigest(s.encode("utf-8", "surrogatepass")))


def _normalise(text: str) -> str:
    """The template substitutions, over a whole text or one line. None of them matches across
    a line break, so a line's template does not depend on the lines around it."""
    t = _T_URL.sub("<u>", text) if ("://" in text or "www." in text) else text
    if "@" in t:
        t = _AT_TOKEN.sub(_mail_sub, t)
    t = _T_QUOTE.sub("<q>", t)
    t = _T_NAME.sub("<w>", t)
    t = t.lower()
    t = _T_NUM.sub("<n>", t)
    # a run of two or more blanks holds two spaces or another blank character, so without
    # either the substitution has nothing to do (most texts); skipping it changes nothing
    if "  " in t or _ODD_BLANK.search(t):
        t = _T_WS.sub(" ", t)
    return t


def line_template(line: str) -> str:
    """The template of one line (no line break in it): what :func:`line_templates` gives for
    that line in any text."""
    return _normalise(line).strip()


def nonblank_lines(text: str) -> list[str]:
    """The originals of :func:`line_templates` (= the texts of ``doc.lines``), without
    templating them."""
    return [o for o in _LINE_BREAK.split(text) if o.strip()]


def line_templates(text: str) -> tuple[list[str], list[str]]:
    """(original, template) of every non-blank line, in ``doc.lines`` order.

    The substitutions run once over the whole text and never touch a line break, so splitting
    the original and the normalised text at line breaks gives aligned lists.
    """
    t = _normalise(text)
    originals = _LINE_BREAK.split(text)
    templates = _LINE_BREAK.split(t)
    if len(originals) != len(templates):  # pragma: no cover - guarded by construction
        raise AssertionError("template normalisation changed the line count")
    pairs = [(o, tp.strip()) for o, tp in zip(originals, templates, strict=True) if o.strip()]
    return [o for o, _ in pairs], [tp for _, tp in pairs]


def _mail_sub(m: re.Match[str]) -> str:
    return _T_MAIL.sub("<u>", m.group())


def _signature(originals: Sequence[str], longs: Sequence[str]) -> int:
    """The document's context signature: smallest hash over ``longs``, its long lines that no
    rule removes (or over its text when there are none).

    Why not every long line: a cookie banner shared by every blog of a host would give all of
    them one signature, so their shared footer looked like one text reprinted, not chrome,
    until a first clean had removed the banner and a second clean then removed the footer."""
    if not longs:
        return _h("\n".join(originals))
    return min(_h(o.strip()) for o in longs)


def _reduce(state: FreqState) -> FreqState:
    """Sum counts per key; keep distinct (key, sig) pairs, at most SIG_K smallest per key."""
    if state.keys.size:
        uk, inv = np.unique(state.keys, return_inverse=True)
        cnt = np.bincount(inv, weights=state.counts.astype(np.float64)).astype(np.uint32)
    else:
        uk, cnt = state.keys, state.counts
    pk, ps = state.pair_keys, state.pair_sigs
    if pk.size:
        order = np.lexsort((ps, pk))
        pk, ps = pk[order], ps[order]
        keep = np.ones(pk.size, bool)
        keep[1:] = (pk[1:] != pk[:-1]) | (ps[1:] != ps[:-1])
        pk, ps = pk[keep], ps[keep]
        starts = np.ones(pk.size, bool)
        starts[1:] = pk[1:] != pk[:-1]
        idx = np.arange(pk.size)
        group_start = np.maximum.accumulate(np.where(starts, idx, 0))
        rank = idx - group_start
        sel = rank < SIG_K
        pk, ps = pk[sel], ps[sel]
    return FreqState(state.docs, uk, cnt, pk, ps)


class BoilerplatePass(Pass):
    """Remove boilerplate lines: rule matches and corpus-wide recurring chrome."""

    name = "boilerplate"
    summary = "Remove share/cookie/menu/ad lines (rules) and chrome recurring across documents."
    version = "1"
    Options = BoilerplateOptions
    default_enabled = True
    default_order = 300
    corpus_scope = True

    options: BoilerplateOptions

    def __init__(self, options: PassOptions | None = None, hook: Any = None) -> None:
        super().__init__(options, hook)
        o = self.options
        self.ruleset = assemble("boilerplate", builtin=o.builtin_rules,
                                extra_files=o.extra_rules, disabled=o.disabled_rules, hook=hook)
        self.matcher = LineMatcher(self.ruleset.rules if o.rules else ())
        self._compiled = [(r, r.compiled()) for r in self.ruleset.rules] if o.rules else []
        # no rule can match a line longer than this (about 30 characters a word, generously)
        self._max_chars = 30 * max((r.max_words for r in self.ruleset.rules), default=0)
        self._reasons = {r.id: f"boilerplate rule: {r.description}" for r in self.ruleset.rules}
        self._memo: dict[tuple[str, str], Rule | None] = {}
        self._key_hash = _KeyHashes()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for workers without the line memo (it is only a cache)."""
        state = self.__dict__.copy()
        state["_memo"] = {}
        state["_key_hash"] = _KeyHashes()
        return state

    # -- corpus scope ------------------------------------------------------------------------
    def scan(self, docs: Sequence[Document]) -> FreqState:
        if not self.options.frequency:
            return FreqState(docs=len(docs))
        limit = self.options.max_template_chars
        keys: list[int] = []
        sigs: list[int] = []
        for doc in docs:
            spans = doc.line_spans
            text = doc.text
            originals = [text[a:b] for a, b in spans]  # = nonblank_lines(text)
            of_line = self._key_hash.of_line
            uniq = {of_line(o) for o in originals if len(o) <= limit}
            longs = [(a, b) for a, b in spans if b - a >= _LONG_CHARS]
            if self._compiled and longs:
                removed = self.matcher.removes_long_lines(text, longs)
                longs = [ab for ab, gone in zip(longs, removed, strict=True) if not gone]
            sig = _signature(originals, [text[a:b] for a, b in longs])
            keys.extend(uniq)
            sigs.extend([sig] * len(uniq))
        k = np.array(keys, dtype=np.uint64)
        s = np.array(sigs, dtype=np.uint64)
        return _reduce(FreqState(len(docs), k, np.ones(k.size, np.uint32), k, s))

    def merge(self, states: Sequence[FreqState]) -> FreqState:
        if not states:
            return FreqState()
        return _reduce(FreqState(
            sum(s.docs for s in states),
            np.concatenate([s.keys for s in states]),
            np.concatenate([s.counts for s in states]),
            np.concatenate([s.pair_keys for s in states]),
            np.concatenate([s.pair_sigs for s in states]),
        ))

    def finalize(self, state: FreqState) -> FreqPlan:
        o = self.options
        threshold = max(o.min_docs, math.ceil(o.min_fraction * state.docs))
        sel = state.counts >= threshold
        keys = state.keys[sel]
        counts = state.counts[sel]
        ctx_n: dict[int, int] = {}
        if keys.size and state.pair_keys.size:
            in_sel = np.isin(state.pair_keys, keys)
            pk, n = np.unique(state.pair_keys[in_sel], return_counts=True)
            ctx_n = {int(a): int(b) for a, b in zip(pk, n, strict=True)}
        frequent = {
            int(k): (int(c), ctx_n.get(int(k), 1)) for k, c in zip(keys, counts, strict=True)
        }
        return FreqPlan(state.docs, threshold, frequent)

    # -- per document --------------------------------------------------------------------------
    def _rule_hits(self, doc: Document, spans: Sequence[tuple[int, int]]) -> dict[int, Rule]:
        """Line index -> the rule removing it."""
        if not self._compiled:
            return {}
        pairs = self.matcher.lines_to_judge(doc.text, spans, doc.line_bounds[1])
        return self._judge_lines([doc], [0, len(spans)], pairs)[0]

    def _rule_hits_many(self, docs: Sequence[Document]) -> list[dict[int, Rule] | None]:
        """:meth:`_rule_hits` of each document (None: find them alone), with one line-filter
        scan and one segmentation for all documents the filter can scan together.

        Why: a batch holds hundreds of documents, and for each the numpy and Hyperscan calls
        cost a fixed overhead that was about a sixth of the rule pass on scraped pages."""
        out: list[dict[int, Rule] | None] = [None] * len(docs)
        lf = self.matcher.line_filter() if self._compiled else None
        if lf is None or len(docs) < 2:
            return out
        datas = [prepare(d.text) for d in docs]  # None: a text the filter cannot scan
        pick = [k for k, data in enumerate(datas) if data is not None]
        if len(pick) < 2:
            return out
        batch = [docs[k] for k in pick]
        pieces: list[bytes] = [datas[k] for k in pick]  # type: ignore[misc]
        joined = join_lines([d.text for d in batch], pieces)
        prime_segmentation(batch, joined)
        found = self._judge_lines(batch, joined.first_line, lf.lines_joined(joined, pieces))
        for k, hits in zip(pick, found, strict=True):
            out[k] = hits
        return out

    def _judge_lines(
        self, docs: Sequence[Document], first_line: Sequence[int],
        pairs: Iterable[tuple[int, int]],
    ) -> list[dict[int, Rule]]:
        """Line index -> removing rule, per document, for the candidate ``(line, rules)``
        pairs; lines are numbered across ``docs`` (``first_line``: each one's first, then the
        total), ascending.

        Without look-behinds a verdict depends only on the line and the character before it
        (``\b`` sees it, ``^`` matches only at offset 0), so a recurring line is judged once.
        This loop runs once per candidate line of the corpus: it is kept flat."""
        found: list[dict[int, Rule]] = [{} for _ in docs]
        limit = self._max_chars
        memo = self._memo
        judge = self.matcher.judge
        context_free = self.matcher.context_free
        k = 0
        nxt = first_line[1]
        doc = docs[0]
        text, spans = doc.text, doc.line_spans
        for g, rules in pairs:
            if g >= nxt:
                while g >= first_line[k + 1]:
                    k += 1
                nxt = first_line[k + 1]
                doc = docs[k]
                text, spans = doc.text, doc.line_spans
            i = g - first_line[k]
            s, e = spans[i]
            if e - s > limit:
                continue
            if not context_free:  # a user rule looks behind the line
                got = judge(text, s, e, rules)
            else:
                key = (text[s - 1] if s else "", text[s:e])
                got = memo.get(key, _NOT_SEEN)
                if got is _NOT_SEEN:
                    if len(memo) > _MEMO_MAX:
                        memo.clear()
                    got = memo[key] = judge(text, s, e, rules)
            if got is not None:
                found[k][i] = got
        return found

    def apply_batch(self, docs: Sequence[Document], ctxs: Sequence[PassContext]) -> None:
        hits = self._rule_hits_many(docs)
        for doc, ctx, h in zip(docs, ctxs, hits, strict=True):
            self._apply(doc, ctx, h)

    def apply(self, doc: Document, ctx: PassContext) -> None:
        self._apply(doc, ctx, None)

    def _apply(self, doc: Document, ctx: PassContext, hits: dict[int, Rule] | None) -> None:
        plan: FreqPlan | None = ctx.plan if isinstance(ctx.plan, FreqPlan) else None
        use_freq = plan is not None and bool(plan.frequent) and self.options.frequency
        if not self._compiled and not use_freq:
            return
        spans = doc.line_spans
        if not spans:
            return
        if hits is None:
            hits = self._rule_hits(doc, spans)
        if hits:
            reasons = self._reasons
            ctx.delete_lines({i: (r.id, reasons[r.id], {"category": r.category})
                              for i, r in hits.items()})
        if use_freq:
            assert plan is not None
            self._apply_frequency(doc, ctx, spans, hits, plan)

    def _apply_frequency(
        self,
        doc: Document,
        ctx: PassContext,
        spans: Sequence[tuple[int, int]],
        hits: dict[int, Rule],
        plan: FreqPlan,
    ) -> None:
        o = self.options
        text = doc.text
        originals = [text[s:e] for s, e in spans]  # what line_templates(doc.text) splits off
        n = len(spans)
        of_line = self._key_hash.of_line
        frequent = plan.frequent
        limit = o.max_template_chars
        cand: dict[int, tuple[int, int, str]] = {}
        for i, orig in enumerate(originals):
            # a line without a letter ("---", ",", "|-") is a separator or a table cell: its
            # fate would hang on its neighbours only, which the other passes change, so a
            # second clean of the output would remove what the first kept; leave them
            if i in hits or len(orig) > limit or not _LETTER.search(orig):
                continue
            got = frequent.get(of_line(orig))
            if got is None:
                continue
            df, contexts = got
            need = max(2, math.ceil(o.min_contexts * min(df, SIG_K)))
            if contexts >= need:
                cand[i] = (df, contexts, _key(orig, line_template(orig)))
        if not cand:
            return
        counted: dict[int, int] = {}

        def words_of(i: int) -> int:  # only the lines looked at, not every line
            n_words = counted.get(i)
            if n_words is None:
                n_words = counted[i] = word_count(originals[i])
            return n_words

        def chrome(i: int) -> bool:
            return i in hits or (i in cand and words_of(i) <= o.long_words)

        def neutral(i: int) -> bool:
            return words_of(i) <= o.edge_neutral_words and not _TERMINAL.search(originals[i])

        edge: set[int] = set()
        for rng in (range(n), range(n - 1, -1, -1)):
            for i in rng:
                if i in hits or i in cand:
                    edge.add(i)
                elif not neutral(i):
                    break
        for i, (df, contexts, tmpl) in sorted(cand.items()):
            if i in edge:
                where = "head" if i < n / 2 else "tail"
            elif words_of(i) <= o.body_max_words and (
                (i > 0 and chrome(i - 1)) or (i + 1 < n and chrome(i + 1))
            ):
                where = "body"
            else:
                ctx.count("recurring_kept")
                continue
            ctx.delete_line(
                i, rule="recurring-line",
                reason=f"line template recurs in {df} of {plan.docs} documents",
                template=tmpl, doc_frequency=df, documents=plan.docs, contexts=contexts,
                position=where,
            )
            ctx.count("recurring_removed")


@hookimpl
def corpuskit_register_passes(register: Any) -> None:
    register(BoilerplatePass)
