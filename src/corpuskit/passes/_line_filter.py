"""Whole-line prefilters: each line rule's regex loosened into a Hyperscan pattern that matches
every line the rule can match (and a few more), so one scan of a page names the lines worth
judging *and* the rules worth trying on each.

Why: the cue filter (:mod:`corpuskit.passes._cues`) only knows that a line contains a word a
rule needs. Short cues are everywhere ("ad" is in "read", "all" in "call"): on the benchmark
corpus the scan reported ~16 cue hits per kB, each a step of Python, and every line holding one
was tried against several rules. A loosened whole-line pattern also carries the rule's shape
(what may come before and after the word, and nothing else on the line), so Hyperscan reports
about one match per line that is really chrome, naming the rule that may remove it.

Why loosened, not translated: Python's regex dialect and Hyperscan's differ in small ways (case
folding, what ``\\w`` and ``\\b`` mean outside ASCII, look-arounds Hyperscan lacks). The
loosened pattern keeps only constructs that mean the same in both: literal characters
(matching every character the regex engine equates with them when ignoring case, from
Python's own case tables), explicit character sets,
alternation and repetition. Everything else becomes something that matches at least as much:
an assertion matches the empty string, ``\\w`` any character but an ASCII blank, ``\\s`` an
ASCII blank or any non-ASCII character, a back-reference any run of characters. So every line a
rule matches also matches its loosened pattern, and the rule's own regex then decides, as
before: verdicts never depend on this filter, only speed does. The tests compare it with
judging every line, on real pages and on arbitrary Unicode.

Compiling the built-in rule set takes Hyperscan about two seconds, so a compiled database is
kept for the process and, serialised, in a cache directory (``CORPUSKIT_CACHE_DIR``, default
``$XDG_CACHE_HOME/corpuskit`` or ``~/.cache/corpuskit``; an empty value turns the disk cache
off). A missing, stale or unreadable cache file only costs the compile.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpuskit.passes._cues import _C
from corpuskit.passes._cues import _seq as _requirements
from corpuskit.passes._cues import fold_char as _folded
from corpuskit.segment import JoinedLines

try:
    import hyperscan as _hyperscan  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the platform
    _hyperscan = None  # type: ignore[assignment]

try:  # Python 3.11+
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse  # type: ignore[no-redef]

__all__ = ["LineFilter", "line_filter", "loosen", "prepare"]

VERSION = "2"
"""Part of the cache key: bump when :func:`loosen` changes what it writes."""

_MAX_SET = 256
"""Character sets larger than this (after case folding) become 'any non-blank character' or
'any character', which are cheap for Hyperscan and match at least as much."""
_MAX_BOUND = 30
"""Bounded repeats above this become open-ended (``{0,400}`` is costly for Hyperscan and says
little about a line)."""
_MAX_REPEATED = 200
"""A repeated part longer than this (as a loosened pattern) is matched once, then anything
(see :func:`_repeat`)."""
_MAX_LOW = 8
"""Lower bounds above this are lowered to it (still a superset)."""

_ANY = r"[^\n]"
_NON_BLANK = r"\S"
"""Without Hyperscan's UCP flag ``\\S`` is 'anything but an ASCII blank': every character that
Python's ``\\w``, ``\\d`` or ``\\S`` matches, and more."""
_BLANK = r"[\x09\x0b-\x0d\x1c-\x20\x{80}-\x{10ffff}]"
"""A blank inside a line, loosely: an ASCII blank or any non-ASCII character. Python's blanks
are all among these; listing the non-ASCII ones exactly made the patterns too long and slow
for Hyperscan to compile."""

_SPACE_CATS = {"CATEGORY_SPACE", "CATEGORY_UNI_SPACE"}
_NON_BLANK_CATS = {"CATEGORY_WORD", "CATEGORY_UNI_WORD", "CATEGORY_DIGIT", "CATEGORY_UNI_DIGIT",
                   "CATEGORY_NOT_SPACE", "CATEGORY_UNI_NOT_SPACE"}


# -- loosening ----------------------------------------------------------------------------------
def _char(c: str) -> str:
    """One character as a Hyperscan literal, escaped unless a letter or digit."""
    o = ord(c)
    if c.isascii() and c.isalnum():
        return c
    if 0x20 <= o < 0x7F:
        return "\\" + c
    return f"\\x{o:02x}" if o < 0x100 else f"\\x{{{o:x}}}"


