"""Precision and recall of near-duplicate paragraph detection on a labeled pair set built from
real text (see benchmarks/RESULTS-dedup.md for how the set is built and what it says).

    .venv/bin/python benchmarks/eval_dedup.py              # the dedup pass, end to end
    .venv/bin/python benchmarks/eval_dedup.py --schemes    # + compare shingling schemes

Labels never come from the measure under test: real pairs are labeled by a *word-level edit
distance* (difflib opcodes on normalised tokens), synthetic pairs by construction, while the
pass decides with MinHash LSH + the Jaccard of shingle sets.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import itertools
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
MIN_WORDS = 8
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    label: bool
    source: str  # synthetic | wiki-light | wiki-different | random-neg | hard-neg | clough-*


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def word_edit_ops(a: str, b: str) -> tuple[int, int]:
    """(word edit operations, max length in words) between two paragraphs."""
    ta, tb = tokens(a), tokens(b)
    sm = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    ops = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal")
    return ops, max(len(ta), len(tb))


def light_budget(nwords: int) -> int:
    """"A few words": one edit per ten words, at least one."""
    return max(1, nwords // 10)


def is_light(a: str, b: str) -> bool | None:
    """True: a light edit; False: clearly different (word similarity < 0.6); None: grey zone."""
    ops, n = word_edit_ops(a, b)
    if n == 0:
        return None
    if ops <= light_budget(n):
        return True
    if 1 - ops / n < 0.6:
        return False
    return None


# ---------------------------------------------------------------------------------------------
# real paragraphs
# ---------------------------------------------------------------------------------------------
def wiki_docs() -> dict[str, list[tuple[int, list[str]]]]:
    root = CORPORA / "wiki-versions"
    arts: dict[str, list[tuple[int, list[str]]]] = defaultdict(list)
    with open(root / "clusters.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            p = root / row["path"]
            if not p.exists():  # the held-out quarter
                continue
            paras = [x.strip() for x in p.read_text(encoding="utf-8").split("\n\n") if x.strip()]
            arts[row["title"]].append((int(row["version"]), paras))
    for v in arts.values():
        v.sort()
    return arts


def clough() -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    root = CORPORA / "clough-stevenson-plagiarism"
    docs: dict[str, list[str]] = {}
    for p in sorted((root / "docs").glob("*.txt")):
        text = p.read_bytes().decode("utf-8", "replace")
        docs[p.name] = [x.strip() for x in re.split(r"\n\s*\n", text) if x.strip()]
    info = []
    with open(root / "file_information.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            info.append((row["File"], row["Task"], row["Category"]))
    return docs, info


# ---------------------------------------------------------------------------------------------
# pairs
# ---------------------------------------------------------------------------------------------
def light_edit(text: str, rng: random.Random, vocab: list[str]) -> str:
    """A few words inserted, deleted or substituted; punctuation and case changes."""
    words = text.split()
    for _ in range(rng.randint(1, light_budget(len(tokens(text))))):
        op = rng.choice(("ins", "del", "sub"))
        i = rng.randrange(len(words))
        if op == "ins":
            words.insert(i, rng.choice(vocab))
        elif op == "del" and len(words) > 1:
            del words[i]
        else:
            words[i] = rng.choice(vocab)
    if rng.random() < 0.5:  # punctuation: drop or add a comma / change a full stop
        i = rng.randrange(len(words))
        w = words[i]
        words[i] = w[:-1] if w[-1:] in ",.;" else w + rng.choice((",", ";", " -"))
    if rng.random() < 0.4:  # case
        i = rng.randrange(len(words))
        words[i] = rng.choice((words[i].upper(), words[i].capitalize(), words[i].lower()))
    if rng.random() < 0.2:
        return " ".join(words).upper() if rng.random() < 0.2 else " ".join(words).lower()
    return " ".join(words)


def build_pairs(seed: int = 7, n_synth: int = 2000, n_random: int = 3000) -> list[Pair]:
    rng = random.Random(seed)
    arts = wiki_docs()
    cdocs, cinfo = clough()
    pool: list[tuple[str, str]] = []  # (article, paragraph) of >= MIN_WORDS
    for title, revs in sorted(arts.items()):
        seen: set[str] = set()
        for _v, paras in revs:
            for p in paras:
                if len(tokens(p)) >= MIN_WORDS and p not in seen:
                    seen.add(p)
                    pool.append((title, p))
    for name, paras in sorted(cdocs.items()):
        for p in paras:
            if len(tokens(p)) >= MIN_WORDS:
                pool.append(("clough:" + name, p))
    vocab = sorted({w for _t, p in pool[:5000] for w in p.split() if w.isalpha()})
    pairs: list[Pair] = []
    # 1. synthetic light edits of real paragraphs (the target population)
    for _t, p in rng.sample(pool, n_synth):
        pairs.append(Pair(p, light_edit(p, rng, vocab), True, "synthetic"))
    # 2. real revisions: paragraph of revision v+1 vs its best match in revision v
    wiki_pos: list[Pair] = []
    wiki_neg: list[Pair] = []
    for _title, revs in sorted(arts.items()):
        for (_v0, old), (_v1, new) in itertools.pairwise(revs):
            old_set = set(old)
            for q in new:
                if q in old_set or len(tokens(q)) < MIN_WORDS:
                    continue
                best = max(old, key=lambda p, q=q: difflib.SequenceMatcher(
                    None, tokens(p), tokens(q), autojunk=False).ratio(), default=None)
                if best is None or len(tokens(best)) < MIN_WORDS:
                    continue
                lab = is_light(best, q)
                if lab is True:
                    wiki_pos.append(Pair(best, q, True, "wiki-light"))
                elif lab is False:
                    wiki_neg.append(Pair(best, q, False, "wiki-different"))
    pairs += wiki_pos
    pairs += rng.sample(wiki_neg, min(len(wiki_neg), 1500))
    # 3. random cross-article negatives
    by_art: dict[str, list[str]] = defaultdict(list)
    for t, p in pool:
        by_art[t].append(p)
    titles = sorted(by_art)
    while sum(1 for x in pairs if x.source == "random-neg") < n_random:
        t1, t2 = rng.sample(titles, 2)
        a, b = rng.choice(by_art[t1]), rng.choice(by_art[t2])
        if is_light(a, b) is False:
            pairs.append(Pair(a, b, False, "random-neg"))
    # 4. hard negatives: articles on the same subject for another country ("Demographics of
    #    India" vs "Demographics of Indonesia"); every cross pair, keep the most word-similar
    groups: dict[str, list[str]] = defaultdict(list)
    for t in titles:
        m = re.match(r"(Demographics|Geography|History|Economy|Foreign relations|Politics|"
                     r"Communications|Transport|Culture|Military) (of|in) ", t)
        if m:
            groups[m.group(1)].append(t)
    hard: list[tuple[float, str, str]] = []
    for members in groups.values():
        for i, t1 in enumerate(members):
            for t2 in members[i + 1 :]:
                for a in by_art[t1]:
                    sa = set(tokens(a))
                    for b in by_art[t2]:
                        sb = set(tokens(b))
                        sim = len(sa & sb) / max(1, len(sa | sb))
                        if sim >= 0.3:
                            hard.append((sim, a, b))
    hard.sort(key=lambda x: -x[0])
    n_hard = 0
    for _sim, a, b in hard:
        lab = is_light(a, b)
        if lab is False and n_hard < 1500:
            pairs.append(Pair(a, b, False, "hard-neg"))
            n_hard += 1
        elif lab is True:
            pairs.append(Pair(a, b, True, "cross-article-light"))
    # 5. clough: each cut/light answer paragraph vs its best source paragraph (reported apart)
    cat = {f: (t, c) for f, t, c in cinfo}
    for f, (task, c) in sorted(cat.items()):
        if c not in ("cut", "light", "heavy", "non"):
            continue
        src = cdocs.get(f"orig_task{task}.txt", [])
        for q in cdocs.get(f, []):
            if len(tokens(q)) < MIN_WORDS or not src:
                continue
            best = max(src, key=lambda p, q=q: difflib.SequenceMatcher(
                None, tokens(p), tokens(q), autojunk=False).ratio())
            pairs.append(Pair(best, q, c in ("cut", "light"), f"clough-{c}"))
    return pairs


# ---------------------------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------------------------
TARGET = ("synthetic", "wiki-light", "cross-article-light", "wiki-different", "random-neg",
          "hard-neg")


def score(pairs: list[Pair], flagged: list[bool]) -> dict[str, float]:
    tp = sum(1 for p, f in zip(pairs, flagged, strict=True) if f and p.label)
    fp = sum(1 for p, f in zip(pairs, flagged, strict=True) if f and not p.label)
    fn = sum(1 for p, f in zip(pairs, flagged, strict=True) if not f and p.label)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": prec, "recall": rec, "tp": tp, "fp": fp, "fn": fn}


def per_source(pairs: list[Pair], flagged: list[bool]) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p, f in zip(pairs, flagged, strict=True):
        out[p.source][0] += int(f)
        out[p.source][1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def compare_schemes(pairs: list[Pair]) -> None:
    """Exact Jaccard per shingling scheme (no LSH): the range of thresholds meeting both
    targets (precision >= 0.98, recall >= 0.95) -- wider is more robust -- and precision /
    recall by paragraph length at the middle of that range."""
    from corpuskit.passes import _shingles as sh

    norm = sh.Normalization()
    target = [p for p in pairs if p.source in TARGET]
    nwords = [min(len(tokens(p.a)), len(tokens(p.b))) for p in target]
    buckets = ((8, 15), (16, 30), (31, 10**9), (8, 10**9))
    schemes = [("word", n) for n in (1, 2, 3, 5)] + [("char", n) for n in (3, 4, 5, 7)]
    print("\nscheme   thresholds meeting P>=0.98 and R>=0.95   at mid: P/R for 8-15 | 16-30 | "
          "31+ | all words")
    for kind, n in schemes:
        sims = []
        for p in target:
            a = set(sh.shingles(sh.normalize(p.a, norm), kind, n))  # type: ignore[arg-type]
            b = set(sh.shingles(sh.normalize(p.b, norm), kind, n))  # type: ignore[arg-type]
            sims.append(len(a & b) / max(1, len(a | b)))
        ok = []
        for thr in [x / 100 for x in range(30, 96)]:
            sc = score(target, [x >= thr for x in sims])
            if sc["precision"] >= 0.98 and sc["recall"] >= 0.95:
                ok.append(thr)
        if not ok:
            print(f"{kind}-{n:<6} none")
            continue
        mid = round((ok[0] + ok[-1]) / 2, 2)
        cells = []
        for lo, hi in buckets:
            sel = [i for i, w in enumerate(nwords) if lo <= w <= hi]
            sc = score([target[i] for i in sel], [sims[i] >= mid for i in sel])
            cells.append(f"{sc['precision']:.3f}/{sc['recall']:.3f}")
        print(f"{kind}-{n:<6} {ok[0]:.2f}..{ok[-1]:.2f} (width {ok[-1] - ok[0]:.2f})"
              f"{'':14} at {mid:.2f}: {' | '.join(cells)}")


def run_pass(pairs: list[Pair], options: dict[str, object]) -> list[bool]:
    """Each pair becomes one document of two paragraphs; dedup runs with scope=document, so a
    pair is flagged iff the pass deletes one of its two paragraphs."""
    import corpuskit
    from corpuskit.model import Document

    docs = [Document(id=f"pair-{i}", text=p.a.replace("\n", " ") + "\n\n" +
                     p.b.replace("\n", " ") + "\n", segmentation="blocks")
            for i, p in enumerate(pairs)]
    cfg = {"passes": {"dedup": {"scope": "document", **options}}}
    res = corpuskit.clean(docs, passes=["dedup"], config=cfg)
    return [any(e.kind == "delete" and e.rule in ("near", "exact") for e in o.edits)
            for o in res.outcomes]


def run_pass_corpus(pairs: list[Pair], options: dict[str, object], strict: bool = True
                    ) -> list[bool]:
    """Every paragraph is its own document in one corpus (scope=corpus). This measures LSH
    candidate recall too (the document mode above finds within-document pairs exactly).

    A negative pair is flagged iff one paragraph is deleted naming the other. A positive pair
    is flagged, with ``strict``, the same way; without it, when either paragraph is deleted as a
    duplicate at all: revisions of one article give near-duplicate paragraphs in several pairs,
    and deleting B_i naming A_j (a third copy) is right, though strict scoring counts a miss."""
    import corpuskit
    from corpuskit.model import Document

    docs = []
    for i, p in enumerate(pairs):
        docs.append(Document(id=f"{i}-a", text=p.a.replace("\n", " ") + "\n",
                             segmentation="blocks"))
        docs.append(Document(id=f"{i}-b", text=p.b.replace("\n", " ") + "\n",
                             segmentation="blocks"))
    cfg = {"passes": {"dedup": {"scope": "corpus", **options}}}
    res = corpuskit.clean(docs, passes=["dedup"], config=cfg)
    flagged = [False] * len(pairs)
    for o in res.outcomes:
        for e in o.edits:
            kept = e.detail.get("kept", {}).get("doc_id", "") if e.detail else ""
            i, side = o.original.id.split("-")
            if e.rule not in ("near", "exact"):
                continue
            if kept == f"{i}-{'a' if side == 'b' else 'b'}" or (
                    not strict and pairs[int(i)].label):
                flagged[int(i)] = True
    return flagged


def distinct_texts(pairs: list[Pair]) -> list[Pair]:
    """Pairs none of whose paragraphs occurs in an earlier pair (so in corpus mode a paragraph
    can only be deleted because of its own partner or a genuine coincidence)."""
    seen: set[str] = set()
    out = []
    for p in pairs:
        if p.a in seen or p.b in seen or p.a == p.b:
            continue
        seen.update((p.a, p.b))
        out.append(p)
    return out


def report(title: str, pairs: list[Pair], flagged: list[bool], dt: float) -> None:
    target = [(p, f) for p, f in zip(pairs, flagged, strict=True) if p.source in TARGET]
    s = score([p for p, _ in target], [f for _, f in target])
    print(f"\n{title}: {len(pairs)} pairs in {dt:.1f}s")
    print(f"TARGET (light edits, >= {MIN_WORDS} words): precision {s['precision']:.4f}  "
          f"recall {s['recall']:.4f}  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    print("flagged / pairs per source:")
    for src, (f, n) in per_source(pairs, flagged).items():
        print(f"  {src:22} {f:5d} / {n:5d}  ({f / n:.3f})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemes", action="store_true", help="compare shingling schemes too")
    ap.add_argument("--set", action="append", default=[], help="dedup option KEY=VALUE")
    args = ap.parse_args()
    if not (CORPORA / "wiki-versions").exists():
        print("corpora not found", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    pairs = build_pairs()
    counts = Counter((p.source, p.label) for p in pairs)
    print(f"built {len(pairs)} pairs in {time.perf_counter() - t0:.1f}s")
    for (src, lab), n in sorted(counts.items()):
        print(f"  {src:22} {'dup' if lab else 'not-dup':8} {n}")
    if args.schemes:
        compare_schemes(pairs)
    opts: dict[str, object] = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        opts[k] = float(v) if v.replace(".", "").isdigit() and "." in v else (
            int(v) if v.isdigit() else v)
    t0 = time.perf_counter()
    flagged = run_pass(pairs, opts)
    report(f"dedup pass, scope=document {opts or '(defaults)'}", pairs, flagged,
           time.perf_counter() - t0)
    uniq = distinct_texts(pairs)
    t0 = time.perf_counter()
    flagged = run_pass_corpus(uniq, opts, strict=True)
    report(f"dedup pass, scope=corpus (LSH), strict {opts or '(defaults)'}", uniq, flagged,
           time.perf_counter() - t0)
    flagged = run_pass_corpus(uniq, opts, strict=False)
    report("same, a positive counts when removed as a duplicate of any copy", uniq, flagged,
           time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
