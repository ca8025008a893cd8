"""PassContext: what passes record, and the edits it resolves them into."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpuskit.model import Document, Edit
from corpuskit.pass_api import PassContext, PassError
from corpuskit.segment import apply_edits, revert_edits


def test_edit_of_equals_the_constructor_and_stays_frozen() -> None:
    args = ("p", "r", "d", "delete", 1, 5, "abcd", "", "why", 3, {"k": 1})
    fast = Edit.of(*args)  # type: ignore[arg-type]
    slow = Edit(*args)  # type: ignore[arg-type]
    assert fast == slow
    assert fast.to_dict() == slow.to_dict()
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.start = 2  # type: ignore[misc]


def test_a_line_is_deleted_the_same_by_index_or_by_object() -> None:
    doc = Document("d", "one\ntwo\n\nthree\n")
    a, b = PassContext("p", doc), PassContext("p", doc)
    a.delete_line(1, rule="r", reason="x")
    b.delete_line(doc.lines[1], rule="r", reason="x")
    assert a.edits() == b.edits()
    assert apply_edits(doc.text, a.edits()) == "one\n\nthree\n"


def test_overlapping_edits_of_different_kinds_are_refused() -> None:
    doc = Document("d", "one\ntwo\nthree")
    ctx = PassContext("p", doc)
    ctx.delete_line(1, rule="r", reason="x")
    ctx.replace(5, 6, "W", rule="r", reason="y")
    with pytest.raises(PassError, match="overlapping"):
        ctx.edits()


@given(st.lists(st.sampled_from(["a", "bb", "", " ", "cc c"]), min_size=1, max_size=12),
       st.data())
def test_mixed_edits_come_out_sorted_and_revert(parts: list[str], data: st.DataObject) -> None:
    doc = Document("d", "\n".join(parts))
    ctx = PassContext("p", doc)
    n = len(doc.line_spans)
    chosen = data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n)) if n else set()
    for i in chosen:
        ctx.delete_line(i, rule="line", reason="x", n=i)
    kept = [i for i in range(n) if i not in chosen]
    if kept:  # a replacement inside a line nobody deletes
        s, _e = doc.line_spans[kept[0]]
        ctx.replace(s, s + 1, "Z", rule="rep", reason="y")
    edits = ctx.edits()
    assert [(x.start, x.end) for x in edits] == sorted((x.start, x.end) for x in edits)
    assert all(a.end <= b.start for a, b in itertools.pairwise(edits))
    assert all(x.before == doc.text[x.start:x.end] for x in edits)
    out = apply_edits(doc.text, edits)
    assert revert_edits(out, edits) == doc.text