_TEXT_FOLD = {"ſ": "s", "ı": "i", "\u212a": "k"}
"""The characters besides the ASCII letters that the regex engine equates with an ASCII letter
when ignoring case ('İ' too, but it lower-cases to two characters: a text holding it is not
scanned). :func:`prepare` replaces them in the text, so a pattern letter stays one byte
(``[sſ]`` for ``s`` slowed the scan a third); a test enumerates every code point."""


def prepare(text: str) -> bytes | None:
    """What the filter scans for ``text``: its UTF-8 with the ASCII letters lower-cased and the
    :data:`_TEXT_FOLD` characters replaced; other letters keep their case (the patterns list
    every case of them, see :func:`_lit`). Every character keeps its place. None when the
    filter cannot scan the text: a line break other than "\\n" (its line anchors know only
    that one), an 'İ', a lone surrogate (not UTF-8)."""
    if "\r" in text:
        return None
    if not text.isascii():  # (a flag lookup)
        if "İ" in text:
            return None
        # str.replace runs at memchr speed where translate takes a step per character
        for a, b in _TEXT_FOLD.items():
            if a in text:
                text = text.replace(a, b)
    try:
        return text.encode("utf-8").lower()  # bytes.lower: ASCII only, at memory speed
    except UnicodeEncodeError:
        return None


@functools.lru_cache(maxsize=1)
def _cases() -> dict[str, str]:
    """Folded non-ASCII character -> every character that folds to it, when more than itself
    ('ü' -> 'Üü', 'σ' -> 'Σσς'). Built once per process, only when a filter is compiled:
    from Python's own case tables, so the patterns agree with the regex engine."""
    out: dict[str, set[str]] = {}
    for o in range(0x80, 0x110000):
        c = chr(o)
        f = _folded(c)
        if f is not None and f != c and not f.isascii():
            out.setdefault(f, {f}).add(c)
    return {f: "".join(sorted(v)) for f, v in out.items()}


def _cased(f: str) -> str:
    """Every character of the scanned text that a folded pattern character stands for."""
    return f if f.isascii() else _cases().get(f, f)


def _lit(f: str) -> str:
    """A folded pattern character as a Hyperscan pattern over :func:`prepare` d text."""
    v = _cased(f)
    return _char(f) if len(v) == 1 else _class(v)


