"""Cues: substrings that every match of a rule's regex must contain, found in one pass over a text.

Why: a rule pass judges lines with regexes, but almost every line of a corpus matches no rule,
and trying ~25 whole-line patterns on each of them (~17 µs a line) made the rule passes run at
a sixth of the speed of reading the corpus. A line that contains none of the substrings a rule
*requires* cannot match that rule, so the passes look for all rules' cues at once (an
Aho-Corasick automaton, one C-speed scan of the lower-cased text) and judge only the lines
that hold one.

Why derived, not written: the required substrings are computed from the regex's parse tree
(:func:`required_substrings`), so they are right by construction for every rule, including a
user's, and cannot drift from the pattern when someone edits it. A rule whose regex requires
nothing that can be named (``.{1,80}``) gets no cues, and then every line is judged (slower,
never wrong).

Case: patterns match case-insensitively, and the cues are looked up in ``str.lower()`` of the
text. Python's regex engine also equates a few characters that ``lower()`` keeps apart (``ı``
and ``i``, ``ſ`` and ``s``, ``ς`` and ``σ``, ...); :func:`fold` maps those to one
representative in both the cues and the text, and a text whose lower-casing changes its length
(``İ``) is not searched at all (``None``: judge every line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import ahocorasick  # type: ignore[import-not-found]
import numpy as np

try:
    import hyperscan as _hyperscan  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the platform
    _hyperscan = None  # type: ignore[assignment]

try:  # Python 3.11+
    from re import _casefix  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]

    _EXTRA_CASES: Mapping[int, tuple[int, ...]] = _casefix._EXTRA_CASES
except ImportError:  # pragma: no cover - Python 3.10
    import sre_compile
    import sre_parse  # type: ignore[no-redef]

    _EXTRA_CASES = sre_compile._ignorecase_fixes  # type: ignore[attr-defined]

__all__ = ["CueFinder", "default_engine", "fold", "fold_char", "required_substrings"]

_C = sre_parse  # the opcode constants live on the parser module
MAX_SET = 64
"""Most alternative strings tracked for one part of a pattern (``(?:a|b)(?:c|d)`` is 4)."""
MAX_CLASS = 16
_FEW = 4
"""Up to this many matches in a non-ASCII text, offsets are mapped by decoding prefixes."""
"""A character class of at most this many characters is treated as that many literals."""


def _fold_table() -> dict[int, str]:
    """Characters the regex engine equates case-insensitively though ``lower()`` differs, each
    mapped to one representative (the lower case of its group's upper case, else the smallest)."""
    table: dict[int, str] = {}
    for key, others in _EXTRA_CASES.items():
        group = {chr(c).lower() for c in (key, *others)}
        if len(group) < 2:
            continue
        canon = {g.upper().lower() for g in group if len(g.upper().lower()) == 1} & group
        rep = min(canon) if len(canon) == 1 else min(group)
        for g in group:
            if g != rep and len(g) == 1:
                table[ord(g)] = rep
    return table


_FOLD = _fold_table()
_NEEDS_FOLD = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FOLD)) + "]")


def fold(text: str) -> str | None:
    """``text`` lower-cased and case-folded the way the regex engine compares characters, with
    every offset unchanged; None when lower-casing changes the length (offsets would shift)."""
    low = text.lower()
    if len(low) != len(text):
        return None
    if not low.isascii() and _NEEDS_FOLD.search(low):  # (isascii is a flag lookup)
        low = low.translate(_FOLD)
    return low


# -- required substrings ------------------------------------------------------------------------
class _Info:
    """What one part of a pattern is known to match.

    ``exact``: every string it can match, when that is a small finite set (else None).
    ``need``: strings one of which every match contains (None: nothing can be named).
    """

    __slots__ = ("exact", "need")

    def __init__(self, exact: frozenset[str] | None, need: frozenset[str] | None) -> None:
        self.exact = exact
        self.need = need


_EMPTY = _Info(frozenset({""}), None)
_UNKNOWN = _Info(None, None)


def fold_char(c: str) -> str | None:
    """The character :func:`fold` turns ``c`` into; None when lower-casing gives more than one
    character: 'İ' lower-cases to two, yet the regex engine matches it with 'i' and 'I' (it
    folds one character at a time), so nothing can be named for it."""
    low = c.lower()
    return low.translate(_FOLD) if len(low) == 1 else None


def _literal(chars: Iterable[str]) -> _Info:
    folded = [fold_char(c) for c in chars]
    if None in folded:
        return _UNKNOWN
    s = frozenset(f for f in folded if f is not None)
    return _Info(s, s)


