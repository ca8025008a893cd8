"""The dedup pass end to end: library, runner (inline and process pool), real seeds."""

from __future__ import annotations

import difflib
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpuskit
from corpuskit.config import Config
from corpuskit.model import Document
from corpuskit.plugin_api import hookimpl
from corpuskit.plugins import PluginSpec
from corpuskit.runner import Runner
from corpuskit.segment import revert_edits
from corpuskit.session import Session, SessionSpec

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
SEED_DIFF = "002_607ef6372322371d.txt"

P1 = ("Seven people were killed on Saturday in the southern Kazakh city of Taraz when a "
      "suspected Islamist went on a shooting rampage, officials said.")
P1_EDIT = ("Seven people were killed on Saturday in the southern Kazakh city of Taraz when a "
           "suspected Islamist went on a shooting spree, officials said.")
P2 = ("The interior ministry said earlier the man attacked a weapons store in Taraz, stole two "
      "rifles and killed a security guard.")
P3 = "Kazakh prosecutors last week confirmed that the group was to blame for the explosions."


@pytest.fixture(scope="module")
def session() -> Session:
    return Session(SessionSpec(PluginSpec(entry_points=False)))


def clean(docs: list[Any], session: Session, **opts: Any) -> corpuskit.CleanResult:
    return corpuskit.clean(docs, passes=["dedup"], config={"passes": {"dedup": opts}},
                           session=session)


def seeds() -> Path:
    d = CORPORA / "seeds"
    if not d.is_dir():
        pytest.skip("../shared/corpora not available")
    return d


def words(s: str) -> list[str]:
    return re.findall(r"\w+", s.casefold())


def similar(a: str, b: str) -> float:
    """An independent measure (word-level difflib ratio), not the pass's own Jaccard."""
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|(?<=[a-z]{2}[.!?])(?=[A-Z])", text)
            if len(words(s)) >= 5]


def assert_restorable(res: corpuskit.CleanResult) -> None:
    for o in res.outcomes:
        assert revert_edits(o.doc.text, o.edits) == o.original.text


# ------------------------------------------------------------------------------------------
# behaviour
# ------------------------------------------------------------------------------------------
def test_exact_and_near_duplicates_across_documents_name_the_kept_copy(session: Session) -> None:
    docs = [
        Document("a", f"{P1}\n\n{P2}\n"),
        Document("b", f"{P3}\n\n{P2.upper()}\n\n{P1_EDIT}\n"),
    ]
    res = clean(docs, session)
    out = {d.id: d.text for d in res.documents}
    assert out["a"] == docs[0].text
    assert out["b"] == f"{P3}\n"
    by_rule = {e.rule: e for e in res.edits}
    assert by_rule["exact"].detail["kept"] == {"doc_id": "a", "paragraph": 1}
    assert by_rule["exact"].detail["similarity"] == 1.0
    near = by_rule["near"]
    assert near.detail["kept"] == {"doc_id": "a", "paragraph": 0}
    assert 0.6 <= near.detail["similarity"] < 1.0
    assert "Jaccard" in near.reason
    assert_restorable(res)


def test_keep_longest_policy(session: Session) -> None:
    short = "The blast happened in the centre of the city and more than one person was involved."
    longer = ("The blast happened in the very centre of the old city and more than one person "
              "was involved.")
    res = clean([Document("a", short + "\n"), Document("b", longer + "\n")], session,
                keep="longest")
    # a document whose only paragraph goes keeps its final newline (core deletion rule)
    assert [d.text for d in res.documents] == ["\n", longer + "\n"]
    (edit,) = res.edits
    assert edit.doc_id == "a" and edit.detail["kept"] == {"doc_id": "b", "paragraph": 0}


class PreferDocB:
    """A plugin choosing the survivor: always the copy in document "b" when there is one."""

    seen: list[list[dict[str, Any]]]

    def __init__(self) -> None:
        self.seen = []

    @hookimpl
    def corpuskit_dedup_choose_survivor(self, cluster: list[dict[str, Any]]) -> int | None:
        self.seen.append(cluster)
        for i, item in enumerate(cluster):
            if item["doc_id"] == "b":
                return i
        return None


def test_survivor_hook_overrides_policy() -> None:
    from corpuskit.passes.dedup import corpuskit_addhooks

    plugin = PreferDocB()
    session = Session(SessionSpec(PluginSpec(entry_points=False)))
    # what the plugin host's historic corpuskit_addhooks call does (idempotent)
    corpuskit_addhooks(session.pm)
    session.pm.register(plugin)
    docs = [Document("a", f"{P1}\n\n{P3}\n"), Document("b", f"{P1_EDIT}\n\n{P3}\n")]
    res = corpuskit.clean(docs, passes=["dedup"], session=session)
    out = {d.id: d.text for d in res.documents}
    assert out == {"a": "\n", "b": docs[1].text}
    assert {e.rule for e in res.edits} == {"exact", "near"}
    assert all(e.detail["kept"]["doc_id"] == "b" for e in res.edits)
    assert plugin.seen and all({"doc_id", "paragraph", "ordinal", "length", "words"} <= set(c[0])
                               for c in plugin.seen)


