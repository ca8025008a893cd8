"""Dedup benchmark: signature throughput vs datasketch, and the whole pass through the runner.

    .venv/bin/python benchmarks/dedup.py --paragraphs 100000              # all stages
    .venv/bin/python benchmarks/dedup.py --paragraphs 1000000 --only pass --jobs 1
    .venv/bin/python benchmarks/dedup.py --only clean                     # 800 real documents
    .venv/bin/python benchmarks/dedup.py --record /tmp/dedup-golden       # before a change
    .venv/bin/python benchmarks/dedup.py --verify /tmp/dedup-golden       # after: byte-equal?

The corpus is generated from real text (wiki-versions sentences) into paragraphs of ~200 bytes:
80% distinct (real sentences, a quarter of their words swapped for other corpus words),
10% exact copies of an earlier paragraph (case/spacing changed), 10% light edits
of an earlier paragraph (a word substituted, inserted or deleted), 13 paragraphs per document,
written as JSONL. Numbers on a shared 2-core machine are noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class TreeRss:
    """Samples the summed RSS of this process's descendants (pool workers are children of the
    forkserver, so RUSAGE_CHILDREN never sees them) every 0.2 s; keeps the peak."""

    def __init__(self) -> None:
        import os
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._me = os.getpid()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _tree(self) -> int:
        import os

        parent: dict[int, int] = {}
        rss: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/status", encoding="ascii", errors="replace") as fh:
                    fields = dict(line.split(":", 1) for line in fh if ":" in line)
            except OSError:
                continue
            parent[int(d)] = int(fields.get("PPid", "0").strip() or 0)
            rss[int(d)] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
        total = 0
        for pid, kb in rss.items():
            p = parent.get(pid, 0)
            while p and p != self._me:
                p = parent.get(p, 0)
            if p == self._me:
                total += kb
        return total // 1024

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self._tree())

    def stop(self) -> int:
        self._stop.set()
        self._t.join()
        return self.peak


def real_sentences() -> list[str]:
    out: list[str] = []
    for p in sorted((CORPORA / "wiki-versions" / "docs").rglob("*.txt")):
        text = p.read_text(encoding="utf-8")
        out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 30 < len(s) < 300)
    return sorted(set(out))


def make_paragraphs(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    sents = real_sentences()
    vocab = sorted({w for s in sents[:20000] for w in s.split() if w.isalpha()})
    paras: list[str] = []
    while len(paras) < n:
        r = rng.random()
        if paras and r < 0.10:
            src = rng.choice(paras)
            paras.append(src.upper() if rng.random() < 0.3 else "  ".join(src.split(" ")))
        elif paras and r < 0.20:
            w = rng.choice(paras).split()
            i = rng.randrange(len(w))
            op = rng.randrange(3)
            if op == 0:
                w[i] = rng.choice(vocab)
            elif op == 1:
                w.insert(i, rng.choice(vocab))
            elif len(w) > 1:
                del w[i]
            paras.append(" ".join(w))
        else:
            p = ""
            while len(p) < 170:
                p = (p + " " + rng.choice(sents)).strip()
            # the pool has ~60k sentences: swap a quarter of the words for words of the corpus
            # so that reused sentences do not make paragraphs near-duplicates by accident
            w = p[:230].split()
            for i in range(len(w)):
                if rng.random() < 0.25:
                    w[i] = rng.choice(vocab)
            paras.append(" ".join(w))
    return paras


def write_jsonl(paras: list[str], path: Path, per_doc: int = 13) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(0, len(paras), per_doc):
            text = "\n\n".join(paras[i : i + per_doc]) + "\n"
            fh.write(json.dumps({"id": f"doc-{i // per_doc}", "text": text}) + "\n")
            n += len(text.encode("utf-8"))
    return n


def bench_signatures(paras: list[str]) -> dict[str, float]:
    import numpy as np
    import xxhash
    from datasketch import MinHash

    from corpuskit.passes import _minhash as mh
    from corpuskit.passes import _shingles as sh

    norm = sh.Normalization()
    mb = sum(len(p.encode()) for p in paras) / 1e6
    t0 = time.perf_counter()
    for i in range(0, len(paras), 4096):
        batch = sh.normalize_batch(paras[i : i + 4096], norm)
        h, off = sh.shingle_batch(batch, "word", 2)
        sig = mh.signatures(h, off, 128, 1)
        mh.band_keys(sig, 30, 4)
    dt = time.perf_counter() - t0
    # naive: one datasketch MinHash per paragraph, one update() per shingle (fast xxh32 hash)
    sample = paras[: min(len(paras), 3000)]
    t1 = time.perf_counter()
    for p in sample:
        m = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
        for s in sh.shingles(sh.normalize(p, norm), "word", 2):
            m.update(s.encode("utf-8"))
    naive = len(sample) / (time.perf_counter() - t1)
    t2 = time.perf_counter()
    MinHash.bulk([[s.encode() for s in sh.shingles(sh.normalize(p, norm), "word", 2)]
                  for p in sample], num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    bulk = len(sample) / (time.perf_counter() - t2)
    assert np.all(sig >= 0)
    ours = len(paras) / dt
    return {"signatures_par_s": ours, "signatures_mb_s": mb / dt, "naive_update_par_s": naive,
            "datasketch_bulk_par_s": bulk, "ratio_vs_naive": ours / naive,
            "ratio_vs_bulk": ours / bulk}


def bench_pass(jsonl: Path, jobs: int, nbytes: int, n_par: int) -> dict[str, float]:
    from corpuskit.config import Config
    from corpuskit.plugins import PluginSpec
    from corpuskit.runner import Runner
    from corpuskit.session import Session, SessionSpec

    out = jsonl.parent / f"out-{jobs}.jsonl"
    cfg = Config(pipeline=["dedup"], executor="process" if jobs > 1 else "inline", jobs=jobs)
    cfg.report_documents = "changed"
    cfg.input.shard_bytes = 2 << 20  # enough shards for two workers on a small corpus
    session = Session(SessionSpec(PluginSpec(entry_points=False)))
    tree = TreeRss()
    t0 = time.perf_counter()
    res = Runner(session, cfg).run_path(jsonl, out, force=True)
    dt = time.perf_counter() - t0
    workers = tree.stop()
    st = res.report["passes"][0]
    return {"seconds": dt, "par_s": n_par / dt, "mb_s": nbytes / 1e6 / dt,
            "rules": st["rules"], "timings": res.timings or {},
            "driver_peak_rss_mb": peak_rss_mb(),
            "workers_peak_rss_mb": workers}  # type: ignore[dict-item]


# ---------------------------------------------------------------------------------------------
# real-document clean timing, and the output-equality check used for speed-only changes
# ---------------------------------------------------------------------------------------------
def wiki_docs(limit: int | None = None) -> list[str]:
    paths = sorted((CORPORA / "wiki-versions" / "docs").rglob("*.txt"))
    return [p.read_text(encoding="utf-8") for p in paths[:limit]]


def _text_dir(rel: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((CORPORA / rel).glob("*.txt"))]


def _clough() -> list[str]:
    root = CORPORA / "clough-stevenson-plagiarism"
    out = []
    for p in sorted((root / "docs").glob("*.txt")):
        raw = p.read_bytes()
        try:
            out.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(raw.decode("cp1252"))
    return out


def verify_corpora() -> dict[str, list[str]]:
    """The real corpora the equality check runs over (each cleaned as one corpus)."""
    return {
        "wiki-versions": wiki_docs(),
        "trafilatura": _text_dir("trafilatura-eval/text"),
        "article-extraction": _text_dir("article-extraction-benchmark/text"),
        "seeds": _text_dir("seeds"),
        "clough": _clough(),
    }


# option sets: the defaults, plus settings that move the sentence rule's bounds and paths
VERIFY_CONFIGS: dict[str, dict[str, object]] = {
    "default": {},
    "document": {"scope": "document"},
    "char5": {"shingle": "char", "shingle_size": 5},
    "loose": {"threshold": 0.4, "sentence_min_words": 2, "min_words": 4, "shingle_size": 1},
    "strict": {"threshold": 0.9, "sentence_min_words": 9, "min_words": 12, "shingle_size": 3,
               "lowercase": False, "punctuation": False, "digits": True},
}


def clean_dump(docs: list[str], options: dict[str, object]) -> bytes:
    """Every outcome of ``clean(docs, passes=["dedup"])`` (text, dropped, edits) as JSON."""
    import corpuskit

    res = corpuskit.clean(docs, passes=["dedup"], config={"passes": {"dedup": options}})
    rows = [{"id": o.doc.id, "dropped": o.dropped, "text": o.doc.text,
             "edits": [e.to_dict() for e in o.edits]} for o in res.outcomes]
    return json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")


def record_or_verify(folder: Path, verify: bool) -> int:
    """Write (or compare byte for byte against) the dumps for every corpus x option set."""
    folder.mkdir(parents=True, exist_ok=True)
    bad = 0
    corpora = verify_corpora()
    for cname, opts in VERIFY_CONFIGS.items():
        for name, docs in corpora.items():
            path = folder / f"{cname}--{name}.json"
            t0 = time.perf_counter()
            data = clean_dump(docs, opts)
            dt = time.perf_counter() - t0
            n_edits = sum(len(r["edits"]) for r in json.loads(data))
            if not verify:
                path.write_bytes(data)
                print(f"recorded {path.name}: {len(docs)} docs, {n_edits} edits, {dt:.1f}s")
                continue
            same = path.read_bytes() == data
            bad += not same
            print(f"{'OK  ' if same else 'DIFF'} {path.name}: {len(docs)} docs, "
                  f"{n_edits} edits, {dt:.1f}s")
    if verify:
        print("all identical" if not bad else f"{bad} dumps differ")
    return 1 if bad else 0


def bench_clean(n_docs: int, repeat: int) -> None:
    """``clean(docs, passes=["dedup"])`` over the first ``n_docs`` wiki-versions documents."""
    import corpuskit

    docs = wiki_docs(n_docs)
    mb = sum(len(d.encode()) for d in docs) / 1e6
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        corpuskit.clean(docs, passes=["dedup"])
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f"clean(passes=['dedup']) over {len(docs)} wiki-versions docs ({mb:.1f} MB): "
          f"best of {repeat} {best:.2f}s ({mb / best:.2f} MB/s), all "
          + ", ".join(f"{t:.2f}" for t in times))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--only", choices=["all", "signatures", "pass", "clean"], default="all")
    ap.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--docs", type=int, default=800, help="documents for --only clean")
    ap.add_argument("--repeat", type=int, default=3, help="runs for --only clean")
    ap.add_argument("--record", type=Path, help="write output dumps of the real corpora here")
    ap.add_argument("--verify", type=Path, help="compare output dumps with those recorded here")
    args = ap.parse_args()
    if not (CORPORA / "wiki-versions").is_dir():
        print("corpora not found", file=sys.stderr)
        return 2
    if args.record or args.verify:
        return record_or_verify(args.record or args.verify, verify=args.verify is not None)
    if args.only == "clean":
        bench_clean(args.docs, args.repeat)
        print(f"process peak RSS {peak_rss_mb():.0f} MB")
        return 0
    t0 = time.perf_counter()
    paras = make_paragraphs(args.paragraphs)
    mb = sum(len(p.encode()) for p in paras) / 1e6
    print(f"{len(paras)} paragraphs, {mb:.1f} MB ({mb * 1e6 / len(paras):.0f} B/paragraph), "
          f"generated in {time.perf_counter() - t0:.1f}s")
    if args.only in ("all", "signatures"):
        r = bench_signatures(paras)
        print(f"signatures (normalise + word-bigram shingles + 128-perm MinHash + 30 band keys),"
              f" one core: {r['signatures_par_s']:,.0f} paragraphs/s, "
              f"{r['signatures_mb_s']:.1f} MB/s")
        print(f"naive datasketch MinHash.update loop: {r['naive_update_par_s']:,.0f} "
              f"paragraphs/s -> ratio {r['ratio_vs_naive']:.1f}x")
        print(f"datasketch MinHash.bulk: {r['datasketch_bulk_par_s']:,.0f} paragraphs/s -> "
              f"ratio {r['ratio_vs_bulk']:.1f}x")
    if args.only in ("all", "pass"):
        tmp = Path(tempfile.mkdtemp(prefix="corpuskit-dedup-bench-"))
        try:
            jsonl = tmp / "corpus.jsonl"
            nbytes = write_jsonl(paras, jsonl)
            del paras
            for jobs in args.jobs:
                r2 = bench_pass(jsonl, jobs, nbytes, args.paragraphs)
                print(f"whole pass via Runner.run_path, jobs={jobs}: {r2['seconds']:.1f}s, "
                      f"{r2['par_s']:,.0f} paragraphs/s, {r2['mb_s']:.2f} MB/s, "
                      f"peak RSS driver {r2['driver_peak_rss_mb']:.0f} MB, "
                      f"workers (sum, sampled) {r2['workers_peak_rss_mb']:.0f} MB; "
                      f"rules {r2['rules']}; "
                      f"timings {r2['timings']}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"process peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
