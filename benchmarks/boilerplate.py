"""Throughput of the ``copyright`` and ``boilerplate`` passes, one process (= one core).

The corpus is the real scraped text of ../shared/corpora (article-extraction-benchmark,
trafilatura-eval, seeds) replicated to ``--mb`` megabytes. Each replica marks its long lines
(a number appended), so documents differ the way pages of one site differ and the frequency
part sees realistic recurring chrome, not whole duplicate documents.

Measured in the same process, so the ratios are stable even when the machine is busy:

- ``read``: reading the files from disk and decoding them (the floor "reading the corpus").
- ``copyright``: ``apply_batch`` (batches of ``BATCH_SIZE`` documents, with the cyclic
  garbage collector paused, as the runner calls passes) + edit resolution per document.
- ``boilerplate scan``: the corpus-scope scan over batches of 256, merge and finalize.
- ``boilerplate apply``: rules and frequency decisions (``apply_batch``, as above) + edit
  resolution per document.
  ``(rules)`` runs on a fresh pass instance; ``(all)`` on the instance that scanned, as in an
  inline run (the passes remember line verdicts and templates per instance).
- ``--mb`` below the size of the real pages gives one copy of them: no replication at all.

    .venv/bin/python benchmarks/boilerplate.py [--mb 100]

Output check (run before and after a speed change; the outputs must be byte-identical):

    .venv/bin/python benchmarks/boilerplate.py --record /tmp/bp-outputs.jsonl   # old code
    .venv/bin/python benchmarks/boilerplate.py --verify /tmp/bp-outputs.jsonl   # new code

This runs ``corpuskit.clean`` with ``copyright``, ``boilerplate`` and both over every real
corpus the passes see (trafilatura-eval, article-extraction-benchmark, wiki-versions, seeds,
each a corpus of its own so the frequency part sees the site mix it would in a real run) and
over a replicated corpus like the speed run's, and writes every edit, every output text and the
per-pass rule counts and counters, one JSON line per document and pipeline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import corpuskit
from corpuskit._gc import gc_paused
from corpuskit.model import Document
from corpuskit.pass_api import PassContext
from corpuskit.passes.boilerplate import BoilerplatePass
from corpuskit.passes.copyright import CopyrightPass
from corpuskit.process import BATCH_SIZE

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
SOURCES = ("article-extraction-benchmark/text", "trafilatura-eval/text", "seeds")
CHECK_CORPORA = ("trafilatura-eval/text", "article-extraction-benchmark/text",
                 "wiki-versions/docs", "seeds")
CHECK_PIPELINES = (["copyright"], ["boilerplate"], ["copyright", "boilerplate"])


def _check_corpora() -> dict[str, list[Document]]:
    """Every corpus of the output check, as documents with stable ids and ordinals."""
    out: dict[str, list[Document]] = {}
    for src in CHECK_CORPORA:
        root = SHARED / src
        paths = sorted(p for p in root.rglob("*.txt") if p.name != "README.md")
        out[src] = [Document(str(p.relative_to(root)), p.read_text(encoding="utf-8"),
                             ordinal=(0, i)) for i, p in enumerate(paths)]
    texts = [d.text for src in SOURCES for d in out.get(src, [])]
    rep: list[Document] = []
    for k in range(3):  # the speed run's replication: long lines differ per replica
        for t in texts:
            if k:
                t = "\n".join(f"{ln} ({k})" if len(ln) >= 80 else ln for ln in t.split("\n"))
            rep.append(Document(f"{k}-{len(rep)}", t, ordinal=(0, len(rep))))
    out["replicated-x3"] = rep
    return out


def output_records() -> list[str]:
    """One JSON line per (corpus, pipeline, document) plus one per (corpus, pipeline) with the
    report's per-pass rule counts and counters: everything the passes decide."""
    lines: list[str] = []
    for name, docs in _check_corpora().items():
        for pipe in CHECK_PIPELINES:
            t0 = time.perf_counter()
            res = corpuskit.clean(
                [Document(d.id, d.text, ordinal=d.ordinal) for d in docs], passes=list(pipe))
            dt = time.perf_counter() - t0
            for o in res.outcomes:
                lines.append(json.dumps({
                    "corpus": name, "pipeline": pipe, "doc": o.original.id,
                    "out_sha1": hashlib.sha1(o.doc.text.encode("utf-8", "surrogatepass"))
                    .hexdigest(),
                    "edits": [e.to_dict() for e in o.edits],
                }, ensure_ascii=False, sort_keys=True))
            passes = [{k: p.get(k) for k in ("name", "rules", "counters", "edits")}
                      for p in res.report["passes"]]
            lines.append(json.dumps({"corpus": name, "pipeline": pipe, "passes": passes},
                                    ensure_ascii=False, sort_keys=True))
            n = sum(len(o.edits) for o in res.outcomes)
            print(f"  {name:<36} {'+'.join(pipe):<22} {len(docs):5d} docs {n:6d} edits "
                  f"{dt:6.1f} s", file=sys.stderr)
    return lines