_LETTER_P = dict(zip(
    "etaoinshrdlcumwfgypbvkjxqz", (
        .12, .09, .08, .075, .07, .067, .063, .06, .06, .043, .04, .028, .028, .024, .024,
        .022, .02, .02, .019, .015, .01, .008, .002, .002, .001, .001),
    strict=True))
_LETTER_P[" "] = 0.15


def _frequency(s: str) -> float:
    r"""Estimated occurrences of ``s`` per character of text, by a letter-frequency model
    (English letters; other characters rare): 'ver' (in "every", "over") scores far higher
    than 'más', so the requirement chosen for ``ver\s+más`` is the accented word."""
    f = 1.0
    for c in s:
        f *= _LETTER_P.get(c, 0.01 if c.isascii() else 0.003)
    return f


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two requirements: the lower estimated frequency of any of its
    strings occurring (ties: the first). Only speed depends on the choice, never a verdict."""
    if a is None:
        return b
    if b is None:
        return a
    return b if sum(map(_frequency, b)) < sum(map(_frequency, a)) else a


def _usable(s: frozenset[str] | None) -> frozenset[str] | None:
    return s if s and "" not in s else None


def _seq(items: Iterable[tuple[Any, Any]]) -> _Info:
    cur: frozenset[str] | None = frozenset({""})
    exact_ok = True
    need: frozenset[str] | None = None
    for op, av in items:
        it = _item(op, av)
        if it.need is not None and op is _C.ASSERT:
            need = _better(need, it.need)  # a look-ahead's text is inside the line too
        if it.exact is not None and cur is not None and len(cur) * len(it.exact) <= MAX_SET:
            cur = frozenset(a + b for a in cur for b in it.exact)
            continue
        exact_ok = False
        need = _better(need, _usable(cur))
        need = _better(need, it.need)
        cur = it.exact if it.exact is not None and len(it.exact) <= MAX_SET else frozenset({""})
    need = _better(need, _usable(cur))
    return _Info(cur if exact_ok else None, need)


def _branch(alternatives: Iterable[Any]) -> _Info:
    infos = [_seq(alt) for alt in alternatives]
    exact: frozenset[str] | None = None
    if all(i.exact is not None for i in infos):
        union = frozenset().union(*(i.exact for i in infos if i.exact is not None))
        exact = union if len(union) <= MAX_SET else None
    needs = [i.need for i in infos]
    need: frozenset[str] | None = None
    if all(n is not None for n in needs):
        need = frozenset().union(*(n for n in needs if n is not None))
    return _Info(exact, need)


def _charset(items: Iterable[tuple[Any, Any]]) -> _Info:
    chars: set[str] = set()
    for op, av in items:
        if op is _C.LITERAL:
            chars.add(chr(av))
        elif op is _C.RANGE and av[1] - av[0] < MAX_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\w, \s), a wide range
            return _UNKNOWN
        if len(chars) > MAX_CLASS:
            return _UNKNOWN
    return _literal(chars) if chars else _UNKNOWN


def _item(op: Any, av: Any) -> _Info:
    if op is _C.LITERAL:
        return _literal(chr(av))
    if op is _C.IN:
        return _charset(av)
    if op is _C.SUBPATTERN:
        return _seq(av[-1])
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return _seq(av)
    if op is _C.BRANCH:
        return _branch(av[1])
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        inner = _seq(sub)
        if hi == 0:
            return _EMPTY
        if lo == 0:
            if hi == 1 and inner.exact is not None:
                return _Info(inner.exact | {""}, None)
            return _UNKNOWN
        if lo == hi == 1:
            return inner
        return _Info(None, inner.need)
    if op is _C.AT:
        return _EMPTY
    if op is _C.ASSERT_NOT:
        return _EMPTY  # only ever narrows what matches
    if op is _C.ASSERT:
        direction, sub = av
        # zero-width; a look-ahead's requirement is still a requirement on the text
        return _Info(frozenset({""}), _seq(sub).need if direction == 1 else None)
    return _UNKNOWN  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ...


def required_substrings(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lower-cased, :func:`fold` ed strings one of which every match of ``pattern`` contains,
    or None when no such set can be named (then the pattern must be tried on every line)."""
    return _usable(_seq(sre_parse.parse(pattern, flags)).need)


# -- finding ------------------------------------------------------------------------------------
def default_engine() -> str:
    """``hyperscan`` when that package is installed (Linux x86-64 wheels), else
    ``ahocorasick``; ``CORPUSKIT_CUE_ENGINE`` picks one (benchmarks compare them)."""
    forced = os.environ.get("CORPUSKIT_CUE_ENGINE")
    if forced:
        return forced
    return "hyperscan" if _hyperscan is not None else "ahocorasick"


