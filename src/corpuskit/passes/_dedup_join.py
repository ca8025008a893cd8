"""Exact similarity self-join of many small shingle sets, grouped (one group per document).

The in-document sentence rule needs every pair of sentences (and of paragraphs) of one document
whose shingle-set Jaccard reaches the threshold. An inverted index walked in Python costs a
dictionary operation per (shingle, posting) -- most of the pass's time on real prose, where
"of the" occurs in every other sentence. Here the whole batch is joined in numpy with **prefix
filtering** (Chaudhuri et al. 2006; Bayardo et al. 2007), which is exact:

- order the tokens of each set rarest-first (frequency inside its group, then value);
- if two sets share ``c >= alpha`` tokens, they share a token among the first ``n - alpha + 1``
  tokens of each (the rarest shared token lies in both prefixes), so only tokens in prefixes
  are indexed, and those are rare: runs of equal (group, token) are short;
- every pair found that way is verified on the full sets (sorted together, equal neighbours
  counted), and the final test is the caller's float expression, evaluated exactly as the
  Python reference evaluates it.

``alpha`` is a lower bound of the shared count of any pair that passes the test (see
:func:`_min_shared`), so no passing pair is missed; candidates that fail are only extra work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from corpuskit.passes import _shingles as sh

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
BoolArr = npt.NDArray[np.bool_]

_BLOCK = 1 << 20  # set elements per verification block (bounds memory)


def unique_sets(vals: U32, offsets: I64) -> tuple[U64, I64]:
    """Per-segment sorted unique values of a CSR array, as ``segment << 32 | value`` keys."""
    n = len(offsets) - 1
    seg = np.repeat(np.arange(n, dtype=np.uint64), np.diff(offsets))
    keys = np.sort((seg << np.uint64(32)) | vals.astype(np.uint64))
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    keys = keys[keep]
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=n)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=off[1:])
    return keys, off


def _min_shared(sizes: I64, threshold: float) -> I64:
    """A lower bound of the shared count ``c`` of any pair that passes :func:`passes`, for a
    set of each size (whether it is the earlier or the later set of the pair).

    Later set B: ``not c < t*|B|`` (floats) means ``c >= ceil(t*|B|)`` exactly. Earlier set A:
    ``c / (|A|+|B|-c) >= t`` in floats implies a real ratio ``>= t (1 - 2**-53)`` and, as
    ``|B| >= c``, ``c >= t |A| (1 - 2**-53)``. ``ceil(t*n*(1 - 1e-12))`` is below both bounds
    whatever the rounding, and at least 1 (a pair sharing nothing never passes, t > 0).
    """
    a = np.ceil(sizes.astype(np.float64) * threshold * (1.0 - 1e-12)).astype(np.int64)
    out: I64 = np.maximum(a, 1)
    return out


def passes(c: Any, n_earlier: Any, n_later: Any, threshold: float) -> Any:
    """The reference test, vectorised: ``not c < t*|later|`` and ``c/(|A|+|B|-c) >= t``.
    float64 products and quotients of integers below 2**53 round exactly as Python's do."""
    c64 = c.astype(np.int64)
    sim = c64 / (n_earlier + n_later - c64)
    ok = ~(c64 < threshold * n_later) & (sim >= threshold)
    return ok, sim


def shared_counts(vals: Any, off: I64, x: I64, y: I64) -> I64:
    """``|set x[i] & set y[i]|`` for each pair of a CSR store of sorted unique 32-bit values
    per set (``vals[off[i]:off[i+1]]``): both sets of a block of pairs are tagged with the pair
    number, sorted together, and equal neighbours counted; blocks are cut by elements, so
    memory does not grow with the number of pairs."""
    out = np.zeros(len(x), dtype=np.int64)
    lx_all = off[x + 1] - off[x]
    ly_all = off[y + 1] - off[y]
    cum = np.cumsum(lx_all + ly_all)  # elements up to and including each pair
    start = 0
    while start < len(x):
        base = int(cum[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(cum, base + _BLOCK, "right")))
        bx, by = x[start:stop], y[start:stop]
        lx, ly = lx_all[start:stop], ly_all[start:stop]
        pid = np.arange(len(bx), dtype=np.uint64)
        kx = (np.repeat(pid, lx) << np.uint64(32)) | vals[sh.segment_index(off[bx], lx)]
        ky = (np.repeat(pid, ly) << np.uint64(32)) | vals[sh.segment_index(off[by], ly)]
        k = np.concatenate((kx, ky))
        k.sort()
        eq = k[1:] == k[:-1]
        out[start:stop] = np.bincount((k[1:][eq] >> np.uint64(32)).astype(np.int64),
                                      minlength=len(bx))
        start = stop
    return out


