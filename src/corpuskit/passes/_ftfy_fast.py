"""``ftfy.fix_text`` with the same output, only much faster on text that has nothing to fix.

Why this is exact
-----------------
``ftfy.fix_text`` cuts a document into *segments* (each line with its ``\\n``; a line longer
than ``max_decode_length`` is cut every ``max_decode_length`` characters) and runs
``ftfy.fix_and_explain`` on each one. That function applies its fixers in a loop and stops as
soon as one round changes nothing. So if every enabled fixer is a no-op on a segment, the
segment comes back unchanged, and ftfy need not be called for it at all.

For each enabled fixer this module knows what *must* be present for it to change anything:

* ``fix_encoding`` does nothing unless ``ftfy.badness.is_bad(segment)``, i.e. unless
  ``BADNESS_RE`` matches somewhere inside the segment. We parse ``BADNESS_RE`` itself (so the
  gate follows the installed ftfy, not a copy) and, for each of its alternatives, take a
  *witness*: two adjacent single-character items whose character sets are both non-ASCII, or
  else one such item. Any match of that alternative contains its witness, so a segment without
  any witness cannot be bad. Ordinary typography (a curly quote, a dash, an ``é`` between ASCII
  letters) is not a witness: only the improbable *pairs* are (``Ã©``, ``â€``, ``Â·``...).
* ``unescape_html`` only changes ``HTML_ENTITY_RE`` matches; ``fix_c1_controls`` only
  U+0080-U+009F; ligature/width/quote/line-break/control-character fixers only the keys of their
  translation tables or regexes; ``fix_surrogates`` only surrogates; ``remove_terminal_escapes``
  only sequences starting with ESC.
* normalization changes a segment only if ``unicodedata.is_normalized`` is false for it. A line
  ending ``\\n`` never composes or reorders with its neighbours, so a normalized document has
  normalized lines and one C-speed check of the whole document usually settles it.

All these triggers are compiled into one regex whose first item is a character class, so the
regex engine skips text that contains none of the trigger characters at C speed. Lines with a
hit, plus (rarely) non-normalized lines and every segment of an over-long line, are handed to
the real ``ftfy.fix_and_explain`` with exactly the configuration ``fix_text`` would have used
for that segment, including its rule that ``unescape_html="auto"`` is switched off for good
from the first segment containing ``<``. Nothing is re-implemented; the tests compare the
result with ``ftfy.fix_text`` on real corpora, ftfy's own test cases and generated text.
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ftfy
from ftfy import TextFixerConfig
from ftfy import chardata as ftfy_chardata
from ftfy.badness import BADNESS_RE

if sys.version_info >= (3, 11):
    from re import _constants as sre_constants
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse

__all__ = ["FastFixer", "SegmentFix", "badness_witnesses", "build_gate"]

VERIFIED_FTFY = ("6.3.",)
"""ftfy versions whose ``fix_text`` segmentation this module was checked against."""


@dataclass(frozen=True)
class SegmentFix:
    """One ftfy segment that changed: ``text[start:end]`` becomes ``fixed``."""

    start: int
    end: int
    fixed: str
    steps: tuple[tuple[str, str], ...] | None
    """ftfy's explanation (``fix_and_explain``), or None when ``explain`` is off."""


# ----------------------------------------------------------------------------------------------
# witnesses of ftfy's badness regex
# ----------------------------------------------------------------------------------------------
def _item_charset(op: Any, av: Any) -> frozenset[int] | None:
    """The code points a one-character regex item can match, or None if not a plain set."""
    if op is sre_constants.LITERAL:
        return frozenset((av,))
    if op is sre_constants.IN:
        out: set[int] = set()
        for sub_op, sub_av in av:
            if sub_op is sre_constants.LITERAL:
                out.add(sub_av)
            elif sub_op is sre_constants.RANGE:
                out.update(range(sub_av[0], sub_av[1] + 1))
            else:  # NEGATE, CATEGORY (\s, \w): not a finite set we reason about
                return None
        return frozenset(out)
    return None


def badness_witnesses(
    pattern: re.Pattern[str] = BADNESS_RE,
) -> tuple[list[tuple[frozenset[int], frozenset[int]]], frozenset[int]] | None:
    """Per alternative of ``pattern``: a pair of adjacent non-ASCII sets, or a single one.

    Returns (pairs, singles), or None when some alternative has no witness (then no gate can
    be derived and every segment must go through ftfy).
    """
    if pattern.flags & re.IGNORECASE:
        return None  # literal sets would not list every character a case-blind match takes
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    items: list[Any] = parsed.data
    if len(items) == 1 and items[0][0] is sre_constants.BRANCH:
        alternatives = [list(alt) for alt in items[0][1][1]]
    else:
        alternatives = [items]
    pairs: list[tuple[frozenset[int], frozenset[int]]] = []
    singles: set[int] = set()
    for alt in alternatives:
        sets = [_item_charset(op, av) for op, av in alt]
        best: tuple[frozenset[int], frozenset[int]] | None = None
        for a, b in itertools.pairwise(sets):
            if a is not None and b is not None and _non_ascii(a) and _non_ascii(b) and (
                best is None or min(_stop_cost(a), _stop_cost(b))
                < min(_stop_cost(best[0]), _stop_cost(best[1]))
            ):
                best = (a, b)
        if best is not None:
            pairs.append(best)
            continue
        lone = sorted((s for s in sets if s is not None and _non_ascii(s)), key=_stop_cost)
        if not lone:
            return None
        singles.update(lone[0])
    return pairs, frozenset(singles)


