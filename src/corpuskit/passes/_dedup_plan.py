"""From the merged scan state to the dedup plan: exact groups, LSH candidates, verification,
survivor choice.

1. **Exact** (never reaches MinHash): rows are grouped by (xxh3-128 of the normalised paragraph
   [, document]); each group keeps one survivor (policy) and the rest are deleted, similarity 1.
2. **Candidates**: each exact group with near data becomes one LSH node. Per band, the nodes'
   32-bit band keys are sorted (numpy, optionally one key range at a time to bound memory) and
   every run of equal keys yields its chain pairs (i, i+1) and star pairs (first, i), so a run of
   k nodes gives < 2k pairs, never k^2.
3. **Verification**: every candidate pair's Jaccard is computed on the stored shingle-hash sets
   (exact up to a 32-bit collision between two different shingles of the pair). Only verified
   pairs (>= threshold) link nodes; MinHash estimates alone never delete text.
4. **Survivors**: per connected component, the policy picks a survivor; members whose Jaccard
   *with that survivor* is >= threshold are deleted naming it; the rest repeat the process. So
   every deleted paragraph names a kept copy it was actually compared with, and the survivors
   are pairwise below the threshold, which is what makes a second run remove nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from corpuskit.passes import _dedup_join as jn
from corpuskit.passes import _shingles as sh
from corpuskit.passes._dedup_state import Chunk, DedupState

Arr = npt.NDArray[Any]
Chooser = Callable[[list[dict[str, Any]]], "int | None"]
PlanEntry = tuple[str, str, int, float]
"""(rule, kept document id, kept paragraph index, similarity)"""
Plan = dict[tuple[int, int], dict[int, PlanEntry]]
OLD_DOC_BASE = np.uint64(1 << 63)


@dataclass(frozen=True)
class PlanSettings:
    threshold: float
    scope: str
    keep: str
    bands: int
    memory_limit_bytes: int


@dataclass
class Table:
    """All rows (index rows first, then this run's), in corpus order."""

    chunks: list[Chunk]
    base: Arr  # first global row of each chunk
    doc: Arr
    para: Arr
    hi: Arr
    lo: Arr
    length: Arr
    words: Arr
    old: Arr
    doc_id_of: dict[int, str]
    digest: str


def build_table(old: Chunk | None, state: DedupState) -> Table:
    chunks = ([old] if old is not None and old.rows else []) + [c for c in state.chunks if c.rows]
    sizes = np.array([c.rows for c in chunks], dtype=np.int64)
    base = np.concatenate(([0], np.cumsum(sizes)))[:-1] if len(chunks) else np.zeros(0, np.int64)

    def cat(name: str, dtype: Any) -> Arr:
        if not chunks:
            return np.zeros(0, dtype)
        return np.concatenate([np.asarray(getattr(c, name)) for c in chunks]).astype(dtype)

    n_old = old.rows if old is not None else 0
    is_old = np.zeros(int(sizes.sum()) if len(chunks) else 0, dtype=bool)
    is_old[:n_old] = True
    doc_id_of: dict[int, str] = {}
    h = hashlib.sha256()
    for c in chunks:
        doc_id_of.update(zip(c.doc_keys, c.doc_ids, strict=True))
    for c in state.chunks:
        h.update(np.ascontiguousarray(c.hi).tobytes())
        h.update(np.ascontiguousarray(c.lo).tobytes())
        h.update("\x00".join(c.doc_ids).encode("utf-8", "surrogatepass"))
    return Table(chunks, base, cat("doc", np.uint64), cat("para", np.uint32),
                 cat("hi", np.uint64), cat("lo", np.uint64), cat("length", np.uint32),
                 cat("words", np.uint32), is_old, doc_id_of, h.hexdigest()[:32])


class _Decider:
    def __init__(self, t: Table, settings: PlanSettings, chooser: Chooser | None) -> None:
        self.t = t
        self.s = settings
        self.chooser = chooser
        n = len(t.doc)
        self.deleted_rule: dict[int, tuple[str, int, float]] = {}  # row -> (rule, kept row, sim)
        self.group_of = np.arange(n, dtype=np.int64)  # row -> exact-group survivor row

    # -- survivor choice ------------------------------------------------------------------------
    def choose(self, rows: list[int]) -> int:
        t = self.t
        olds = [r for r in rows if t.old[r]]
        if olds:
            return min(olds)  # old copies win
        if self.chooser is not None:
            cluster = [
                {"doc_id": t.doc_id_of.get(int(t.doc[r]), ""), "paragraph": int(t.para[r]),
                 "ordinal": [int(t.doc[r]) >> 32, int(t.doc[r]) & 0xFFFFFFFF],
                 "length": int(t.length[r]), "words": int(t.words[r])}
                for r in rows
            ]
            picked = self.chooser(cluster)
            if picked is not None:
                if not 0 <= int(picked) < len(rows):
                    raise ValueError(f"corpuskit_dedup_choose_survivor returned {picked!r} for a "
                                     f"cluster of {len(rows)}")
                return rows[int(picked)]
        if self.s.keep == "longest":
            return min(rows, key=lambda r: (-int(t.length[r]), r))
        return min(rows)

    # -- 1. exact ---------------------------------------------------------------------------------
    def exact(self) -> None:
        t = self.t
        n = len(t.doc)
        if n == 0:
            return
        rows = np.arange(n, dtype=np.int64)
        keys = [rows, t.lo, t.hi]
        if self.s.scope == "document":
            keys.append(t.doc)
        order = np.lexsort(keys)
        same = (t.hi[order][1:] == t.hi[order][:-1]) & (t.lo[order][1:] == t.lo[order][:-1])
        if self.s.scope == "document":
            same &= t.doc[order][1:] == t.doc[order][:-1]
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        ends = np.concatenate((starts[1:], [n]))
        multi = np.flatnonzero(ends - starts > 1)
        simple = self.chooser is None and self.s.keep == "first"
        for g in multi:
            members = order[starts[g] : ends[g]]
            if simple:
                surv = int(members[0])  # rows ascending within a group; old rows come first
            else:
                surv = self.choose([int(x) for x in members])
            self.group_of[members] = surv
            for m in members:
                m = int(m)
                if m != surv and not t.old[m]:
                    self.deleted_rule[m] = ("exact", surv, 1.0)

    # -- 2. candidates ----------------------------------------------------------------------------
    def nodes(self) -> tuple[Arr, Arr, Arr]:
        """One node per exact group that has near data: its survivor row, and the chunk and
        near index holding its data (numpy arrays, node order = ascending data row)."""
        t = self.t
        glob: list[Arr] = []
        chunk: list[Arr] = []
        local: list[Arr] = []
        for ci, c in enumerate(t.chunks):
            nr = np.asarray(c.near_row).astype(np.int64)
            glob.append(t.base[ci] + nr)
            chunk.append(np.full(len(nr), ci, dtype=np.int32))
            local.append(np.arange(len(nr), dtype=np.int64))
        if not glob:
            z = np.zeros(0, np.int64)
            return z, z.astype(np.int32), z
        g = np.concatenate(glob)
        grp = self.group_of[g]
        _u, first = np.unique(grp, return_index=True)  # first near row (lowest) of each group
        first.sort()
        return grp[first], np.concatenate(chunk)[first], np.concatenate(local)[first]

    def candidate_pairs(self, node_rows: Arr, node_chunk: Arr, node_local: Arr) -> Arr:
        t = self.t
        n = len(node_rows)
        if n < 2:
            return self.forced_pairs(node_rows)
        per_chunk = []
        for ci in np.unique(node_chunk).tolist():
            nodes = np.flatnonzero(node_chunk == ci)
            per_chunk.append((int(ci), node_local[nodes], nodes))
        doc = t.doc[node_rows] if self.s.scope == "document" else None
        # key-range partitions so that one sort's working set stays under a quarter of the limit
        parts = 1
        if self.s.memory_limit_bytes > 0:
            need = n * 24
            while parts < 4096 and need / parts > self.s.memory_limit_bytes / 4:
                parts *= 2
        shift = np.uint32(32 - int(np.log2(parts))) if parts > 1 else None
        found: list[Arr] = []
        for j in range(self.s.bands):
            keys = np.empty(n, dtype=np.uint32)
            for ci, loc, nodes in per_chunk:
                keys[nodes] = np.asarray(t.chunks[ci].bands[j])[loc]
            for q in range(parts):
                if shift is None:
                    sel = np.arange(n, dtype=np.int64)
                else:
                    sel = np.flatnonzero((keys >> shift) == q)
                if len(sel) < 2:
                    continue
                k = keys[sel]
                order = np.lexsort((sel, k, doc[sel])) if doc is not None else np.lexsort((sel, k))
                ks = k[order]
                ns = sel[order]
                same = ks[1:] == ks[:-1]
                if doc is not None:
                    ds = doc[sel][order]
                    same &= ds[1:] == ds[:-1]
                if not same.any():
                    continue
                # chain pairs (i, i+1) within runs, and star pairs (run start, i)
                a = ns[:-1][same]
                b = ns[1:][same]
                run_start = np.concatenate(([True], ~same))
                start_idx = np.maximum.accumulate(np.where(run_start, np.arange(len(ns)), 0))
                star_a = ns[start_idx[1:][same]]
                lo_ = np.minimum(np.concatenate((a, star_a)), np.concatenate((b, b)))
                hi_ = np.maximum(np.concatenate((a, star_a)), np.concatenate((b, b)))
                keep = lo_ != hi_
                found.append((lo_[keep].astype(np.uint64) << np.uint64(32)) |
                             hi_[keep].astype(np.uint64))
            if len(found) > 16:
                found = [np.unique(np.concatenate(found))]
        found.append(self.forced_pairs(node_rows))
        return np.unique(np.concatenate(found))

    def forced_pairs(self, node_rows: Arr) -> Arr:
        """Within-document near-duplicates found exactly by the per-document analysis."""
        t = self.t
        rows: list[Arr] = []
        for ci, c in enumerate(t.chunks):
            pr = np.asarray(c.pairs)
            if len(pr):
                rows.append(pr.astype(np.int64) + t.base[ci])
        if not rows or len(node_rows) == 0:
            return np.zeros(0, np.uint64)
        pr = np.concatenate(rows)
        grp = self.group_of[pr]  # [k, 2] exact-group survivor rows
        order = np.argsort(node_rows)
        sorted_rows = node_rows[order]
        pos = np.searchsorted(sorted_rows, grp)
        pos = np.minimum(pos, len(sorted_rows) - 1)
        ok = (sorted_rows[pos[:, 0]] == grp[:, 0]) & (sorted_rows[pos[:, 1]] == grp[:, 1])
        a = order[pos[ok, 0]]
        b = order[pos[ok, 1]]
        lo_, hi_ = np.minimum(a, b), np.maximum(a, b)
        keep = lo_ != hi_
        out: Arr = (lo_[keep].astype(np.uint64) << np.uint64(32)) | hi_[keep].astype(np.uint64)
        return out

    # -- 3 + 4. verify and choose ---------------------------------------------------------------
    def gather_sets(self, nodes: Arr, node_chunk: Arr, node_local: Arr) -> tuple[Arr, Arr]:
        """Shingle sets of ``nodes`` (sorted unique node ids) as one compact CSR store, read
        chunk by chunk (from disk when spilled) -- only candidate nodes, never all of them."""
        t = self.t
        vals: list[Arr] = []
        lens = np.zeros(len(nodes), dtype=np.int64)
        order_parts: list[Arr] = []
        for ci in np.unique(node_chunk[nodes]).tolist():
            sel = np.flatnonzero(node_chunk[nodes] == ci)
            c = t.chunks[int(ci)]
            off = np.asarray(c.sh_off)
            li = node_local[nodes[sel]]
            starts, counts = off[li], off[li + 1] - off[li]
            vals.append(np.asarray(c.sh_val)[sh.segment_index(starts, counts)])
            lens[sel] = counts
            order_parts.append(sel)
        # vals are grouped by chunk; re-order them to node order
        store = np.concatenate(vals) if vals else np.zeros(0, np.uint32)
        sel_all = np.concatenate(order_parts) if order_parts else np.zeros(0, np.int64)
        grouped_lens = lens[sel_all]
        grouped_off = np.concatenate(([0], np.cumsum(grouped_lens)))
        pos_of = np.empty(len(nodes), dtype=np.int64)
        pos_of[sel_all] = np.arange(len(sel_all))
        src_start = grouped_off[pos_of]
        out_vals = store[sh.segment_index(src_start, lens)]
        out_off = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
        return out_vals, out_off

    def near(self) -> int:
        t = self.t
        node_rows, node_chunk, node_local = self.nodes()
        pairs = self.candidate_pairs(node_rows, node_chunk, node_local)
        px = (pairs >> np.uint64(32)).astype(np.int64)
        py = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64)
        both_old = t.old[node_rows[px]] & t.old[node_rows[py]] if len(pairs) else px.astype(bool)
        px, py = px[~both_old], py[~both_old]
        used = np.unique(np.concatenate((px, py)))
        vals, off = self.gather_sets(used, node_chunk, node_local)
        thr = self.s.threshold

        def jac_many(x: Arr, y: Arr) -> Arr:
            return jaccard_pairs(vals, off, np.searchsorted(used, x), np.searchsorted(used, y))

        sims = jac_many(px, py)
        ok = sims >= thr
        parent = list(range(len(node_rows)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        linked: set[int] = set()
        for x, y in zip(px[ok].tolist(), py[ok].tolist(), strict=True):
            linked.add(x)
            linked.add(y)
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
        comps: dict[int, list[int]] = {}
        for x in sorted(linked):
            comps.setdefault(find(x), []).append(x)
        for members in comps.values():
            remaining = sorted(members)
            while len(remaining) > 1:
                surv_row = self.choose([int(node_rows[x]) for x in remaining])
                s = next(x for x in remaining if int(node_rows[x]) == surv_row)
                others = np.array([m for m in remaining if m != s], dtype=np.int64)
                msims = jac_many(np.full(len(others), s, dtype=np.int64), others)
                nxt: list[int] = []
                for m, sim in zip(others.tolist(), msims.tolist(), strict=True):
                    mrow = int(node_rows[m])
                    if t.old[mrow] or sim < thr:
                        nxt.append(m)
                    else:
                        self.deleted_rule[mrow] = ("near", surv_row, sim)
                remaining = nxt
        # exact copies of a near-deleted survivor now point at the near survivor
        for row, (rule, kept, _sim) in list(self.deleted_rule.items()):
            if rule == "exact" and kept in self.deleted_rule:
                _r2, kept2, sim2 = self.deleted_rule[kept]
                self.deleted_rule[row] = ("near", kept2, sim2)
        return len(pairs)


def jaccard_pairs(vals: Arr, off: Arr, x: Arr, y: Arr) -> Arr:
    """Exact Jaccard of the sets ``x[i]`` and ``y[i]`` of a CSR store of sorted unique values
    (:func:`._dedup_join.shared_counts` does the vectorised intersection)."""
    inter = jn.shared_counts(vals, off, x, y)
    union = (off[x + 1] - off[x]) + (off[y + 1] - off[y]) - inter
    out: Arr = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return out


def decide(t: Table, settings: PlanSettings, chooser: Chooser | None
           ) -> tuple[Plan, dict[str, int], _Decider]:
    d = _Decider(t, settings, chooser)
    d.exact()
    n_pairs = d.near()
    plan: Plan = {}
    counts = {"exact": 0, "near": 0, "candidate_pairs": n_pairs}
    for row, (rule, kept, sim) in sorted(d.deleted_rule.items()):
        key = int(t.doc[row])
        ordinal = (key >> 32, key & 0xFFFFFFFF)
        plan.setdefault(ordinal, {})[int(t.para[row])] = (
            rule, t.doc_id_of.get(int(t.doc[kept]), ""), int(t.para[kept]), round(sim, 4))
        counts[rule] += 1
    return plan, counts, d
