"""The terminal summary printed after a run: one table of passes, one of problems."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def render_summary(
    console: Console, report: dict[str, Any], changed: list[dict[str, Any]] | None = None,
    *, dry_run: bool = False, limit: int = 20,
) -> None:
    """Print the per-pass table, input totals and the problems of a run."""
    inp = report["input"]
    title = "corpuskit — dry run (nothing written)" if dry_run else "corpuskit clean"
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("pass")
    table.add_column("docs changed", justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("edits", justify="right")
    table.add_column("bytes in → out", justify="right")
    table.add_column("paragraphs in → out", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("top rules")
    for p in report["passes"]:
        rules = sorted(p["rules"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        table.add_row(
            p["name"],
            str(p["documents_changed"]),
            str(p["documents_dropped"]),
            str(p["edits"]),
            f"{_size(p['bytes_in'])} → {_size(p['bytes_out'])}",
            f"{p['paragraphs_in']} → {p['paragraphs_out']}",
            str(p["errors"]),
            ", ".join(f"{k} {v}" for k, v in rules),
        )
    console.print(table)
    enc = ", ".join(f"{k} {v}" for k, v in inp["encodings"].items())
    console.print(
        f"{inp['documents']} documents in {inp['files']} files ({enc or 'none'}); "
        f"{inp['documents_changed']} changed, {inp['documents_dropped']} dropped; "
        f"{_size(inp['bytes_in'])} → {_size(inp['bytes_out'])}; "
        f"{inp['paragraphs_in']} → {inp['paragraphs_out']} paragraphs"
    )
    if dry_run and changed:
        console.print("\nwould change:")
        for rec in changed[:limit]:
            by_pass: dict[str, int] = {}
            for e in rec["edits"]:
                by_pass[e["pass"]] = by_pass.get(e["pass"], 0) + 1
            detail = ", ".join(f"{k} {v}" for k, v in by_pass.items())
            console.print(f"  {rec['id']}: {rec['status']} ({detail or 'no edits'})")
        if len(changed) > limit:
            console.print(f"  … and {len(changed) - limit} more")
    problems = report["problems"]
    if problems:
        pt = Table(title=f"{len(problems)} problem(s)", title_justify="left", show_edge=False)
        pt.add_column("kind")
        pt.add_column("file / document")
        pt.add_column("action")
        pt.add_column("reason")
        for pr in problems[:limit]:
            pt.add_row(pr["kind"], pr["doc_id"] or pr["path"], pr["action"], pr["message"])
        console.print(pt)
        if len(problems) > limit:
            console.print(f"… and {len(problems) - limit} more in the report")
