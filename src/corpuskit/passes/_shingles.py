"""Normalisation and shingling for the dedup pass, vectorised over a whole batch of paragraphs.

Plain-Python shingling (split, join, hash each n-gram) runs at ~15 MB/s and was the cost to
beat. Here a batch of paragraphs is joined into one string, normalised with one regex call,
turned into one numpy array of code points, and every n-gram hash is computed with a handful of
whole-array multiply-adds:

- ``char`` n-grams: ``h = sum_k cp[i+k] * C[k]  (mod 2**64)``; each paragraph is followed by
  ``n - 1`` zero code points, so a paragraph shorter than ``n`` still gets one shingle of its own
  (its zero-padded text) instead of none, and distinct short paragraphs never share a signature.
- ``word`` n-grams: each word gets a polynomial hash from prefix sums (``M`` odd, so ``M`` is
  invertible mod 2**64 and a word's hash does not depend on where it sits), then n consecutive
  word hashes are combined like the char case. A paragraph with fewer than ``n`` words gets one
  shingle of all its words.

The 32-bit shingle hash is the high half of ``h * MIX`` (multiply-shift hashing, whose high bits
are the well-mixed ones). :func:`shingle_hash` computes the same value for one shingle string with
Python integers; it is the ``hashfunc`` handed to ``datasketch.MinHash`` to prove the numpy
signatures are bit-identical to datasketch's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

ShingleKind = Literal["char", "word"]
U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]

_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15
_WORD_M = 0x100000001B3  # odd: invertible modulo 2**64
# per-position multipliers (fixed, odd, "random": digits of a SplitMix64 stream)
_POS = (
    0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F,
    0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3, 0x1D8E4E27C47D124F,
    0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5, 0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53, 0x9FB21C651E98DF25, 0x2127599BF4325C37, 0x880355F21E6D1965,
)
MAX_SHINGLE_SIZE = len(_POS)
SEP = "\x00"


@dataclass(frozen=True)
class Normalization:
    """What is ignored when comparing paragraphs. Digits are kept by default: "population 1,234"
    and "population 5,678" are different facts, not one paragraph with a typo."""

    case: bool = True
    digits: bool = False
    punctuation: bool = True
    whitespace: bool = True

    def key(self) -> str:
        return "".join(str(int(x)) for x in (self.case, self.digits, self.punctuation,
                                              self.whitespace))


_PUNCT = re.compile(r"[^\w\s\x00]+")
_PUNCT_WS = re.compile(r"[^\w\x00]+")
_WS = re.compile(r"[^\S\x00]+")
_DIGIT = re.compile(r"\d")


def _ascii_table(norm: Normalization) -> bytes:
    """``bytes.translate`` table doing for ASCII what the regexes below do."""
    out = bytearray(range(256))
    for c in range(128):
        ch = chr(c)
        if ch.isalnum() or ch == "_":
            if norm.case:
                out[c] = ord(ch.lower())
            if norm.digits and ch.isdigit():
                out[c] = ord("0")
        elif ch.isspace() or c == 0:
            continue
        elif norm.punctuation:
            out[c] = 32
    return bytes(out)


_TABLES: dict[str, bytes] = {}


def normalize_batch(texts: Sequence[str], norm: Normalization) -> list[str]:
    """Normalise many paragraphs at once.

    Punctuation becomes a space (not nothing) so that "attack.A" splits into two words. The
    result never contains NUL, which is the batch separator. ASCII paragraphs (most of them)
    go through one ``bytes.translate`` over their concatenation and ``str.split`` (~10x the
    speed of the regexes); the others through one regex pass over theirs. Both give the same
    result for ASCII text (a test checks it).
    """
    if not texts:
        return []
    if not norm.whitespace:
        return _normalize_regex(texts, norm)
    ascii_idx = [i for i, t in enumerate(texts) if t.isascii()]
    if len(ascii_idx) < len(texts):
        out: list[str] = [""] * len(texts)
        other = [i for i, t in enumerate(texts) if not t.isascii()]
        for i, r in zip(other, _normalize_regex([texts[i] for i in other], norm), strict=True):
            out[i] = r
        if ascii_idx:
            for i, r in zip(ascii_idx, _normalize_ascii([texts[i] for i in ascii_idx], norm),
                            strict=True):
                out[i] = r
        return out
    return _normalize_ascii(texts, norm)


def _normalize_ascii(texts: Sequence[str], norm: Normalization) -> list[str]:
    table = _TABLES.get(norm.key())
    if table is None:
        table = _TABLES[norm.key()] = _ascii_table(norm)
    raw = SEP.join(t.replace(SEP, " ") for t in texts).encode("ascii").translate(table)
    return [" ".join(p.split()) for p in raw.decode("ascii").split(SEP)]


def _normalize_regex(texts: Sequence[str], norm: Normalization) -> list[str]:
    s = SEP.join(t.replace(SEP, " ") for t in texts)
    if norm.case:
        s = s.casefold()
    if norm.digits:
        s = _DIGIT.sub("0", s)
    if norm.punctuation and norm.whitespace:
        s = _PUNCT_WS.sub(" ", s)
    else:
        if norm.punctuation:
            s = _PUNCT.sub(" ", s)
        if norm.whitespace:
            s = _WS.sub(" ", s)
    parts = s.split(SEP)
    if norm.whitespace:
        return [p.strip() for p in parts]
    return parts


def normalize(text: str, norm: Normalization) -> str:
    """One paragraph (see :func:`normalize_batch`)."""
    return normalize_batch([text], norm)[0]


def _pos_consts(n: int) -> U64:
    if not 1 <= n <= MAX_SHINGLE_SIZE:
        raise ValueError(f"shingle size must be 1..{MAX_SHINGLE_SIZE}, got {n}")
    return np.array(_POS[:n], dtype=np.uint64)


def _codepoints(s: str) -> U64:
    raw = np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out: U64 = raw.astype(np.uint64)
    return out


def _finish(h: U64) -> U32:
    out: U32 = ((h * np.uint64(_MIX)) >> np.uint64(32)).astype(np.uint32)
    return out


def _window_sum(vals: U64, n: int) -> U64:
    """``sum_k vals[i+k] * C[k]`` for every i with a full window (wrapping uint64)."""
    c = _pos_consts(n)
    m = len(vals) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc: U64 = vals[:m] * c[0]
    for k in range(1, n):
        acc += vals[k : k + m] * c[k]
    return acc


def segment_index(starts: I64, counts: I64) -> I64:
    """Concatenated ``range(starts[i], starts[i] + counts[i])`` for every i, without a loop
    (gathers the members of many CSR segments at once)."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    seg_first = np.cumsum(counts) - counts
    idx = np.arange(total, dtype=np.int64)
    idx += np.repeat(starts.astype(np.int64) - seg_first, counts)
    return idx