def test_short_lines_only_removed_when_exactly_repeated(session: Session) -> None:
    docs = [
        Document("a", "Recent attacks\nThe man was named Kariyev.\nRed car\n"),
        Document("b", "Recent attacks\nThe man was named Kariyeva.\nRed cars\n"),
    ]
    res = clean(docs, session)
    assert res.documents[1].text == "The man was named Kariyeva.\nRed cars\n"
    (edit,) = res.edits
    assert edit.rule == "exact" and edit.before.startswith("Recent attacks")


def test_short_distinct_paragraphs_never_collapse(session: Session) -> None:
    """Many distinct paragraphs shorter than any shingle (a known bug elsewhere: all of them
    get the empty signature and become "duplicates")."""
    rng = random.Random(5)
    vocab = words(P1 + P2 + P3)
    lines = sorted({" ".join(rng.sample(vocab, rng.randint(1, 3))) for _ in range(300)})
    res = clean([Document(f"d{i}", line + "\n") for i, line in enumerate(lines)], session,
                min_words=1)
    norm = [" ".join(words(x)) for x in lines]
    expected_removed = len(norm) - len(set(norm))  # only normalised-equal lines may go
    assert len(res.edits) == expected_removed
    assert all(e.rule == "exact" for e in res.edits)


def test_scope_document_keeps_cross_document_copies(session: Session) -> None:
    docs = [Document("a", f"{P1}\n\n{P2}\n\n{P2}\n"), Document("b", f"{P1}\n")]
    res = clean(docs, session, scope="document")
    assert [d.text for d in res.documents] == [f"{P1}\n\n{P2}\n", f"{P1}\n"]


def test_news_diff_seed_no_sentence_twice_every_statement_once(session: Session) -> None:
    text = (seeds() / SEED_DIFF).read_text(encoding="utf-8")
    res = clean([Document(SEED_DIFF, text)], session)
    out = res.documents[0].text
    assert_restorable(res)
    out_sents = sentences(out)
    # no sentence twice, not even with a one-word edit (independent measure)
    for i, a in enumerate(out_sents):
        for b in out_sents[i + 1 :]:
            assert similar(a, b) < 0.8, (a, b)
    paras = [p for p in out.split("\n") if p.strip()]
    for i, a in enumerate(paras):
        for b in paras[i + 1 :]:
            assert similar(a, b) < 0.8, (a, b)
    # every distinct statement of the input survives
    for s in sentences(text):
        assert max(similar(s, o) for o in out_sents) >= 0.8, s
    rules = sorted(e.rule for e in res.edits)
    assert rules == ["repeated-sentence"] * 3
    # the one-line repeat is cut out of its line, not the line deleted
    assert ("said it was responsible for that attack.\nUntil this year" in out)
    # and a second run changes nothing
    assert clean([Document(SEED_DIFF, out)], session).edits == []


def test_repeated_sentence_inside_paragraph_is_removed_idempotently(session: Session) -> None:
    s1 = "A previously unknown militant group said it was responsible for that attack."
    s2 = "It gave no further details about its members."
    doc = Document("x", f"{s1}{s1} {s2} {s2}\n")
    res = clean([doc], session)
    assert res.documents[0].text == f"{s1} {s2}\n"
    assert [e.rule for e in res.edits] == ["repeated-sentence", "repeated-sentence"]
    assert_restorable(res)
    assert clean(res.documents, session).edits == []


def test_exact_duplicates_never_reach_minhash(session: Session) -> None:
    from corpuskit.passes.dedup import DedupPass

    p = DedupPass(DedupPass.Options())
    docs = [Document(f"d{i}", f"{P1}\n\n{P2.upper()}\n\n{P2}\n", ordinal=(0, i))
            for i in range(5)]
    state = p.merge([p.scan(docs)])
    (chunk,) = state.chunks
    assert chunk.rows == 15
    assert len(chunk.near_row) == 2  # one signature per distinct normalised text
    plan = p.finalize(state)
    assert sum(len(v) for v in plan.values()) == 13


