"""Persistent dedup index: the kept paragraphs of cleaned corpora, to deduplicate later batches.

News arrives daily: yesterday's cleaned corpus should not be re-read to deduplicate today's.
The index is a directory of ``.npy`` columns (the same layout as a scan :class:`Chunk`, loaded
memory-mapped) plus ``meta.json`` (scheme and every parameter that changes signatures or band
keys) and ``doc_ids.json``. Loading an index made with other parameters is refused: mixing
schemes, seeds or shingling would silently find nothing.

Each row carries the digest of the batch that added it. A run that is re-done (``--resume``
after a crash between writing the index and finishing) drops the rows of its own batch on load,
so it is not deduplicated against itself.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from corpuskit.passes._dedup_plan import OLD_DOC_BASE, Table, _Decider
from corpuskit.passes._dedup_state import _ARRAYS, Chunk

FORMAT = "corpuskit-dedup-index"
VERSION = 1


class IndexMismatch(ValueError):
    """The index on disk was built with other dedup parameters."""


def load(path: Path, params: dict[str, Any], current_batch: str) -> Chunk | None:
    """The index's rows as an "old" chunk (None when there is no index yet)."""
    meta_p = path / "meta.json"
    if not meta_p.exists():
        if path.exists() and any(path.iterdir()):
            raise IndexMismatch(f"{path} exists but is not a corpuskit dedup index")
        return None
    meta = json.loads(meta_p.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise IndexMismatch(f"{path} is not a version-{VERSION} corpuskit dedup index")
    if meta["params"] != params:
        diff = {k: (meta["params"].get(k), v) for k, v in params.items()
                if meta["params"].get(k) != v}
        raise IndexMismatch(
            f"refusing to use dedup index {path}: it was built with other parameters "
            f"(index vs now: {diff}); use the same options or a new index path"
        )
    arrs = {a: np.load(path / f"{a}.npy", mmap_mode="r", allow_pickle=False) for a in _ARRAYS
            if a not in ("doc", "pairs")}
    batch = np.load(path / "batch.npy", allow_pickle=False)
    doc_idx = np.load(path / "doc_idx.npy", allow_pickle=False)
    doc_ids: list[str] = json.loads((path / "doc_ids.json").read_text(encoding="utf-8"))
    batches: list[str] = meta["batches"]
    drop = [i for i, b in enumerate(batches) if b == current_batch]
    keep_rows = ~np.isin(batch, drop) if drop else np.ones(len(batch), dtype=bool)
    if not keep_rows.all():
        arrs = _select(arrs, keep_rows)
        batch, doc_idx = batch[keep_rows], doc_idx[keep_rows]
    keys = (OLD_DOC_BASE | doc_idx.astype(np.uint64))
    used = np.unique(doc_idx)
    chunk = Chunk(
        doc=keys, para=arrs["para"], hi=arrs["hi"], lo=arrs["lo"], length=arrs["length"],
        words=arrs["words"], near_row=arrs["near_row"], bands=arrs["bands"],
        sh_off=arrs["sh_off"], sh_val=arrs["sh_val"], pairs=np.zeros((0, 2), np.int32),
        doc_keys=[int(OLD_DOC_BASE | np.uint64(i)) for i in used.tolist()],
        doc_ids=[doc_ids[i] for i in used.tolist()],
    )
    chunk.index_batch = batch  # type: ignore[attr-defined]
    chunk.index_batches = batches  # type: ignore[attr-defined]
    return chunk


def _select(arrs: dict[str, Any], keep: Any) -> dict[str, Any]:
    out = {a: np.asarray(arrs[a])[keep] for a in ("para", "hi", "lo", "length", "words")}
    new_row = np.cumsum(keep) - 1
    nr = np.asarray(arrs["near_row"]).astype(np.int64)
    nkeep = keep[nr]
    out["near_row"] = new_row[nr[nkeep]].astype(np.int32)
    out["bands"] = np.asarray(arrs["bands"])[:, nkeep]
    off = np.asarray(arrs["sh_off"])
    val = np.asarray(arrs["sh_val"])
    pieces = [val[off[i] : off[i + 1]] for i in np.flatnonzero(nkeep)]
    out["sh_val"] = np.concatenate(pieces) if pieces else np.zeros(0, np.uint32)
    out["sh_off"] = np.concatenate(([0], np.cumsum([len(p) for p in pieces]))).astype(np.int64)
    return out


def save(path: Path, params: dict[str, Any], t: Table, d: _Decider, current_batch: str,
         bands: int) -> int:
    """Write old rows + this run's survivors (atomically: a new directory swapped in)."""
    n = len(t.doc)
    keep = np.ones(n, dtype=bool)
    for row in d.deleted_rule:
        keep[row] = False
    rows = np.flatnonzero(keep)
    # batch tag per row
    old_chunk = t.chunks[0] if t.old.any() else None
    batches: list[str] = list(getattr(old_chunk, "index_batches", [])) if old_chunk else []
    if current_batch not in batches:
        batches.append(current_batch)
    cur = batches.index(current_batch)
    batch = np.full(n, cur, dtype=np.uint32)
    if old_chunk is not None:
        batch[: old_chunk.rows] = np.asarray(old_chunk.index_batch)  # type: ignore[attr-defined]
    # documents
    doc_keys = t.doc[rows]
    uniq, inv = np.unique(doc_keys, return_inverse=True)
    doc_ids = [t.doc_id_of.get(int(k), "") for k in uniq.tolist()]
    # near data of kept rows: a row that is its group's survivor takes its group's near data
    node_rows, node_chunk, node_local = d.nodes()
    near_of = {int(r): (int(c), int(li)) for r, c, li in zip(
        node_rows.tolist(), node_chunk.tolist(), node_local.tolist(), strict=True)}
    near_rows: list[int] = []
    band_cols: list[Any] = []
    sh_pieces: list[Any] = []
    new_pos = np.cumsum(keep) - 1
    for r in rows.tolist():
        nd = near_of.get(r)
        if nd is None:
            continue
        ci, li = nd
        c = t.chunks[ci]
        near_rows.append(int(new_pos[r]))
        band_cols.append(np.asarray(c.bands)[:, li])
        sh_pieces.append(np.asarray(c.sh_val[int(c.sh_off[li]) : int(c.sh_off[li + 1])]))
    arrs: dict[str, Any] = {
        "para": t.para[rows], "hi": t.hi[rows], "lo": t.lo[rows], "length": t.length[rows],
        "words": t.words[rows], "near_row": np.array(near_rows, dtype=np.int32),
        "bands": (np.stack(band_cols, axis=1) if band_cols
                  else np.zeros((bands, 0), np.uint32)),
        "sh_val": np.concatenate(sh_pieces) if sh_pieces else np.zeros(0, np.uint32),
        "sh_off": np.concatenate(([0], np.cumsum([len(p) for p in sh_pieces]))).astype(np.int64),
        "batch": batch[rows], "doc_idx": inv.astype(np.uint32),
    }
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, a in arrs.items():
        np.save(tmp / f"{name}.npy", np.ascontiguousarray(a), allow_pickle=False)
    (tmp / "doc_ids.json").write_text(json.dumps(doc_ids, ensure_ascii=False), encoding="utf-8",
                                      errors="surrogatepass")
    meta = {"format": FORMAT, "version": VERSION, "params": params, "batches": batches,
            "paragraphs": len(rows), "near_paragraphs": len(near_rows)}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    if old.exists():
        shutil.rmtree(old)
    return len(rows)
