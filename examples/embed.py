"""Use corpuskit from Python: documents in memory, the same passes as the CLI.

Run: .venv/bin/python examples/embed.py
"""

from __future__ import annotations

from pathlib import Path

import corpuskit

here = Path(__file__).parent / "corpus" / "news"
docs = [corpuskit.Document(id=p.name, text=p.read_text(encoding="utf-8"))
        for p in sorted(here.glob("*.txt"))]

result = corpuskit.clean(docs)
for outcome in result.outcomes:
    print(f"{outcome.original.id}: {len(outcome.edits)} edits")
    for edit in outcome.edits[:5]:
        print(f"  {edit.pass_name}/{edit.rule}: {edit.reason}: {edit.before[:70]!r}")
print("passes:", [(p["name"], p["edits"]) for p in result.report["passes"]])