def _non_ascii(chars: frozenset[int]) -> bool:
    """Every character of the (non-empty) set is outside ASCII."""
    return bool(chars) and min(chars) > 0x7F


def _char_class(codepoints: Iterable[int]) -> str:
    """A regex character class for the given code points, as escaped ranges."""
    cps = sorted(set(codepoints))
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


def _esc(cp: int) -> str:
    return f"\\U{cp:08x}"


# ----------------------------------------------------------------------------------------------
# the gate
# ----------------------------------------------------------------------------------------------
def _fixer_triggers(config: TextFixerConfig) -> set[int]:
    """Characters without which each enabled single-character fixer is a no-op."""
    out: set[int] = set()
    if config.fix_c1_controls:
        out.update(range(0x80, 0xA0))  # C1_CONTROL_RE
    if config.fix_latin_ligatures:
        out.update(ftfy_chardata.LIGATURES)
    if config.fix_character_width:
        out.update(ftfy_chardata.WIDTH_MAP)
    if config.uncurl_quotes:
        out.update([0x02BC, *range(0x2018, 0x201C), *range(0x201C, 0x2020)])
    if config.fix_line_breaks:
        out.update([0x0D, 0x2028, 0x2029, 0x85])
    if config.fix_surrogates:
        out.update(range(0xD800, 0xE000))
    if config.remove_terminal_escapes:
        out.add(0x1B)  # ANSI_RE starts with ESC
    if config.remove_control_chars:
        out.update(ftfy_chardata.CONTROL_CHARS)
    return out


def _stop_cost(chars: frozenset[int]) -> int:
    """How often the regex engine would stop on these characters in ordinary text.

    Only a performance heuristic (which side of a witness pair to scan for); the gate is exact
    whichever side is chosen.
    """
    cost = 0
    for c in chars:
        if c in _TYPOGRAPHY:
            cost += 1000
        elif 0xDF <= c <= 0xFF or 0x03AC <= c <= 0x03CE or 0x0430 <= c <= 0x045F:
            cost += 200  # lowercase accented Latin, Greek, Cyrillic: common in their languages
        elif 0x0386 <= c <= 0x03AB or 0x0400 <= c <= 0x042F:
            cost += 20  # uppercase Greek and Cyrillic
        elif 0xA0 <= c <= 0xDE:
            cost += 10
        else:
            cost += 1
    return cost


_TYPOGRAPHY = frozenset(
    [0xA0, 0xA9, 0xAB, 0xAD, 0xB0, 0xB7, 0xBB, 0x2013, 0x2014, 0x2022, 0x2026,
     *range(0x2018, 0x2020)]
)


def build_gate(config: TextFixerConfig) -> re.Pattern[str] | None:
    """One regex that finds every place where some enabled fixer could act.

    With ``unescape_html="auto"`` pass ``config._replace(unescape_html=False)`` for the text
    from the first segment holding ``<`` on: entities there are left alone by ftfy.

    It starts with a character class (the regex engine then skips everything else at C speed)
    and checks the rest of a witness with a look-behind. None means "no gate possible": every
    segment must go through ftfy.
    """
    singles = _fixer_triggers(config)
    pairs: list[tuple[frozenset[int], frozenset[int]]] = []
    if config.fix_encoding:
        wit = badness_witnesses()
        if wit is None:
            return None
        pairs, bad_singles = wit
        singles.update(bad_singles)
    on_first: dict[frozenset[int], set[int]] = {}  # scan for A, then the next char is in B
    on_second: dict[frozenset[int], set[int]] = {}  # scan for B, the char before is in A
    for a, b in pairs:
        if _stop_cost(a) <= _stop_cost(b):
            on_first.setdefault(a, set()).update(b)
        else:
            on_second.setdefault(b, set()).update(a)
    anchors: set[int] = set(singles)
    tails: list[str] = []
    if singles:
        tails.append(f"(?<={_char_class(singles)})")
    for a, bs in sorted(on_first.items(), key=lambda kv: sorted(kv[0])):
        anchors.update(a)
        tails.append(f"(?<={_char_class(a)}){_char_class(bs)}")
    for b, as_ in sorted(on_second.items(), key=lambda kv: sorted(kv[0])):
        anchors.update(b)
        tails.append(f"(?<={_char_class(as_)}{_char_class(b)})")
    if config.unescape_html:
        # HTML_ENTITY_RE is &#?[0-9A-Za-z]{1,24}; : anchor it on its "&"
        if ftfy_chardata.HTML_ENTITY_RE.pattern != r"&#?[0-9A-Za-z]{1,24};":
            return None  # a different ftfy: no gate rather than a wrong one
        anchors.add(ord("&"))
        tails.append(r"(?<=&)#?[0-9A-Za-z]{1,24};")
    if not anchors:
        return re.compile(r"(?!)")  # nothing is enabled: nothing can change
    return re.compile(_char_class(anchors) + "(?:" + "|".join(tails) + ")")


