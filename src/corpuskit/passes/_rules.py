"""Line rules shared by the ``copyright`` and ``boilerplate`` passes: model, loader, hookspec.

Why rules are data: which lines are chrome is a judgement that differs by site and language, so
the judgement lives in TOML files a user can read, copy and extend (``extra_rules = [path]``),
not in code. Every rule carries examples that must match and the file carries content lines
that no rule may match; :func:`check_examples` is what the tests run, so a rule cannot be added
without evidence that it does what it says and leaves prose alone.

Plugins add rules through the ``corpuskit_boilerplate_rules`` hook published here (via the
historic ``corpuskit_addhooks``); each rule says which pass it belongs to with ``kind``.
"""

from __future__ import annotations

import os
import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pluggy

from corpuskit.errors import ConfigError
from corpuskit.passes._cues import CueFinder, fold, required_substrings
from corpuskit.passes._line_filter import LineFilter, line_filter, prepare
from corpuskit.plugin_api import hookimpl
from corpuskit.segment import word_counts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RuleKind = Literal["copyright", "boilerplate"]
Position = Literal["any", "edge"]
Match = Literal["line", "segment"]

hookspec = pluggy.HookspecMarker("corpuskit")


@dataclass(frozen=True)
class Rule:
    """One line rule.

    ``pattern`` is a Python regex. With ``match = "line"`` it must match the whole line
    (surrounding whitespace ignored); with ``match = "segment"`` (copyright rules) it must match
    a whole segment of a line, segments being the parts between ``|``, ``•``, ``·`` and sentence
    ends, so a notice glued to a footer menu or to the end of a paragraph is found without
    matching a sentence that merely contains the words. ``position = "edge"`` restricts a weak
    rule to the head and tail of a document, where notices and chrome live.
    """

    id: str
    description: str
    pattern: str
    kind: RuleKind = "boilerplate"
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    match: Match = "line"
    position: Position = "any"
    max_words: int = 40
    """Lines (or segments) with more words are never judged by this rule."""
    case_sensitive: bool = False
    category: str = ""
    cues: tuple[str, ...] = ()
    """Optional lower-case substrings, one of which every line this rule matches contains. A
    pass that uses cues (``copyright``) looks for them in the lower-cased text with plain
    substring search, far faster than any regex, and only judges the lines they occur in. A
    rule without cues makes the pass judge every line (slower, never wrong)."""
    source: str = "builtin"
    """Where the rule came from: ``builtin``, a file path or a plugin name."""

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, 0 if self.case_sensitive else re.IGNORECASE)


@dataclass(frozen=True)
class RuleSet:
    """Rules of one pass plus the content lines no rule of that pass may remove."""

    rules: tuple[Rule, ...]
    counter_examples: tuple[str, ...] = ()

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


class RuleHookSpecs:
    """Hookspecs published by the rule passes (added with :func:`corpuskit_addhooks`)."""

    @hookspec
    def corpuskit_boilerplate_rules(self) -> list[Rule]:  # type: ignore[empty-body]
        """Return extra :class:`Rule` s for the ``boilerplate`` (``kind="boilerplate"``) and
        ``copyright`` (``kind="copyright"``) passes. Called once per pass instance; rule ids must
        not clash with built-in ones."""


