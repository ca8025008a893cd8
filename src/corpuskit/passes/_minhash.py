"""MinHash signatures for a whole batch in numpy, bit-identical to ``datasketch.MinHash``.

datasketch 2.x's default ``affine32`` scheme draws ``a`` (odd) and ``b`` from
``np.random.RandomState(seed)``, pre-mixes each 32-bit input hash with the MurmurHash3 finalizer
and keeps ``min_k(a_k * h + b_k mod 2**32)``. We draw the same parameters from the same seed and
apply the same arithmetic to an ``[shingles, num_perm]`` block at once, then take per-paragraph
minima with ``np.minimum.reduceat``. One ``MinHash.update`` per shingle costs ~5 µs of Python;
this costs a few nanoseconds per (shingle, permutation).

Banding follows ``datasketch.MinHashLSH``: ``b`` bands of ``r`` rows chosen to minimise the
weighted false positive + false negative area for the threshold (same integrals, computed with a
fixed trapezoid rule so no SciPy is needed). A band is reduced to one 32-bit key; two paragraphs
are candidates when any band key matches. A 32-bit key can collide by chance, which only adds a
candidate pair that verification then rejects.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

SCHEME = "affine32"
_MAX32 = np.uint32(0xFFFFFFFF)
_BLOCK = 2048  # shingles per block: 2048 x 128 perms x 4 bytes = 1 MiB, cache-sized


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """``(a, b)`` exactly as ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` draws."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finalizer (datasketch's pre-mix for the affine schemes)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    out: U32 = h ^ (h >> np.uint32(16))
    return out


def signatures(hashes: U32, offsets: I64, num_perm: int, seed: int) -> U32:
    """``[len(offsets) - 1, num_perm]`` signatures of the CSR shingle sets.

    A paragraph with no shingles gets datasketch's empty signature (all ``2**32 - 1``).
    """
    a, b = permutations(num_perm, seed)
    n = len(offsets) - 1
    out = np.full((n, num_perm), _MAX32, dtype=np.uint32)
    if n == 0 or len(hashes) == 0:
        return out
    hv = fmix32(hashes.astype(np.uint32, copy=False))
    counts = np.diff(offsets)
    nonempty = np.flatnonzero(counts > 0)
    buf = np.empty((_BLOCK + int(counts.max()), num_perm), dtype=np.uint32)
    # walk paragraphs in blocks of about _BLOCK shingles (a paragraph is never split); small
    # blocks keep the [shingles, num_perm] product in cache, which is ~2x faster than large ones
    ends = np.searchsorted(offsets, offsets[nonempty] + _BLOCK, side="right") - 1
    pos = 0
    while pos < len(nonempty):
        first = nonempty[pos]
        lo = offsets[first]
        stop = max(int(np.searchsorted(nonempty, ends[pos] - 1, side="right")), pos + 1)
        rows = nonempty[pos:stop]
        hi = offsets[rows[-1] + 1]
        block = buf[: hi - lo]
        np.multiply(hv[lo:hi, None], a[None, :], out=block)
        np.add(block, b[None, :], out=block)
        out[rows] = np.minimum.reduceat(block, offsets[rows] - lo, axis=0)
        pos = stop
    return out


def _area(fn: npt.NDArray[np.float64], xs: npt.NDArray[np.float64]) -> float:
    return float(np.sum((fn[1:] + fn[:-1]) * np.diff(xs)) / 2.0)


@lru_cache(maxsize=32)
def optimal_params(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` minimising ``fp_weight * FP + fn_weight * FN`` as datasketch does."""
    best = (1, num_perm)
    best_err = float("inf")
    lo = np.linspace(0.0, threshold, 201)
    hi = np.linspace(threshold, 1.0, 201)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _area(1 - (1 - lo**rows) ** bands, lo)
            fn = _area((1 - hi**rows) ** bands, hi)
            err = fp * fp_weight + fn * fn_weight
            if err < best_err:
                best_err, best = err, (bands, rows)
    return best


_BAND_MIX = np.array(
    [0x9E3779B97F4A7C15 ^ (k * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF) | 1 for k in range(64)],
    dtype=np.uint64,
)


def band_keys(sig: U32, bands: int, rows: int) -> U32:
    """``[n, bands]`` 32-bit keys: band j hashes ``sig[:, j*rows:(j+1)*rows]`` and j itself."""
    n = sig.shape[0]
    out = np.empty((n, bands), dtype=np.uint32)
    if n == 0:
        return out
    s64 = sig.astype(np.uint64)
    for j in range(bands):
        acc = np.full(n, ((j + 1) * 0xD6E8FEB86659FD93) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
        for k in range(rows):
            acc ^= s64[:, j * rows + k] * _BAND_MIX[k % 64]
            acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
        acc *= np.uint64(0x94D049BB133111EB)
        out[:, j] = (acc >> np.uint64(32)).astype(np.uint32)
    return out


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """Chance that two sets of this Jaccard share at least one band (the LSH S-curve)."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)