def record_or_verify(path: Path, verify: bool) -> int:
    lines = output_records()
    if not verify:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"recorded {len(lines)} records to {path}")
        return 0
    want = path.read_text(encoding="utf-8").splitlines()
    if want == lines:
        print(f"IDENTICAL: {len(lines)} records match {path}")
        return 0
    bad = [i for i, (a, b) in enumerate(zip(want, lines, strict=False)) if a != b]
    print(f"DIFFERENT: {len(want)} recorded vs {len(lines)} now, {len(bad)} records differ")
    for i in bad[:5]:
        print(f"- {want[i][:400]}\n+ {lines[i][:400]}")
    return 1


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


def _forget_segmentation(d: Document) -> None:
    """Drop the document's cached lines and paragraphs: measure the passes, not the cache."""
    for name in ("lines", "paragraphs", "line_spans", "paragraph_spans", "line_bounds"):
        d.__dict__.pop(name, None)


def timed(label: str, nbytes: int, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"{label:<28} {dt:7.2f} s  {nbytes / 1e6 / dt:8.1f} MB/s")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100.0)
    ap.add_argument("--record", type=Path, help="write every output of the passes to this file")
    ap.add_argument("--verify", type=Path, help="check the outputs equal a --record file")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no corpora at {SHARED}", file=sys.stderr)
        return 1
    if args.record or args.verify:
        return record_or_verify(args.record or args.verify, verify=args.verify is not None)
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
            for i in range(0, len(docs), BATCH_SIZE):  # in batches, as the runner calls passes
                batch = docs[i:i + BATCH_SIZE]
                ctxs = [PassContext("copyright", d, None) for d in batch]
                with gc_paused():  # as run_passes does around a batch
                    cp.apply_batch(batch, ctxs)
                    n += sum(len(c.edits()) for c in ctxs)
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

        def apply(p: object, bpass: BoilerplatePass) -> Callable[[], None]:
            def run() -> None:
                n = 0
                for i in range(0, len(mid), BATCH_SIZE):
                    batch = mid[i:i + BATCH_SIZE]
                    ctxs = [PassContext("boilerplate", d, p) for d in batch]
                    with gc_paused():  # as run_passes does around a batch
                        bpass.apply_batch(batch, ctxs)
                        n += sum(len(c.edits()) for c in ctxs)
                print(f"  boilerplate edits: {n}", file=sys.stderr)
            return run

        for d in mid:
            _forget_segmentation(d)
        # a pass instance of its own, so the rules-only run leaves no remembered verdicts for
        # the full run (which, as in an inline pipeline run, uses the instance that scanned)
        t_rules = timed("boilerplate apply (rules)", nbytes, apply(None, BoilerplatePass()))
        for d in mid:
            _forget_segmentation(d)
        t_all = timed("boilerplate apply (all)", nbytes, apply(plan[0], bp))
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
