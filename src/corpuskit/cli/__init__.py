"""The ``corpuskit`` command: a Typer app whose commands live one per module.

``main()`` reads the plugin options (``-p``, ``--strict-plugins``) before Typer parses anything,
builds the Session, lets plugins add commands (``corpuskit_register_commands``), then runs the app.
"""

from __future__ import annotations

import sys

import typer

from corpuskit.cli import _common
from corpuskit.cli.clean import clean_command
from corpuskit.cli.explain import explain_command, restore_command
from corpuskit.cli.listing import passes_command, plugins_command
from corpuskit.errors import CorpuskitError
from corpuskit.exitcodes import ExitCode


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="corpuskit",
        help="Clean text corpora: repair encoding, remove duplicate paragraphs, boilerplate and "
        "copyright lines, and explain every change.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback(invoke_without_command=True)(_common.root_callback)
    app.command("clean")(clean_command)
    app.command("passes")(passes_command)
    app.command("plugins")(plugins_command)
    app.command("explain")(explain_command)
    app.command("restore")(restore_command)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = build_app()
    try:
        session = _common.session_from_argv(args)
        session.pm.hook.corpuskit_register_commands(app=app)
    except CorpuskitError as exc:
        _common.err_console().print(f"[red]error:[/red] {exc}")
        raise SystemExit(ExitCode.USAGE) from None
    _common.STATE.session = session
    _common.STATE.quiet = False
    app(args=args, prog_name="corpuskit")
