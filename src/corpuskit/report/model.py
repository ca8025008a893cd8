"""The run report: what report.json holds, built from per-shard results in shard order.

Determinism: keys are sorted, documents are listed in corpus order, and nothing that depends on
the machine or the run (durations, executor, job count) is in it: those go to ``timings.json``
beside it. Same input and config give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from corpuskit.model import Problem
from corpuskit.process import Outcome, PassStats

SCHEMA_VERSION = 1


@dataclass
class RunInfo:
    """What the run is about; handed to the run observer hooks."""

    input: str
    output: str
    format: str
    pipeline: list[str]
    dry_run: bool
    config: dict[str, Any]


def document_record(o: Outcome, mode: str = "all") -> dict[str, Any] | None:
    """The report entry of one document (None when ``mode='changed'`` and nothing happened)."""
    if mode == "changed" and not (o.edits or o.problems or o.tags):
        return None
    rec: dict[str, Any] = {
        "id": o.original.id,
        "path": o.original.source.path,
        "encoding": o.original.source.encoding,
        "status": "dropped" if o.dropped else ("changed" if o.edits else "unchanged"),
        "edits": [e.to_dict() for e in o.edits],
    }
    if o.original.source.format == "jsonl":
        rec["line"] = o.original.source.index
    if o.problems:
        rec["problems"] = [p.to_dict() for p in o.problems]
    if o.tags:
        rec["tags"] = o.tags
    return rec


def passthrough_record(problem: Problem) -> dict[str, Any]:
    """The report entry of an input unit that was not cleaned."""
    return {
        "id": problem.doc_id or problem.path,
        "path": problem.path,
        "encoding": None,
        "status": "skipped" if problem.action == "skipped" else "not_cleaned",
        "edits": [],
        "problems": [problem.to_dict()],
    }


@dataclass
class Totals:
    """Corpus-level counters."""

    files: int = 0
    documents: int = 0
    documents_out: int = 0
    documents_changed: int = 0
    documents_dropped: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    paragraphs_in: int = 0
    paragraphs_out: int = 0
    not_cleaned: int = 0
    encodings: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["encodings"] = dict(sorted(self.encodings.items()))
        return d


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def write_report(
    fh: IO[str],
    head: dict[str, Any],
    documents: Iterable[dict[str, Any]],
) -> None:
    """Write report.json with sorted top-level keys, streaming the documents array."""
    keys = sorted([*head.keys(), "documents"])
    fh.write("{\n")
    for n, key in enumerate(keys):
        fh.write(f'  "{key}": ')
        if key == "documents":
            fh.write("[")
            first = True
            for rec in documents:
                fh.write("\n    " if first else ",\n    ")
                fh.write(dumps(rec))
                first = False
            fh.write("\n  ]" if not first else "]")
        else:
            fh.write(json.dumps(head[key], sort_keys=True, ensure_ascii=False, indent=2)
                     .replace("\n", "\n  "))
        fh.write(",\n" if n < len(keys) - 1 else "\n")
    fh.write("}\n")


def iter_jsonl(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def merge_stats(into: dict[str, PassStats], other: dict[str, PassStats]) -> None:
    for name, st in other.items():
        into.setdefault(name, PassStats()).merge(st)
