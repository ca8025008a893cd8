"""Shared CLI state: the session built from plugin flags, consoles, and error handling."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from corpuskit._version import __version__
from corpuskit.config import Config, load_config
from corpuskit.exitcodes import ExitCode
from corpuskit.plugins import PluginSpec
from corpuskit.session import Session, SessionSpec


@dataclass
class _State:
    session: Session | None = None
    quiet: bool = False


STATE = _State()

PluginOpt = Annotated[
    list[str] | None,
    typer.Option(
        "-p",
        "--plugin",
        help="Load a plugin module or .py file, or disable one with no:NAME (repeatable).",
    ),
]
StrictOpt = Annotated[
    bool, typer.Option("--strict-plugins", help="Fail (exit 2) when any plugin fails to load.")
]


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    import sys

    # a pipe or a log file gets a readable width instead of rich's 80-column default
    width = None if sys.stdout.isatty() else 140
    return Console(highlight=False, soft_wrap=True, width=width)


def plugin_spec_from(
    plugin: list[str] | None, strict: bool, config: Config | None = None
) -> PluginSpec:
    """Plugins to load: the config file's ``[plugins] load``/``disable`` plus ``-p`` flags."""
    extra: list[str] = list(config.plugins) if config else []
    blocked: list[str] = list(config.disable_plugins) if config else []
    for ref in plugin or []:
        if ref.startswith("no:"):
            blocked.append(ref[3:])
        else:
            extra.append(ref)
    strict = strict or os.environ.get("CORPUSKIT_STRICT_PLUGINS", "") not in ("", "0")
    return PluginSpec(extra=tuple(extra), blocked=tuple(blocked), strict=strict)


def session_from_argv(args: list[str]) -> Session:
    """Build the session from ``-p``/``--strict-plugins`` anywhere on the command line, so
    plugins can add commands before Typer parses the rest."""
    plugin: list[str] = []
    strict = False
    config_file: str | None = None
    it = iter(range(len(args)))
    for i in it:
        a = args[i]
        if a in ("-c", "--config") and i + 1 < len(args):
            config_file = args[i + 1]
            next(it, None)
        elif a.startswith("--config="):
            config_file = a.split("=", 1)[1]
        elif a in ("-p", "--plugin") and i + 1 < len(args):
            plugin.append(args[i + 1])
            next(it, None)
        elif a.startswith("--plugin="):
            plugin.append(a.split("=", 1)[1])
        elif a.startswith("-p") and len(a) > 2:
            plugin.append(a[2:])
        elif a == "--strict-plugins":
            strict = True
        elif a == "--":
            break
    config = load_config(Path(config_file) if config_file else None, discover_from=Path.cwd())
    return Session(SessionSpec(plugin_spec_from(plugin, strict, config)))


def get_session() -> Session:
    if STATE.session is None:  # used as a library: build the default session
        STATE.session = Session()
    return STATE.session


def warn_plugin_errors(session: Session) -> None:
    if STATE.quiet:
        return
    con = err_console()
    for msg in session.plugin_errors:
        con.print(f"[yellow]warning:[/yellow] {msg}", markup=True)


def fail(message: str, code: ExitCode = ExitCode.USAGE) -> NoReturn:
    err_console().print(f"[red]error:[/red] {message}")
    raise typer.Exit(int(code))


def _version_cb(value: bool) -> None:
    if value:
        out_console().print(f"corpuskit {__version__}")
        raise typer.Exit(0)


def root_callback(
    plugin: PluginOpt = None,
    strict_plugins: StrictOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_cb, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Clean text corpora and explain every change."""
