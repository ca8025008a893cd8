"""``corpuskit explain`` (what happened to a document, and why) and ``corpuskit restore``
(rebuild the input from the output and its edit log — the proof that the log is complete)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from corpuskit.cli._common import fail, out_console
from corpuskit.exitcodes import ExitCode
from corpuskit.io.atomic import atomic_copy, atomic_write_bytes
from corpuskit.io.base import safe_relative
from corpuskit.model import Edit
from corpuskit.runner import REPORT_DIR, report_location
from corpuskit.segment import revert_all


def _report_dir(output: Path) -> Path:
    if output.is_file() and output.name == "report.json":
        return output.parent
    if output.is_dir() and (output / "report.json").is_file():
        return output
    rdir = report_location(output, output.is_dir())
    if not (rdir / "report.json").is_file():
        fail(f"no corpuskit report found for {output} (looked in {rdir})")
    return rdir


def _iter_documents(report_path: Path) -> Iterator[dict[str, Any]]:
    with open(report_path, encoding="utf-8") as fh:
        report = json.load(fh)
    yield from report.get("documents", [])


def _short(text: str, width: int = 160) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= width else text[: width - 1] + "…"


def explain_command(
    output: Annotated[Path, typer.Argument(help="A cleaned output (or its report.json).")],
    doc_id: Annotated[
        str | None, typer.Argument(help="Document id or path; all changed documents if left out.")
    ] = None,
    pass_name: Annotated[str | None, typer.Option("--pass", help="Only this pass.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What was changed in a document, by which pass and rule, and why."""
    rdir = _report_dir(output)
    found = []
    for rec in _iter_documents(rdir / "report.json"):
        if doc_id is not None and doc_id not in (rec["id"], rec["path"]):
            continue
        if doc_id is None and rec["status"] == "unchanged" and not rec.get("problems"):
            continue
        if pass_name:
            rec = {**rec, "edits": [e for e in rec["edits"] if e["pass"] == pass_name]}
        found.append(rec)
    if doc_id is not None and not found:
        fail(f"no document {doc_id!r} in {rdir / 'report.json'}")
    if as_json:
        print(json.dumps(found, indent=2, sort_keys=True, ensure_ascii=False))
        return
    con = out_console()
    for rec in found:
        con.print(f"[bold]{rec['id']}[/bold]  ({rec['status']}, encoding {rec['encoding']})")
        for pr in rec.get("problems", []):
            con.print(f"  problem: {pr['kind']}: {pr['message']} ({pr['action']})")
        if not rec["edits"]:
            con.print("  no edits")
        for e in rec["edits"]:
            where = f"paragraph {e['paragraph']}" if "paragraph" in e else f"at {e['start']}"
            con.print(f"  [cyan]{e['pass']}[/cyan]/{e['rule']} {e['kind']} {where}: {e['reason']}")
            con.print(f"    - {_short(e['before'])}", markup=False)
            if e["after"]:
                con.print(f"    + {_short(e['after'])}", markup=False)
            detail = e.get("detail", {})
            kept = detail.get("kept")
            if kept:
                con.print(f"    kept copy: {kept.get('doc_id')} paragraph {kept.get('paragraph')}"
                          + (f", similarity {detail['similarity']}" if "similarity" in detail
                             else ""))


def restore_command(
    output: Annotated[Path, typer.Argument(help="A cleaned text tree.")],
    dest: Annotated[Path, typer.Option("-o", "--output", help="Where to write the restored tree.")],
) -> None:
    """Rebuild the original text tree from a cleaned tree and its edit log.

    Text is restored exactly (as UTF-8; files decoded from a legacy encoding are re-encoded in
    it). Files that were copied through uncleaned are copied back.
    """
    rdir = _report_dir(output)
    with open(rdir / "report.json", encoding="utf-8") as fh:
        report = json.load(fh)
    if report["input"]["format"] != "text" or not output.is_dir():
        fail("restore supports text trees; JSONL outputs carry their edits in edits.jsonl")
    if dest.exists() and any(dest.iterdir()):
        fail(f"{dest} exists and is not empty")
    pipeline: list[str] = report["pipeline"]
    restored = 0
    for rec in report["documents"]:
        rel = safe_relative(rec["path"])
        if rel is None:
            continue
        src = output / rel
        if rec["status"] in ("not_cleaned",):
            if src.exists():
                atomic_copy(src, dest / rel)
                restored += 1
            continue
        if rec["status"] == "skipped":
            continue
        edits = [Edit.from_dict(e) for e in rec["edits"]]
        if rec["status"] == "dropped":
            text = ""
        else:
            raw = src.read_bytes()
            text = raw.decode("utf-8-sig" if rec["encoding"] == "utf-8-sig" else "utf-8")
        text = revert_all(text, edits, pipeline)
        enc = rec["encoding"] or "utf-8"
        try:
            data = text.encode(enc)
        except (LookupError, UnicodeEncodeError):
            data = text.encode("utf-8")
        atomic_write_bytes(dest / rel, data)
        restored += 1
    out_console().print(f"restored {restored} files into {dest}")
    raise typer.Exit(int(ExitCode.OK))


__all__ = ["REPORT_DIR", "explain_command", "restore_command"]
