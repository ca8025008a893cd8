"""The library entry point: ``corpuskit.clean(docs, ...)`` over in-memory documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpuskit.config import Config, config_from_dict
from corpuskit.errors import CorpuskitError
from corpuskit.model import Document, Edit, Problem, Source
from corpuskit.plugins import PluginSpec
from corpuskit.process import Outcome
from corpuskit.runner import Runner
from corpuskit.session import Session, SessionSpec


@dataclass
class CleanResult:
    """Cleaned documents (dropped ones left out), every outcome, and the report."""

    outcomes: list[Outcome]
    report: dict[str, Any]

    @property
    def documents(self) -> list[Document]:
        return [o.doc for o in self.outcomes if not o.dropped]

    @property
    def edits(self) -> list[Edit]:
        return [e for o in self.outcomes for e in o.edits]

    @property
    def problems(self) -> list[Problem]:
        return [p for o in self.outcomes for p in o.problems]


def _as_documents(docs: Iterable[Document | str | Path], session: Session) -> Iterator[Document]:
    for i, d in enumerate(docs):
        if isinstance(d, Document):
            yield d
        elif isinstance(d, str):
            yield Document(id=f"doc-{i}", text=d)
        elif isinstance(d, Path):
            dec = session.decode(d.read_bytes(), str(d))
            if dec.text is None:
                raise CorpuskitError(f"{d}: {dec.message}")
            yield Document(id=str(d), text=dec.text,
                           source=Source(path=str(d), format="text", encoding=dec.encoding,
                                         bom=dec.bom))
        else:
            raise TypeError(f"expected Document, str or Path, got {type(d).__name__}")


def clean(
    docs: Iterable[Document | str | Path],
    passes: list[str] | None = None,
    config: Mapping[str, Any] | Config | None = None,
    *,
    session: Session | None = None,
    plugins: list[object] | None = None,
) -> CleanResult:
    """Run passes over documents in memory and return the cleaned documents and the report.

    ``docs`` may be any iterable (read once). ``passes`` sets the pipeline (default: every pass
    enabled by default); ``config`` is a :class:`Config` or a dict shaped like corpuskit.toml
    (e.g. ``{"passes": {"dedup": {"threshold": 0.8}}}``). ``plugins`` registers extra plugin
    objects for this call only.
    """
    cfg = config if isinstance(config, Config) else config_from_dict(dict(config or {}))
    if session is None:
        spec = PluginSpec(extra=tuple(cfg.plugins), blocked=tuple(cfg.disable_plugins))
        session = Session(SessionSpec(spec), plugins=plugins)
    if passes is not None:
        cfg.pipeline = list(passes)
    cfg.executor = "inline"
    runner = Runner(session, cfg, timings=False)
    result = runner.run_documents(_as_documents(docs, session))
    return CleanResult(result.outcomes or [], result.report)