def test_candidates_are_verified_before_deleting(session: Session) -> None:
    """With one band of one row nearly everything sharing a bigram is a candidate; only pairs
    whose real Jaccard reaches the threshold are removed."""
    from corpuskit.passes._dedup_plan import PlanSettings, build_table, decide
    from corpuskit.passes.dedup import DedupPass

    opts = DedupPass.Options(lsh_bands=1, lsh_rows=1, num_perm=8, threshold=0.9,
                             sentences=False)
    p = DedupPass(opts)
    base = words(P1 + " " + P2)
    rng = random.Random(1)
    docs = []
    for i in range(40):
        w = list(base)
        for _ in range(3):
            w[rng.randrange(len(w))] = rng.choice(base)
        docs.append(Document(f"d{i}", " ".join(w) + "\n", ordinal=(0, i)))
    state = p.merge([p.scan(docs)])
    plan, counts, _d = decide(build_table(None, state),
                              PlanSettings(0.9, "corpus", "first", 1, 0), None)
    assert counts["candidate_pairs"] > 30
    removed = [(o, para, e) for o, ps in plan.items() for para, e in ps.items()]
    for (_shard, pos), _para, (_rule, kept_doc, _kp, sim) in removed:
        a = set(zip(words(docs[pos].text), words(docs[pos].text)[1:], strict=False))
        kept = next(d for d in docs if d.id == kept_doc)
        b = set(zip(words(kept.text), words(kept.text)[1:], strict=False))
        assert len(a & b) / len(a | b) == pytest.approx(sim, abs=1e-3)
        assert sim >= 0.9
    assert len(removed) < counts["candidate_pairs"]


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------
POOL = [P1, P1_EDIT, P2, P3, "Recent attacks", "Short one.",
        "A criminal investigation has been ordered into the killings of the officers.",
        "A criminal investigation has been ordered into the killings of the two officers."]


@st.composite
def corpora(draw: st.DrawFn) -> list[Document]:
    n_docs = draw(st.integers(1, 4))
    docs = []
    for i in range(n_docs):
        paras = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6))
        glue = draw(st.sampled_from([" ", "", "  "]))
        if draw(st.booleans()) and paras:  # a sentence doubled inside one line
            paras[0] = paras[0] + glue + paras[0]
        sep = draw(st.sampled_from(["\n", "\n\n", "\r\n"]))
        docs.append(Document(f"d{i}", sep.join(paras) + draw(st.sampled_from(["", sep]))))
    return docs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora())
def test_property_restorable_and_idempotent(session: Session, docs: list[Document]) -> None:
    res = clean(docs, session)
    assert_restorable(res)
    again = clean([Document(d.id, d.text) for d in res.documents], session)
    assert again.edits == []
    # every deletion names a copy that is still there
    out = {d.id: d for d in res.documents}
    for e in res.edits:
        kept = e.detail["kept"]
        assert kept["doc_id"] in out


# ------------------------------------------------------------------------------------------
# runner: process pool, memory limit, persistent index
# ------------------------------------------------------------------------------------------
def build_tree(root: Path) -> Path:
    src = seeds()
    root.mkdir(parents=True)
    for p in sorted(src.glob("*.txt")):
        (root / p.name).write_bytes(p.read_bytes())
    wiki = CORPORA / "wiki-versions" / "docs"
    for art in ("Book_of_Helaman", "Communications_in_Indonesia", "Demographics_of_India",
                "Demographics_of_Indonesia"):
        for p in sorted((wiki / art).glob("*.txt"))[:4]:
            (root / f"{art}-{p.name}").write_bytes(p.read_bytes())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def run_tree(src: Path, out: Path, **cfg: Any) -> dict[str, Any]:
    opts = cfg.pop("dedup", {})
    config = Config(pipeline=["dedup"], passes={"dedup": opts}, **cfg)
    config.input.shard_bytes = 6000  # several shards
    session = Session(SessionSpec(PluginSpec(entry_points=False)))
    Runner(session, config, timings=False).run_path(src, out)
    report = json.loads((out / ".corpuskit" / "report.json").read_text(encoding="utf-8"))
    report.pop("config")
    return report


def test_process_pool_and_tiny_memory_limit_give_identical_output(tmp_path: Path) -> None:
    src = build_tree(tmp_path / "in")
    ref = run_tree(src, tmp_path / "one", jobs=1)
    two = run_tree(src, tmp_path / "two", executor="process", jobs=2)
    tiny = run_tree(src, tmp_path / "tiny", jobs=1, dedup={"memory_limit_mb": 0.001})
    one = snapshot(tmp_path / "one")
    one.pop(".corpuskit/report.json")  # holds the config (jobs, executor): compared below
    assert len(one) > 10
    for other in ("two", "tiny"):
        snap = snapshot(tmp_path / other)
        snap.pop(".corpuskit/report.json")
        assert snap == one
    assert ref == two
    # the tiny run's report differs only in the option that was set
    assert tiny["passes"][0]["options"].pop("memory_limit_mb") == 0.001
    assert ref["passes"][0]["options"].pop("memory_limit_mb") is None
    assert ref == tiny
    rules = ref["passes"][0]["rules"]
    assert rules.get("exact", 0) > 0 and rules.get("near", 0) > 0
    # a second run over the output removes nothing more
    again = run_tree(tmp_path / "one", tmp_path / "again", jobs=1)
    assert again["passes"][0]["edits"] == 0


