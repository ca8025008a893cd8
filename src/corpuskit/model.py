"""The data a pass sees and the records it leaves behind.

Passes never mutate text. They look at an immutable :class:`Document`, and describe what should
change as :class:`Edit` records; the runner applies them. That single rule is what makes the
report complete (every change has a record) and the output restorable (every record carries the
text it removed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from corpuskit.segment import JoinedLines, Span, line_bounds, merge_blocks, split_paragraphs

EditKind = Literal["delete", "replace", "drop"]
ProblemKind = Literal[
    "empty",
    "binary",
    "undecodable",
    "unreadable",
    "too_large",
    "invalid_id",
    "invalid_record",
    "pass_error",
    "write_error",
]
ProblemAction = Literal["copied", "skipped", "unchanged", "none"]


@dataclass(frozen=True)
class Source:
    """Where a document came from, and what the writer needs to put it back the same way."""

    path: str
    """Input file, POSIX, relative to the input root ('' for in-memory documents)."""
    format: str = "memory"
    index: int = 0
    """Position inside the file: 0 for a text file, the line number (1-based) for JSONL."""
    encoding: str = "utf-8"
    bom: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph (or line) of a document, as character offsets into the document's text.

    ``start``/``end`` bound the content without its line ending, so re-joining the gaps and the
    spans gives the document back byte for byte.
    """

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Edit:
    """One change a pass made, with everything needed to explain it and to undo it.

    ``start``/``end`` are offsets into the text the pass *saw* (the output of the pass before
    it), ``before`` is exactly ``seen_text[start:end]`` and ``after`` its replacement. Reverting a
    pass's edits in reverse order restores its input (see :func:`corpuskit.segment.revert`).
    """

    pass_name: str
    rule: str
    doc_id: str
    kind: EditKind
    start: int
    end: int
    before: str
    after: str
    reason: str
    paragraph: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        pass_name: str,
        rule: str,
        doc_id: str,
        kind: EditKind,
        start: int,
        end: int,
        before: str,
        after: str,
        reason: str,
        paragraph: int | None,
        detail: Mapping[str, Any],
    ) -> Edit:
        """The same as ``Edit(...)`` with every field given, built at a third of the cost.

        Why: a pass can record a hundred thousand edits per 50 MB (every boilerplate line is
        one), and a frozen dataclass's ``__init__`` sets each field through
        ``object.__setattr__``; filling ``__dict__`` at once gives an equal, still frozen
        object (a test compares the two)."""
        e = object.__new__(cls)
        e.__dict__.update(pass_name=pass_name, rule=rule, doc_id=doc_id, kind=kind,
                          start=start, end=end, before=before, after=after, reason=reason,
                          paragraph=paragraph, detail=detail)
        return e

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used in report.json and edits.jsonl."""
        out: dict[str, Any] = {
            "pass": self.pass_name,
            "rule": self.rule,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }
        if self.paragraph is not None:
            out["paragraph"] = self.paragraph
        if self.detail:
            out["detail"] = dict(self.detail)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edit:
        """Inverse of :meth:`to_dict` (used by ``corpuskit explain`` and ``restore``)."""
        return cls(
            pass_name=data["pass"],
            rule=data["rule"],
            doc_id=data["doc_id"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            before=data["before"],
            after=data["after"],
            reason=data["reason"],
            paragraph=data.get("paragraph"),
            detail=data.get("detail", {}),
        )


@dataclass(frozen=True)
class Problem:
    """Input or processing trouble that did not stop the run, named in the report."""

    kind: ProblemKind
    message: str
    path: str = ""
    doc_id: str = ""
    action: ProblemAction = "none"
    plugin: str = ""
    pass_name: str = ""

    @property
    def severity(self) -> Literal["info", "error"]:
        """``error`` problems make the run exit 1: the user must know a file was not cleaned."""
        return "info" if self.kind == "empty" else "error"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "doc_id": self.doc_id,
            "action": self.action,
        }
        if self.plugin:
            out["plugin"] = self.plugin
        if self.pass_name:
            out["pass"] = self.pass_name
        return out


@dataclass(frozen=True)
class Document:
    """One unit of the corpus: a text file, or one JSONL record.

    ``metadata`` carries every non-text field of a JSONL record through unchanged. ``ordinal``
    is the document's place in the deterministic corpus order (shard index, position in shard);
    corpus passes use it to decide which copy of a duplicate is "first".
    """

    id: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: Source = field(default_factory=lambda: Source(path=""))
    ordinal: tuple[int, int] = (0, 0)
    segmentation: Literal["auto", "blocks", "lines"] = "auto"

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        """Paragraphs: blank-line separated blocks, split into lines unless hard-wrapped.

        See :func:`corpuskit.segment.split_paragraphs` for the exact rule.
        """
        return _to_paragraphs(self.text, self.paragraph_spans)

    @cached_property
    def lines(self) -> tuple[Paragraph, ...]:
        """Every non-blank line, for passes that work line by line (boilerplate, copyright)."""
        return _to_paragraphs(self.text, self.line_spans)

    @cached_property
    def paragraph_spans(self) -> tuple[Span, ...]:
        """``(start, end)`` of each of :attr:`paragraphs`, without building them.

        Why both: a :class:`Paragraph` per unit costs more than finding the units, and a pass
        that only looks at a few of them (a rule pass judging the lines a cue occurs in) or
        only needs offsets (edit resolution) should not pay for every one."""
        return tuple(split_paragraphs(self.text, self.segmentation, self.line_spans,
                                      self.line_bounds))

    @cached_property
    def line_spans(self) -> tuple[Span, ...]:
        """``(start, end)`` of each of :attr:`lines`, without building them."""
        starts, ends = self.line_bounds
        return tuple(zip(starts.tolist(), ends.tolist(), strict=True))

    @cached_property
    def line_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`line_spans` as two arrays (starts, ends), for work on all lines at once."""
        return line_bounds(self.text)

    def line(self, index: int) -> Paragraph:
        """``lines[index]``, built alone when :attr:`lines` has not been built."""
        built = self.__dict__.get("lines")
        if built is not None:
            return built[index]  # type: ignore[no-any-return]
        s, e = self.line_spans[index]
        return Paragraph(index, s, e, self.text[s:e])

    def with_text(self, text: str) -> Document:
        """A copy with new text (the runner uses it between passes)."""
        return Document(
            id=self.id,
            text=text,
            metadata=self.metadata,
            source=self.source,
            ordinal=self.ordinal,
            segmentation=self.segmentation,
        )


def _to_paragraphs(text: str, spans: Sequence[Span]) -> tuple[Paragraph, ...]:
    return tuple(Paragraph(i, s, e, text[s:e]) for i, (s, e) in enumerate(spans))


def prime_segmentation(docs: Sequence[Document], joined: JoinedLines) -> None:
    """Fill the ``line_spans`` (and, for ``auto`` segmentation, ``paragraph_spans``) caches of
    ``docs`` from :func:`corpuskit.segment.join_lines` of their texts, which found every
    document's lines in one numpy pass. The values are the ones each document computes alone
    (a test compares them); a cache already filled is left as it is."""
    local = joined.local_spans()
    blocks = joined.wrapped_blocks([d.text for d in docs], local)
    for doc, spans, own in zip(docs, local, blocks, strict=True):
        cache = doc.__dict__  # what functools.cached_property fills
        lines = cache.setdefault("line_spans", spans)
        if doc.segmentation == "auto" and "\r" not in doc.text:
            cache.setdefault("paragraph_spans", tuple(merge_blocks(lines, own)))
