"""Passes used by the core's tests, loaded by path (``-p tests/_plugins/sample_passes.py``) so
that worker processes can rebuild them, exactly as a third-party plugin would be.

- ``shout``: document pass that upper-cases the word "shout" (a replace edit).
- ``crossdup``: corpus pass that removes a line already seen in an earlier document (keeps the
  first copy in corpus order) — small, but exercises scan/merge/finalize across shards.
- ``explode``: raises on documents containing "EXPLODE" (failure isolation).
- ``dropper``: drops documents whose text starts with "DROP".
- ``slow``: sleeps per document when CORPUSKIT_TEST_SLOW is set (kill -9 / resume tests).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from corpuskit import Document, Pass, PassContext, PassOptions, hookimpl


class ShoutPass(Pass):
    name = "shout"
    summary = "Upper-case the word 'shout'."
    default_order = 600

    def apply(self, doc: Document, ctx: PassContext) -> None:
        for m in re.finditer(r"\bshout\b", doc.text):
            ctx.replace(m.start(), m.end(), "SHOUT", rule="shout", reason="test rule")


class CrossDupOptions(PassOptions):
    min_chars: int = Field(5, description="Shorter lines are never removed.")


class CrossDupPass(Pass):
    name = "crossdup"
    summary = "Remove lines seen in an earlier document."
    Options = CrossDupOptions
    corpus_scope = True
    default_order = 650

    def _key(self, text: str) -> str:
        return hashlib.sha1(text.strip().encode()).hexdigest()

    def scan(self, docs: Sequence[Document]) -> Any:
        first: dict[str, tuple[tuple[int, int], str, int]] = {}
        assert isinstance(self.options, CrossDupOptions)
        for d in docs:
            for line in d.lines:
                if len(line.text.strip()) < self.options.min_chars:
                    continue
                k = self._key(line.text)
                if k not in first:
                    first[k] = (d.ordinal, d.id, line.index)
        return first

    def merge(self, states: Sequence[Any]) -> Any:
        out: dict[str, tuple[tuple[int, int], str, int]] = {}
        for st in states:
            for k, v in st.items():
                if k not in out or v[0] < out[k][0]:
                    out[k] = v
        return out

    def apply(self, doc: Document, ctx: PassContext) -> None:
        for line in doc.lines:
            k = self._key(line.text)
            first = ctx.plan.get(k)
            if first is not None and first[0] != doc.ordinal:
                ctx.delete_line(line, rule="cross-doc", reason="seen earlier",
                                kept={"doc_id": first[1], "paragraph": first[2]})


class ExplodePass(Pass):
    name = "explode"
    summary = "Fail on purpose."

    def apply(self, doc: Document, ctx: PassContext) -> None:
        if "EXPLODE" in doc.text:
            raise RuntimeError("boom")


class DropperPass(Pass):
    name = "dropper"
    summary = "Drop documents starting with DROP."

    def apply(self, doc: Document, ctx: PassContext) -> None:
        if doc.text.startswith("DROP"):
            ctx.drop(rule="drop", reason="starts with DROP")


class SlowPass(Pass):
    """Sleeps per document when CORPUSKIT_TEST_SLOW is set, so a test can kill a run midway."""

    name = "slow"
    summary = "Sleep (tests only)."

    def apply(self, doc: Document, ctx: PassContext) -> None:
        delay = float(os.environ.get("CORPUSKIT_TEST_SLOW", "0"))
        if delay:
            time.sleep(delay)


@hookimpl
def corpuskit_register_passes(register: Any) -> None:
    for cls in (ShoutPass, CrossDupPass, ExplodePass, DropperPass, SlowPass):
        register(cls)