def test_persistent_index_old_copies_win_and_params_must_match(
        tmp_path: Path, session: Session) -> None:
    from corpuskit.passes._dedup_index import IndexMismatch

    index = tmp_path / "idx"
    day1 = [Document("old-1", f"{P1}\n\n{P3}\n")]
    r1 = clean(day1, session, index=str(index))
    assert r1.edits == [] and (index / "meta.json").exists()
    day2 = [Document("new-1", f"{P2}\n\n{P1_EDIT}\n\nRecent attacks\n"),
            Document("new-2", f"{P3}\n")]
    r2 = clean(day2, session, index=str(index))
    out = {d.id: d.text for d in r2.documents}
    assert out == {"new-1": f"{P2}\n\nRecent attacks\n", "new-2": "\n"}
    kept = {e.doc_id: e.detail["kept"] for e in r2.edits}
    assert kept == {"new-1": {"doc_id": "old-1", "paragraph": 0},
                    "new-2": {"doc_id": "old-1", "paragraph": 1}}
    # re-running the same batch (a resumed run) is not deduplicated against itself
    r2b = clean(day2, session, index=str(index))
    assert [d.text for d in r2b.documents] == [d.text for d in r2.documents]
    # day 3 sees day 2's kept paragraphs too
    r3 = clean([Document("n3", f"{P2}\n")], session, index=str(index))
    assert r3.edits[0].detail["kept"] == {"doc_id": "new-1", "paragraph": 0}
    meta = json.loads((index / "meta.json").read_text())
    assert meta["params"]["num_perm"] == 128 and len(meta["batches"]) == 3
    with pytest.raises(IndexMismatch, match="other parameters"):
        clean(day2, session, index=str(index), num_perm=64)


def test_spilled_state_is_on_disk_and_gives_the_same_plan(tmp_path: Path) -> None:
    import pickle

    import numpy as np

    from corpuskit.passes.dedup import DedupPass

    text = (seeds() / SEED_DIFF).read_text(encoding="utf-8")
    docs = [Document(f"d{i}", text if i % 2 else f"{P1}\n\n{P2}\n\n{P1_EDIT}\n{text}",
                     ordinal=(i // 3, i % 3)) for i in range(9)]
    free = DedupPass(DedupPass.Options(memory_limit_mb=0))
    tight = DedupPass(DedupPass.Options(memory_limit_mb=0.001, spill_dir=str(tmp_path)))
    ref = free.finalize(free.merge([free.scan(docs[i : i + 3]) for i in range(0, 9, 3)]))
    state = tight.merge([tight.merge([tight.scan(docs[i : i + 3])]) for i in range(0, 9, 3)])
    assert state.chunks and all(c.spilled for c in state.chunks)
    assert isinstance(state.chunks[0].bands, np.memmap)
    assert any(tmp_path.rglob("*.npy"))
    copy = pickle.loads(pickle.dumps(state))  # crossing a process boundary carries the data
    assert not copy.chunks[0].spilled
    assert np.array_equal(copy.chunks[0].bands, state.chunks[0].bands)
    assert tight.finalize(state) == ref == tight.finalize(copy)
    assert sum(len(v) for v in ref.values()) > 5


def test_repeats_of_a_paragraph_that_loses_its_sentence_go_too() -> None:
    """demokratiewebstatt.at (trafilatura-eval): the title sentence opens the page, then stands
    alone three times. The first lone copy loses it to the opening line; its exact repeats
    used to be left for the paragraph rule, which then kept one, and a second clean removed
    it. Every lone copy must go in the first run, and the second run must change nothing."""
    title = "Woher kommt die dicke Luft?"
    body = ("Eines der großen Probleme, mit denen wir zu kämpfen haben, ist die "
            "Luftverschmutzung. Aber woher kommt eigentlich die dicke Luft in den Städten?")
    text = "\n".join([f"{title} - DemokratieWEBstatt.at", "Menü", title, "Thema", title,
                      body, "Weiter", title, ""])
    first = corpuskit.clean([text], passes=["dedup"])
    out = first.documents[0].text
    assert out.count(title) == 1 and out.startswith(title)
    assert body in out
    second = corpuskit.clean([out], passes=["dedup"])
    assert second.edits == []
    assert revert_edits(out, first.edits) == text
