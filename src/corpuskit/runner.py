"""The runner: cuts the input into shards, runs scan phases and the write phase on an executor,
merges results in shard order, and commits the output atomically.

Phases. The pipeline is split at every corpus-scope pass. For pass *k* of that kind a scan phase
reads every shard, applies passes ``0..k-1`` (with the plans already decided) and scans; the
driver merges the shard states in shard order and finalises a plan. The last phase applies every
pass and writes. Earlier passes are recomputed in each phase instead of storing intermediates:
the passes are deterministic, so this costs CPU, not correctness, and keeps disk use flat.

Safety. Output goes to a staging directory beside the destination
(``.NAME.corpuskit-partial``); only a complete run is renamed into place. The staging
directory also holds each finished shard's results, which is what ``--resume`` reuses.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpuskit._version import __version__
from corpuskit.config import Config
from corpuskit.errors import ConfigError, OutputError
from corpuskit.io.atomic import atomic_write_bytes, is_within
from corpuskit.io.base import Format, Passthrough, ReadEnv, Shard
from corpuskit.model import Document, Problem
from corpuskit.pass_api import Pass
from corpuskit.process import BATCH_SIZE, Outcome, PassStats, run_passes, scan_pass
from corpuskit.report.model import (
    SCHEMA_VERSION,
    RunInfo,
    Totals,
    document_record,
    iter_jsonl,
    merge_stats,
    passthrough_record,
    write_report,
)
from corpuskit.session import Session, SessionSpec

ProgressFn = Callable[[str, int, int, int], None]
"""progress(phase_label, shards_done, shards_total, bytes_done)"""

REPORT_DIR = ".corpuskit"
MAX_FILES_PER_SHARD = 1000


# --------------------------------------------------------------------------------------------
# shards and the per-shard work (runs in workers)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryShard:
    """In-memory documents (library use): always run inline."""

    index: int
    docs: tuple[Document, ...]


ShardItem = Shard | MemoryShard


def cut_shards(
    files: Sequence[tuple[str, int]],
    shard_bytes: int,
    split: Callable[[str, int], list[tuple[int, int, int]] | None] | None = None,
) -> list[Shard]:
    """Group sorted files into shards of about ``shard_bytes``; a large file that the format
    can split (``split`` returns line-aligned (start, end, first_line) ranges) becomes several
    byte-range shards of its own."""
    shards: list[Shard] = []
    cur: list[str] = []
    size = 0
    for rel, n in files:
        ranges = split(rel, shard_bytes) if split is not None and n > 2 * shard_bytes else None
        if ranges:
            if cur:
                shards.append(Shard(len(shards), tuple(cur), size))
                cur, size = [], 0
            for part, (start, end, first_line) in enumerate(ranges):
                shards.append(
                    Shard(len(shards), (rel,), end - start, (start, end), part, first_line)
                )
            continue
        cur.append(rel)
        size += n
        if size >= shard_bytes or len(cur) >= MAX_FILES_PER_SHARD:
            shards.append(Shard(len(shards), tuple(cur), size))
            cur, size = [], 0
    if cur:
        shards.append(Shard(len(shards), tuple(cur), size))
    return shards


@dataclass(frozen=True)
class PhaseContext:
    """Everything a worker needs for one phase; pickled once per phase per worker."""

    spec: SessionSpec
    config: Config
    root: str
    format_name: str
    stage: int
    plans: dict[str, Any]
    staging: str | None
    records_dir: str | None
    keep_outcomes: bool = False


@dataclass
class ShardResult:
    """A finished shard: counters, problems and (in memory, or on disk) document records."""

    index: int
    stats: dict[str, PassStats] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    problems: list[Problem] = field(default_factory=list)
    records: list[dict[str, Any]] | None = None
    outcomes: list[Outcome] | None = None
    seconds: float = 0.0
    bytes_read: int = 0


_SESSIONS: dict[SessionSpec, Session] = {}
_LOCAL_SESSIONS: weakref.WeakValueDictionary[str, Session] = weakref.WeakValueDictionary()
_PASSES: dict[int, tuple[PhaseContext, list[Pass], Format | None]] = {}
"""Passes built for the phase context in use (kept with a strong reference to that context, so
an id can never be reused by a later context while its entry is alive)."""


def _worker(ctx: PhaseContext) -> tuple[Session, list[Pass], Format | None]:
    token = ctx.spec.token
    if token:
        session = _LOCAL_SESSIONS.get(token)
        if session is None:
            raise RuntimeError("a session with in-memory plugins cannot run in another process")
    else:
        session = _SESSIONS.get(ctx.spec) or _SESSIONS.setdefault(ctx.spec, Session(ctx.spec))
    cached = _PASSES.get(id(ctx))
    if cached is None or cached[0] is not ctx:
        _PASSES.clear()
        fmt = session.format(ctx.format_name) if ctx.format_name != "memory" else None
        cached = (ctx, session.build_passes(ctx.config), fmt)
        _PASSES[id(ctx)] = cached
    return session, cached[1], cached[2]


def _decoder(session: Session, ctx: PhaseContext) -> Callable[[bytes, str], Any]:
    settings = ctx.config.input
    return lambda data, path: session.decode(data, path, settings)


def _read(
    ctx: PhaseContext,
    fmt: Format | None,
    session: Session,
    shard: ShardItem,
) -> Iterator[Document | Passthrough]:
    if isinstance(shard, MemoryShard):
        yield from shard.docs
        return
    assert fmt is not None
    env = ReadEnv(Path(ctx.root), ctx.config.input, _decoder(session, ctx), shard.index)
    yield from fmt.read(shard, env)


def _batches(items: Iterable[Document | Passthrough]) -> Iterator[list[Document | Passthrough]]:
    batch: list[Document | Passthrough] = []
    for it in items:
        batch.append(it)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_shard(ctx: PhaseContext, shard: ShardItem) -> tuple[Any, list[Problem]]:
    """Scan phase for corpus pass ``ctx.stage`` over one shard."""
    session, passes, fmt = _worker(ctx)
    target = passes[ctx.stage]
    provider = session.provider_of(target.name)
    providers = {p.name: session.provider_of(p.name) for p in passes}
    states: list[Any] = []
    problems: list[Problem] = []
    for batch in _batches(_read(ctx, fmt, session, shard)):
        docs = [d for d in batch if isinstance(d, Document)]
        outs = run_passes(passes[: ctx.stage], ctx.plans, docs, {}, providers)
        live = [o.doc for o in outs if not o.dropped]
        states.append(scan_pass(target, live, problems, provider))
    return target.merge(states), problems


def write_shard(ctx: PhaseContext, shard: ShardItem) -> ShardResult:
    """Final phase over one shard: every pass, then write (unless dry run), then record."""
    t0 = time.perf_counter()
    session, passes, fmt = _worker(ctx)
    providers = {p.name: session.provider_of(p.name) for p in passes}
    res = ShardResult(index=shard.index)
    records: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    writer = None
    if ctx.staging is not None and fmt is not None and isinstance(shard, Shard):
        env = ReadEnv(Path(ctx.root), ctx.config.input, _decoder(session, ctx), shard.index)
        writer = fmt.writer(Path(ctx.staging), shard, env)
    tot = res.totals
    if isinstance(shard, Shard):
        tot.files = len(shard.files)
        res.bytes_read = shard.size
    mode = ctx.config.report_documents
    for batch in _batches(_read(ctx, fmt, session, shard)):
        docs = [d for d in batch if isinstance(d, Document)]
        outs = iter(run_passes(passes, ctx.plans, docs, res.stats, providers))
        for item in batch:
            if isinstance(item, Passthrough):
                res.problems.append(item.problem)
                if item.problem.severity == "error":
                    tot.not_cleaned += 1
                if writer is not None and item.problem.action == "copied":
                    writer.write_passthrough(item)
                records.append(passthrough_record(item.problem))
                continue
            o = next(outs)
            tot.documents += 1
            enc = o.original.source.encoding
            tot.encodings[enc] = tot.encodings.get(enc, 0) + 1
            tot.bytes_in += len(o.original.text.encode("utf-8", "surrogatepass"))
            tot.paragraphs_in += len(o.original.paragraph_spans)
            res.problems.extend(o.problems)
            if o.edits:
                tot.documents_changed += 1
            if o.dropped:
                tot.documents_dropped += 1
            else:
                tot.documents_out += 1
                tot.bytes_out += len(o.doc.text.encode("utf-8", "surrogatepass"))
                tot.paragraphs_out += len(o.doc.paragraph_spans)
                if writer is not None:
                    writer.write(o.doc)
            rec = document_record(o, mode)
            if rec is not None:
                records.append(rec)
            if ctx.keep_outcomes:
                outcomes.append(o)
    if writer is not None:
        writer.close()
    if ctx.records_dir is not None:
        path = Path(ctx.records_dir) / f"records-{shard.index:06d}.jsonl"
        atomic_write_bytes(
            path,
            "".join(
                json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records
            ).encode("utf-8", "surrogatepass"),
        )
        res.records = None
    else:
        res.records = records
    res.outcomes = outcomes if ctx.keep_outcomes else None
    res.seconds = time.perf_counter() - t0
    if ctx.records_dir is not None:
        atomic_write_bytes(
            Path(ctx.records_dir) / f"result-{shard.index:06d}.pkl", pickle.dumps(res)
        )
    return res


# --------------------------------------------------------------------------------------------
# the driver
# --------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """What a run produced: the report (as written), an exit code, and where things went."""

    report: dict[str, Any]
    exit_code: int
    output: Path | None
    report_path: Path | None
    problems: list[Problem]
    outcomes: list[Outcome] | None = None
    changed: list[dict[str, Any]] = field(default_factory=list)
    """The first 10,000 changed documents (id, status, the pass of each edit), for summaries;
    the full records are in the report."""
    timings: dict[str, Any] | None = None
    """Seconds per phase and pass and the execution settings (``timings.json``), or None
    when the runner was built with ``timings=False``."""


def default_output(input_path: Path) -> Path:
    """``news/`` → ``news.clean/``; ``c.jsonl.zst`` → ``c.clean.jsonl.zst``."""
    if input_path.is_dir():
        return input_path.with_name(input_path.name + ".clean")
    name = input_path.name
    stem, dot, rest = name.partition(".")
    return input_path.with_name(f"{stem}.clean{dot}{rest}" if dot else f"{name}.clean")


def staging_for(output: Path) -> Path:
    return output.with_name(f".{output.name}.corpuskit-partial")


def report_location(output: Path, is_dir: bool) -> Path:
    return output / REPORT_DIR if is_dir else output.with_name(output.name + REPORT_DIR)


class Runner:
    """Runs one configured pipeline over one input."""

    def __init__(
        self,
        session: Session,
        config: Config,
        *,
        progress: ProgressFn | None = None,
        timings: bool = True,
    ) -> None:
        self.session = session
        self.config = config
        self.progress = progress
        self.timings = timings
        self.passes = session.build_passes(config)
        self.names = [p.name for p in self.passes]
        session.configure(config)

    # -- executor -----------------------------------------------------------------------------
    def _executor(self, n_shards: int = 2) -> Any:
        name = self.config.executor
        if name == "auto":
            name = "process" if n_shards > 1 and self.config.jobs != 1 else "inline"
        if self.session.in_memory_plugins and name != "inline":
            name = "inline"  # in-memory plugins cannot be rebuilt in another process
        reg = self.session.executors.items.get(name)
        if reg is None:
            known = ", ".join(sorted(self.session.executors.items))
            raise ConfigError(
                f"unknown executor {name!r} (known: {known}); is its plugin installed?"
            )
        jobs = self.config.jobs
        if name == "process" and jobs == 1:
            reg = self.session.executors.items["inline"]
        return reg.obj(jobs, dict(self.config.executor_options))

    def _spec(self) -> SessionSpec:
        spec = self.session.spec
        if self.session.in_memory_plugins:
            if not spec.token:
                # one token per session for its lifetime: the session registers itself once
                spec = SessionSpec(plugins=spec.plugins, token=uuid.uuid4().hex)
                self.session.spec = spec
            _LOCAL_SESSIONS[spec.token] = self.session
        return spec

    # -- phases -------------------------------------------------------------------------------
    def _plans(
        self,
        executor: Any,
        shards: Sequence[ShardItem],
        root: str,
        fmt_name: str,
        state_dir: Path | None,
        problems: list[Problem],
        timing: dict[str, float],
    ) -> dict[str, Any]:
        plans: dict[str, Any] = {}
        spec = self._spec()
        for k, p in enumerate(self.passes):
            if not p.corpus_scope:
                continue
            t0 = time.perf_counter()
            plan_file = state_dir / f"plan-{k:02d}-{p.name}.pkl" if state_dir else None
            if plan_file is not None and plan_file.exists():
                with open(plan_file, "rb") as fh:
                    plans[p.name], scan_problems = pickle.load(fh)
                problems.extend(scan_problems)
                continue
            ctx = PhaseContext(spec, self.config, root, fmt_name, k, dict(plans), None, None)
            done: dict[int, tuple[Any, list[Problem]]] = {}
            todo: list[ShardItem] = []
            for sh in shards:
                f = state_dir / f"scan-{k:02d}-{sh.index:06d}.pkl" if state_dir else None
                if f is not None and f.exists():
                    with open(f, "rb") as fh:
                        done[sh.index] = pickle.load(fh)
                else:
                    todo.append(sh)
            n_done = len(done)
            nbytes = 0
            for sh, out in zip(todo, executor.map(scan_shard, ctx, todo), strict=True):
                done[sh.index] = out
                if state_dir is not None:
                    atomic_write_bytes(
                        state_dir / f"scan-{k:02d}-{sh.index:06d}.pkl", pickle.dumps(out)
                    )
                n_done += 1
                nbytes += getattr(sh, "size", 0)
                if self.progress:
                    self.progress(f"scan {p.name}", n_done, len(shards), nbytes)
            states = [done[sh.index][0] for sh in shards]
            scan_problems = [pr for sh in shards for pr in done[sh.index][1]]
            problems.extend(scan_problems)
            plans[p.name] = p.finalize(p.merge(states))
            if plan_file is not None:
                atomic_write_bytes(plan_file, pickle.dumps((plans[p.name], scan_problems)))
            timing[f"scan:{p.name}"] = round(time.perf_counter() - t0, 3)
        return plans

    def _write_phase(
        self,
        executor: Any,
        shards: Sequence[ShardItem],
        ctx: PhaseContext,
        state_dir: Path | None,
    ) -> list[ShardResult]:
        results: dict[int, ShardResult] = {}
        todo: list[ShardItem] = []
        for sh in shards:
            f = state_dir / f"result-{sh.index:06d}.pkl" if state_dir else None
            if f is not None and f.exists():
                with open(f, "rb") as fh:
                    results[sh.index] = pickle.load(fh)
            else:
                todo.append(sh)
        n_done = len(results)
        nbytes = 0
        for sh, res in zip(todo, executor.map(write_shard, ctx, todo), strict=True):
            results[sh.index] = res
            n_done += 1
            nbytes += getattr(sh, "size", 0)
            if self.progress:
                self.progress("clean", n_done, len(shards), nbytes)
        return [results[sh.index] for sh in shards]

    # -- reports --------------------------------------------------------------------------------
    def _head(
        self,
        info: RunInfo,
        results: Sequence[ShardResult],
        problems: list[Problem],
        timing: dict[str, float],
    ) -> dict[str, Any]:
        stats: dict[str, PassStats] = {}
        totals = Totals()
        for r in results:
            merge_stats(stats, r.stats)
            for k, v in r.totals.__dict__.items():
                if k == "encodings":
                    for ek, ev in v.items():
                        totals.encodings[ek] = totals.encodings.get(ek, 0) + ev
                else:
                    setattr(totals, k, getattr(totals, k) + v)
        passes = []
        for p in self.passes:
            st = stats.get(p.name, PassStats())
            d = st.to_dict()
            d.update(
                name=p.name,
                provider=self.session.provider_of(p.name),
                version=p.version,
                options=p.options.model_dump(mode="json"),
            )
            passes.append(d)
            timing[f"pass:{p.name}"] = round(st.seconds, 3)
        head: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "corpuskit_version": __version__,
            "plugins": {
                i.name: {"version": i.version, "dist": i.dist}
                for i in self.session.plugin_infos
                if not i.error
            },
            "plugin_errors": self.session.plugin_errors,
            "config": self.config.to_dict(),
            "input": {"path": info.input, "format": info.format, **totals.to_dict()},
            "pipeline": self.names,
            "passes": passes,
            "problems": [p.to_dict() for p in problems],
            "exit_code": 1 if any(p.severity == "error" for p in problems) else 0,
            "dry_run": info.dry_run,
        }
        sections: dict[str, Any] = {}
        for part in self.session.pm.hook.corpuskit_report_sections(report=head):
            if part:
                sections.update(part)
        if sections:
            head["sections"] = sections
        return head

    def _timings(self, timing: dict[str, float]) -> dict[str, Any] | None:
        """Seconds per phase and pass, with the execution settings: the one thing that differs
        between two runs of the same input and config, so it lives in its own file
        (``timings.json``) and ``report.json`` stays byte-identical across runs."""
        if not self.timings:
            return None
        return {**dict(sorted(timing.items())), "execution": self.config.runtime_dict()}

    # -- entry points -----------------------------------------------------------------------------
    def run_path(
        self,
        input_path: Path,
        output: Path | None = None,
        *,
        dry_run: bool = False,
        force: bool = False,
        resume: bool = False,
        report_dir: Path | None = None,
    ) -> RunResult:
        """Clean a file or directory into ``output`` (atomically), or only report (dry run)."""
        t_start = time.perf_counter()
        input_path = Path(input_path)
        if not input_path.exists():
            raise ConfigError(f"input not found: {input_path}")
        fmt_name = self._format_for(input_path)
        fmt = self.session.format(fmt_name)
        is_dir = input_path.is_dir()
        # absolute paths: workers may run elsewhere (another node of a Ray cluster)
        root = (input_path if is_dir else input_path.parent).resolve()
        output = Path(output) if output is not None else default_output(input_path)
        output = output.parent.resolve() / output.name
        if not dry_run:
            self._check_output(input_path, output, force=force)
        files = fmt.list_files(input_path, self.config.input)
        split_fn = getattr(fmt, "split", None)
        split = (lambda rel, n: split_fn(root / rel, n)) if split_fn is not None else None
        shards = cut_shards(files, self.config.input.shard_bytes, split)
        info = RunInfo(
            str(input_path), str(output), fmt_name, self.names, dry_run, self.config.to_dict()
        )
        self.session.pm.hook.corpuskit_run_started(run=info)
        staging = staging_for(output)
        tmp: tempfile.TemporaryDirectory[str] | None = None
        if dry_run:
            local = self.config.executor in ("auto", "inline", "process")
            # a cluster's workers must see the records dir: put it on the output's filesystem
            tmp = tempfile.TemporaryDirectory(
                prefix=".corpuskit-dry-", dir=None if local else output.parent
            )
            state_dir = Path(tmp.name)
            data_dir = None
        else:
            state_dir, data_dir = self._prepare_staging(staging, input_path, files, resume, force)
        problems: list[Problem] = []
        timing: dict[str, float] = {}
        executor = self._executor(len(shards))
        try:
            plans = self._plans(executor, shards, str(root), fmt_name, state_dir, problems, timing)
            t0 = time.perf_counter()
            ctx = PhaseContext(
                self._spec(),
                self.config,
                str(root),
                fmt_name,
                len(self.passes),
                plans,
                str(data_dir) if data_dir else None,
                str(state_dir),
            )
            results = self._write_phase(executor, shards, ctx, state_dir)
            timing["write"] = round(time.perf_counter() - t0, 3)
        finally:
            executor.close()
        for r in results:
            problems.extend(r.problems)
        timing["total"] = round(time.perf_counter() - t_start, 3)
        timing["jobs"] = float(getattr(executor, "jobs", 1))
        head = self._head(info, results, problems, timing)
        timings = self._timings(timing)
        record_files = [state_dir / f"records-{sh.index:06d}.jsonl" for sh in shards]
        # the terminal summary shows a few changed documents: stream the records, never hold
        # them all (on 1 GB of text the full list took 12 GB)
        changed = list(itertools.islice(
            ({"id": r["id"], "status": r["status"],
              "edits": [{"pass": e["pass"]} for e in r.get("edits", [])]}
             for r in iter_jsonl(record_files) if r["status"] != "unchanged"),
            10_000,
        ))
        report_path = None
        if not dry_run:
            assert data_dir is not None
            finish = getattr(fmt, "finish", None)
            if finish is not None:
                finish(data_dir, shards)
            rdir = (data_dir / REPORT_DIR) if is_dir else (staging / "report")
            report_path = self._write_reports(rdir, head, record_files, report_dir, timings)
            self._commit(staging, data_dir, output, is_dir, input_path)
            report_path = report_location(output, is_dir) / "report.json"
        elif report_dir is not None:
            report_path = self._write_reports(report_dir, head, record_files, None, timings)
        if tmp is not None:
            tmp.cleanup()
        self.session.pm.hook.corpuskit_run_finished(run=info, report=head)
        for p in problems:
            self.session.pm.hook.corpuskit_document_error(problem=p)
        return RunResult(
            head,
            head["exit_code"],
            None if dry_run else output,
            report_path,
            problems,
            changed=changed,
            timings=timings,
        )

    def run_documents(self, docs: Iterable[Document], batch: int = 4096) -> RunResult:
        """Clean in-memory documents (library use); corpus passes see all of them first."""
        shards: list[ShardItem] = []
        cur: list[Document] = []
        for d in docs:
            cur.append(d)
            if len(cur) >= batch:
                shards.append(MemoryShard(len(shards), tuple(cur)))
                cur = []
        if cur or not shards:
            shards.append(MemoryShard(len(shards), tuple(cur)))
        # ordinals follow the iteration order, so "first copy" means first given
        shards = [
            MemoryShard(
                sh.index,
                tuple(
                    Document(d.id, d.text, d.metadata, d.source, (sh.index, i), d.segmentation)
                    for i, d in enumerate(sh.docs)
                ),
            )
            for sh in shards
            if isinstance(sh, MemoryShard)
        ]
        info = RunInfo("<memory>", "<memory>", "memory", self.names, False, self.config.to_dict())
        self.session.pm.hook.corpuskit_run_started(run=info)
        problems: list[Problem] = []
        timing: dict[str, float] = {}
        executor = self.session.executors.items["inline"].obj(1, {})
        plans = self._plans(executor, shards, "", "memory", None, problems, timing)
        ctx = PhaseContext(
            self._spec(),
            self.config,
            "",
            "memory",
            len(self.passes),
            plans,
            None,
            None,
            keep_outcomes=True,
        )
        results = self._write_phase(executor, shards, ctx, None)
        for r in results:
            problems.extend(r.problems)
        head = self._head(info, results, problems, timing)
        head["documents"] = [rec for r in results for rec in (r.records or [])]
        outcomes = [o for r in results for o in (r.outcomes or [])]
        self.session.pm.hook.corpuskit_run_finished(run=info, report=head)
        return RunResult(head, head["exit_code"], None, None, problems, outcomes,
                         timings=self._timings(timing))

    # -- helpers ------------------------------------------------------------------------------
    def _format_for(self, input_path: Path) -> str:
        name = self.config.input.format
        if name != "auto":
            self.session.format(name)
            return name
        items = self.session.formats.items
        for fname, reg in sorted(items.items(), key=lambda kv: kv[0] == "text"):
            if reg.obj.claims(input_path):
                return str(fname)
        if (
            input_path.is_dir()
            and any(
                p.name.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst")) for p in input_path.iterdir()
            )
            and not any(p.suffix == ".txt" for p in input_path.iterdir())
        ):
            return "jsonl"
        return "text"

    @staticmethod
    def _check_output(input_path: Path, output: Path, *, force: bool) -> None:
        in_root = input_path if input_path.is_dir() else input_path.parent
        if input_path.is_dir() and is_within(output, in_root):
            raise OutputError(
                f"refusing to write into the input tree: {output} is inside {input_path}; "
                "choose another -o"
            )
        if output.exists() and is_within(input_path, output):
            raise OutputError(f"refusing to write over {output}: it contains the input")
        if not input_path.is_dir() and output.resolve() == input_path.resolve():
            raise OutputError("refusing to overwrite the input file; choose another -o")
        if output.exists() and not force:
            if output.is_dir() and not any(output.iterdir()):
                return
            raise OutputError(f"output {output} already exists and is not empty; use --force")

    def _prepare_staging(
        self,
        staging: Path,
        input_path: Path,
        files: Sequence[tuple[str, int]],
        resume: bool,
        force: bool,
    ) -> tuple[Path, Path]:
        manifest = {
            "corpuskit_version": __version__,
            "config": self.config.fingerprint(),
            "pipeline": self.names,
            "input": str(input_path.resolve()),
            "files": [list(f) for f in files],
        }
        state_dir, data_dir = staging / "state", staging / "data"
        mpath = staging / "manifest.json"
        if staging.exists():
            if resume:
                try:
                    old = json.loads(mpath.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    old = None
                if old != manifest:
                    raise OutputError(
                        f"cannot resume: {staging} was made by a different input, config or "
                        "version; rerun without --resume (and with --force to discard it)"
                    )
                return state_dir, data_dir
            if not force:
                raise OutputError(
                    f"an interrupted run left {staging}; rerun with --resume to continue it or "
                    "--force to start over"
                )
            shutil.rmtree(staging)
        state_dir.mkdir(parents=True)
        data_dir.mkdir(parents=True)
        atomic_write_bytes(mpath, json.dumps(manifest, sort_keys=True).encode())
        return state_dir, data_dir

    def _write_reports(
        self,
        rdir: Path,
        head: dict[str, Any],
        record_files: Sequence[Path],
        extra: Path | None,
        timings: dict[str, Any] | None,
    ) -> Path:
        rdir.mkdir(parents=True, exist_ok=True)
        names = ["report.json", "edits.jsonl"]
        if timings is not None:
            atomic_write_bytes(
                rdir / "timings.json",
                (json.dumps(timings, sort_keys=True, indent=2) + "\n").encode(),
            )
            names.append("timings.json")
        tmp = rdir / ".report.json.tmp"
        with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as fh:
            write_report(fh, head, iter_jsonl(record_files))
        os.replace(tmp, rdir / "report.json")
        tmp = rdir / ".edits.jsonl.tmp"
        with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as fh:
            for rec in iter_jsonl(record_files):
                fh.writelines(
                    json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n"
                    for e in rec.get("edits", [])
                )
        os.replace(tmp, rdir / "edits.jsonl")
        if extra is not None:
            extra.mkdir(parents=True, exist_ok=True)
            for name in names:
                shutil.copyfile(rdir / name, extra / name)
        return rdir / "report.json"

    @staticmethod
    def _commit(
        staging: Path, data_dir: Path, output: Path, is_dir: bool, input_path: Path
    ) -> None:
        # remove temp files a killed worker may have left in the staging tree
        for dirpath, _dirs, fnames in os.walk(data_dir):
            for fn in fnames:
                if fn.startswith(".") and fn.endswith(".tmp"):
                    os.unlink(os.path.join(dirpath, fn))
        if is_dir:
            old = output.with_name(f".{output.name}.corpuskit-old")
            if output.exists():
                if old.exists():
                    shutil.rmtree(old)
                os.replace(output, old)
            os.replace(data_dir, output)
            if old.exists():
                shutil.rmtree(old)
        else:
            produced = data_dir / input_path.name
            rloc = report_location(output, False)
            if output.exists() and output.is_dir():
                raise OutputError(f"output {output} is a directory; the input is a file")
            if produced.exists():
                os.replace(produced, output)
            elif output.exists():
                output.unlink()
            if rloc.exists():
                shutil.rmtree(rloc)
            os.replace(staging / "report", rloc)
        shutil.rmtree(staging)
