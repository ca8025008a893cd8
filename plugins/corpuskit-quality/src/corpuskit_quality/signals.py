"""Document quality signals after Gopher (Rae et al., 2021, appendix A) and C4.

Pure functions from a text to numbers, kept apart from the pass so they can be tested and
reused (``corpuskit-quality`` tags them when ``signals = true``). Words are whitespace-separated
tokens, as in Gopher; lines are newline-separated, paragraphs blank-line separated.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

BULLETS = ("•", "●", "◦", "▪", "▫", "‣", "·", "○", "■", "□", "►", "▶", "→", "-", "*", "–", "—")
ELLIPSES = ("...", "…")
_PARA_SPLIT = re.compile(r"\n[ \t\r]*\n\s*")


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARA_SPLIT.split(text) if p.strip()]


def _duplicate_fractions(units: Sequence[str]) -> tuple[float, float]:
    """(share of units that repeat an earlier one, share of characters in those repeats)."""
    if not units:
        return 0.0, 0.0
    seen: set[str] = set()
    dup_n = dup_chars = 0
    for u in units:
        if u in seen:
            dup_n += 1
            dup_chars += len(u)
        else:
            seen.add(u)
    total_chars = sum(len(u) for u in units)
    return dup_n / len(units), (dup_chars / total_chars if total_chars else 0.0)


def top_ngram_char_fraction(words: Sequence[str], n: int) -> float:
    """Characters in the most frequent word n-gram (all its occurrences) over all word characters.

    Gopher's "top n-gram" signal: a page that says "click here to" again and again.
    """
    total = sum(len(w) for w in words)
    if len(words) < n or total == 0:
        return 0.0
    counts = Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    gram, count = counts.most_common(1)[0]
    if count < 2:
        return 0.0
    return sum(len(w) for w in gram) * count / total


def duplicate_ngram_char_fraction(words: Sequence[str], n: int) -> float:
    """Characters of the words covered by any n-gram that occurs more than once, over all word
    characters (each word counted once however many repeats cover it)."""
    total = sum(len(w) for w in words)
    if len(words) < n or total == 0:
        return 0.0
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    covered = bytearray(len(words))
    for i, g in enumerate(grams):
        if counts[g] > 1:
            covered[i:i + n] = b"\x01" * n
    return sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total


def measure(text: str, top_ns: Sequence[int], dup_ns: Sequence[int]) -> dict[str, float]:
    """Every signal of one document, rounded to 4 places (they go into the report)."""
    words = text.split()
    n_words = len(words)
    lines = _lines(text)
    paras = _paragraphs(text)
    out: dict[str, float] = {"word_count": n_words}
    out["mean_word_length"] = sum(len(w) for w in words) / n_words if n_words else 0.0
    symbols = text.count("#") + sum(text.count(e) for e in ELLIPSES)
    out["symbol_word_ratio"] = symbols / n_words if n_words else 0.0
    n_lines = len(lines) or 1
    out["bullet_line_fraction"] = sum(ln.startswith(BULLETS) for ln in lines) / n_lines
    out["ellipsis_line_fraction"] = sum(ln.endswith(ELLIPSES) for ln in lines) / n_lines
    alpha = sum(any(ch.isalpha() for ch in w) for w in words)
    out["alpha_word_fraction"] = alpha / n_words if n_words else 0.0
    dl, dlc = _duplicate_fractions(lines)
    dp, dpc = _duplicate_fractions(paras)
    out["duplicate_line_fraction"] = dl
    out["duplicate_line_char_fraction"] = dlc
    out["duplicate_paragraph_fraction"] = dp
    out["duplicate_paragraph_char_fraction"] = dpc
    for n in top_ns:
        out[f"top_{n}gram_char_fraction"] = top_ngram_char_fraction(words, n)
    prev = 1.0
    for n in sorted(dup_ns):
        # a repeated (n+1)-gram contains a repeated n-gram: once none repeat, none longer do
        prev = duplicate_ngram_char_fraction(words, n) if prev > 0 else 0.0
        out[f"duplicate_{n}gram_char_fraction"] = prev
    out["lorem_ipsum"] = 1.0 if "lorem ipsum" in text.lower() else 0.0
    return {k: round(float(v), 4) for k, v in out.items()}
