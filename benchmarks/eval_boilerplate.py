"""Line-level precision and recall of the ``copyright`` and ``boilerplate`` passes on real pages.

Data: ../shared/corpora/article-extraction-benchmark (AEB: complete per-line labels derived from
hand-checked article text) and ../shared/corpora/trafilatura-eval (TRAF: per-page snippets a
person marked must-keep / must-drop). See benchmarks/RESULTS-boilerplate.md for how lines are
labelled and what each number counts. Documents are split by a hash of their id: ``dev``
(3/4, used while writing rules) and ``heldout`` (1/4, reported). The passes see every document
of a corpus (the frequency part is unsupervised), the scores count only lines of the split.

    .venv/bin/python benchmarks/eval_boilerplate.py [--split heldout|dev|all] [--show N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import corpuskit
from corpuskit.model import Document, Edit
from corpuskit.segment import line_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"

# A rights notice, for labelling only (deliberately broader and simpler than the pass's rules):
# a copyright mark, "copyright" next to a year or mark, or a reservation / no-copying clause.
EVAL_NOTICE = re.compile(
    r"©|ⓒ|\(c\)\s*(?:19|20)\d\d|copyright\s*(?:©|\(c\)|@|(?:19|20)\d\d)|rights?\s+res\w*ved"
    r"|droits\s+réservés|rechte\s+vorbehalten|derechos\s+reservados|diritti\s+riservati"
    r"|riproduzione\s+riservata|direitos\s+reservados|rechten\s+voorbehouden|prawa\s+zastrzeżone"
    r"|may\s+not\s+be\s+(?:re)?(?:published|produced|distributed)"
    r"|reproduction\b.{0,100}\b(?:prohibited|without)|copyrighted\s+property",
    re.IGNORECASE,
)
# Chrome vocabulary, for labelling only: the categories the issue names (share, subscribe,
# newsletter, cookie, read more, click here, ads, navigation, related, credits, comments) in
# English, German, Spanish, French and Polish. A short (<= 6 words) non-content line with such a
# word is a "text-judgeable" chrome line; headline lists and section names are not.
EVAL_CHROME = re.compile(
    r"\b(?:share|shares|teilen|tweet|facebook|twitter|instagram|whatsapp|linkedin|pinterest|"
    r"telegram|youtube|reddit|flipboard|xing|rss|e-?mail|print|drucken|subscribe|subscriptions?|"
    r"abonn\w*|abo|newsletters?|sign\s+(?:in|up)|log\s*in|login|anmelden|registrieren|register|"
    r"account|konto|cookies?|cookie-\w+|privacy|datenschutz\w*|impressum|imprint|terms|"
    r"nutzungsbedingungen|agb|read\s+more|weiterlesen|mehr\s+lesen|mehr\s+erfahren|leer\s+más|"
    r"lire\s+la\s+suite|continue\s+reading|click|klick\w*|advertis\w*|anzeige|werbung|"
    r"publicidad|publicité|reklama|sponsored|related|ähnliche|mehr\s+zum\s+thema|"
    r"lesen\s+sie\s+auch|lea\s+también|most\s+popular|meistgelesen|trending|skip\s+to|"
    r"zum\s+inhalt|back\s+to\s+top|nach\s+oben|zurück|menu|menü|navigation|sitemap|kontakt|"
    r"contact|über\s+uns|about\s+us|search|suche|home|startseite|photo|foto|bild|image|credit|"
    r"getty|afp|dpa|reuters|shutterstock|istock|comments?|kommentare?|reply|antworten|follow|"
    r"folgen)\b",
    re.IGNORECASE,
)
CRUMB = re.compile(r"(?:\s(?:›|»|>|\|)\s.*){2,}")


def split_of(doc_id: str) -> str:
    return "heldout" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 4 == 0 else "dev"


def norm(s: str) -> str:
    return " ".join(s.split())


@dataclass
class Page:
    corpus: str
    id: str
    text: str
    labels: dict[int, str]  # line index (0-based over all lines) -> content|drop|unknown
    keep_text: str  # gold text (AEB) / must-keep snippets joined (TRAF), for tail-cut checks


def load_aeb() -> list[Page]:
    root = SHARED / "article-extraction-benchmark"
    pages = []
    for raw in (root / "line_labels.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        tp = root / "text" / f"{rec['id']}.txt"
        if not tp.exists():
            continue
        text = tp.read_text(encoding="utf-8")
        content = set(rec["content_lines"])
        labels = {}
        for i, (s, e) in enumerate(line_spans(text)):
            if text[s:e].strip():
                labels[i] = "content" if (i + 1) in content else "drop"
        gold = (root / "gold" / f"{rec['id']}.txt").read_text(encoding="utf-8")
        pages.append(Page("aeb", rec["id"], text, labels, norm(gold)))
    return pages


def load_traf() -> list[Page]:
    root = SHARED / "trafilatura-eval"
    pages = []
    for raw in (root / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        tp = root / "text" / f"{rec['id']}.txt"
        if not tp.exists():
            continue
        text = tp.read_text(encoding="utf-8")
        keep = [norm(x) for x in rec.get("with_found", []) if norm(x)]
        drop = [norm(x) for x in rec.get("without_found", []) if norm(x)]
        labels = {}
        for i, (s, e) in enumerate(line_spans(text)):
            ln = norm(text[s:e])
            if not ln:
                continue
            if any(k == ln or (len(k) >= 10 and k in ln) or _part_of(ln, k) for k in keep):
                labels[i] = "content"
            elif any(d == ln or (d in ln and len(d) >= 0.6 * len(ln)) or ln in d for d in drop):
                labels[i] = "drop"
            else:
                labels[i] = "unknown"
        pages.append(Page("traf", rec["id"], text, labels, " \n ".join(keep)))
    return pages


def _part_of(line: str, snippet: str) -> bool:
    """The line is a real piece of a must-keep snippet (a paragraph split over lines), not a
    menu word that happens to occur inside it ("Coronavirus" in a 300-character paragraph)."""
    return line in snippet and (len(line) >= 25 or len(line) >= 0.3 * len(snippet))


def target_of(line: str, label: str) -> str:
    """Evaluation class of a non-blank line: content, copyright, chrome, other-drop, unknown."""
    if label == "content":
        return "content"
    if EVAL_NOTICE.search(line):
        return "copyright"  # unknown TRAF lines with a notice count too: a notice is not content
    if label == "unknown":
        return "unknown"
    short = len(line.split()) <= 6
    if (short and EVAL_CHROME.search(line)) or (len(line.split()) <= 12 and CRUMB.search(line)):
        return "chrome"
    return "other-drop"


@dataclass
class Touch:
    """What a pass did to one original line."""

    kind: str  # line | tail
    rule: str
    removed: str


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    unknown: int = 0
    tails_ok: int = 0
    tails_bad: int = 0
    pos: int = 0
    hit: int = 0
    fps: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    rules: Counter[str] = field(default_factory=Counter)

    def precision(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else 1.0

    def recall(self) -> float:
        return self.hit / self.pos if self.pos else 1.0


def _touches(text: str, edits: list[Edit]) -> dict[int, Touch]:
    spans = line_spans(text)
    out: dict[int, Touch] = {}
    starts = [s for s, _ in spans]
    import bisect

    for ed in edits:
        i = max(0, bisect.bisect_right(starts, ed.start) - 1)
        covered = False
        j = i
        while j < len(spans) and spans[j][0] <= ed.end:
            s, e = spans[j]
            if s < e and ed.start <= s and e <= ed.end:
                out[j] = Touch("line", ed.rule, text[s:e])
                covered = True
            j += 1
        if not covered:
            s, e = spans[i]
            if s <= ed.start < e or (ed.start < s and ed.end > s):
                out[i] = Touch("tail", ed.rule, ed.before)
    return out


def _survivor_map(text: str, edits: list[Edit], new_text: str) -> dict[int, int]:
    """Line index in the pass output -> line index in its input (pass only deletes/cuts)."""
    old = line_spans(text)
    deleted = {i for i, t in _touches(text, edits).items() if t.kind == "line"}
    shifts = sorted((ed.start, len(ed.after) - len(ed.before)) for ed in edits)
    new_starts = {}
    for i, (s, _e) in enumerate(old):
        if i in deleted:
            continue
        shift = sum(d for pos, d in shifts if pos < s)
        new_starts[s + shift] = i
    return {k: new_starts[s] for k, (s, _e) in enumerate(line_spans(new_text)) if s in new_starts}


def evaluate(pages: list[Page], split: str, show: int) -> dict[str, dict[str, float]]:
    docs = [Document(id=p.id, text=p.text) for p in pages]
    r1 = corpuskit.clean(docs, passes=["copyright"])
    mid = [o.doc for o in r1.outcomes]
    r2 = corpuskit.clean(mid, passes=["boilerplate"])
    tallies = {"copyright": Tally(), "boilerplate": Tally(), "both": Tally()}
    for page, o1, o2 in zip(pages, r1.outcomes, r2.outcomes, strict=True):
        if split != "all" and split_of(page.id) != split:
            continue
        t1 = _touches(page.text, o1.edits)
        back = _survivor_map(page.text, o1.edits, o1.doc.text)
        t2 = {back[k]: v for k, v in _touches(o1.doc.text, o2.edits).items() if k in back}
        spans = line_spans(page.text)
        for i, label in page.labels.items():
            line = page.text[spans[i][0]:spans[i][1]].strip()
            cls = target_of(line, label)
            for name, touched in (("copyright", t1), ("boilerplate", t2)):
                tally = tallies[name]
                t = touched.get(i)
                if t is not None:
                    tally.rules[t.rule] += 1
                    _score(tally, t, cls, page, line)
            both = t1.get(i) or t2.get(i)
            tb = tallies["both"]
            if both is not None:
                _score(tb, both, cls, page, line)
            # recall: copyright on notices, boilerplate on chrome (after copyright ran)
            if cls == "copyright":
                tc = tallies["copyright"]
                tc.pos += 1
                if i in t1:
                    tc.hit += 1
                else:
                    tc.misses.append(line[:120])
            if cls == "chrome":
                tbp = tallies["boilerplate"]
                tbp.pos += 1
                if i in t2 or i in t1:
                    tbp.hit += 1
                else:
                    tbp.misses.append(line[:120])
            if cls in ("copyright", "chrome"):
                tb.pos += 1
                if both is not None:
                    tb.hit += 1
    out = {}
    for name, t in tallies.items():
        out[name] = {
            "precision": round(t.precision(), 4),
            "recall": round(t.recall(), 4),
            "removed_scored": t.tp + t.fp,
            "false_positives": t.fp,
            "removed_unlabelled": t.unknown,
            "targets": t.pos,
            "tail_cuts_ok": t.tails_ok,
            "tail_cuts_bad": t.tails_bad,
        }
        if show:
            print(f"--- {name}: false positives", file=sys.stderr)
            for x in t.fps[:show]:
                print("   ", x, file=sys.stderr)
            print(f"--- {name}: missed targets", file=sys.stderr)
            for x in t.misses[:show]:
                print("   ", x, file=sys.stderr)
            print(f"--- {name}: rules {t.rules.most_common(40)}", file=sys.stderr)
    return out


def _score(tally: Tally, t: Touch, cls: str, page: Page, line: str) -> None:
    if t.kind == "tail":
        if cls == "content" and norm(t.removed) and norm(t.removed) in page.keep_text:
            tally.tails_bad += 1
            tally.fp += 1
            tally.fps.append(f"[tail {t.rule}] {line[:120]}")
        else:
            tally.tails_ok += 1
            tally.tp += 1
        return
    if cls == "content":
        tally.fp += 1
        tally.fps.append(f"[{t.rule}] {page.corpus}:{page.id[:20]} {line[:120]}")
    elif cls == "unknown":
        tally.unknown += 1
    else:
        tally.tp += 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="heldout", choices=["heldout", "dev", "all"])
    ap.add_argument("--show", type=int, default=0, help="print N false positives / misses")
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"no corpora at {SHARED}", file=sys.stderr)
        return 1
    result = {}
    for name, loader in (("article-extraction-benchmark", load_aeb),
                         ("trafilatura-eval", load_traf)):
        pages = loader()
        n = sum(1 for p in pages if args.split == "all" or split_of(p.id) == args.split)
        print(f"{name}: {len(pages)} pages, {n} in split {args.split}", file=sys.stderr)
        result[name] = evaluate(pages, args.split, args.show)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
