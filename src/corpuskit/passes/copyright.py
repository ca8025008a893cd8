"""The ``copyright`` pass: remove copyright and rights-notice lines, and notices glued to the
end of a content line, but never prose that talks about copyright.

Why segments: scraped footers pack a notice together with links ("Copyright © 2019, Los Angeles
Times | Terms of Service | Privacy Policy") and wire copy glues the notice to the last paragraph
("... said the minister. © AFP 2014"). So a candidate line is cut into segments at ``|``, ``•``,
``·`` and sentence ends; each segment is a *notice* (a rule of ``rules/copyright.toml`` matches
the whole segment), *chrome* (a URL, a short link text) or *content*. A line of notices and
chrome goes; a content line ending in notices loses only that tail (``ctx.replace``); any other
line stays, which is what keeps "The court ruled the copyright claim ..." in the output: it has
no segment that is wholly a notice.

Position: rules marked ``position = "edge"`` (weaker shapes such as "Copyright Some Owner")
count only in the first ``head_lines`` / last ``tail_lines`` lines. Windows are counted over the
lines that survive, and decisions are repeated until stable, so a second run finds nothing new.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from corpuskit.model import Document
from corpuskit.pass_api import Pass, PassContext, PassOptions
from corpuskit.passes._cues import CueFinder, fold
from corpuskit.passes._rules import (
    Rule,
    RuleSet,
    assemble,
    corpuskit_addhooks,
    rule_cues,
    word_count,
)
from corpuskit.plugin_api import hookimpl

__all__ = ["CopyrightOptions", "CopyrightPass", "corpuskit_addhooks", "corpuskit_register_passes"]

_SPLIT = re.compile(
    r"[^\S\r\n]*(?:\||•|·|¦|‖)[^\S\r\n]*"  # menu separators
    r"|(?<=[.!?])[^\S\r\n]+"  # sentence ends
    r"|[^\S\r\n]+[—–][^\S\r\n]+"  # spaced dashes
    r"|[^\S\r\n]*[-/]?[^\S\r\n]+(?=©|ⓒ)"  # a copyright mark starts a new segment
)
_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.-]+\.(?:com|org|net|de|uk|info|io)(?:/\S*)?|\S+@\S+",
                  re.IGNORECASE)
_WORDCHAR = re.compile(r"\w")
_EOL = re.compile(r"[\r\n]")
_TERMINAL = re.compile(r"[.!?]['\"”’)]*$")
_LOWER_WORD = re.compile(r"(?<![\w.@/-])[a-zà-öø-ÿß]{3,}(?![\w@/-])")
_OWNER_WORDS = frozenset((
    "and", "the", "for", "und", "der", "die", "das", "des", "von", "bei", "für", "les",
    "del", "los", "las", "dos", "all", "its", "inc", "ltd", "llc", "gmbh", "plc", "rights",
    "reserved", "since", "unless", "otherwise", "noted", "affiliated", "companies",
    "company", "group", "media", "news", "network", "limited",
))
_MEMO_MAX = 100_000
"""Line verdicts remembered per classifier before the memo is cleared (bounds its memory)."""
_MAX_PROSE_WORDS = 3
"""A notice names an owner; a segment with more ordinary lower-case words than this after a
copyright mark is a sentence that mentions a year ("© 2019 on the sleeve, but the band ..."),
not a notice. Only checked for ``category = "notice"`` rules (reservation clauses are prose by
nature)."""


class CopyrightOptions(PassOptions):
    """Options of the ``copyright`` pass."""

    extra_rules: list[str] = Field(
        default_factory=list,
        description="Paths of TOML rule files (same shape as the built-in copyright.toml) "
        "whose rules are added to the built-in ones.",
    )
    builtin_rules: bool = Field(True, description="Use the rules shipped with corpuskit.")
    disabled_rules: list[str] = Field(
        default_factory=list, description="Rule ids to switch off (unknown ids are an error)."
    )
    head_lines: int = Field(
        3, ge=0, description="Lines at the start of a document where 'edge' rules count."
    )
    tail_lines: int = Field(
        30, ge=0, description="Lines at the end of a document where 'edge' rules count."
    )
    max_line_words: int = Field(
        120, ge=1, description="A longer line is prose: it may lose a trailing notice, but is "
        "never removed whole.",
    )
    trailing: bool = Field(
        True, description="Remove a notice at the end of a content line (only the notice)."
    )


@dataclass(frozen=True)
class Verdict:
    """What to do with one line: delete it, or cut ``[cut, end)`` off its end."""

    action: str  # "line" | "tail"
    rule: str
    cut: int  # offset inside the line where the removed tail starts (0 for "line")
    rules: tuple[str, ...]


_COMPANY_ABBREV = frozenset(("inc", "ltd", "llc", "co", "corp", "plc", "gmbh", "ag", "sa", "bv",
                             "nv", "pty", "srl", "spa", "kg", "oy", "ab", "as"))


def _short_sentence(seg: str) -> bool:
    """Whether a segment of at most three words reads as a sentence: two or more words with
    letters, one of them lower-case, not ending in a company abbreviation."""
    words = [w for w in seg.split() if any(c.isalpha() for c in w)]
    if len(words) < 2:
        return False
    last = "".join(c for c in words[-1].lower() if c.isalpha())
    if last in _COMPANY_ABBREV:
        return False
    return any(w[0].islower() for w in words)


class CopyrightClassifier:
    """Judges single lines; separate from the pass so the evaluation can call it directly."""

    def __init__(self, ruleset: RuleSet, *, max_line_words: int = 120,
                 trailing: bool = True) -> None:
        self.rules = ruleset.rules
        self.max_line_words = max_line_words
        self.trailing = trailing
        self._compiled = [(r, r.compiled()) for r in self.rules]
        self.cues: tuple[str, ...] | None = (
            tuple(sorted({c for r in self.rules for c in r.cues}))
            if self.rules and all(r.cues for r in self.rules) else None
        )
        self._finder = (CueFinder({fold(c) or c: 0 for c in self.cues})
                        if self.cues is not None else None)
        self.has_edge = any(r.position == "edge" for r in self.rules)
        self._memo: dict[tuple[str, bool], Verdict | None] = {}
        # which rules a line's segments can match at all: each rule's required substrings
        # (derived from its regex, so exact, unlike the hand-written candidate cues above)
        needs, self._uncued = rule_cues(self.rules)
        self._rule_finder = CueFinder(needs)

    def _rules_in(self, line: str) -> int:
        """Bit mask of the rules whose required substrings occur in ``line``."""
        folded = fold(line)
        if folded is None:
            return -1
        mask = self._uncued
        for _last, (_n, rules, _k) in self._rule_finder.iter_raw(folded):
            mask |= rules
        return mask

    def candidate_spans(self, text: str) -> list[tuple[int, int]] | None:
        """(start, end) of every line holding a cue, in text order; None means "judge every
        line" (a rule without cues, or lower-casing changed the text's length)."""
        if self._finder is None:
            return None
        folded = fold(text)
        if folded is None:
            return None
        starts: set[int] = set()
        spans: list[tuple[int, int]] = []
        for last, (n, _payload, _k) in self._finder.iter_raw(folded):
            i = last + 1 - n
            s = max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1
            if s not in starts:
                starts.add(s)
                m = _EOL.search(text, i)
                spans.append((s, m.start() if m else len(text)))
        spans.sort()
        return spans

    def _notice(self, seg: str, edge: bool, rules: int = -1) -> Rule | None:
        n = word_count(seg)
        for i, (rule, pat) in enumerate(self._compiled):
            if not rules >> i & 1 or n > rule.max_words or (rule.position == "edge" and not edge):
                continue
            if pat.fullmatch(seg):
                if rule.category == "notice" and _prose_words(seg) > _MAX_PROSE_WORDS:
                    continue
                return rule
        return None

    @staticmethod
    def _chrome(seg: str) -> bool:
        """A segment that is no evidence either way: empty, a URL, a short link text.

        A short finished sentence with a lower-case word ("Hello world.") is content: treating
        it as chrome would delete it with the notice that follows it on the same line. Title
        Case link texts ("Cookie Policy.") and company names ending in an abbreviation
        ("Spacenews, Inc.", split there by the sentence splitter) stay chrome."""
        rest = _URL.sub("", seg)
        if not _WORDCHAR.search(rest):
            return True
        n = word_count(rest)
        if n > 3:
            return n <= 8 and not _TERMINAL.search(rest)
        return not (_TERMINAL.search(rest) and _short_sentence(rest))

    def judge(self, line: str, *, edge: bool) -> Verdict | None:
        """The verdict for one line's text (no line ending), or None to keep it.

        Remembered per line: notices and footers recur across the pages of a site, and the
        verdict depends on nothing but the line and ``edge``."""
        key = (line, edge)
        memo = self._memo
        try:
            return memo[key]
        except KeyError:
            if len(memo) > _MEMO_MAX:
                memo.clear()
            v = memo[key] = self._judge(line, edge)
            return v

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for workers without the verdict memo (it is only a cache)."""
        state = self.__dict__.copy()
        state["_memo"] = {}
        return state

    def _judge(self, line: str, edge: bool) -> Verdict | None:
        segs: list[tuple[int, int]] = []
        pos = 0
        for m in _SPLIT.finditer(line):
            segs.append((pos, m.start()))
            pos = m.end()
        segs.append((pos, len(line)))
        kinds: list[Rule | str] = []
        rules = self._rules_in(line)
        for s, e in segs:
            seg = line[s:e].strip()
            rule = self._notice(seg, edge, rules) if seg and rules else None
            kinds.append(rule if rule is not None else ("chrome" if self._chrome(seg) else "text"))
        notices = [k for k in kinds if isinstance(k, Rule)]
        if not notices:
            return None
        ids = tuple(dict.fromkeys(r.id for r in notices))
        first = next(i for i, k in enumerate(kinds) if isinstance(k, Rule))
        if all(k == "chrome" for k in kinds[:first]):
            if word_count(line) <= self.max_line_words:
                return Verdict("line", ids[0], 0, ids)
            return None
        if not self.trailing:
            return None
        # content, then only notices and chrome to the end of the line: cut the tail
        last_text = max(i for i, k in enumerate(kinds) if k == "text")
        if last_text > first:
            return None
        tail_rules = [k for k in kinds[last_text + 1:] if isinstance(k, Rule)]
        if not tail_rules:
            return None
        cut = segs[last_text][1]
        keep = line[:cut].rstrip()
        tail = line[cut:].strip()
        # a notice must follow a finished sentence, unless it is a short credit opened by a
        # copyright mark ("... in Filzbach © Burkard Meyer"), which cannot be prose
        if not _TERMINAL.search(keep) and not (tail[:1] in "©ⓒ" and word_count(tail) <= 10):
            return None
        ids = tuple(dict.fromkeys(r.id for r in tail_rules))
        return Verdict("tail", ids[0], len(keep), ids)


class CopyrightPass(Pass):
    """Remove copyright and rights-reservation lines (and trailing notices)."""

    name = "copyright"
    summary = "Remove copyright / all-rights-reserved lines and trailing notices, keep prose."
    version = "1"
    Options = CopyrightOptions
    default_enabled = True
    default_order = 200

    options: CopyrightOptions

    def __init__(self, options: PassOptions | None = None, hook: Any = None) -> None:
        super().__init__(options, hook)
        o = self.options
        ruleset = assemble("copyright", builtin=o.builtin_rules, extra_files=o.extra_rules,
                           disabled=o.disabled_rules, hook=hook)
        self.classifier = CopyrightClassifier(ruleset, max_line_words=o.max_line_words,
                                              trailing=o.trailing)

    def apply(self, doc: Document, ctx: PassContext) -> None:
        clf = self.classifier
        text = doc.text
        spans = clf.candidate_spans(text)
        # judge the cue lines on their own first: most documents end here, without ever
        # segmenting the whole text into lines
        if spans is not None and not any(clf.judge(text[s:e], edge=True) for s, e in spans):
            return
        lines = doc.line_spans
        if spans is None:
            cands = list(range(len(lines)))
        else:
            starts = [s for s, _e in lines]
            cands = []
            for s, _e in spans:
                i = bisect_left(starts, s)
                if i < len(starts) and starts[i] == s:
                    cands.append(i)
        plain = {i: clf.judge(text[lines[i][0]:lines[i][1]], edge=False) for i in cands}
        edge_v = ({i: clf.judge(text[lines[i][0]:lines[i][1]], edge=True) for i in cands}
                  if clf.has_edge else plain)
        verdicts = _settle(len(lines), cands, plain, edge_v, self.options)
        for i, v in verdicts.items():
            start, end = lines[i]
            where = _where(i, len(lines), self.options)
            if v.action == "line":
                ctx.delete_line(i, rule=v.rule, reason="copyright notice line",
                                rules=list(v.rules), position=where)
            else:
                ctx.replace(start + v.cut, end, "", rule=v.rule,
                            reason="copyright notice at the end of a content line",
                            rules=list(v.rules), position=where)
            ctx.count(f"{v.action}s_removed")


def _prose_words(seg: str) -> int:
    return sum(1 for w in _LOWER_WORD.findall(seg) if w not in _OWNER_WORDS)


def _where(i: int, n: int, o: CopyrightOptions) -> str:
    if i < o.head_lines:
        return "head"
    if i >= n - o.tail_lines:
        return "tail"
    return "body"


def _settle(
    n: int,
    cands: Sequence[int],
    plain: dict[int, Verdict | None],
    edge_v: dict[int, Verdict | None],
    o: CopyrightOptions,
) -> dict[int, Verdict]:
    """Decisions that are stable under deletion: edge windows are counted over surviving lines,
    and deleting a line can only pull others into a window, so iterate until nothing changes."""
    deleted: set[int] = set()
    for _ in range(len(cands) + 2):
        chosen: dict[int, Verdict] = {}
        # rank of each candidate among the surviving lines, from the start and from the end
        for i in cands:
            before = i - sum(1 for d in deleted if d < i)
            after = (n - 1 - i) - sum(1 for d in deleted if d > i)
            edge = before < o.head_lines or after < o.tail_lines
            v = edge_v[i] if edge else plain[i]
            if v is not None:
                chosen[i] = v
        now = {i for i, v in chosen.items() if v.action == "line"}
        if now == deleted:
            break
        deleted = now
    return chosen


@hookimpl
def corpuskit_register_passes(register: Any) -> None:
    register(CopyrightPass)