def _class(chars: Iterable[str]) -> str:
    """``[...]`` of these characters, runs of code points written as ranges."""
    codes = sorted(set(map(ord, chars)))
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        a, b = chr(codes[i]), chr(codes[j])
        parts.append(_char(a) if i == j else f"{_char(a)}-{_char(b)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _in(items: Sequence[tuple[Any, Any]]) -> str:
    """A ``[...]`` set: its folded characters when few and explicit, loosely widened when it
    holds blanks or classes, any character when negated."""
    chars: set[str] = set()
    space = non_blank = False
    for op, av in items:
        if op is _C.LITERAL:
            chars.add(chr(av))
        elif op is _C.RANGE and av[1] - av[0] < _MAX_SET:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is _C.RANGE and not any(av[0] <= c <= av[1] for c in (*range(0x9, 0xE), 0x20)):
            non_blank = True  # a wide range without ASCII blanks
        elif op is _C.CATEGORY and str(av) in _SPACE_CATS:
            space = True
        elif op is _C.CATEGORY and str(av) in _NON_BLANK_CATS:
            non_blank = True
        else:  # NEGATE, a category like \W, a wide range with blanks
            return _ANY
    folded = {_folded(c) for c in chars}
    if None in folded:
        return _ANY
    folded.discard("\n")
    ascii_blank = any(c in "\t\x0b\x0c\r\x1c\x1d\x1e\x1f " for c in folded)  # type: ignore[operator]
    if non_blank:
        return _ANY if space or ascii_blank else _NON_BLANK
    if space:  # _BLANK holds every non-ASCII character: add the ASCII members only
        extra = "".join(_char(c) for c in sorted(c for c in folded if c and c.isascii()))
        return _BLANK[:-1] + extra + "]"
    if not folded:
        return _ANY
    if len(folded) > _MAX_SET:
        return _ANY if ascii_blank else _NON_BLANK
    return _class(v for c in folded if c for v in _cased(c))


def _category(av: Any) -> str:
    name = str(av)
    if name in _SPACE_CATS:
        return _BLANK
    return _NON_BLANK if name in _NON_BLANK_CATS else _ANY


def _repeat(lo: int, hi: int, inner: str) -> str:
    if hi == 0:
        return ""
    lo = min(lo, _MAX_LOW)
    if hi > 1 and len(inner) > _MAX_REPEATED:
        # a repeated alternation of words takes Hyperscan seconds to compile; one copy and
        # then anything up to the end of the line matches at least as much
        return f"(?:{inner}){_ANY}*" if lo else f"(?:(?:{inner}){_ANY}*)?"
    if hi is sre_parse.MAXREPEAT or hi > _MAX_BOUND or (hi > 1 and inner in (_ANY, _NON_BLANK)):
        if lo <= 1:
            return f"(?:{inner}){'*' if lo == 0 else '+'}"
        return f"(?:{inner}){{{lo},}}"
    if lo == 0 and hi == 1:
        return f"(?:{inner})?"
    if lo == hi == 1:
        return f"(?:{inner})"
    return f"(?:{inner}){{{lo},{hi}}}"


def _item(op: Any, av: Any) -> str:
    if op is _C.LITERAL:
        f = _folded(chr(av))
        return _ANY if f is None or f == "\n" else _lit(f)
    if op is _C.IN:
        return _in(av)
    if op is _C.ANY or op is _C.NOT_LITERAL:
        return _ANY
    if op is _C.CATEGORY:
        return _category(av)
    if op is _C.SUBPATTERN:
        return f"(?:{_seq(av[-1])})"
    if op is getattr(_C, "ATOMIC_GROUP", None):
        return f"(?:{_seq(av)})"
    if op is _C.BRANCH:
        return "(?:" + "|".join(_seq(alt) for alt in av[1]) + ")"
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        return _repeat(lo, hi, _seq(sub))
    if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
        return ""  # zero-width: matching the empty string instead only matches more
    return f"{_ANY}*"  # back-references, conditionals, anything new: any run of characters


def _seq(items: Iterable[tuple[Any, Any]]) -> str:
    return "".join(_item(op, av) for op, av in items)


def _whole_line(items: list[tuple[Any, Any]]) -> str:
    """One alternative as a whole-line pattern.

    A look-ahead at the alternative's top level says what the rest of the line holds
    (``(?=.{0,400}cookies?).{10,600}``: a line of 10 or more characters holding "cookie").
    When the part after it requires no text, the line is matched as what comes before the
    look-ahead, then what it looks for, then anything: that holds for every line the
    alternative matches, since a look-ahead cannot see past the end of the line."""
    for j, (op, av) in enumerate(items):
        if op is _C.ASSERT and av[0] == 1 and _requirements(items[j + 1:]).need is None:
            return f"^{_BLANK}*(?:{_seq(items[:j])})(?:{_seq(av[1])}){_ANY}*$"
    return f"^{_BLANK}*(?:{_seq(items)}){_BLANK}*$"


def loosen(pattern: str, flags: int = 0) -> list[str]:
    """Hyperscan patterns (UTF-8, multi-line), one per top-level alternative of ``pattern``
    (Hyperscan limits a pattern's length), that together match every whole line of a
    :func:`prepare` d text that ``\\s*pattern\\s*`` fully matches in the original text."""
    items = list(sre_parse.parse(pattern, flags))
    while len(items) == 1 and items[0][0] is _C.SUBPATTERN:
        items = list(items[0][1][-1])
    alternatives = items[0][1][1] if len(items) == 1 and items[0][0] is _C.BRANCH else [items]
    return [_whole_line(list(alt)) for alt in alternatives]


# -- scanning -----------------------------------------------------------------------------------
class LineFilter:
    """A Hyperscan database of the loosened patterns of a rule set, by rule position."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self._scratch = _hyperscan.Scratch(db)

    def lines(self, data: bytes, chars: int, ends: np.ndarray) -> list[tuple[int, int]]:
        """``(index, rules)`` of the lines (``ends``: their end offsets, ascending) that some
        loosened pattern matches, ``rules`` the bit mask of those rules, in index order.

        ``data``: :func:`prepare` of the text, ``chars`` the text's length."""
        ids, at = self._scan((data,))
        if len(data) != chars and at.size:  # byte offsets to character offsets
            raw = np.frombuffer(data, np.uint8)
            at -= np.searchsorted(np.flatnonzero((raw & 0xC0) == 0x80), at)
        return _masks(ids, at, ends)

    def lines_joined(self, joined: JoinedLines, pieces: Sequence[bytes]) -> list[tuple[int, int]]:
        """:meth:`lines` for the texts of ``joined`` (``pieces``: their :func:`prepare`), line
        indices counted over all of them. Each text is scanned alone: Hyperscan runs about a
        fifth faster over page-sized buffers than over megabytes."""
        ids, at = self._scan(pieces)
        return _masks(ids, joined.to_chars(at), joined.ends)

    def _scan(self, pieces: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """(rule number, byte offset of the end) of every match in ``pieces`` joined with
        ``b"\\n\\n"``."""
        ids: list[int] = []
        at: list[int] = []
        add_id, add_end = ids.append, at.append
        base = 0

        def on_match(i: int, _frm: int, to: int, _flags: int, _ctx: Any) -> None:
            add_id(i)
            add_end(base + to)

        scan, scratch = self._db.scan, self._scratch
        for piece in pieces:
            scan(piece, match_event_handler=on_match, scratch=scratch)
            base += len(piece) + 2
        return np.array(ids, np.int64), np.array(at, np.int64)


def _masks(ids: np.ndarray, at: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    """``(line, rule mask)`` of the matches that end where a line ends (others, like a match
    of a loosened pattern that stops inside a multi-byte character, are dropped)."""
    if not ids.size or not ends.size:
        return []
    line = np.searchsorted(ends, at)
    hit = line < ends.size
    hit[hit] = ends[line[hit]] == at[hit]
    line, rule = line[hit], ids[hit]
    if not line.size:
        return []
    if rule.max() >= 63:  # masks wider than a machine word: in Python
        found: dict[int, int] = {}
        for k, i in zip(line.tolist(), rule.tolist(), strict=True):
            found[k] = found.get(k, 0) | 1 << i
        return sorted(found.items())
    order = np.argsort(line, kind="stable")
    line = line[order]
    bits = np.left_shift(np.uint64(1), rule[order].astype(np.uint64))
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
    masks = np.bitwise_or.reduceat(bits, starts)
    return list(zip(line[starts].tolist(), masks.tolist(), strict=True))


_FILTERS: dict[str, LineFilter | None] = {}


def _flags() -> int:
    h = _hyperscan
    return int(h.HS_FLAG_UTF8 | h.HS_FLAG_MULTILINE | h.HS_FLAG_ALLOWEMPTY)


def line_filter(patterns: Sequence[tuple[str, int]]) -> LineFilter | None:
    """The line filter of these ``(pattern, flags)`` rules, compiled once per process (and
    cached on disk); None when Hyperscan is not installed or cannot compile them (the caller
    then filters by cues alone)."""
    if _hyperscan is None or not patterns:
        return None
    # the key names everything the database depends on; the patterns are loosened only to
    # compile (the case tables take a moment to build)
    key = hashlib.sha256(repr((VERSION, _hyperscan_version(), unicodedata.unidata_version,
                               _flags(), list(patterns))).encode()).hexdigest()[:32]
    if key in _FILTERS:
        return _FILTERS[key]
    db = _load(key)
    if db is None:
        try:
            exprs: list[bytes] = []
            ids: list[int] = []
            for k, (p, f) in enumerate(patterns):
                for e in loosen(p, f):
                    exprs.append(e.encode())
                    ids.append(k)
            db = _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK)
            db.compile(expressions=exprs, ids=ids, elements=len(exprs),
                       flags=[_flags()] * len(exprs))
        except Exception:
            _FILTERS[key] = None
            return None
        _store(key, db)
    got = _FILTERS[key] = LineFilter(db)
    return got


def _hyperscan_version() -> str:
    return str(getattr(_hyperscan, "__version__", "")) + str(
        getattr(_hyperscan, "HS_VERSION", ""))


def cache_dir() -> Path | None:
    """Where compiled line filters are kept between runs; None when turned off."""
    env = os.environ.get("CORPUSKIT_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to be found: compile in every process
            return None
    return Path(base) / "corpuskit"


def _load(key: str) -> Any:
    d = cache_dir()
    if d is None:
        return None
    try:
        data = (d / f"linefilter-{key}.hsdb").read_bytes()
        return _hyperscan.loadb(data, _hyperscan.HS_MODE_BLOCK)
    except Exception:
        return None


def _store(key: str, db: Any) -> None:
    d = cache_dir()
    if d is None:
        return
    tmp = None
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".linefilter-")
        with os.fdopen(fd, "wb") as f:
            f.write(_hyperscan.dumpb(db))
        os.replace(tmp, d / f"linefilter-{key}.hsdb")  # readers never see a partial file
    except OSError:  # a read-only home: the next process compiles again
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
