"""What a pass is: the base class plugins subclass, its options, and the context it edits through.

A pass has one required method, :meth:`Pass.apply`, called once per document with a
:class:`PassContext` on which it records deletions, replacements or a whole-document drop. A pass
that must see the whole corpus before deciding (near-duplicates, frequent boilerplate) sets
``corpus_scope = True`` and implements :meth:`Pass.scan`, :meth:`Pass.merge` and
:meth:`Pass.finalize`: ``scan`` runs on every shard (possibly in other processes or machines) and
returns picklable state, ``merge`` combines states in shard order, ``finalize`` turns the merged
state into a plan that every worker's ``apply`` reads as ``ctx.plan``.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from corpuskit.model import Document, Edit, EditKind, Paragraph
from corpuskit.segment import deletion_spans

if TYPE_CHECKING:
    import pluggy


class PassOptions(BaseModel):
    """Base for a pass's options: validated, documented (``Field(description=...)``), strict.

    Unknown keys are an error so that a typo in ``corpuskit.toml`` is caught, not ignored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class PassError(Exception):
    """A pass asked for something impossible (overlapping edits, a span outside the text)."""


class Pass:
    """Base class of every pass, built-in or third-party."""

    name: ClassVar[str]
    """Key in the pipeline, the config (``[passes.NAME]``) and the report."""
    summary: ClassVar[str] = ""
    """One line for ``corpuskit passes``."""
    version: ClassVar[str] = "1"
    """Bump when the pass's output changes for the same input; recorded in the report."""
    Options: ClassVar[type[PassOptions]] = PassOptions
    default_enabled: ClassVar[bool] = False
    """Built-in passes are on by default; third-party passes opt in unless they say otherwise."""
    default_order: ClassVar[int] = 500
    """Where the pass goes in the default pipeline (lower runs first)."""
    corpus_scope: ClassVar[bool] = False
    """True when the pass needs scan/merge/finalize over the whole corpus before applying."""

    def __init__(self, options: PassOptions | None = None, hook: pluggy.HookRelay | None = None):
        self.options = options if options is not None else self.Options()
        self.hook = hook
        """The session's hook relay, for passes that consult plugin hooks (may be None in tests)."""

    # -- corpus-scope lifecycle -------------------------------------------------------------
    def scan(self, docs: Sequence[Document]) -> Any:
        """Look at one shard of documents (in corpus order) and return picklable state."""
        raise NotImplementedError(f"pass {self.name!r} is corpus-scope but has no scan()")

    def merge(self, states: Sequence[Any]) -> Any:
        """Combine shard states, given in shard order. Must not depend on how shards were cut
        beyond that order, so every worker count gives the same result."""
        raise NotImplementedError(f"pass {self.name!r} is corpus-scope but has no merge()")

    def finalize(self, state: Any) -> Any:
        """Turn the merged state into the plan that :meth:`apply` reads as ``ctx.plan``."""
        return state

    # -- every pass ---------------------------------------------------------------------------
    def apply(self, doc: Document, ctx: PassContext) -> None:
        """Record the edits this pass makes to ``doc`` on ``ctx``."""
        raise NotImplementedError

    def apply_batch(self, docs: Sequence[Document], ctxs: Sequence[PassContext]) -> None:
        """Apply to a batch; override to vectorise. The default calls :meth:`apply` per document.

        An exception from a batch is retried document by document by the runner, so that one
        bad document is reported alone and the others are still cleaned.
        """
        for doc, ctx in zip(docs, ctxs, strict=True):
            self.apply(doc, ctx)