@hookimpl
def corpuskit_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Publish ``corpuskit_boilerplate_rules`` (once, though both rule passes re-export this)."""
    if not hasattr(pluginmanager.hook, "corpuskit_boilerplate_rules"):
        pluginmanager.add_hookspecs(RuleHookSpecs)


# -- loading ------------------------------------------------------------------------------------
_RULE_KEYS = {
    "id", "description", "pattern", "examples", "counter_examples", "match", "position",
    "max_words", "case_sensitive", "category", "cues",
}


def _rule_from_table(t: dict[str, Any], kind: RuleKind, where: str) -> Rule:
    unknown = set(t) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown rule key(s) {sorted(unknown)} in rule {t.get('id')!r}")
    for key in ("id", "description", "pattern"):
        if not isinstance(t.get(key), str) or not t[key]:
            raise ConfigError(f"{where}: every rule needs a non-empty string {key!r}")
    rule = Rule(
        id=t["id"],
        description=t["description"],
        pattern=t["pattern"],
        kind=kind,
        examples=tuple(t.get("examples", ())),
        counter_examples=tuple(t.get("counter_examples", ())),
        match=t.get("match", "line"),
        position=t.get("position", "any"),
        max_words=int(t.get("max_words", 40)),
        case_sensitive=bool(t.get("case_sensitive", False)),
        category=str(t.get("category", "")),
        cues=tuple(str(c) for c in t.get("cues", ())),
        source=where,
    )
    validate_rule(rule)
    return rule


def validate_rule(rule: Rule) -> None:
    """Reject a rule that cannot work: bad regex, named groups (they would clash in the combined
    pattern), unknown ``match``/``position``, or no examples."""
    where = rule.source
    if rule.match not in ("line", "segment"):
        raise ConfigError(f"{where}: rule {rule.id!r}: match must be 'line' or 'segment'")
    if rule.position not in ("any", "edge"):
        raise ConfigError(f"{where}: rule {rule.id!r}: position must be 'any' or 'edge'")
    if not rule.examples:
        raise ConfigError(f"{where}: rule {rule.id!r} has no examples")
    try:
        pat = rule.compiled()
    except re.error as exc:
        raise ConfigError(f"{where}: rule {rule.id!r}: bad pattern: {exc}") from None
    try:  # how the passes use it: inside a group carrying its case flag, beside others
        re.compile(rf"\s*{_inline(rule)}\s*")
    except re.error as exc:
        raise ConfigError(
            f"{where}: rule {rule.id!r}: the pattern does not work inside a group ({exc}); "
            "write a flag for part of it, (?x:...), not for all of it, (?x)..."
        ) from None
    if pat.groupindex:
        raise ConfigError(f"{where}: rule {rule.id!r}: named groups are not allowed")
    if pat.fullmatch(""):
        raise ConfigError(f"{where}: rule {rule.id!r} matches an empty line")
    for ex in rule.examples:
        if word_count(ex) <= rule.max_words and not pat.fullmatch(ex.strip()):
            raise ConfigError(f"{where}: rule {rule.id!r} does not match its example {ex!r}")
    if rule.cues:
        if any(not c or c != c.lower() for c in rule.cues):
            raise ConfigError(f"{where}: rule {rule.id!r}: cues must be non-empty lower case")
        for ex in rule.examples:
            if not any(c in ex.lower() for c in rule.cues):
                raise ConfigError(f"{where}: rule {rule.id!r}: no cue occurs in example {ex!r}")


def parse_rules(text: str, kind: RuleKind, where: str) -> RuleSet:
    """Parse a rule file's TOML text (``[[rule]]`` tables and a top-level
    ``counter_examples`` list)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"rule", "counter_examples", "kind"}
    if unknown:
        raise ConfigError(f"{where}: unknown top-level key(s) {sorted(unknown)}")
    if data.get("kind", kind) != kind:
        raise ConfigError(f"{where}: a {data['kind']!r} rule file given to the {kind} pass")
    rules = tuple(_rule_from_table(t, kind, where) for t in data.get("rule", []))
    return RuleSet(rules, tuple(data.get("counter_examples", ())))


def builtin_rules(kind: RuleKind) -> RuleSet:
    """The rule file shipped in the package (``corpuskit/passes/rules/<kind>.toml``)."""
    res = resources.files("corpuskit.passes").joinpath("rules").joinpath(f"{kind}.toml")
    return parse_rules(res.read_text(encoding="utf-8"), kind, f"builtin:{kind}.toml")


def load_rule_file(path: str | Path, kind: RuleKind) -> RuleSet:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rule file {path}: {exc}") from None
    return parse_rules(text, kind, str(p))


def hook_rules(hook: Any, kind: RuleKind) -> list[Rule]:
    """Rules plugins return from ``corpuskit_boilerplate_rules`` for this pass's ``kind``."""
    caller = getattr(hook, "corpuskit_boilerplate_rules", None) if hook is not None else None
    if caller is None:
        return []
    out: list[Rule] = []
    for batch in caller():
        for rule in batch or ():
            if not isinstance(rule, Rule):
                raise ConfigError(f"corpuskit_boilerplate_rules returned {rule!r}, not a Rule")
            if rule.kind == kind:
                validate_rule(rule)
                out.append(rule)
    return out