class CueFinder:
    """All cues of a rule set, found in one scan; each cue carries an integer payload (the rule
    passes use the bit mask of the rules that require it).

    Two engines give the same matches. Hyperscan scans a text's UTF-8 bytes several times
    faster than a pyahocorasick automaton walks its characters (~60 MB/s with the boilerplate
    cue set), and the scan is most of a rule pass's time; pyahocorasick runs everywhere, so it
    is the fallback. Verdicts never depend on the engine.
    """

    def __init__(self, cues: Mapping[str, int], engine: str | None = None) -> None:
        self.cues = dict(sorted(cues.items()))
        engine = engine or default_engine()
        if engine not in ("hyperscan", "ahocorasick"):
            raise ValueError(f"unknown cue engine {engine!r}")
        if engine == "hyperscan" and _hyperscan is None:
            raise ValueError("cue engine 'hyperscan' asked for, but it is not installed")
        self.engine = engine
        self._values = [(len(c), p, k) for k, (c, p) in enumerate(self.cues.items())]
        self.lengths = np.array([len(c) for c in self.cues], np.int64)
        """Each cue's length, by cue number."""
        self._auto: Any = None
        self._db: Any = None
        if engine == "ahocorasick" and self.cues:
            self._auto = ahocorasick.Automaton()
            for cue, value in zip(self.cues, self._values, strict=True):
                self._auto.add_word(cue, value)
            self._auto.make_automaton()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its cues (workers rebuild the engine, a few milliseconds)."""
        return (CueFinder, (self.cues, self.engine))

    def find(self, folded: str) -> Iterator[tuple[int, int, int]]:
        """``(start, end, payload)`` of every cue occurrence in a :func:`fold` ed text."""
        for last, (n, payload, _k) in self.iter_raw(folded):
            yield last + 1 - n, last + 1, payload

    def iter_raw(self, folded: str) -> Iterable[tuple[int, tuple[int, int, int]]]:
        """Every cue occurrence as ``(index of its last character, (cue length, payload, cue
        number))``, in no particular order: the loop of a hot caller runs over these
        directly."""
        if not self.cues:
            return ()
        if self._auto is not None:
            return self._auto.iter(folded)  # type: ignore[no-any-return]
        return self._scan(folded)

    def _database(self) -> Any:
        """The Hyperscan database of the cues' UTF-8 bytes, compiled on first use."""
        if self._db is None:
            # every byte escaped: the binding hands expressions over as C strings
            exprs = ["".join(f"\\x{b:02x}" for b in cue.encode("utf-8", "surrogatepass"))
                     .encode() for cue in self.cues]
            db = _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK)
            db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs),
                       flags=0)
            self._db = db
        return self._db

    def scan_arrays(self, folded: str) -> tuple[np.ndarray, np.ndarray]:
        """Every cue occurrence as two arrays: index of its last character, and the cue's
        number (its place in ``self.cues``), for callers that reduce matches with numpy."""
        if not self.cues:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if self._auto is not None:
            got = [(last, k) for last, (_n, _p, k) in self._auto.iter(folded)]
            if not got:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            both = np.array(got, np.int64)
            return both[:, 0], both[:, 1]
        return self._scan_arrays(folded)

    def _scan_arrays(self, folded: str) -> tuple[np.ndarray, np.ndarray]:
        """Hyperscan over the UTF-8 bytes. A byte offset becomes a character offset by
        subtracting the UTF-8 continuation bytes before it (one numpy pass, only when the text
        is not ASCII); a cue's bytes only match at character boundaries, since UTF-8 lead and
        continuation bytes never look alike."""
        ends: list[int] = []
        ids: list[int] = []
        add_end, add_id = ends.append, ids.append

        def on_match(i: int, _frm: int, to: int, _flags: int, _ctx: Any) -> None:
            add_end(to)
            add_id(i)

        data = folded.encode("utf-8", "surrogatepass")
        self._database().scan(data, match_event_handler=on_match)
        if ends and len(data) != len(folded):
            if len(ends) <= _FEW:  # decoding the prefixes is cheaper than a pass over all
                ends = [len(data[:to].decode("utf-8", "surrogatepass")) for to in ends]
            else:
                raw = np.frombuffer(data, np.uint8)
                continuation = np.cumsum((raw & 0xC0) == 0x80, dtype=np.int64)
                at = np.asarray(ends, np.int64) - 1
                return at - continuation[at], np.asarray(ids, np.int64)
        return np.asarray(ends, np.int64) - 1, np.asarray(ids, np.int64)

    def _scan(self, folded: str) -> list[tuple[int, tuple[int, int, int]]]:
        last, ids = self._scan_arrays(folded)
        values = self._values
        return [(e, values[i]) for e, i in zip(last.tolist(), ids.tolist(), strict=True)]
