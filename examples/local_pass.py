"""A one-file plugin: drop lines that are only a URL.

Run: corpuskit clean examples/corpus -o /tmp/out -p examples/local_pass.py --enable url_lines
"""

from __future__ import annotations

import re

from corpuskit import Document, Pass, PassContext, hookimpl

URL_ONLY = re.compile(r"^\s*(https?://\S+)\s*$")


class UrlLinesPass(Pass):
    name = "url_lines"
    summary = "Remove lines that hold nothing but a URL."

    def apply(self, doc: Document, ctx: PassContext) -> None:
        for line in doc.lines:
            if URL_ONLY.match(line.text):
                ctx.delete_line(line, rule="url-only", reason="line is a bare URL")


@hookimpl
def corpuskit_register_passes(register) -> None:  # type: ignore[no-untyped-def]
    register(UrlLinesPass)
