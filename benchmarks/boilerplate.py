"""Throughput of the ``copyright`` and ``boilerplate`` passes, one process (= one core).

The corpus is the real scraped text of ../shared/corpora (article-extraction-benchmark,
trafilatura-eval, seeds) replicated to ``--mb`` megabytes. Each replica marks its long lines
(a number appended), so documents differ the way pages of one site differ and the frequency
part sees realistic recurring chrome, not whole duplicate documents.

Measured in the same process, so the ratios are stable even when the machine is busy:

- ``read``: reading the files from disk and decoding them (the floor "reading the corpus").
- ``copyright``: ``apply`` + edit resolution per document.
- ``boilerplate scan``: the corpus-scope scan over batches of 256, merge and finalize.
- ``boilerplate apply``: rules and frequency decisions + edit resolution per document.

    .venv/bin/python benchmarks/boilerplate.py [--mb 100]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from corpuskit.model import Document
from corpuskit.pass_api import PassContext
from corpuskit.passes.boilerplate import BoilerplatePass
from corpuskit.passes.copyright import CopyrightPass

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
SOURCES = ("article-extraction-benchmark/text", "trafilatura-eval/text", "seeds")


def build_corpus(target_mb: float, out: Path) -> int:
    texts = [p.read_text(encoding="utf-8") for src in SOURCES
             for p in sorted((SHARED / src).glob("*.txt"))]
    base = sum(len(t.encode()) for t in texts)
    total = 0
    k = 0
    while total < target_mb * 1e6:
        for i, t in enumerate(texts):
            if k:
                t = "\n".join(f"{ln} ({k})" if len(ln) >= 80 else ln for ln in t.split("\n"))
            data = t.encode("utf-8")
            (out / f"{k:03d}-{i:05d}.txt").write_bytes(data)
            total += len(data)
        k += 1
    print(f"corpus: {len(texts)} real pages ({base / 1e6:.1f} MB) x {k} = {total / 1e6:.1f} MB",
          file=sys.stderr)
    return total


def timed(label: str, nbytes: int, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"{label:<28} {dt:7.2f} s  {nbytes / 1e6 / dt:8.1f} MB/s")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100.0)
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no corpora at {SHARED}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="corpuskit-bp-bench-") as tmp:
        root = Path(tmp)
        nbytes = build_corpus(args.mb, root)
        docs: list[Document] = []

        def read() -> None:
            for i, p in enumerate(sorted(root.iterdir())):
                docs.append(Document(p.name, p.read_bytes().decode("utf-8"), ordinal=(0, i)))

        t_read = timed("read + decode", nbytes, read)
        cp = CopyrightPass()
        bp = BoilerplatePass()
        mid: list[Document] = []

        def copyright_apply() -> None:
            n = 0
            for d in docs:
                ctx = PassContext("copyright", d, None)
                cp.apply(d, ctx)
                n += len(ctx.edits())
            mid.extend(docs)
            print(f"  copyright edits: {n}", file=sys.stderr)

        t_cp = timed("copyright apply", nbytes, copyright_apply)
        plan: list[object] = []

        def scan() -> None:
            states = [bp.scan(mid[i:i + 256]) for i in range(0, len(mid), 256)]
            plan.append(bp.finalize(bp.merge(states)))
            print(f"  frequent templates: {len(plan[0].frequent)}",  # type: ignore[attr-defined]
                  file=sys.stderr)

        t_scan = timed("boilerplate scan+merge", nbytes, scan)

        def apply(p: object) -> Callable[[], None]:
            def run() -> None:
                n = 0
                for d in mid:
                    ctx = PassContext("boilerplate", d, p)
                    bp.apply(d, ctx)
                    n += len(ctx.edits())
                print(f"  boilerplate edits: {n}", file=sys.stderr)
            return run

        for d in mid:  # doc.lines is cached per document: measure the passes, not the cache
            d.__dict__.pop("lines", None)
            d.__dict__.pop("paragraphs", None)
        t_rules = timed("boilerplate apply (rules)", nbytes, apply(None))
        for d in mid:
            d.__dict__.pop("lines", None)
            d.__dict__.pop("paragraphs", None)
        t_all = timed("boilerplate apply (all)", nbytes, apply(plan[0]))
        both = t_cp + t_scan + t_all
        print(f"{'copyright + boilerplate':<28} {both:7.2f} s  {nbytes / 1e6 / both:8.1f} MB/s"
              f"  ({both / t_read:.2f} x reading)")
        print(f"rule pass alone: copyright {nbytes / 1e6 / t_cp:.1f} MB/s, boilerplate rules "
              f"{nbytes / 1e6 / t_rules:.1f} MB/s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
