"""``corpuskit clean``: the main job."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from corpuskit.cli._common import (
    STATE,
    PluginOpt,
    StrictOpt,
    err_console,
    fail,
    get_session,
    out_console,
    warn_plugin_errors,
)
from corpuskit.config import Config, apply_set, load_config
from corpuskit.errors import CorpuskitError
from corpuskit.exitcodes import ExitCode
from corpuskit.report.terminal import render_summary
from corpuskit.runner import ProgressFn, Runner


def _parse_size(raw: str) -> int:
    units = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
    s = raw.strip().lower().rstrip("b").rstrip("i")
    if s and s[-1] in units:
        return int(float(s[:-1]) * units[s[-1]])
    return int(s)


class _Progress:
    """A rich bar on a terminal (after a second), periodic log lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.last_log = 0.0
        self.bar: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int, nbytes: int) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if self.bar is None:
                if now - self.start < 1.0:
                    return
                self.bar = Progress(
                    TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total} shards"),
                    TextColumn("{task.fields[mb]:.1f} MB"), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err_console(), transient=True,
                )
                self.bar.start()
            if phase not in self.tasks:
                self.tasks[phase] = self.bar.add_task(phase, total=total, mb=0.0)
            self.bar.update(self.tasks[phase], completed=done, mb=nbytes / 1e6)
        elif now - self.start >= 1.0 and (now - self.last_log >= 5.0 or done == total):
            self.last_log = now
            print(
                f"corpuskit: {phase}: {done}/{total} shards, {nbytes / 1e6:.1f} MB, "
                f"{now - self.start:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def clean_command(
    input: Annotated[Path, typer.Argument(help="A directory of text files, or a JSONL file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Output (default: INPUT.clean).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty output.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write nothing; print what would change.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Like --dry-run; exit 1 if anything would change.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run into the same output.")
    ] = False,
    config_file: Annotated[
        Path | None, typer.Option("-c", "--config", help="Config file (default: discovered).")
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", help="Comma-separated pass order.")
    ] = None,
    enable: Annotated[
        list[str] | None, typer.Option("--enable", help="Add a pass to the pipeline.")
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option("--disable", help="Remove a pass from the pipeline.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override an option: PASS.KEY=VALUE or input.KEY=VALUE."),
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--from", help="Input format: auto, text, jsonl.")
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Glob of files to take.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Glob of files to leave out.")
    ] = None,
    on_bad_input: Annotated[
        str | None,
        typer.Option("--on-bad-input", help="copy (default) or skip files that can't be cleaned."),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("-j", "--jobs", help="Worker processes (default: all cores).")
    ] = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="inline, process (default), or a plugin's.")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster address (--executor ray).")
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="Dedup index to deduplicate against and update."),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", help="Dedup state kept in RAM before spilling (e.g. 2G)."),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Also write report.json and edits.jsonl here."),
    ] = None,
    no_timings: Annotated[
        bool,
        typer.Option("--no-timings", help="Do not write timings.json (durations, jobs, executor)."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report summary as JSON on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress or summary.")] = False,
    plugin: PluginOpt = None,
    strict_plugins: StrictOpt = False,
) -> None:
    """Clean a corpus into a new tree (or JSONL file) and write a report of every change."""
    STATE.quiet = quiet or as_json
    session = get_session()
    warn_plugin_errors(session)
    try:
        cfg = load_config(config_file, discover_from=Path.cwd())
        _apply_flags(cfg, pipeline, enable, disable, set_, input_format, include, exclude,
                     on_bad_input, jobs, executor, ray_address, index, memory_limit)
        runner_progress = _Progress(STATE.quiet)
        progress: ProgressFn = runner_progress
        runner = Runner(session, cfg, progress=progress, timings=not no_timings)
        try:
            result = runner.run_path(
                input, output, dry_run=dry_run or check, force=force, resume=resume,
                report_dir=report_dir,
            )
        finally:
            runner_progress.stop()
    except CorpuskitError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"I/O error: {exc}. Nothing was committed to the output; finished shards are kept "
             "beside it, so the same command with --resume continues the run.")
    if as_json:
        summary = {k: v for k, v in result.report.items() if k != "config"}
        out_console().print_json(json.dumps(summary, sort_keys=True))
    elif not quiet:
        render_summary(out_console(), result.report, result.changed, dry_run=dry_run or check)
        if result.report_path is not None:
            out_console().print(f"report: {result.report_path}")
        if result.output is not None:
            out_console().print(f"output: {result.output}")
    code = result.exit_code
    if check and result.report["input"]["documents_changed"]:
        code = max(code, int(ExitCode.INCOMPLETE))
    raise typer.Exit(code)


def _apply_flags(
    cfg: Config,
    pipeline: str | None,
    enable: list[str] | None,
    disable: list[str] | None,
    set_: list[str] | None,
    input_format: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
    on_bad_input: str | None,
    jobs: int | None,
    executor: str | None,
    ray_address: str | None,
    index: Path | None,
    memory_limit: str | None,
) -> None:
    if pipeline is not None:
        cfg.pipeline = [p.strip() for p in pipeline.split(",") if p.strip()]
    cfg.enable.extend(enable or [])
    cfg.disable.extend(disable or [])
    if input_format:
        cfg.input.format = input_format
    if include:
        cfg.input.include = list(include)
    if exclude:
        cfg.input.exclude.extend(exclude)
    if on_bad_input:
        if on_bad_input not in ("copy", "skip"):
            fail("--on-bad-input must be copy or skip")
        cfg.input.on_bad_input = on_bad_input  # type: ignore[assignment]
    if executor:
        cfg.executor = executor
    if ray_address:
        cfg.executor = executor or "ray"
        cfg.executor_options["address"] = ray_address
    if jobs is not None:
        if jobs < 0:
            fail("--jobs must be 0 (all cores) or more")
        cfg.jobs = jobs
    if index is not None:
        cfg.passes.setdefault("dedup", {})["index"] = str(index)
    if memory_limit is not None:
        try:
            cfg.memory_limit = _parse_size(memory_limit)
        except ValueError:
            fail(f"--memory-limit: cannot read {memory_limit!r} (e.g. 512M, 2G)")
        cfg.passes.setdefault("dedup", {})["memory_limit_mb"] = max(1, cfg.memory_limit // 10**6)
    for assignment in set_ or []:
        apply_set(cfg, assignment)
