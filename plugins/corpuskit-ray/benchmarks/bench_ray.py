"""Throughput of one corpus under ``inline``, ``process`` and ``ray`` executors (same output).

Usage::

    python plugins/corpuskit-ray/benchmarks/bench_ray.py [CORPUS_DIR] [--shard-bytes N] [--jobs N]

Defaults: ``../shared/corpora/wiki-versions/docs`` (10 MB, 2,504 files), 1 MB shards, 2 jobs.
Runs the default pipeline (whatever passes are installed). ``ray cold`` lets the executor
start its own local Ray instance (what a one-off ``corpuskit clean --executor ray`` pays);
``ray warm`` runs with an instance this script started beforehand, after one warm-up run (what
a cluster user pays). Warm figures are the best of ``--repeat`` interleaved runs.
Every run's output tree, report included (written without timings), is hashed and must
equal the inline run's. Prints wall time, MB/s and peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from pathlib import Path

from corpuskit import Config, Session
from corpuskit.config import InputSettings
from corpuskit.runner import Runner

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / ".." / "shared" / "corpora" / "wiki-versions" / "docs"


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        h.update(str(p.relative_to(root)).encode() + b"\0" + data)
    return h.hexdigest()[:16]


def run(corpus: Path, executor: str, jobs: int, shard_bytes: int, tmp: Path) -> tuple[float, str]:
    cfg = Config(executor=executor, jobs=jobs, input=InputSettings(shard_bytes=shard_bytes))
    out = tmp / f"out-{executor}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    Runner(Session(), cfg, timings=False).run_path(corpus, out)
    return time.perf_counter() - t0, tree_digest(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--shard-bytes", type=int, default=1 << 20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpus: Path = args.corpus.resolve()
    mb = sum(p.stat().st_size for p in corpus.rglob("*.txt")) / 1e6
    print(f"corpus {corpus} ({mb:.1f} MB), shards of {args.shard_bytes} bytes, "
          f"passes {Session().pipeline_names(Config())}")
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as td:
        tmp = Path(td)
        _, ref = run(corpus, "inline", 1, args.shard_bytes, tmp)  # warm-up: imports, caches
        t_cold, d_cold = run(corpus, "ray", args.jobs, args.shard_bytes, tmp)
        import ray

        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=args.jobs, include_dashboard=False,
                 log_to_driver=False)
        print(f"ray.init (local, {args.jobs} CPUs): {time.perf_counter() - t0:.2f} s")
        run(corpus, "ray", args.jobs, args.shard_bytes, tmp)  # workers import corpuskit once
        best: dict[str, tuple[float, str]] = {}
        plan = [("inline", "inline", 1), (f"process jobs={args.jobs}", "process", args.jobs),
                (f"ray jobs={args.jobs} warm", "ray", args.jobs)]
        for _ in range(args.repeat):  # interleaved, best of N: other load on the machine
            for label, name, jobs in plan:
                t, d = run(corpus, name, jobs, args.shard_bytes, tmp)
                if label not in best or t < best[label][0]:
                    best[label] = (t, d)
        ray.shutdown()
        rows = [(label, *best[label]) for label, _, _ in plan]
        rows.append((f"ray jobs={args.jobs} cold", t_cold, d_cold))
    base = rows[0][1]
    print(f"{'executor':<22} {'wall s':>7} {'MB/s':>7} {'vs inline':>9}  output")
    for name, t, d in rows:
        print(f"{name:<22} {t:7.2f} {mb / t:7.2f} {base / t:8.2f}x  {d}"
              f"{'' if d == ref else '  DIFFERS'}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (driver): {rss:.0f} MiB")
    return 0 if all(d == ref for _, _, d in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
