"""End-to-end runs of the runner over real files on disk, with the test plugin loaded by path."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from corpuskit.config import Config
from corpuskit.errors import ConfigError, OutputError
from corpuskit.model import Edit
from corpuskit.runner import Runner, staging_for
from corpuskit.segment import revert_all
from corpuskit.session import Session

TEST_PIPELINE = ["shout", "crossdup", "dropper", "explode"]


def cfg(**kw: Any) -> Config:
    c = Config(pipeline=list(TEST_PIPELINE), **kw)
    return c


CORPUS = {
    "a.txt": "First line here\nshout it out\nA shared line of text\n",
    "sub/b.txt": "Another doc\nA shared line of text\nlast line without newline",
    "sub/deeper/c.txt": "DROP this whole document\nA shared line of text\n",
    "d.txt": "Windows\r\nline endings\r\nA shared line of text\r\n",
    "notes": "extension-less text file, shout\n",
    "image.png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "bin.txt": b"abc\x00\x00def",
    "latin.txt": "caf\xe9 cr\xe8me\n".encode("latin-1"),
    "empty.txt": b"",
    ".hidden/x.txt": "hidden dirs are skipped\n",
}


def run(session: Session, src: Path, out: Path, **kw: Any) -> Any:
    config = kw.pop("config", None) or cfg()
    return Runner(session, config, timings=False).run_path(src, out, **kw)


def test_clean_tree_writes_same_tree_and_report(
    tmp_path: Path, sample_session: Session, make_tree: Any, snap: Any
) -> None:
    src = make_tree(tmp_path / "in", CORPUS)
    before = snap(src)
    out = tmp_path / "out"
    res = run(sample_session, src, out)
    assert snap(src) == before, "input tree must never change"
    assert (out / "a.txt").read_text() == "First line here\nSHOUT it out\nA shared line of text\n"
    # the shared line survives only in the first document of corpus order (a.txt)
    assert (out / "sub/b.txt").read_text() == "Another doc\nlast line without newline"
    assert (out / "d.txt").read_bytes() == b"Windows\r\nline endings\r\n"
    assert not (out / "sub/deeper/c.txt").exists()  # dropped
    assert (out / "notes").read_text() == "extension-less text file, SHOUT\n"
    assert not (out / "image.png").exists()  # not part of the corpus
    assert not (out / ".hidden").exists()
    # bad inputs are copied through unchanged and named with a reason
    assert (out / "bin.txt").read_bytes() == CORPUS["bin.txt"]
    assert (out / "latin.txt").read_bytes() == CORPUS["latin.txt"]
    kinds = {p.path: p.kind for p in res.problems}
    assert kinds["bin.txt"] == "binary"
    assert kinds["empty.txt"] == "empty"
    assert "latin.txt" in kinds and kinds["latin.txt"] in ("undecodable",)
    assert res.exit_code == 1
    report = json.loads((out / ".corpuskit" / "report.json").read_text())
    assert report["exit_code"] == 1
    docs = {d["id"]: d for d in report["documents"]}
    assert docs["sub/deeper/c.txt"]["status"] == "dropped"
    edit = docs["sub/b.txt"]["edits"][0]
    assert edit["pass"] == "crossdup" and edit["detail"]["kept"]["doc_id"] == "a.txt"
    assert not staging_for(out).exists()


def test_edits_in_report_restore_every_input(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    src = make_tree(tmp_path / "in", {k: v for k, v in CORPUS.items() if isinstance(v, str)})
    out = tmp_path / "out"
    run(sample_session, src, out)
    report = json.loads((out / ".corpuskit" / "report.json").read_text())
    for rec in report["documents"]:
        edits = [Edit.from_dict(e) for e in rec["edits"]]
        cleaned = "" if rec["status"] == "dropped" else (out / rec["path"]).read_bytes().decode()
        restored = revert_all(cleaned, edits, report["pipeline"])
        assert restored == (src / rec["path"]).read_bytes().decode(), rec["id"]
    # edits.jsonl holds the same edits
    lines = (out / ".corpuskit" / "edits.jsonl").read_text().splitlines()
    assert len(lines) == sum(len(r["edits"]) for r in report["documents"])


def test_second_clean_changes_nothing(
    tmp_path: Path, sample_session: Session, make_tree: Any, snap: Any
) -> None:
    src = make_tree(tmp_path / "in", {k: v for k, v in CORPUS.items() if isinstance(v, str)})
    run(sample_session, src, tmp_path / "out1")
    res = run(sample_session, tmp_path / "out1", tmp_path / "out2")
    assert res.report["input"]["documents_changed"] == 0
    a = {k: v for k, v in snap(tmp_path / "out1").items() if not k.startswith(".corpuskit")}
    b = {k: v for k, v in snap(tmp_path / "out2").items() if not k.startswith(".corpuskit")}
    assert a == b


def test_same_bytes_for_every_worker_count(
    tmp_path: Path, sample_session: Session, make_tree: Any, snap: Any
) -> None:
    files = {f"d{i:03d}.txt": f"doc {i}\nA shared line of text\nline {i % 7} repeats\n"
             for i in range(60)}
    src = make_tree(tmp_path / "in", files)
    small_shards = Config(pipeline=list(TEST_PIPELINE))
    small_shards.input.shard_bytes = 300  # many shards, so workers really split the work
    outs = []
    for name, jobs, executor in (("j1", 1, "inline"), ("j2", 2, "process"), ("j3", 3, "process")):
        c = Config(pipeline=list(TEST_PIPELINE), executor=executor, jobs=jobs)
        c.input.shard_bytes = 300
        run(sample_session, src, tmp_path / name, config=c)
        outs.append(snap(tmp_path / name))
    assert outs[0] == outs[1] == outs[2]
    assert any(k.endswith("report.json") for k in outs[0])


def test_dry_run_touches_nothing(
    tmp_path: Path, sample_session: Session, make_tree: Any, snap: Any
) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "shout\n"})
    before = snap(tmp_path)
    res = run(sample_session, src, tmp_path / "out", dry_run=True)
    assert snap(tmp_path) == before
    assert res.output is None
    assert res.report["input"]["documents_changed"] == 1
    assert res.changed[0]["id"] == "a.txt"


def test_refuses_output_inside_input_and_nonempty_output(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "x\n"})
    with pytest.raises(OutputError, match="inside"):
        run(sample_session, src, src / "clean")
    busy = make_tree(tmp_path / "busy", {"keep.txt": "mine\n"})
    with pytest.raises(OutputError, match="--force"):
        run(sample_session, src, busy)
    assert (busy / "keep.txt").read_text() == "mine\n"
    run(sample_session, src, busy, force=True)
    assert not (busy / "keep.txt").exists() and (busy / "a.txt").exists()


def test_interrupted_run_is_refused_then_resumed_identically(
    tmp_path: Path, sample_session: Session, make_tree: Any, snap: Any
) -> None:
    files = {f"d{i:03d}.txt": f"doc {i}\nA shared line of text\n" for i in range(30)}
    src = make_tree(tmp_path / "in", files)
    c = cfg()
    c.input.shard_bytes = 200
    run(sample_session, src, tmp_path / "ref", config=c)
    # simulate a crash: run fully into a staging dir, then remove some finished shards' results
    out = tmp_path / "out"
    runner = Runner(sample_session, c, timings=False)
    staging = staging_for(out)
    _state, data = runner._prepare_staging(staging, src, runner.session.format("text").list_files(
        src, c.input), resume=False, force=False)
    (data / "d000.txt").write_text("half-written garbage")
    with pytest.raises(OutputError, match="--resume"):
        run(sample_session, src, out, config=c)
    run(sample_session, src, out, config=c, resume=True)
    assert snap(out) == snap(tmp_path / "ref")
    assert not staging.exists()


def test_resume_refuses_a_different_config(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "x\n"})
    out = tmp_path / "out"
    runner = Runner(sample_session, cfg(), timings=False)
    runner._prepare_staging(staging_for(out), src, [], resume=False, force=False)
    with pytest.raises(OutputError, match="cannot resume"):
        run(sample_session, src, out, resume=True)


def test_failing_pass_is_isolated_per_document(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    src = make_tree(tmp_path / "in", {"ok.txt": "shout\n", "bad.txt": "EXPLODE shout\n"})
    res = run(sample_session, src, tmp_path / "out")
    assert (tmp_path / "out/ok.txt").read_text() == "SHOUT\n"
    # the failing pass ran last, so earlier passes' edits on bad.txt still apply
    assert (tmp_path / "out/bad.txt").read_text() == "EXPLODE SHOUT\n"
    (problem,) = [p for p in res.problems if p.kind == "pass_error"]
    assert problem.doc_id == "bad.txt" and problem.pass_name == "explode"
    assert "sample_passes" in problem.plugin and "boom" in problem.message
    assert res.exit_code == 1


def test_too_large_and_unreadable_files(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    big_line = "x" * 5000
    src = make_tree(tmp_path / "in", {"big.txt": big_line, "ok.txt": "fine\n"})
    os.symlink(tmp_path / "nowhere", src / "dangling.txt")
    (src / "dir.txt").mkdir()
    c = cfg()
    c.input.max_document_bytes = 1000
    res = run(sample_session, src, tmp_path / "out", config=c)
    kinds = {p.path: (p.kind, p.action) for p in res.problems}
    assert kinds["big.txt"] == ("too_large", "copied")
    assert kinds["dangling.txt"][0] == "unreadable"
    assert (tmp_path / "out/big.txt").read_text() == big_line
    assert not (tmp_path / "out/dangling.txt").exists()
    assert res.exit_code == 1


def test_skip_policy_leaves_bad_files_out(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    src = make_tree(tmp_path / "in", {"bin.txt": b"\x00\x01", "ok.txt": "fine\n"})
    c = cfg()
    c.input.on_bad_input = "skip"
    res = run(sample_session, src, tmp_path / "out", config=c)
    assert not (tmp_path / "out/bin.txt").exists()
    assert [p.action for p in res.problems] == ["skipped"]


def test_utf8_bom_is_kept(tmp_path: Path, sample_session: Session, make_tree: Any) -> None:
    src = make_tree(tmp_path / "in", {"bom.txt": b"\xef\xbb\xbfhello shout\n"})
    res = run(sample_session, src, tmp_path / "out")
    assert (tmp_path / "out/bom.txt").read_bytes() == b"\xef\xbb\xbfhello SHOUT\n"
    assert res.report["input"]["encodings"] == {"utf-8-sig": 1}


def test_unknown_pass_and_bad_options_are_config_errors(
    tmp_path: Path, sample_session: Session
) -> None:
    with pytest.raises(ConfigError, match="unknown pass"):
        Runner(sample_session, Config(pipeline=["nope"]))
    with pytest.raises(ConfigError, match="min_chars"):
        Runner(sample_session, Config(pipeline=["crossdup"],
                                      passes={"crossdup": {"min_chars": "many"}}))
    with pytest.raises(ConfigError, match="min_charz"):
        Runner(sample_session, Config(pipeline=["crossdup"],
                                      passes={"crossdup": {"min_charz": 3}}))


def test_seeds_run_end_to_end_with_default_pipeline(
    tmp_path: Path, seeds_dir: Path, snap: Any
) -> None:
    session = Session()
    res = Runner(session, Config(), timings=False).run_path(seeds_dir, tmp_path / "out")
    assert res.exit_code == 0
    assert res.report["input"]["documents"] == 2
    Runner(session, Config(), timings=False).run_path(seeds_dir, tmp_path / "out2")
    assert snap(tmp_path / "out") == snap(tmp_path / "out2")


def test_report_matches_its_published_schema(
    tmp_path: Path, sample_session: Session, make_tree: Any
) -> None:
    import importlib.resources

    import jsonschema

    schema = json.loads(
        importlib.resources.files("corpuskit.report").joinpath("schema.json").read_text()
    )
    src = make_tree(tmp_path / "in", CORPUS)
    run(sample_session, src, tmp_path / "out")
    report = json.loads((tmp_path / "out/.corpuskit/report.json").read_text())
    jsonschema.validate(report, schema)
    timed = Runner(sample_session, cfg(), timings=True).run_path(src, tmp_path / "out2")
    jsonschema.validate(json.loads(timed.report_path.read_text()), schema)
    # durations live beside the report, which stays byte-identical to the untimed run's
    assert timed.report_path.read_bytes() == (tmp_path / "out/.corpuskit/report.json").read_bytes()
    timings = json.loads((tmp_path / "out2/.corpuskit/timings.json").read_text())
    assert timings == timed.timings and timings["total"] > 0
    assert timings["execution"]["executor"] == cfg().executor
    assert not (tmp_path / "out/.corpuskit/timings.json").exists()


def test_encoding_detection_follows_the_input_config(tmp_path: Path, make_tree: Any) -> None:
    latin = "caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("cp1252")
    src = make_tree(tmp_path / "in", {"latin.txt": latin})
    session = Session()
    detected = Runner(session, Config(pipeline=[]), timings=False).run_path(src, tmp_path / "a")
    assert (tmp_path / "a/latin.txt").read_text(encoding="utf-8") == "café crème brûlée\n"
    assert detected.report["input"]["encodings"] == {"cp1252": 1}
    strict = Config(pipeline=[])
    strict.input.detect_encoding = False
    res = Runner(session, strict, timings=False).run_path(src, tmp_path / "b")
    assert [p.kind for p in res.problems] == ["undecodable"]
