"""Running a pipeline's passes over a batch of documents, with per-document failure isolation.

This is the inner loop shared by every execution path (library, local workers, Ray tasks): it
knows nothing about files or executors, only passes, plans and documents.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpuskit._gc import gc_paused
from corpuskit.model import Document, Edit, Problem
from corpuskit.pass_api import Pass, PassContext, PassError
from corpuskit.segment import apply_edits

BATCH_SIZE = 256


@dataclass
class Outcome:
    """What happened to one document across the pipeline."""

    original: Document
    doc: Document
    edits: list[Edit] = field(default_factory=list)
    dropped: bool = False
    problems: list[Problem] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.edits)


@dataclass
class PassStats:
    """Mergeable per-pass counters (summed over shards in shard order)."""

    documents_in: int = 0
    documents_changed: int = 0
    documents_dropped: int = 0
    edits: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    paragraphs_in: int = 0
    paragraphs_out: int = 0
    errors: int = 0
    rules: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def merge(self, other: PassStats) -> None:
        for name in (
            "documents_in", "documents_changed", "documents_dropped", "edits", "bytes_in",
            "bytes_out", "paragraphs_in", "paragraphs_out", "errors",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.rules.items():
            self.rules[k] = self.rules.get(k, 0) + v
        for k, v in other.counters.items():
            self.counters[k] = self.counters.get(k, 0) + v
        self.seconds += other.seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents_in": self.documents_in,
            "documents_changed": self.documents_changed,
            "documents_dropped": self.documents_dropped,
            "edits": self.edits,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "paragraphs_in": self.paragraphs_in,
            "paragraphs_out": self.paragraphs_out,
            "errors": self.errors,
            "rules": dict(sorted(self.rules.items())),
            "counters": dict(sorted(self.counters.items())),
        }


def _size(doc: Document) -> tuple[int, int]:
    """Bytes and paragraphs, counted on spans: a Paragraph object per paragraph would cost
    more than some passes (the later passes' edit resolution reuses the spans)."""
    return len(doc.text.encode("utf-8", "surrogatepass")), len(doc.paragraph_spans)


@gc_paused()
def run_passes(
    passes: Sequence[Pass],
    plans: dict[str, Any],
    docs: Sequence[Document],
    stats: dict[str, PassStats],
    providers: dict[str, str] | None = None,
) -> list[Outcome]:
    """Apply ``passes`` in order to a batch; never raises for a failing pass or document.

    The cyclic garbage collector is paused meanwhile: the passes build many small objects per
    line and per edit, and the built-in ones no reference cycles, so it only costs time here
    (see :mod:`corpuskit._gc`); cycles a plugin makes wait until the batch is done."""
    outcomes = [Outcome(original=d, doc=d) for d in docs]
    sizes = [_size(d) for d in docs]
    live = list(range(len(docs)))
    for p in passes:
        st = stats.setdefault(p.name, PassStats())
        t0 = time.perf_counter()
        plan = plans.get(p.name)
        batch = [outcomes[i].doc for i in live]
        ctxs = [PassContext(p.name, d, plan) for d in batch]
        failed: dict[int, BaseException] = {}
        try:
            p.apply_batch(batch, ctxs)
        except Exception:
            # retry one by one so a single bad document is isolated
            ctxs = [PassContext(p.name, d, plan) for d in batch]
            for j, (d, c) in enumerate(zip(batch, ctxs, strict=True)):
                try:
                    p.apply(d, c)
                except Exception as exc:
                    failed[j] = exc
        still_live: list[int] = []
        for j, i in enumerate(live):
            out = outcomes[i]
            b_in, p_in = sizes[i]
            st.documents_in += 1
            st.bytes_in += b_in
            st.paragraphs_in += p_in
            edits: list[Edit] = []
            err = failed.get(j)
            if err is None:
                try:
                    edits = ctxs[j].edits()
                    new_text = apply_edits(out.doc.text, edits)
                except (PassError, ValueError) as exc:
                    err = exc
            if err is not None:
                st.errors += 1
                out.problems.append(
                    Problem(
                        "pass_error",
                        f"pass {p.name!r} failed: {type(err).__name__}: {err}; document "
                        "passed through this pass unchanged",
                        path=out.doc.source.path,
                        doc_id=out.doc.id,
                        action="unchanged",
                        plugin=(providers or {}).get(p.name, ""),
                        pass_name=p.name,
                    )
                )
                edits = []
            for k, v in ctxs[j].counters.items():
                st.counters[k] = st.counters.get(k, 0) + v
            if ctxs[j].tags and err is None:
                out.tags.update(ctxs[j].tags)
            if edits:
                st.documents_changed += 1
                st.edits += len(edits)
                for e in edits:
                    st.rules[e.rule] = st.rules.get(e.rule, 0) + 1
                out.edits.extend(edits)
                if edits[0].kind == "drop":
                    out.dropped = True
                    st.documents_dropped += 1
                    sizes[i] = (0, 0)
                    continue
                out.doc = out.doc.with_text(new_text)
                sizes[i] = _size(out.doc)
            st.bytes_out += sizes[i][0]
            st.paragraphs_out += sizes[i][1]
            still_live.append(i)
        live = still_live
        st.seconds += time.perf_counter() - t0
    return outcomes


def scan_pass(
    target: Pass, docs: Sequence[Document], problems: list[Problem], provider: str = ""
) -> Any:
    """Scan a batch for a corpus pass; a document that makes ``scan`` raise is left out and
    reported, the rest are scanned."""
    try:
        return target.scan(docs)
    except Exception:
        states = []
        for d in docs:
            try:
                states.append(target.scan([d]))
            except Exception as exc:
                problems.append(
                    Problem(
                        "pass_error",
                        f"pass {target.name!r} failed to scan: {type(exc).__name__}: {exc}; "
                        "document not considered by this pass",
                        path=d.source.path,
                        doc_id=d.id,
                        action="unchanged",
                        plugin=provider,
                        pass_name=target.name,
                    )
                )
        return target.merge(states)
