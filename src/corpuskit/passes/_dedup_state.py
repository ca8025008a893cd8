"""The dedup scan state: compact numpy columns per scanned batch, spillable to disk.

Layout of one :class:`Chunk` (one scan batch, rows in corpus order), bytes per paragraph:

====================  ======================  ==============================================
column                dtype                   bytes
====================  ======================  ==============================================
``doc``               uint64                  8  (ordinal packed: shard << 32 | position)
``para``              uint32                  4  (paragraph index in the document)
``hi``, ``lo``        uint64, uint64          16 (xxh3-128 of the normalised paragraph)
``length``            uint32                  4  (characters, for the ``longest`` policy)
``words``             uint32                  4
``near_row``          int32                   4  \\
``bands``             uint32 [bands, n]       4 x bands (30 by default = 120)  > near rows only
``sh_off``/``sh_val`` int64 / uint32          8 + 4 x distinct shingles      /
``pairs``             int32 [k, 2]            8 per within-document near-duplicate pair
====================  ======================  ==============================================

So ~36 bytes for every paragraph, plus ~130 + 4 x shingles (~260 for a 200-byte paragraph of
~33 words) for the paragraphs long enough for near-duplicate search whose exact text this worker
had not already signed. Document ids are kept once per document.

``bands`` is stored band-major so that ``finalize`` can read one band at a time; when the state
exceeds ``memory_limit_mb``, :meth:`DedupState.spill` writes every chunk's arrays as ``.npy``
files and reopens them memory-mapped, and ``finalize`` then works band by band and key range
by key range, so the resident set stays bounded while the output stays identical.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[Any]

_ARRAYS = ("doc", "para", "hi", "lo", "length", "words", "near_row", "bands", "sh_off", "sh_val",
           "pairs")


@dataclass
class Chunk:
    """One scanned batch. Arrays may be in memory or memory-mapped from the spill directory."""

    doc: Arr
    para: Arr
    hi: Arr
    lo: Arr
    length: Arr
    words: Arr
    near_row: Arr
    bands: Arr
    sh_off: Arr
    sh_val: Arr
    pairs: Arr
    """``[k, 2]`` int32 local rows: within-document near-duplicate paragraphs found exactly by
    the per-document analysis, added to the LSH candidates."""
    doc_keys: list[int] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    spilled: bool = False

    @property
    def rows(self) -> int:
        return len(self.doc)

    def nbytes(self) -> int:
        n = sum(int(getattr(self, a).nbytes) for a in _ARRAYS)
        return n + sum(len(x) + 60 for x in self.doc_ids)

    def resident_bytes(self) -> int:
        return 0 if self.spilled else self.nbytes()

    def __reduce__(self) -> Any:
        # crossing a process boundary always carries the data, never a spill path
        vals = [np.asarray(getattr(self, f.name)) if f.name in _ARRAYS else getattr(self, f.name)
                for f in fields(self)]
        vals[-1] = False
        return (Chunk, tuple(vals))


def empty_chunk(bands: int) -> Chunk:
    return Chunk(
        doc=np.zeros(0, np.uint64), para=np.zeros(0, np.uint32), hi=np.zeros(0, np.uint64),
        lo=np.zeros(0, np.uint64), length=np.zeros(0, np.uint32), words=np.zeros(0, np.uint32),
        near_row=np.zeros(0, np.int32), bands=np.zeros((bands, 0), np.uint32),
        sh_off=np.zeros(1, np.int64), sh_val=np.zeros(0, np.uint32),
        pairs=np.zeros((0, 2), np.int32),
    )


class SpillDir:
    """A temporary directory removed when the last state referring to it is gone."""

    def __init__(self, parent: str | None) -> None:
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="corpuskit-dedup-spill-", dir=parent or None))
        self.n = 0
        self._fin = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def save(self, arr: Arr) -> Arr:
        self.n += 1
        p = self.path / f"{self.n:08d}.npy"
        np.save(p, np.ascontiguousarray(arr), allow_pickle=False)
        if arr.size == 0:
            small: Arr = np.load(p, allow_pickle=False)
            return small
        out: Arr = np.load(p, mmap_mode="r", allow_pickle=False)
        return out


@dataclass
class DedupState:
    """Merged scan state: chunks in corpus order. ``merge`` only links chunks (no copy)."""

    chunks: list[Chunk] = field(default_factory=list)
    spills: list[SpillDir] = field(default_factory=list)

    def __reduce__(self) -> Any:
        return (DedupState, (self.chunks, []))

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.chunks)

    def resident_bytes(self) -> int:
        return sum(c.resident_bytes() for c in self.chunks)

    def total_bytes(self) -> int:
        return sum(c.nbytes() for c in self.chunks)

    def spill_to_disk(self, parent: str | None) -> None:
        """Move every in-memory chunk's arrays to ``.npy`` files, memory-mapped back.

        Chunks are shared with the states merged into this one, so the arrays the runner still
        references through those states are released too.
        """
        todo = [c for c in self.chunks if not c.spilled]
        if not todo:
            return
        spill = SpillDir(parent)
        self.spills.append(spill)
        for c in todo:
            for name in _ARRAYS:
                setattr(c, name, spill.save(getattr(c, name)))
            c.spilled = True


def merge_states(states: Sequence[DedupState], limit_bytes: int, spill_parent: str | None
                 ) -> DedupState:
    out = DedupState()
    for s in states:
        out.chunks.extend(c for c in s.chunks if c.rows)
        out.spills.extend(s.spills)
    if limit_bytes > 0 and out.resident_bytes() > limit_bytes:
        out.spill_to_disk(spill_parent)
    return out


def default_spill_parent() -> str | None:
    return os.environ.get("CORPUSKIT_SPILL_DIR") or None
