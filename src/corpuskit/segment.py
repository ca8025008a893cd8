"""Paragraph and line segmentation with exact offsets, and applying/reverting edits.

Everything here works on character offsets into one string, so that text a pass did not touch
comes out exactly as it went in, line endings and trailing newline included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from corpuskit.model import Edit

Span = tuple[int, int]

# A line ending is \r\n, \n or \r. Content spans exclude it.
_LINE = re.compile(r"[^\r\n]*")
_WRAP_MIN = 40
_WRAP_MAX = 100
_SENTENCE_END = frozenset(".!?:;\"\u201d\u2019)\u3002")


def line_spans(text: str) -> list[Span]:
    """(start, end) of every line's content, blank lines included, line endings excluded."""
    if "\r" not in text:  # the common case, at str.split speed
        spans = []
        pos = 0
        for line in text.split("\n"):
            end = pos + len(line)
            spans.append((pos, end))
            pos = end + 1
        if spans and spans[-1][0] == len(text):
            spans.pop()  # a trailing newline ends the last line; it does not start one
        return spans
    spans = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _LINE.match(text, pos)
        assert m is not None
        end = m.end()
        spans.append((pos, end))
        if end >= n:
            break
        pos = end + (2 if text.startswith("\r\n", end) else 1)
    return spans


_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
"""Every character ``str.isspace`` accepts (``str.split()`` splits on these); a test checks
the list against Python's own answer for every code point."""
_IS_SPACE = np.zeros(0x3002, bool)
_IS_SPACE[[ord(c) for c in _WHITESPACE]] = True  # index 0x3001: every larger code point


def word_counts(text: str, spans: Sequence[Span] | np.ndarray) -> np.ndarray:
    """``len(text[s:e].split())`` for each span, counted for all spans in a few numpy passes
    (the rule passes compare thousands of lines a page with their rules' word limits)."""
    bounds = np.asarray(spans, np.int64).reshape(-1, 2)
    if not bounds.size:
        return np.zeros(0, np.int64)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    space = _IS_SPACE[np.minimum(codes, 0x3001)]
    starts_word = ~space
    starts_word[1:] &= space[:-1]
    before = np.zeros(len(codes) + 1, np.int64)
    np.cumsum(starts_word, out=before[1:])
    s, e = bounds[:, 0], bounds[:, 1]
    # a word starting at s counts even when the character before s is not blank
    first_is_word = np.zeros(len(s), np.int64)
    inside = s < e
    first_is_word[inside] = (~space[s[inside]] & ~starts_word[s[inside]]).astype(np.int64)
    return before[e] - before[s] + first_is_word


