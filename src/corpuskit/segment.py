"""Paragraph and line segmentation with exact offsets, and applying/reverting edits.

Everything here works on character offsets into one string, so that text a pass did not touch
comes out exactly as it went in, line endings and trailing newline included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from corpuskit.model import Edit

Span = tuple[int, int]

# A line ending is \r\n, \n or \r. Content spans exclude it.
_LINE = re.compile(r"[^\r\n]*")
_WRAP_MIN = 40
_WRAP_MAX = 100


def line_spans(text: str) -> list[Span]:
    """(start, end) of every line's content, blank lines included, line endings excluded."""
    spans: list[Span] = []
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


def split_lines(text: str) -> list[Span]:
    """Spans of the non-blank lines (whitespace-only lines count as blank)."""
    return [(s, e) for s, e in line_spans(text) if text[s:e].strip()]


def _looks_hard_wrapped(text: str, block: Sequence[Span]) -> bool:
    """A block of several lines is one wrapped paragraph when its lines look like a fixed width.

    Scraped pages put one paragraph (or one menu item) per line: lines are either long (> 100
    characters, a whole paragraph) or short (menu items, headings). Hard-wrapped prose (books,
    e-mails, plain-text answers) has every line but the last between 40 and 100 characters.
    """
    if len(block) < 2:
        return False
    return all(_WRAP_MIN <= e - s <= _WRAP_MAX for s, e in block[:-1]) and (
        block[-1][1] - block[-1][0] <= _WRAP_MAX
    )


def split_paragraphs(text: str, mode: Literal["auto", "blocks", "lines"] = "auto") -> list[Span]:
    """Paragraph spans.

    - ``blocks``: blank-line separated blocks.
    - ``lines``: every non-blank line.
    - ``auto`` (default): blank-line separated blocks, but a block that does not look
      hard-wrapped is split into its lines. A file with no blank lines (a news scrape) thus gets
      one paragraph per line, a book gets its wrapped paragraphs, and a page whose header is
      blank-line separated but whose body is one paragraph per line (the news-diff seed) gets both
      right.
    """
    lines = split_lines(text)
    if mode == "lines":
        return lines
    blocks: list[list[Span]] = []
    prev_end = -1
    for s, e in lines:
        if blocks and not _only_one_line_break(text, prev_end, s):
            blocks.append([(s, e)])
        elif blocks:
            blocks[-1].append((s, e))
        else:
            blocks.append([(s, e)])
        prev_end = e
    out: list[Span] = []
    for block in blocks:
        if mode == "blocks" or _looks_hard_wrapped(text, block):
            out.append((block[0][0], block[-1][1]))
        else:
            out.extend(block)
    return out


def _only_one_line_break(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return gap in ("\n", "\r\n", "\r")


def deletion_spans(units: Sequence[Span], delete: Iterable[int], text_len: int) -> dict[int, Span]:
    """Spans that remove the chosen units together with one separator each.

    A unit followed by another unit is removed with the separator after it; a run of units at the
    end of the text is removed with the separator *before* it, so the text keeps (or keeps not
    having) its trailing newline. Adjacent deletions produce adjacent, non-overlapping spans.
    """
    chosen = sorted(set(delete))
    out: dict[int, Span] = {}
    n = len(units)
    chosen_set = set(chosen)
    # find the start of the trailing run of deleted units that reaches the last unit
    tail_start = n
    while tail_start > 0 and (tail_start - 1) in chosen_set:
        tail_start -= 1
    for i in chosen:
        s, e = units[i]
        if i < tail_start:
            out[i] = (s, units[i + 1][0])
        elif tail_start > 0:
            out[i] = (units[i - 1][1], e)
        elif i + 1 < n:
            # every unit is deleted: remove each with the separator after it
            out[i] = (s, units[i + 1][0])
        else:
            out[i] = (s, e)
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