class PassContext:
    """Collects what one pass does to one document; the runner turns it into :class:`Edit` s."""

    def __init__(self, pass_name: str, doc: Document, plan: Any = None) -> None:
        self.pass_name = pass_name
        self.doc = doc
        self.plan = plan
        self.tags: dict[str, Any] = {}
        self.counters: dict[str, int] = {}
        self._deletions: dict[str, dict[int, tuple[str, str, Mapping[str, Any]]]] = {
            "paragraphs": {},
            "lines": {},
        }
        self._replacements: list[Edit] = []
        self._drop: Edit | None = None
        self._starts: list[int] | None = None

    # -- recording ------------------------------------------------------------------------------
    def delete_lines(self, lines: Mapping[int, tuple[str, str, Mapping[str, Any]]]) -> None:
        """Record many line deletions at once: line index -> (rule, reason, detail), each the
        same as a :meth:`delete_line` call (a pass that removes thousands of lines a batch
        saves the keyword call for each)."""
        self._deletions["lines"].update(lines)

    def delete_paragraph(
        self, p: Paragraph | int, *, rule: str, reason: str, **detail: Any
    ) -> None:
        """Remove a paragraph of ``doc.paragraphs`` (or its index) with its separator."""
        self._deletions["paragraphs"][p if isinstance(p, int) else p.index] = (
            rule, reason, detail)

    def delete_line(
        self, line: Paragraph | int, *, rule: str, reason: str, **detail: Any
    ) -> None:
        """Remove a line of ``doc.lines`` (or its index in ``doc.line_spans``) with its line
        ending. An index spares a pass that judged spans from building the line."""
        self._deletions["lines"][line if isinstance(line, int) else line.index] = (
            rule, reason, detail)

    def replace(
        self, start: int, end: int, new: str, *, rule: str, reason: str, **detail: Any
    ) -> None:
        """Replace ``doc.text[start:end]`` with ``new`` (an empty ``new`` deletes the span)."""
        text = self.doc.text
        if not 0 <= start <= end <= len(text):
            raise PassError(f"span {start}:{end} outside a text of {len(text)} characters")
        kind: EditKind = "delete" if new == "" else "replace"
        self._replacements.append(
            self._edit(kind, start, end, new, rule, reason, detail, self._paragraph_at(start))
        )

    def drop(self, *, rule: str, reason: str, **detail: Any) -> None:
        """Remove the whole document from the output (its text is kept in the edit)."""
        self._drop = self._edit("drop", 0, len(self.doc.text), "", rule, reason, detail, None)

    def tag(self, key: str, value: Any) -> None:
        """Attach a metadata value (a language, a score) reported with the document."""
        self.tags[key] = value

    def count(self, name: str, n: int = 1) -> None:
        """Add to a per-pass counter shown in the report."""
        self.counters[name] = self.counters.get(name, 0) + n

    # -- resolution -----------------------------------------------------------------------------
    def edits(self) -> list[Edit]:
        """The recorded changes as sorted, non-overlapping edits of ``doc.text``."""
        if self._drop is not None:
            return [self._drop]
        out = list(self._replacements)
        sources = len(out)
        text = self.doc.text
        for unit_kind, chosen in self._deletions.items():
            if not chosen:
                continue
            sources += 1
            paras = self.doc.paragraph_spans
            units = paras if unit_kind == "paragraphs" else self.doc.line_spans
            # every paragraph one line (scraped pages): a line's paragraph is its own index
            same = units is paras
            paragraph_at = self._paragraph_at
            make, name, doc_id = Edit.of, self.pass_name, self.doc.id
            # deletion_spans gives ascending, non-overlapping spans: a pass that only deletes
            # lines (most of them, on most documents) needs no sort and no overlap check
            for idx, (s, e) in deletion_spans(units, chosen, text).items():
                rule, reason, detail = chosen[idx]
                out.append(make(name, rule, doc_id, "delete", s, e, text[s:e], "", reason,
                                idx if same else paragraph_at(units[idx][0]), detail))
        if sources > 1:
            out.sort(key=lambda ed: (ed.start, ed.end))
            for a, b in itertools.pairwise(out):
                if b.start < a.end or (b.start == a.start and a.start == a.end == b.end):
                    raise PassError(
                        f"pass {self.pass_name!r} made overlapping edits at {a.start}:{a.end} "
                        f"and {b.start}:{b.end}"
                    )
        return out

    def _edit(
        self,
        kind: EditKind,
        start: int,
        end: int,
        new: str,
        rule: str,
        reason: str,
        detail: Mapping[str, Any],
        paragraph: int | None,
    ) -> Edit:
        # ``detail`` is the keyword dict of one recording call: a fresh dict, kept as it is
        return Edit.of(self.pass_name, rule, self.doc.id, kind, start, end,
                       self.doc.text[start:end], new, reason, paragraph, detail)

    def _paragraph_at(self, offset: int) -> int | None:
        """Index of the paragraph holding ``offset`` (or the next one after a separator)."""
        paras = self.doc.paragraph_spans
        if self._starts is None:
            self._starts = [s for s, _e in paras]
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset <= paras[i][1]:
            return i
        return i + 1 if i + 1 < len(paras) else None
