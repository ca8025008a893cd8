"""``corpuskit passes`` and ``corpuskit plugins``: what is installed and what it provides."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from corpuskit.cli._common import (
    PluginOpt,
    StrictOpt,
    get_session,
    out_console,
    warn_plugin_errors,
)
from corpuskit.config import load_config
from corpuskit.session import Session


def _pass_rows(session: Session) -> list[dict[str, Any]]:
    rows = []
    for name, reg in sorted(session.pass_classes().items()):
        cls = reg.obj
        defaults = cls.Options().model_dump(mode="json")
        opts = {
            k: {"default": defaults.get(k), "description": f.description or ""}
            for k, f in cls.Options.model_fields.items()
        }
        info = next((i for i in session.plugin_infos if i.name == reg.plugin), None)
        rows.append({
            "name": name,
            "plugin": reg.plugin,
            "dist": info.dist if info else "",
            "version": info.version if info else "",
            "pass_version": cls.version,
            "default_enabled": cls.default_enabled,
            "order": cls.default_order,
            "scope": "corpus" if cls.corpus_scope else "document",
            "summary": cls.summary,
            "options": opts,
        })
    return rows


def passes_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    options: Annotated[
        bool, typer.Option("--options", help="Also list each pass's options.")
    ] = False,
    plugin: PluginOpt = None,
    strict_plugins: StrictOpt = False,
) -> None:
    """Every registered pass: name, plugin, version, whether on by default, one-line doc."""
    session = get_session()
    warn_plugin_errors(session)
    rows = _pass_rows(session)
    if as_json:
        print(json.dumps(rows, indent=2, sort_keys=True, default=str))
        return
    try:
        pipeline = session.pipeline_names(load_config(None))
    except Exception:
        pipeline = []
    table = Table(show_edge=False)
    for col in ("pass", "plugin", "version", "default", "scope", "summary"):
        table.add_column(col)
    for r in rows:
        on = "on" if r["name"] in pipeline else "off"
        table.add_row(r["name"], r["dist"] if r["dist"] != "corpuskit" else "corpuskit (built-in)",
                      r["version"], on, r["scope"], r["summary"])
    con = out_console()
    con.print(table)
    if pipeline:
        con.print(f"default pipeline: {' → '.join(pipeline)}")
    if options:
        for r in rows:
            con.print(f"\n[bold]{r['name']}[/bold]")
            for k, o in r["options"].items():
                con.print(f"  {k} = {o['default']!r}  {o['description']}")


def plugins_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    plugin: PluginOpt = None,
    strict_plugins: StrictOpt = False,
) -> None:
    """Installed plugins (built-in and entry points) with versions and the hooks they implement."""
    session = get_session()
    warn_plugin_errors(session)
    rows = [i.to_dict() for i in session.plugin_infos]
    if as_json:
        print(json.dumps(rows, indent=2, sort_keys=True))
        return
    table = Table(show_edge=False)
    for col in ("plugin", "distribution", "version", "hooks", "status"):
        table.add_column(col)
    for r in rows:
        hooks = ", ".join(h.removeprefix("corpuskit_") for h in r["hooks"])
        status = f"[red]{r['error']}[/red]" if r["error"] else (
            "built-in" if r["builtin"] else "loaded")
        table.add_row(r["name"], r["dist"], r["version"], hooks, status)
    out_console().print(table)
    blocked = sorted(session.host.blocked)
    if blocked:
        out_console().print(f"disabled: {', '.join(blocked)}")