def similar_pairs(vals: U32, offsets: I64, group: I64, threshold: float
                  ) -> tuple[I64, I64, F64]:
    """Every pair ``(i, j)``, ``i < j``, of sets of the same group that passes the test with i
    the earlier set and j the later one: ``(i, j, similarity)``, sorted by (j, i).

    ``vals[offsets[i]:offsets[i+1]]`` are set i's shingle hashes (repeats allowed; every set
    must be non-empty); ``group[i]`` its group (non-decreasing is not required).
    """
    left, right, sim, fwd, _rev = similar_pairs_either(vals, offsets, group, threshold)
    return left[fwd], right[fwd], sim[fwd]


def similar_pairs_either(vals: U32, offsets: I64, group: I64, threshold: float
                         ) -> tuple[I64, I64, F64, BoolArr, BoolArr]:
    """Like :func:`similar_pairs`, for pairs that pass the test in either role:
    ``(i, j, similarity, passes with j later, passes with i later)``, sorted by (j, i).

    The test is not quite symmetric in floats (``not c < t*|later|``); a caller that compares
    later copies of set i with set j needs the second flag."""
    n = len(offsets) - 1
    no = np.zeros(0, bool)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64), no, no)
    if n < 2:
        return empty
    keys, off = unique_sets(vals, offsets)
    sizes = np.diff(off)
    seg = np.repeat(np.arange(n, dtype=np.int64), sizes)
    tok = (group.astype(np.uint64)[seg] << np.uint64(32)) | (keys & np.uint64(0xFFFFFFFF))
    # frequency of each (group, token); a token seen once in its group pairs nothing
    _u, inv, freq = np.unique(tok, return_inverse=True, return_counts=True)
    f = freq[inv]
    order = np.lexsort((tok, f, seg))  # per set: rarest first, ties by token
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64) - off[seg[order]]
    prefix = sizes - _min_shared(sizes, threshold) + 1
    sel = (rank < prefix[seg]) & (f > 1)
    t_sel, s_sel = tok[sel], seg[sel]
    o2 = np.lexsort((s_sel, t_sel))
    t_sel, s_sel = t_sel[o2], s_sel[o2]
    if len(t_sel) < 2:
        return empty
    new_run = np.ones(len(t_sel), dtype=bool)
    new_run[1:] = t_sel[1:] != t_sel[:-1]
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(t_sel)), 0))
    before = np.arange(len(t_sel), dtype=np.int64) - run_start  # earlier members of the run
    left = s_sel[sh.segment_index(run_start, before)]
    right = np.repeat(s_sel, before)
    if len(left) == 0:
        return empty
    pair = np.sort(left * n + right)  # sort-based unique: faster here than np.unique's hash
    pair = pair[np.concatenate(([True], pair[1:] != pair[:-1]))]
    left, right = pair // n, pair % n
    # length filter (sound: c <= min size and c >= the bound of the larger set)
    nl, nr = sizes[left], sizes[right]
    fit = np.minimum(nl, nr) >= _min_shared(np.maximum(nl, nr), threshold)
    left, right = left[fit], right[fit]
    c = shared_counts(keys & np.uint64(0xFFFFFFFF), off, left, right)
    fwd, sim = passes(c, sizes[left], sizes[right], threshold)
    rev, _sim = passes(c, sizes[right], sizes[left], threshold)
    ok = fwd | rev
    left, right, sim, fwd, rev = left[ok], right[ok], sim[ok], fwd[ok], rev[ok]
    o3 = np.lexsort((left, right))
    return left[o3], right[o3], sim[o3], fwd[o3], rev[o3]
