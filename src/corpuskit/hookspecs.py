"""The hooks corpuskit calls. Every plugin, built-in or third-party, implements some of these.

Registration hooks (``corpuskit_register_*``, ``corpuskit_addhooks``, ``corpuskit_decode``) run
in every process that builds a :class:`corpuskit.Session`, workers included: keep them cheap and
free of side effects. Observer hooks (``corpuskit_run_*``, ``corpuskit_document_error``) run in
the driver process only; an exception there is reported, never fatal.

docs/plugins.md has the same reference with examples; a test keeps the two in sync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer

    from corpuskit.config import Config, InputSettings
    from corpuskit.io.base import Decoded
    from corpuskit.model import Problem
    from corpuskit.registry import ExecutorRegistrar, FormatRegistrar, PassRegistrar
    from corpuskit.report.model import RunInfo

hookspec = pluggy.HookspecMarker("corpuskit")


@hookspec(historic=True)
def corpuskit_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs of your own with ``pluginmanager.add_hookspecs(module)``.

    Fires once per plugin when it is registered (historic). The built-in ``boilerplate`` and
    ``dedup`` passes use it to publish ``corpuskit_boilerplate_rules`` and
    ``corpuskit_dedup_choose_survivor``.
    """


@hookspec
def corpuskit_register_passes(register: PassRegistrar) -> None:
    """Register pass classes: ``register(MyPass)``.

    Fires once when the session is built. The pass name comes from ``MyPass.name``; a second
    pass with a name already taken is rejected and reported with both plugins' names.
    """


@hookspec
def corpuskit_register_formats(register: FormatRegistrar) -> None:
    """Register corpus formats: ``register(MyFormat)`` where ``MyFormat`` implements
    :class:`corpuskit.io.base.Format` (detect, list shards, read, write)."""


@hookspec
def corpuskit_register_executors(register: ExecutorRegistrar) -> None:
    """Register executors: ``register("name", factory)``; ``factory(jobs, options)`` returns an
    object with ``map(fn, context, items)`` yielding results in item order (see
    :mod:`corpuskit.executors.base`). The ``corpuskit-ray`` plugin registers ``ray``."""


@hookspec(firstresult=True)
def corpuskit_decode(data: bytes, path: str, settings: InputSettings) -> Decoded | None:
    """Turn a file's bytes into text before any pass sees it.

    ``settings`` is the run's ``[input]`` configuration (``detect_encoding``,
    ``ambiguous_encoding``, …); an implementation may leave the parameter out.

    The first non-None result wins. Return a :class:`corpuskit.io.base.Decoded` with the text
    and the encoding used, or with ``problem`` set (``binary``, ``undecodable``) when the bytes
    are not text. The core's fallback, which runs last, accepts strict UTF-8 with or without a
    BOM and UTF-16/32 with a BOM; the ``encoding`` pass adds legacy-encoding detection.
    """


@hookspec
def corpuskit_register_commands(app: typer.Typer) -> None:
    """Add CLI commands to the ``corpuskit`` Typer app (``@app.command()``)."""


@hookspec
def corpuskit_configure(config: Config) -> None:
    """Inspect the resolved configuration before any I/O; raise
    :class:`corpuskit.errors.ConfigError` to abort with exit code 2. Plugin-specific settings
    live in ``config.plugin_settings("<plugin name>")`` (``[plugins.<name>]`` in the file)."""


@hookspec
def corpuskit_report_sections(report: dict[str, Any]) -> dict[str, Any] | None:
    """Return ``{"section-name": json_ready_value}`` to add under ``report["sections"]``.

    Fires in the driver after the run, with the report built so far (read it, do not change it).
    """


@hookspec
def corpuskit_run_started(run: RunInfo) -> None:
    """Observer: a run is about to read its input (driver process)."""


@hookspec
def corpuskit_run_finished(run: RunInfo, report: dict[str, Any]) -> None:
    """Observer: a run finished and its report is complete (driver process)."""


@hookspec
def corpuskit_document_error(problem: Problem) -> None:
    """Observer: a document could not be read or a pass failed on it (driver process)."""