def shingle_batch(norm_texts: Sequence[str], kind: ShingleKind, n: int) -> tuple[U32, I64]:
    """Shingle hashes of many normalised paragraphs, as CSR: ``hashes[offsets[i]:offsets[i+1]]``.

    Every non-empty paragraph has at least one shingle; an empty one has none. Hashes within
    a paragraph may repeat (MinHash ignores repeats; :func:`shingle_set` removes them).
    """
    if kind == "char":
        return _char_batch(norm_texts, n)
    return _word_batch(norm_texts, n)


def _char_batch(texts: Sequence[str], n: int) -> tuple[U32, I64]:
    pad = SEP * (n - 1)
    cps = _codepoints(pad.join(texts) + pad)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths + (n - 1)) - (lengths + (n - 1))
    counts = np.where(lengths > 0, np.maximum(lengths - n + 1, 1), 0)
    sums = _window_sum(cps, n)
    h = _finish(sums[segment_index(starts, counts)])
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return h, offsets


_POWERS: list[U64] = []


def _powers(n: int) -> tuple[U64, U64]:
    """``M**i`` and ``M**-i`` mod 2**64 for i < n (cached, grown by doubling)."""
    if not _POWERS or len(_POWERS[0]) < n:
        size = max(n, 2 * len(_POWERS[0]) if _POWERS else 1 << 16)
        pw = np.empty(size, dtype=np.uint64)
        pw[0] = 1
        pw[1:] = np.uint64(_WORD_M)
        np.cumprod(pw, out=pw)
        ip = np.empty(size, dtype=np.uint64)
        ip[0] = 1
        ip[1:] = np.uint64(pow(_WORD_M, -1, 1 << 64))
        np.cumprod(ip, out=ip)
        _POWERS[:] = [pw, ip]
    return _POWERS[0], _POWERS[1]


