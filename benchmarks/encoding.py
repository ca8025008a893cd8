"""Benchmark of the ``encoding`` pass against plain ``ftfy.fix_text`` (same config, one process).

Corpora (built from ../shared/corpora, deterministic):

* **english**: English news text with ordinary typography (article-extraction-benchmark page
  text and gold articles, wiki-versions revisions), with ``--damage`` (default 2%) of the
  non-empty lines turned into UTF-8-read-as-cp1252 mojibake.
* **non-english**: trafilatura-eval page text (mostly German, some Polish, French, Spanish...)
  plus the chardet-encodings files decoded with their labels (Japanese, Chinese, Korean,
  Russian, Greek, Hebrew, Thai...), same damage rate.

For each: MB/s (UTF-8 bytes of input per second) of ``ftfy.fix_text``, of the fast fixer
(``FastFixer.fix_text``, the raw function), of the pass inside the runner (its own timing),
and of ``corpuskit.clean(docs, passes=["encoding"])`` end to end; the speed-up ratios; whether
the outputs are identical; peak RSS. ``--full`` also checks identity on every file of every
real corpus with the pass's defaults and with ftfy's defaults.

    .venv/bin/python benchmarks/encoding.py            # ~1 minute
    .venv/bin/python benchmarks/encoding.py --full     # + full-corpus identity (~3 minutes)
    .venv/bin/python benchmarks/encoding.py --detect   # + decoding accuracy (~1 minute)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ftfy
from ftfy import TextFixerConfig

import corpuskit
from corpuskit.config import Config
from corpuskit.model import Document
from corpuskit.passes._ftfy_fast import FastFixer
from corpuskit.passes.encoding import EncodingOptions
from corpuskit.plugins import PluginSpec
from corpuskit.runner import Runner
from corpuskit.session import Session, SessionSpec

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def read_text(p: Path) -> str:
    data = p.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def damage(text: str, rate: float, rnd: random.Random) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() and rnd.random() < rate:
            lines[i] = line.encode("utf-8").decode("cp1252", "replace")
    return "\n".join(lines)


def english(rate: float, seed: int) -> list[str]:
    aeb = SHARED / "article-extraction-benchmark"
    files = sorted((aeb / "text").glob("*.txt")) + sorted((aeb / "gold").glob("*.txt"))
    files += sorted((SHARED / "wiki-versions" / "docs").glob("*/*"))
    rnd = random.Random(seed)
    return [damage(read_text(p), rate, rnd) for p in files]


def chardet_texts() -> list[str]:
    root = SHARED / "chardet-encodings"
    out = []
    with open(root / "labels.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            try:
                out.append((root / row["path"]).read_bytes().decode(row["encoding"]))
            except (LookupError, UnicodeDecodeError):
                continue
    return out


def non_english(rate: float, seed: int) -> list[str]:
    files = sorted((SHARED / "trafilatura-eval" / "text").glob("*.txt"))
    rnd = random.Random(seed)
    return [damage(t, rate, rnd) for t in [read_text(p) for p in files] + chardet_texts()]


def mb(docs: list[str]) -> float:
    return sum(len(d.encode("utf-8", "surrogatepass")) for d in docs) / 1e6


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    out: object = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench(name: str, docs: list[str], repeat: int) -> dict[str, float]:
    opts = EncodingOptions()
    cfg = opts.ftfy_config()
    fixer = FastFixer(cfg)
    size = mb(docs)
    changed_lines = 0
    t_ftfy, ref = timed(lambda: [ftfy.fix_text(d, cfg) for d in docs], repeat)
    t_fast, fast = timed(lambda: [fixer.fix_text(d) for d in docs], repeat)
    session = Session(SessionSpec(PluginSpec()))

    def through_clean() -> list[str]:
        res = corpuskit.clean(docs, passes=["encoding"], session=session)
        return [d.text for d in res.documents]

    t_clean, cleaned = timed(through_clean, repeat)
    t_pass = float("inf")
    for _ in range(repeat):  # the pass's own time inside the runner (no segmentation, I/O)
        runner = Runner(session, Config(pipeline=["encoding"], executor="inline"), timings=True)
        rr = runner.run_documents(Document(id=f"d{i}", text=t) for i, t in enumerate(docs))
        t_pass = min(t_pass, (rr.timings or {})["pass:encoding"])
    assert isinstance(ref, list) and isinstance(fast, list)
    for a, b in zip(docs, ref, strict=True):
        changed_lines += sum(x != y for x, y in zip(a.split("\n"), b.split("\n"), strict=False))
    identical = fast == ref and cleaned == ref
    res = {
        "MB": size,
        "ftfy": size / t_ftfy,
        "fast": size / t_fast,
        "pass": size / t_pass,
        "clean": size / t_clean,
    }
    print(f"[{name}] {len(docs)} docs, {size:.2f} MB, {changed_lines} lines changed by ftfy")
    print(f"  ftfy.fix_text           {res['ftfy']:8.2f} MB/s")
    print(f"  FastFixer.fix_text      {res['fast']:8.2f} MB/s   x{t_ftfy / t_fast:.1f}")
    print(f"  encoding pass (runner)  {res['pass']:8.2f} MB/s   x{t_ftfy / t_pass:.1f}")
    print(f"  corpuskit.clean         {res['clean']:8.2f} MB/s   x{t_ftfy / t_clean:.1f}")
    print(f"  identical to ftfy.fix_text: {identical}")
    if not identical:
        sys.exit(f"{name}: output differs from ftfy.fix_text")
    return res


def full_identity() -> None:
    """Every file of every real text corpus, pass defaults and ftfy defaults."""
    groups = {
        "trafilatura-eval": sorted((SHARED / "trafilatura-eval" / "text").glob("*.txt")),
        "article-extraction-benchmark": sorted(
            (SHARED / "article-extraction-benchmark").glob("*/*.txt")),
        "wiki-versions": sorted((SHARED / "wiki-versions" / "docs").glob("*/*")),
        "clough-stevenson-plagiarism": sorted(
            (SHARED / "clough-stevenson-plagiarism" / "docs").glob("*")),
    }
    texts = {k: [read_text(p) for p in v] for k, v in groups.items()}
    texts["chardet-encodings (decoded)"] = chardet_texts()
    for cname, cfg in (("pass defaults", EncodingOptions().ftfy_config()),
                       ("ftfy defaults", TextFixerConfig())):
        fixer = FastFixer(cfg)
        for gname, docs in texts.items():
            bad = sum(fixer.fix_text(d) != ftfy.fix_text(d, cfg) for d in docs)
            print(f"  identity [{cname}] {gname}: {len(docs)} docs, {mb(docs):.1f} MB, "
                  f"{bad} differ")
            if bad:
                sys.exit("identity check failed")


def detection() -> None:
    """Decoding accuracy: the plugin's decoder vs charset-normalizer's best() vs ftfy.guess_bytes,
    on chardet-encodings (labelled) and on real Western text saved as cp1252."""
    import charset_normalizer

    from corpuskit.passes import _detect

    def score(pairs: list[tuple[bytes, str]]) -> None:
        ours = {"right": 0, "reported": 0, "other": 0}
        cn_right = gb_right = 0
        t0 = time.perf_counter()
        for data, truth in pairs:
            dec = _detect.decode(data)
            key = "right" if dec.text == truth else ("reported" if dec.text is None else "other")
            ours[key] += 1
        t_ours = time.perf_counter() - t0
        for data, truth in pairs:
            best = charset_normalizer.from_bytes(data).best()
            cn_right += best is not None and str(best) == truth
            with contextlib.suppress(UnicodeDecodeError):
                gb_right += ftfy.guess_bytes(data)[0] == truth
        n = len(pairs)
        print(f"    corpuskit decoder: {ours['right']}/{n} exact ({ours['right'] / n:.1%}), "
              f"{ours['reported']} reported, {ours['other']} other text ({t_ours:.1f} s)")
        print(f"    charset-normalizer best(): {cn_right}/{n} ({cn_right / n:.1%}); "
              f"ftfy.guess_bytes: {gb_right}/{n} ({gb_right / n:.1%})")

    root = SHARED / "chardet-encodings"
    labelled: list[tuple[bytes, str]] = []
    with open(root / "labels.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            data = (root / row["path"]).read_bytes()
            try:
                labelled.append((data, data.decode(row["encoding"])))
            except (LookupError, UnicodeDecodeError):
                continue
    print("  chardet-encodings (decoded text must equal the label's):")
    score(labelled)
    western: list[tuple[bytes, str]] = []
    files = sorted((SHARED / "trafilatura-eval" / "text").glob("*.txt"))
    files += sorted((SHARED / "article-extraction-benchmark" / "gold").glob("*.txt"))
    for p in files:
        text = read_text(p)
        if text.isascii():
            continue
        try:
            western.append((text.encode("cp1252"), text))
        except UnicodeEncodeError:
            continue
    print("  real Western web text saved as cp1252:")
    score(western)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--damage", type=float, default=0.02, help="share of lines made mojibake")
    ap.add_argument("--repeat", type=int, default=2, help="best of N timings")
    ap.add_argument("--full", action="store_true", help="full-corpus identity check")
    ap.add_argument("--detect", action="store_true", help="decoding accuracy")
    ap.add_argument("--seed", type=int, default=20251123)
    args = ap.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"corpora not found at {SHARED}")
    print(f"ftfy {ftfy.__version__}, Python {sys.version.split()[0]}, one process")
    en = bench("english", english(args.damage, args.seed), args.repeat)
    ne = bench("non-english", non_english(args.damage, args.seed), args.repeat)
    print(f"ratio fast/ftfy: english x{en['fast'] / en['ftfy']:.1f}, "
          f"non-english x{ne['fast'] / ne['ftfy']:.1f}")
    if args.full:
        full_identity()
    if args.detect:
        detection()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