# ----------------------------------------------------------------------------------------------
# the fixer
# ----------------------------------------------------------------------------------------------
class FastFixer:
    """``ftfy.fix_text(text, config)``, segment for segment, skipping provable no-ops."""

    def __init__(self, config: TextFixerConfig) -> None:
        self.config = config
        # the segment logic below mirrors ftfy 6.3's fix_text; another ftfy gets no skipping
        verified = ftfy.__version__.startswith(VERIFIED_FTFY)
        self.gate = build_gate(config) if verified else None
        # fix_text turns "auto" off from the first segment holding "<": entities after it are
        # no-ops, and HTML-ish text is full of them
        self.gate_after_lt = (
            build_gate(config._replace(unescape_html=False))
            if config.unescape_html == "auto" and verified else self.gate
        )
        self.max_len = config.max_decode_length
        self.norm = config.normalization

    # -- public ----------------------------------------------------------------------------
    def fix_text(self, text: str) -> str:
        """Exactly ``ftfy.fix_text(text, self.config)``."""
        fixes = self.fix_segments(text)
        if not fixes:
            return text
        out: list[str] = []
        pos = 0
        for f in fixes:
            out.append(text[pos : f.start])
            out.append(f.fixed)
            pos = f.end
        out.append(text[pos:])
        return "".join(out)

    def fix_segments(self, text: str) -> list[SegmentFix]:
        """The ftfy segments of ``text`` that change, in order, with ftfy's explanations."""
        candidates = self._candidates(text)
        if not candidates:
            return []
        lt = text.find("<") if self.config.unescape_html == "auto" else -1
        auto_off = self.config._replace(unescape_html=False)
        out: list[SegmentFix] = []
        for start, end in candidates:
            segment = text[start:end]
            # fix_text: "auto" is switched off for good at the first segment holding "<"
            cfg = auto_off if 0 <= lt < end else self.config
            fixed, steps = ftfy.fix_and_explain(segment, cfg)
            if fixed != segment:
                out.append(SegmentFix(
                    start, end, fixed,
                    None if steps is None else tuple((s[0], s[1]) for s in steps),
                ))
        return out

    # -- which segments must go through ftfy -------------------------------------------------
    def _candidates(self, text: str) -> list[tuple[int, int]]:
        n = len(text)
        if n == 0:
            return []
        lines: set[int] = set()  # start offsets of lines that must be looked at
        if self.gate is None or self.gate_after_lt is None:
            lines.update(_line_starts(text))
        else:
            lt = text.find("<") if self.gate is not self.gate_after_lt else -1
            # the segment holding the first "<" and all after it: no entity unescaping
            split = n if lt < 0 else text.rfind("\n", 0, lt) + 1
            last_end = -1
            for gate, lo, hi in ((self.gate, 0, split), (self.gate_after_lt, split, n)):
                if lo >= hi:
                    continue
                # region bounds are line starts; no trigger spans a "\n", so none is cut
                for m in gate.finditer(text, lo, hi):
                    p = m.start()
                    if p < last_end:
                        continue
                    ls = text.rfind("\n", 0, p) + 1
                    le = text.find("\n", p)
                    last_end = n if le < 0 else le + 1
                    lines.add(ls)
        if self.norm is not None and not text.isascii() and not unicodedata.is_normalized(
            self.norm, text
        ):
            for ls, le in _lines(text):
                seg = text[ls:le]
                if not seg.isascii() and not unicodedata.is_normalized(self.norm, seg):
                    lines.add(ls)
        long_lines = _long_lines(text, self.max_len) if n > self.max_len else []
        if not lines and not long_lines:
            return []
        out: list[tuple[int, int]] = []
        long_starts = {ls for ls, _ in long_lines}
        for ls, le in long_lines:
            # every segment of an over-long line: cut points can split what the gate sees
            pos = ls
            while pos < le:
                out.append((pos, min(le, pos + self.max_len)))
                pos = min(le, pos + self.max_len)
        for ls in lines:
            if ls in long_starts:
                continue
            le = text.find("\n", ls)
            out.append((ls, n if le < 0 else le + 1))
        out.sort()
        return out


def _lines(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each line, the end past its ``\\n`` (ftfy's segments, uncut)."""
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl + 1
        yield pos, end
        pos = end


def _line_starts(text: str) -> list[int]:
    return [s for s, _ in _lines(text)]


def _long_lines(text: str, max_len: int) -> Sequence[tuple[int, int]]:
    return [(s, e) for s, e in _lines(text) if e - s > max_len]


def explain_steps(steps: Sequence[tuple[str, str]] | None) -> list[list[str]]:
    """JSON-ready form of ftfy's explanation."""
    return [] if steps is None else [[a, p] for a, p in steps]

