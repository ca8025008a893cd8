"""Throughput and peak memory of `corpuskit clean` versus corpus size and worker count.

The corpus is generated from the real text in ../shared/corpora (trafilatura-eval,
article-extraction-benchmark, wiki-versions): documents are replicated with edits so that, like
a real crawl, most paragraphs are unique, some are near-duplicates (one word changed) and some
are exact repeats. Each run is a separate `corpuskit clean` process, so peak RSS is measured
for the driver and for the largest worker.

    .venv/bin/python benchmarks/scale.py --sizes 100M,1G --jobs 1,2

Prints one line per run: size, jobs, seconds, MB/s, driver and worker peak RSS, output equal.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpora"
WORK = REPO / ".bench"


def parse_size(s: str) -> int:
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}
    s = s.strip().upper()
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def source_documents() -> list[str]:
    docs: list[str] = []
    for sub in ("trafilatura-eval/text", "article-extraction-benchmark/text", "wiki-versions/docs"):
        for p in sorted((SHARED / sub).rglob("*.txt")):
            docs.append(p.read_text(encoding="utf-8", errors="replace"))
    return docs


def mutate(par: str, rng: random.Random, vocab: list[str], k: int) -> str:
    words = par.split(" ")
    if len(words) < 4:
        return par
    r = rng.random()
    if r < 0.1:
        return par  # exact repeat of an earlier replica
    n = 1 if r < 0.3 else max(2, len(words) * 3 // 10)  # near-duplicate, or a new paragraph
    for _ in range(n):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    if n > 1:
        words.append(f"r{k}")
    return " ".join(words)


def build(size: int, dest: Path) -> None:
    marker = dest / ".complete"
    if marker.exists():
        return
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    docs = source_documents()
    vocab = sorted({w for d in docs[:200] for w in d.split() if w.isalpha() and len(w) > 3})
    rng = random.Random(20261123)
    written = 0
    k = 0
    while written < size:
        for i, d in enumerate(docs):
            text = d if k == 0 else "\n".join(mutate(p, rng, vocab, k) for p in d.split("\n"))
            sub = dest / f"r{k:03d}" / f"{i // 500:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8")
            (sub / f"{i:05d}.txt").write_bytes(data)
            written += len(data)
            if written >= size:
                break
        k += 1
    marker.write_text(str(written))


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():  # report.json and edits.jsonl included: they must be identical too
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def run(corpus: Path, jobs: int, extra: list[str]) -> tuple[float, int, str]:
    out = WORK / f"out-{corpus.name}-j{jobs}"
    cmd = [sys.executable, "-m", "corpuskit", "clean", str(corpus), "-o", str(out), "--force",
           "-q", "--no-timings", "-j", str(jobs), *extra]
    # a fresh wrapper process per run, so RUSAGE_CHILDREN is the peak of this run alone
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"rc = subprocess.run({cmd!r}).returncode\n"
        "print(rc, time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    res = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                         check=True)
    rc, dt, peak = res.stdout.split()
    if int(rc) not in (0, 1):
        raise SystemExit(f"corpuskit failed with {rc}")
    digest = tree_digest(out)
    shutil.rmtree(out)
    return float(dt), int(peak), digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100M")
    ap.add_argument("--jobs", default=f"1,{os.cpu_count() or 1}")
    ap.add_argument("--extra", default="", help="extra corpuskit arguments, space separated")
    args = ap.parse_args()
    extra = args.extra.split() if args.extra else []
    print(f"{'size':>8} {'jobs':>4} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>11} {'output':>16}")
    for s in args.sizes.split(","):
        size = parse_size(s)
        corpus = WORK / f"scale-{s}"
        build(size, corpus)
        real = int((corpus / ".complete").read_text())
        digests = set()
        for j in [int(x) for x in args.jobs.split(",")]:
            dt, peak_kb, digest = run(corpus, j, extra)
            digests.add(digest)
            print(f"{s:>8} {j:>4} {dt:8.1f} {real / dt / 1e6:7.2f} {peak_kb / 1024:11.0f} "
                  f"{digest:>16}", flush=True)
        print(f"{'':>8} same output for every job count: {len(digests) == 1}")


if __name__ == "__main__":
    main()