def line_bounds(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (int64 arrays) of the non-blank lines: :func:`split_lines` as arrays,
    for passes and segmenters that work on many lines at once."""
    if "\r" not in text:
        # the common case, in numpy, since the line passes segment every document: line
        # breaks are the "\n" code units; a line is blank when empty, or when it starts with a
        # blank and str.isspace says so (few lines start with one)
        if text.isascii():  # (a flag lookup) one byte a character
            codes = np.frombuffer(text.encode("ascii"), np.uint8)
        else:
            codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        starts, ends, _full = _nonempty_lines(np.flatnonzero(codes == 10), codes.size)
        first = codes[starts]
        maybe = np.flatnonzero(_IS_SPACE[first if codes.dtype == np.uint8
                                         else np.minimum(first, 0x3001)])
        return _without(starts, ends, [i for i in maybe.tolist()
                                       if text[starts[i]:ends[i]].isspace()])
    spans = [(s, e) for s, e in line_spans(text) if e > s and not text[s:e].isspace()]
    both = np.array(spans, np.int64).reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def _nonempty_lines(breaks: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starts and ends of the non-empty lines of a text of ``size`` units whose line breaks
    are at ``breaks``, and the mask that picked them out of all lines."""
    starts = np.empty(breaks.size + 1, np.int64)
    starts[0] = 0
    starts[1:] = breaks + 1
    ends = np.empty(breaks.size + 1, np.int64)
    ends[:-1] = breaks
    ends[-1] = size
    full = ends > starts
    return starts[full], ends[full], full


def _without(
    starts: np.ndarray, ends: np.ndarray, blank: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The lines but those at the ``blank`` indices."""
    if not blank:
        return starts, ends
    keep = np.ones(starts.size, bool)
    keep[blank] = False
    return starts[keep], ends[keep]


def split_lines(text: str) -> list[Span]:
    """Spans of the non-blank lines (whitespace-only lines count as blank)."""
    starts, ends = line_bounds(text)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _looks_hard_wrapped(text: str, block: Sequence[Span]) -> bool:
    """A block of several lines is one wrapped paragraph when its lines look like a fixed width
    and break mid-sentence.

    Scraped pages put one paragraph (or one menu item) per line: lines are either long (> 100
    characters, a whole paragraph), short (menu items, headings), or end a sentence. Hard-wrapped
    prose (books, e-mails, plain-text answers) has every line but the last between 40 and 100
    characters, and most of those lines stop in the middle of a sentence.
    """
    if len(block) < 2:
        return False
    if not all(_WRAP_MIN <= e - s <= _WRAP_MAX for s, e in block[:-1]):
        return False
    if block[-1][1] - block[-1][0] > _WRAP_MAX:
        return False
    sentence_ends = sum(1 for _s, e in block[:-1] if text[e - 1] in _SENTENCE_END)
    return sentence_ends * 2 < len(block) - 1


def split_paragraphs(
    text: str,
    mode: Literal["auto", "blocks", "lines"] = "auto",
    lines: Sequence[Span] | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> Sequence[Span]:
    """Paragraph spans.

    - ``blocks``: blank-line separated blocks.
    - ``lines``: every non-blank line.
    - ``auto`` (default): blank-line separated blocks, but a block that does not look
      hard-wrapped is split into its lines. A file with no blank lines (a news scrape) thus gets
      one paragraph per line, a book gets its wrapped paragraphs, and a page whose header is
      blank-line separated but whose body is one paragraph per line (the news-diff seed) gets both
      right.

    ``lines`` / ``bounds``: ``split_lines(text)`` / ``line_bounds(text)`` when the caller has
    them already. When every paragraph is one line, ``lines`` itself is returned.
    """
    if lines is None:
        lines = split_lines(text)
    if mode == "lines":
        return lines
    if "\r" not in text and mode == "auto" and lines:
        return _split_blocks_lf(text, lines, bounds)
    blocks: list[list[Span]] = []
    prev_end = -2
    for s, e in lines:
        gap = s - prev_end
        # same block when only one line break separates the lines (\n, \r or \r\n)
        if blocks and (gap == 1 or (gap == 2 and text[prev_end] == "\r")):
            blocks[-1].append((s, e))
        else:
            blocks.append([(s, e)])
        prev_end = e
    out: list[Span] = []
    for block in blocks:
        if len(block) == 1:
            out.append(block[0])
        elif mode == "blocks" or _looks_hard_wrapped(text, block):
            out.append((block[0][0], block[-1][1]))
        else:
            out.extend(block)
    return out


def _split_blocks_lf(
    text: str, lines: Sequence[Span], bounds: tuple[np.ndarray, np.ndarray] | None
) -> Sequence[Span]:
    """``split_paragraphs(text, "auto", lines)`` for a text without ``\r``: its lines, with
    each hard-wrapped block (:func:`wrapped_blocks`) merged into one paragraph."""
    if bounds is None:
        both = np.array(lines, np.int64).reshape(-1, 2)
        bounds = (both[:, 0], both[:, 1])
    return merge_blocks(lines, wrapped_blocks(text, lines, *bounds))


def wrapped_blocks(
    text: str, lines: Sequence[Span], starts: np.ndarray, ends: np.ndarray
) -> list[tuple[int, int]]:
    """``(first, last)`` line indices of the hard-wrapped blocks of a text without ``\r``."""
    return [(a, b) for a, b in wrapped_candidates(starts, ends)
            if _looks_hard_wrapped(text, lines[a:b + 1])]


def wrapped_candidates(starts: np.ndarray, ends: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` of the blocks that :func:`_looks_hard_wrapped` must look at: several
    lines, all of a wrapped length (the last one: not too long).

    The block boundaries and the length test are numpy over all lines, so only such blocks
    (few, outside books) cost Python time. Texts joined with a blank line between them keep
    their blocks apart, so this also works on many documents at once."""
    n = starts.size
    if n < 2:
        return []
    # a block starts at line 0 and wherever more than one "\n" precedes a line
    opens = np.ones(n, bool)
    np.not_equal(starts[1:] - ends[:-1], 1, out=opens[1:])
    firsts = np.flatnonzero(opens)
    lasts = np.empty_like(firsts)
    lasts[:-1] = firsts[1:] - 1
    lasts[-1] = n - 1
    lengths = ends - starts
    unwrapped = np.zeros(n + 1, np.int64)  # lines before i whose length no wrapped line has
    np.cumsum((lengths < _WRAP_MIN) | (lengths > _WRAP_MAX), out=unwrapped[1:])
    maybe = np.flatnonzero((lasts > firsts) & (unwrapped[lasts] == unwrapped[firsts])
                           & (lengths[lasts] <= _WRAP_MAX))
    return list(zip(firsts[maybe].tolist(), lasts[maybe].tolist(), strict=True))


def merge_blocks(lines: Sequence[Span], blocks: Sequence[tuple[int, int]]) -> Sequence[Span]:
    """The paragraphs of ``lines`` when the ``(first, last)`` blocks are merged; ``lines``
    itself when there are none."""
    if not blocks:
        return lines
    out: list[Span] = []
    pos = 0
    for a, b in blocks:
        out.extend(lines[pos:a])
        out.append((lines[a][0], lines[b][1]))
        pos = b + 1
    out.extend(lines[pos:])
    return out


_MAYBE_BLANK_BYTE = np.zeros(256, bool)
"""First bytes of a UTF-8 line that may start with a blank: the ASCII blanks, and the lead
bytes of the non-ASCII ones (U+0085 and U+00A0: C2; U+1680: E1; U+2000-U+205F: E2;
U+3000: E3)."""
_MAYBE_BLANK_BYTE[[ord(c) for c in _WHITESPACE if c.isascii()]] = True
_MAYBE_BLANK_BYTE[[0xC2, 0xE1, 0xE2, 0xE3]] = True


@dataclass
class JoinedLines:
    """The non-blank lines of many texts, found in one numpy pass over their UTF-8 joined with
    a blank line between them (no line and no paragraph block spans two texts), instead of
    several small passes per text: a pass over a batch of short documents otherwise spends
    much of its time in per-call overhead."""

    data: bytes
    """The encoded texts joined with ``b"\\n\\n"``."""
    continuation: np.ndarray | None
    """Byte offsets of UTF-8 continuation bytes in :attr:`data` (None: all ASCII); a byte
    offset minus the number of them before it is a character offset."""
    chars: int
    """Length of the joined text in characters."""
    bases: list[int]
    """Character offset of each text in the joined text."""
    starts: np.ndarray
    ends: np.ndarray
    """Every non-blank line, in character offsets of the joined text."""
    first_line: list[int]
    """Index of each text's first line in :attr:`starts`; one more entry, the line count."""

    def to_chars(self, offsets: np.ndarray) -> np.ndarray:
        """Byte offsets in :attr:`data` as character offsets."""
        if self.continuation is None:
            return offsets
        return offsets - np.searchsorted(self.continuation, offsets)

    def wrapped_blocks(
        self, texts: Sequence[str], local: Sequence[Sequence[Span]]
    ) -> list[list[tuple[int, int]]]:
        """Each text's :func:`wrapped_blocks`, from one numpy pass over all lines (``local``:
        :meth:`local_spans`)."""
        out: list[list[tuple[int, int]]] = [[] for _ in texts]
        first = self.first_line
        k = 0
        for a, b in wrapped_candidates(self.starts, self.ends):  # never across two texts
            while a >= first[k + 1]:
                k += 1
            la, lb = a - first[k], b - first[k]
            if _looks_hard_wrapped(texts[k], local[k][la:lb + 1]):
                out[k].append((la, lb))
        return out

    def local_spans(self) -> list[tuple[Span, ...]]:
        """Each text's :func:`split_lines`, in its own offsets."""
        counts = np.diff(self.first_line)
        shift = np.repeat(np.asarray(self.bases, np.int64), counts)
        starts, ends = (self.starts - shift).tolist(), (self.ends - shift).tolist()
        f = self.first_line
        return [tuple(zip(starts[f[k]:f[k + 1]], ends[f[k]:f[k + 1]], strict=True))
                for k in range(len(self.bases))]


def join_lines(texts: Sequence[str], encoded: Sequence[bytes]) -> JoinedLines:
    """:class:`JoinedLines` of texts without ``\r``. ``encoded``: each text's UTF-8, or the
    UTF-8 of a same-length transformation that keeps blanks and line breaks where they are
    (its lower case: what the line filter scans)."""
    data = b"\n\n".join(encoded)
    raw = np.frombuffer(data, np.uint8)
    chars = sum(map(len, texts)) + 2 * (len(texts) - 1)
    continuation = np.flatnonzero((raw & 0xC0) == 0x80) if len(data) != chars else None
    breaks_b = np.flatnonzero(raw == 10)
    breaks = breaks_b if continuation is None else (
        breaks_b - np.searchsorted(continuation, breaks_b))
    starts, ends, full = _nonempty_lines(breaks, chars)
    first_byte = raw[np.r_[0, breaks_b + 1][full]] if starts.size else raw[:0]
    bases = list(accumulate((len(t) + 2 for t in texts[:-1]), initial=0))
    maybe = np.flatnonzero(_MAYBE_BLANK_BYTE[first_byte]).tolist()
    if maybe:
        doc = np.searchsorted(np.asarray(bases, np.int64), starts[maybe], "right") - 1
        starts, ends = _without(starts, ends, [
            i for i, k in zip(maybe, doc.tolist(), strict=True)
            if texts[k][starts[i] - bases[k]:ends[i] - bases[k]].isspace()])
    first = np.searchsorted(starts, np.asarray(bases, np.int64)).tolist()
    return JoinedLines(data, continuation, chars, bases, starts, ends,
                       [*first, int(starts.size)])


def _breaks(gap: str) -> int:
    return gap.count("\n") + gap.count("\r") - gap.count("\r\n")


def deletion_spans(units: Sequence[Span], delete: Iterable[int], text: str) -> dict[int, Span]:
    """Spans that remove the chosen units together with one separator each.

    A run of deleted units between kept ones is removed with the *smaller* of the separators
    around it, so the larger one stays: deleting a line that ends a blank-line separated block
    must not glue that block to the next one (which would change paragraphs, and so what a
    second run sees). A run at the end of the text is removed with the separator before it, so
    the text keeps (or keeps not having) its trailing newline. Adjacent deletions produce
    adjacent, non-overlapping spans.
    """
    chosen = sorted(set(delete))
    out: dict[int, Span] = {}
    n = len(units)
    m = len(chosen)
    i = 0
    while i < m:  # one run of consecutive units at a time
        j = i
        while j + 1 < m and chosen[j + 1] == chosen[j] + 1:
            j += 1
        a, b = chosen[i], chosen[j]
        i = j + 1
        use_before = False
        if b == n - 1 and a > 0:
            use_before = True  # trailing run: keep the text's final line ending
        elif a > 0 and b < n - 1:
            before_a, at_a = units[a - 1][1], units[a][0]
            after_b, next_b = units[b][1], units[b + 1][0]
            if at_a - before_a > 1 or next_b - after_b > 1:  # else both are one line break
                use_before = _breaks(text[after_b:next_b]) > _breaks(text[before_a:at_a])
        if use_before:
            prev_end = units[a - 1][1]
            for k in range(a, b + 1):
                e = units[k][1]
                out[k] = (prev_end, e)
                prev_end = e
        else:
            for k in range(a, b + 1):
                out[k] = (units[k][0], units[k + 1][0]) if k + 1 < n else units[k]
    return out


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply one pass's edits (non-overlapping spans of ``text``) and return the new text."""
    if not edits:
        return text
    parts: list[str] = []
    pos = 0
    for ed in sorted(edits, key=lambda x: (x.start, x.end)):
        if ed.start < pos:
            raise ValueError(f"overlapping edits at offset {ed.start} in {ed.doc_id!r}")
        if text[ed.start : ed.end] != ed.before:
            raise ValueError(
                f"edit does not match the text at {ed.start}:{ed.end} in {ed.doc_id!r}"
            )
        parts.append(text[pos : ed.start])
        parts.append(ed.after)
        pos = ed.end
    parts.append(text[pos:])
    return "".join(parts)


def revert_edits(text: str, edits: Sequence[Edit]) -> str:
    """Undo one pass's edits: the inverse of :func:`apply_edits`.

    Output offsets are recomputed from the input offsets and the length changes of the edits
    before each one, so the edits alone (as stored in edits.jsonl) are enough to restore.
    """
    if not edits:
        return text
    parts: list[str] = []
    shift = 0
    pos = 0
    for ed in sorted(edits, key=lambda x: (x.start, x.end)):
        out_start = ed.start + shift
        out_end = out_start + len(ed.after)
        if text[out_start:out_end] != ed.after:
            raise ValueError(f"edit does not match the output at {out_start} in {ed.doc_id!r}")
        parts.append(text[pos:out_start])
        parts.append(ed.before)
        pos = out_end
        shift += len(ed.after) - len(ed.before)
    parts.append(text[pos:])
    return "".join(parts)


def revert_all(text: str, edits: Sequence[Edit], pass_order: Sequence[str]) -> str:
    """Undo the edits of every pass, last pass first."""
    for name in reversed(pass_order):
        text = revert_edits(text, [e for e in edits if e.pass_name == name])
    return text