def _word_hashes(texts: Sequence[str]) -> tuple[U64, I64]:
    """Polynomial hash of every word (space-separated) of every text, and word counts."""
    words_per = np.fromiter(
        (t.count(" ") + 1 if t else 0 for t in texts), dtype=np.int64, count=len(texts)
    )
    joined = " ".join(t for t in texts if t)
    if not joined:
        return np.zeros(0, dtype=np.uint64), words_per
    cps = _codepoints(joined)
    L = len(cps)
    powers, inv_powers = _powers(L + 1)
    prefix = np.zeros(L + 1, dtype=np.uint64)
    np.cumsum(cps * powers[:L], out=prefix[1:])
    is_space = cps == 32
    space_pos = np.flatnonzero(is_space)
    w_start = np.concatenate(([0], space_pos + 1)).astype(np.int64)
    w_end = np.concatenate((space_pos, [L])).astype(np.int64)
    wh = (prefix[w_end] - prefix[w_start]) * inv_powers[w_start]
    # length folded in so that a word's hash differs from its prefix padded with NULs
    wh = wh + (w_end - w_start).astype(np.uint64) * np.uint64(_MIX)
    return wh, words_per


def _word_batch(texts: Sequence[str], n: int) -> tuple[U32, I64]:
    wh, words_per = _word_hashes(texts)
    # pad each text's word list with n-1 zero words, as for characters
    k = len(texts)
    padded_len = words_per + np.where(words_per > 0, n - 1, 0)
    total = int(padded_len.sum())
    vals = np.zeros(total + n, dtype=np.uint64)
    pstarts = np.cumsum(padded_len) - padded_len
    vals[segment_index(pstarts, words_per)] = wh
    counts = np.where(words_per > 0, np.maximum(words_per - n + 1, 1), 0)
    sums = _window_sum(vals, n)
    h = _finish(sums[segment_index(pstarts, counts)])
    offsets = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return h, offsets


# ---------------------------------------------------------------------------------------------
# reference implementation, one shingle at a time (tests, datasketch hashfunc, verification)
# ---------------------------------------------------------------------------------------------
def shingles(norm_text: str, kind: ShingleKind, n: int) -> list[str]:
    """The shingles of one normalised paragraph as strings (char: n characters; word: n words
    joined by a space). A text shorter than n is one shingle; an empty text has none."""
    if not norm_text:
        return []
    if kind == "char":
        if len(norm_text) < n:
            return [norm_text]
        return [norm_text[i : i + n] for i in range(len(norm_text) - n + 1)]
    words = norm_text.split(" ")
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _py_word_hash(word: str) -> int:
    h = 0
    p = 1
    for ch in word:
        h = (h + ord(ch) * p) & _MASK64
        p = (p * _WORD_M) & _MASK64
    return (h + len(word) * _MIX) & _MASK64


def shingle_hash(shingle: str | bytes, kind: ShingleKind, n: int) -> int:
    """32-bit hash of one shingle, equal to what :func:`shingle_batch` computes for it."""
    if isinstance(shingle, bytes):
        shingle = shingle.decode("utf-8", "surrogatepass")
    if kind == "char":
        vals = [ord(c) for c in shingle]
    else:
        vals = [_py_word_hash(w) for w in shingle.split(" ")]
    vals += [0] * (n - len(vals))
    h = 0
    for k, v in enumerate(vals[:n]):
        h = (h + v * _POS[k]) & _MASK64
    return ((h * _MIX) & _MASK64) >> 32


def word_count(norm_text: str) -> int:
    return norm_text.count(" ") + 1 if norm_text else 0