def assemble(
    kind: RuleKind,
    *,
    builtin: bool,
    extra_files: Sequence[str],
    disabled: Iterable[str],
    hook: Any = None,
) -> RuleSet:
    """Built-in rules, then user files, then plugin rules; ids must be unique; ``disabled``
    ids are left out (an unknown id there is an error, so a typo is not silently ignored)."""
    sets: list[RuleSet] = [builtin_rules(kind)] if builtin else []
    sets.extend(load_rule_file(f, kind) for f in extra_files)
    plugin = RuleSet(tuple(hook_rules(hook, kind)))
    sets.append(plugin)
    seen: dict[str, Rule] = {}
    counter: list[str] = []
    for rs in sets:
        counter.extend(rs.counter_examples)
        for r in rs.rules:
            if r.id in seen:
                raise ConfigError(
                    f"rule id {r.id!r} from {r.source} already defined by {seen[r.id].source}"
                )
            seen[r.id] = r
    off = set(disabled)
    missing = off - set(seen)
    if missing:
        raise ConfigError(f"disabled_rules names unknown rule(s): {sorted(missing)}")
    return RuleSet(tuple(r for r in seen.values() if r.id not in off), tuple(counter))


_LOOKBEHIND = re.compile(r"\(\?<[=!]")


# -- combined matching --------------------------------------------------------------------------
@dataclass
class LineMatcher:
    """All ``match = "line"`` rules folded into one regex, tried once per line.

    Why one regex: one call into the C regex engine per line is far cheaper than a Python loop
    over rules. Each rule is wrapped in a named group ``r<i>`` so ``m.lastgroup`` names the rule
    that matched (file order wins). The regex runs with ``pos``/``endpos`` set to one line, so a
    rule's ``\\s`` can never reach into the next line.
    """

    rules: tuple[Rule, ...]
    regex: re.Pattern[str] | None = field(init=False)
    context_free: bool = field(init=False)
    """Whether a verdict depends only on the line and the one character before it (no rule
    looks behind), so callers may remember verdicts per line."""

    cue_finder: CueFinder = field(init=False)
    uncued: int = field(init=False)
    """Bit mask of the rules with no cues (they are tried on every line)."""

    def __post_init__(self) -> None:
        self.context_free = not any(_LOOKBEHIND.search(r.pattern) for r in self.rules)
        parts = []
        self._line_regexes: list[re.Pattern[str]] = []
        for i, r in enumerate(self.rules):
            inner = _inline(r)
            parts.append(f"(?P<r{i}>{inner})")
            self._line_regexes.append(re.compile(rf"\s*{inner}\s*"))
        self.regex = re.compile(rf"\s*(?:{'|'.join(parts)})\s*") if parts else None
        cues, self.uncued = rule_cues(self.rules)
        self.cue_finder = CueFinder(cues)
        masks = list(self.cue_finder.cues.values())
        self._cue_masks = np.array(masks if len(self.rules) <= 64 else [0] * len(masks),
                                   np.uint64)
        self._cue_limits = np.array([self._limit(m) for m in masks], np.int64)
        self._uncued_limit = self._limit(self.uncued)
        self._by_rules: dict[tuple[int, ...], re.Pattern[str] | None] = {}
        self._by_count: dict[int, re.Pattern[str] | None] = {}
        self._line_filter: LineFilter | bool | None = False  # False: not built yet

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled line filter: a worker gets it from its own process
        cache (or the disk cache the parent filled)."""
        state = self.__dict__.copy()
        state["_line_filter"] = False
        return state

    def line_filter(self) -> LineFilter | None:
        """The whole-line prefilter (:mod:`corpuskit.passes._line_filter`), built on first
        use; None with the pyahocorasick engine, with ``CORPUSKIT_LINE_FILTER=0``, or when
        Hyperscan refuses a rule (then cues alone pick the lines)."""
        if self._line_filter is False:
            use = (self.cue_finder.engine == "hyperscan"
                   and os.environ.get("CORPUSKIT_LINE_FILTER", "1") != "0")
            self._line_filter = line_filter(
                [(r.pattern, 0 if r.case_sensitive else re.IGNORECASE) for r in self.rules]
            ) if use else None
        assert self._line_filter is not True
        return self._line_filter

    def _limit(self, mask: int) -> int:
        """The largest ``max_words`` of the rules in ``mask`` (-1 for none)."""
        return max((r.max_words for i, r in enumerate(self.rules) if mask >> i & 1), default=-1)

    def lines_to_judge(
        self, text: str, spans: Sequence[tuple[int, int]], ends: np.ndarray | None = None
    ) -> list[tuple[int, int]]:
        """``(index, rules)`` of the lines of ``text`` (``spans``, ascending) that some rule
        could remove, ``rules`` being the bit mask of the rules that could. ``ends``: the
        spans' ends as an array, when the caller has it (``Document.line_bounds``).

        With Hyperscan, the line filter names them: every rule loosened into a whole-line
        pattern (:mod:`corpuskit.passes._line_filter`). Otherwise (and for texts it cannot
        scan) cues do: a rule removes a line only if the line holds one of the rule's
        required substrings (its cues, :mod:`corpuskit.passes._cues`) and has at most
        ``max_words`` words, so the other lines and rules need no regex. Judging every line
        with every rule gives the same verdicts, slower. The per-match and per-line work is
        numpy (a page has thousands of cue hits), except with more than 64 rules, where the
        masks do not fit a machine word."""
        if self.regex is None or not spans:
            return []
        lf = self.line_filter()
        if lf is not None:
            data = prepare(text)
            if data is not None:
                if ends is None:
                    ends = np.fromiter((e for _s, e in spans), np.int64, len(spans))
                return lf.lines(data, len(text), ends)
        folded = fold(text)
        everything = (1 << len(self.rules)) - 1
        if folded is not None and (len(self.rules) > 64 or self.cue_finder.engine != "hyperscan"):
            # the automaton yields matches one by one: handling each in Python beats
            # collecting them into arrays first
            return self._lines_to_judge_python(text, folded, spans)
        bounds = np.asarray(spans, np.int64)
        if folded is None:
            lines = np.arange(len(spans))
            masks: list[int] = [everything] * len(spans)
            limits = np.full(len(spans), self._limit(everything), np.int64)
        else:
            last, cue = self.cue_finder.scan_arrays(folded)
            first = last - self.cue_finder.lengths[cue] + 1
            line = np.searchsorted(bounds[:, 0], first, "right") - 1
            ok = line >= 0
            ok[ok] = last[ok] < bounds[line[ok], 1]
            line, cue = line[ok], cue[ok]
            order = np.argsort(line, kind="stable")
            line, cue = line[order], cue[order]
            lines, firsts = np.unique(line, return_index=True)
            if lines.size:
                mask_arr = np.bitwise_or.reduceat(self._cue_masks[cue], firsts)
                limits = np.maximum.reduceat(self._cue_limits[cue], firsts)
            else:
                mask_arr = np.zeros(0, np.uint64)
                limits = np.zeros(0, np.int64)
            if self.uncued:
                full = np.zeros(len(spans), np.uint64)
                full[lines] = mask_arr
                mask_arr = full | np.uint64(self.uncued)
                full_limits = np.full(len(spans), -1, np.int64)
                full_limits[lines] = limits
                limits = np.maximum(full_limits, self._uncued_limit)
                lines = np.arange(len(spans))
            masks = mask_arr.tolist()
        if not len(lines):
            return []
        words = word_counts(text, bounds[lines])
        keep = (words <= limits).tolist()
        return [(i, m) for i, m, k in zip(lines.tolist(), masks, keep, strict=True) if k]

    def _lines_to_judge_python(
        self, text: str, folded: str, spans: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """:meth:`lines_to_judge` in Python: for rule sets too large for 64-bit masks, and
        for the pyahocorasick engine."""
        starts = [s for s, _e in spans]
        found: dict[int, int] = {}
        get = found.get
        for last, (n, rules, _k) in self.cue_finder.iter_raw(folded):
            i = bisect_right(starts, last - n + 1) - 1
            if i >= 0 and last < spans[i][1]:
                found[i] = get(i, 0) | rules
        if self.uncued:
            found = {i: get(i, 0) | self.uncued for i in range(len(spans))}
        out = []
        limits: dict[int, int] = {}
        for i, mask in sorted(found.items()):
            s, e = spans[i]
            lim = limits.get(mask)
            if lim is None:
                lim = limits[mask] = self._limit(mask)
            # a line of L characters has at most (L + 1) // 2 words: count only longer ones
            if (e - s + 1) // 2 <= lim or word_count(text[s:e]) <= lim:
                out.append((i, mask))
        return out

    def judge(self, text: str, start: int, end: int, rules: int = -1) -> Rule | None:
        """The rule (among the bit mask ``rules``; -1: all) that removes the line
        ``text[start:end]``: the first in file order that matches it, if the line has no more
        than that rule's ``max_words`` words, else the first matching one it is short enough
        for; None if no rule removes it."""
        first: Rule | None = None
        regexes = self._line_regexes
        for i, r in enumerate(self.rules):
            if rules >> i & 1 and regexes[i].fullmatch(text, start, end):
                first = r
                break
        if first is None:
            return None
        line = text[start:end].strip()
        n = word_count(line)
        if n <= first.max_words:
            return first
        for i, r in enumerate(self.rules):  # a longer-lines rule may also match
            if rules >> i & 1 and n <= r.max_words and regexes[i].fullmatch(line):
                return r
        return None

    def removes_long_lines(self, text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
        """For each span, whether some rule removes that line (the line is no longer than
        the rule's ``max_words`` and matches it): what :meth:`judge` says, for the few long
        lines of a page, without scanning the page for cues.

        The rules a line is short enough for depend only on its word count, so each distinct
        set of them is folded into one regex (a handful per rule set, compiled once)."""
        if self.regex is None or not spans:
            return [False] * len(spans)
        out = []
        for (s, e), n in zip(spans, word_counts(text, spans).tolist(), strict=True):
            rx = self._regex_for_words(n)
            out.append(rx is not None and rx.fullmatch(text, s, e) is not None)
        return out

    def _regex_for_words(self, n: int) -> re.Pattern[str] | None:
        try:
            return self._by_count[n]
        except KeyError:
            pass
        keep = tuple(i for i, r in enumerate(self.rules) if n <= r.max_words)
        if keep not in self._by_rules:
            parts = [_inline(self.rules[i]) for i in keep]
            self._by_rules[keep] = (
                re.compile(rf"\s*(?:{'|'.join(parts)})\s*") if parts else None)
        got = self._by_count[n] = self._by_rules[keep]
        return got

    def match(self, text: str, start: int, end: int) -> Rule | None:
        """The first rule matching the whole of ``text[start:end]`` (one line), or None."""
        if self.regex is None:
            return None
        m = self.regex.fullmatch(text, start, end)
        if m is None:
            return None
        name = m.lastgroup
        assert name is not None
        return self.rules[int(name[1:])]


def _inline(rule: Rule) -> str:
    """The rule's pattern as a group carrying its own case flag, to combine with others."""
    return f"(?:{rule.pattern})" if rule.case_sensitive else f"(?i:{rule.pattern})"


def rule_cues(rules: Sequence[Rule]) -> tuple[dict[str, int], int]:
    """Cue -> bit mask of the rules (by position) requiring it, and the bit mask of the rules
    whose regex requires no nameable substring (they must be tried on every line)."""
    cues: dict[str, int] = {}
    uncued = 0
    for i, r in enumerate(rules):
        need = required_substrings(r.pattern, 0 if r.case_sensitive else re.IGNORECASE)
        if need is None:
            uncued |= 1 << i
        for c in need or ():
            cues[c] = cues.get(c, 0) | 1 << i
    return _drop_superstrings(cues), uncued


def _drop_superstrings(cues: dict[str, int]) -> dict[str, int]:
    """Cues without those containing another cue ('newsletters' holds 'newsletter'): every
    occurrence of the longer one is an occurrence of the shorter, which takes over its rules.
    Fewer, non-overlapping hits, since each hit costs a step of Python."""
    kept = {c: m for c, m in cues.items() if not any(o != c and o in c for o in cues)}
    for c, m in cues.items():
        if c not in kept:
            inner = min((o for o in kept if o in c), key=lambda o: (-len(o), o))
            kept[inner] |= m
    return kept


def word_count(s: str) -> int:
    return len(s.split())


def check_examples(rs: RuleSet) -> list[str]:
    """Failures of a rule set's evidence: an example its rule does not match, or a
    counter-example some rule matches. Used by the tests and by rule authors."""
    failures: list[str] = []
    for r in rs.rules:
        pat = r.compiled()

        def hit(ex: str, r: Rule = r, pat: re.Pattern[str] = pat) -> bool:
            return word_count(ex) <= r.max_words and pat.fullmatch(ex.strip()) is not None

        for ex in r.examples:
            if not hit(ex):
                failures.append(f"{r.id}: example not matched: {ex!r}")
        for ex in r.counter_examples:
            if hit(ex):
                failures.append(f"{r.id}: counter-example matched: {ex!r}")
        for ex in rs.counter_examples:
            if hit(ex):
                failures.append(f"{r.id}: content counter-example matched: {ex!r}")
    return failures
