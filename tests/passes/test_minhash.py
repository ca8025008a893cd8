"""Batched shingling and MinHash: equal to the one-at-a-time reference and to datasketch."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.passes import _minhash as mh
from corpuskit.passes import _shingles as sh

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


def real_paragraphs(n: int = 300) -> list[str]:
    d = CORPORA / "wiki-versions" / "docs"
    if not d.is_dir():
        pytest.skip("../shared/corpora not available")
    out: list[str] = []
    for p in sorted(d.glob("*/0.txt")):
        out.extend(x for x in p.read_text(encoding="utf-8").split("\n\n") if x.strip())
        if len(out) >= n:
            break
    return out[:n]


def datasketch_signature(norm: str, kind: sh.ShingleKind, n: int, num_perm: int, seed: int
                         ) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda b: sh.shingle_hash(b, kind, n))
    for s in sh.shingles(norm, kind, n):
        m.update(s.encode("utf-8"))
    return np.asarray(m.hashvalues)


@pytest.mark.parametrize(("kind", "n"), [("word", 1), ("word", 2), ("word", 5), ("char", 3),
                                         ("char", 5)])
def test_batch_signatures_equal_datasketch(kind: sh.ShingleKind, n: int) -> None:
    texts = [*real_paragraphs(60), "a", "ab", "one two", "", "x y z", "é ü ß 漢字 text"]
    norms = sh.normalize_batch(texts, sh.Normalization())
    h, off = sh.shingle_batch(norms, kind, n)
    for num_perm, seed in ((128, 1), (64, 42)):
        sig = mh.signatures(h, off, num_perm, seed)
        for i, t in enumerate(norms):
            assert np.array_equal(sig[i], datasketch_signature(t, kind, n, num_perm, seed)), t


def test_permutations_are_datasketchs() -> None:
    a, b = mh.permutations(128, 7)
    m = MinHash(num_perm=128, seed=7)
    assert m.scheme == mh.SCHEME
    assert np.array_equal(m.permutations[0], a)
    assert np.array_equal(m.permutations[1], b)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab cdé.,!\n", max_size=40), max_size=8),
       st.sampled_from([("word", 1), ("word", 3), ("char", 2), ("char", 4)]))
def test_batch_shingles_equal_reference(texts: list[str], spec: tuple[str, int]) -> None:
    kind, n = spec
    norms = sh.normalize_batch(texts, sh.Normalization())
    h, off = sh.shingle_batch(norms, kind, n)  # type: ignore[arg-type]
    assert len(off) == len(texts) + 1
    for i, t in enumerate(norms):
        ref = [sh.shingle_hash(s, kind, n) for s in sh.shingles(t, kind, n)]  # type: ignore[arg-type]
        assert h[off[i] : off[i + 1]].tolist() == ref


def test_normalize_batch_equals_one_at_a_time() -> None:
    texts = ["Hello, World!", "attack.A previously", "  many   spaces\there ", "Ünïcödé ß", ""]
    for norm in (sh.Normalization(), sh.Normalization(False, True, False, True),
                 sh.Normalization(True, False, True, False)):
        batch = sh.normalize_batch(texts, norm)
        assert batch == [sh.normalize(t, norm) for t in texts]
    assert sh.normalize("attack.A previously", sh.Normalization()) == "attack a previously"
    assert sh.normalize("Year 1999", sh.Normalization(digits=True)) == "year 0000"


def test_short_paragraphs_do_not_collapse() -> None:
    """Texts shorter than the shingle size keep a shingle of their own (not an empty set that
    every short paragraph would share)."""
    texts = ["red", "blue sky", "go", "green hills far"]
    for kind, n in (("word", 5), ("char", 16)):
        h, off = sh.shingle_batch(texts, kind, n)  # type: ignore[arg-type]
        sig = mh.signatures(h, off, 64, 1)
        assert all(off[i + 1] - off[i] == 1 for i in range(len(texts)))
        assert len({row.tobytes() for row in sig}) == len(texts)
    empty = mh.signatures(*sh.shingle_batch([""], "word", 2), 64, 1)
    assert (empty == np.uint32(0xFFFFFFFF)).all()


def test_optimal_params_match_datasketch() -> None:
    for thr in (0.5, 0.6, 0.8, 0.9):
        lsh = MinHashLSH(threshold=thr, num_perm=128)
        assert mh.optimal_params(thr, 128) == (lsh.b, lsh.r)


def test_band_keys_find_the_pairs_datasketch_lsh_finds() -> None:
    """Sort-based banding gives the candidate pairs of datasketch's MinHashLSH (same b, r)."""
    rng = random.Random(3)
    base = real_paragraphs(120)
    texts = list(base)
    for p in base[:40]:  # light edits: drop one word
        w = p.split()
        del w[rng.randrange(len(w))]
        texts.append(" ".join(w))
    norms = sh.normalize_batch(texts, sh.Normalization())
    h, off = sh.shingle_batch(norms, "word", 2)
    sig = mh.signatures(h, off, 128, 1)
    b, r = 16, 8
    keys = mh.band_keys(sig, b, r)
    ours: set[tuple[int, int]] = set()
    for j in range(b):
        buckets: dict[int, list[int]] = {}
        for i, k in enumerate(keys[:, j].tolist()):
            buckets.setdefault(k, []).append(i)
        for members in buckets.values():
            ours.update((x, y) for x in members for y in members if x < y)
    lsh = MinHashLSH(num_perm=128, params=(b, r))
    mhs = []
    for i in range(len(texts)):
        m = MinHash(num_perm=128, seed=1, hashvalues=sig[i], scheme="affine32")
        mhs.append(m)
        lsh.insert(i, m)
    theirs = {(min(i, j), max(i, j)) for i in range(len(texts)) for j in lsh.query(mhs[i])
              if i != j}
    # identical signatures in a band give identical keys; a 32-bit key collision could only
    # add pairs, never lose one
    assert theirs <= ours
    assert len(ours - theirs) <= 1
    assert len(theirs) >= 30  # most of the 40 one-word deletions collide in some band


def test_collision_curve() -> None:
    b, r = mh.optimal_params(0.5, 128, 0.2, 0.8)
    assert mh.collision_probability(0.7, b, r) > 0.99
    assert mh.collision_probability(0.1, b, r) < 0.01


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60),
       st.booleans(), st.booleans(), st.booleans())
def test_ascii_fast_path_equals_regex_path(text: str, case: bool, digits: bool, punct: bool
                                           ) -> None:
    norm = sh.Normalization(case, digits, punct, True)
    assert sh._normalize_ascii([text, "x"], norm) == sh._normalize_regex([text, "x"], norm)
