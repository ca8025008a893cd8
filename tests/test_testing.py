"""corpuskit.testing: the harness plugin authors test their passes with, and its fixtures."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from pydantic import Field

from corpuskit import ConfigError, Document, Pass, PassContext, PassOptions, hookimpl
from corpuskit.testing import (
    PassRun,
    PassRunError,
    TreeRun,
    assert_idempotent,
    assert_invariants,
    assert_revertible,
    clean_tree,
    document_texts,
    make_tree,
    read_tree,
    run_pass,
    run_passes,
)


class CensorOptions(PassOptions):
    word: str = Field("darn", description="Word to mask.")


class Censor(Pass):
    """Masks a word: a replace edit per occurrence (idempotent: the mask is not the word)."""

    name = "censor"
    Options = CensorOptions

    def apply(self, doc: Document, ctx: PassContext) -> None:
        word = self.options.word  # type: ignore[attr-defined]
        start = doc.text.find(word)
        while start >= 0:
            ctx.replace(start, start + len(word), "*" * len(word), rule="word", reason="masked")
            start = doc.text.find(word, start + len(word))


class DropSpam(Pass):
    name = "dropspam"

    def apply(self, doc: Document, ctx: PassContext) -> None:
        ctx.tag("spam", "spam" in doc.text)
        if "spam" in doc.text:
            ctx.drop(rule="spam", reason="mentions spam")
            ctx.count("spam")


class Exclaim(Pass):
    """Not idempotent on purpose: appends '!' every time it runs."""

    name = "exclaim"

    def apply(self, doc: Document, ctx: PassContext) -> None:
        ctx.replace(len(doc.text), len(doc.text), "!", rule="bang", reason="excited")


class Crash(Pass):
    name = "crash"

    def apply(self, doc: Document, ctx: PassContext) -> None:
        if "boom" in doc.text:
            raise RuntimeError("boom inside the pass")


class OtherCensor(Pass):
    name = "censor"

    def apply(self, doc: Document, ctx: PassContext) -> None:
        pass


class _RegistersOther:
    """A plugin object registering a different class under the name 'censor'."""

    __name__ = "registers_other"

    @hookimpl
    def corpuskit_register_passes(self, register: Callable[[type[Pass]], None]) -> None:
        register(OtherCensor)


def test_run_pass_exposes_texts_edits_rules() -> None:
    run = run_pass(Censor, ["oh darn it, darn\n", "clean\n"])
    assert run.texts == ["oh **** it, ****\n", "clean\n"]
    assert run.outputs == run.texts
    assert run.rules == {"word": 2}
    assert [(e.start, e.end, e.before) for e in run.edits] == [(3, 7, "darn"), (12, 16, "darn")]
    assert run.edits_of(1) == [] and run.dropped == [] and run.problems == []
    assert run.pass_order == ["censor"]
    assert_invariants(run)


def test_options_and_single_string_input() -> None:
    run = run_pass(Censor, "heck and darn", {"word": "heck"})
    assert run.text == "**** and darn"
    assert run.report["passes"][0]["options"] == {"word": "heck"}
    with pytest.raises(ConfigError, match="invalid options"):
        run_pass(Censor, "x", {"wrod": "heck"})


def test_back_to_back_runs_use_their_own_options() -> None:
    """Regression: the runner's pass cache once handed a run the passes (and options) of the
    previous one when their contexts shared an id."""
    for i in range(100):
        assert run_pass(Censor, "darn").text == "****"
        word = f"w{i}"
        assert run_pass(Censor, f"{word} darn", {"word": word}).text == "*" * len(word) + " darn"


def test_documents_keep_their_ids_and_drops_are_reported() -> None:
    docs = [Document(id="a", text="ham\n"), Document(id="b", text="spam\n")]
    run = run_pass(DropSpam, docs)
    assert run.dropped == ["b"] and run.outputs == ["ham\n", None] and run.texts == ["ham\n"]
    assert run.tags == [{"spam": False}, {"spam": True}]
    assert run.counters == {"spam": 1}
    assert run.edits[0].kind == "drop" and run.edits[0].before == "spam\n"
    assert_invariants(run)  # a dropped document reverts from nothing to its text


def test_several_passes_in_order() -> None:
    run = run_passes([Censor, DropSpam], ["darn spam", "darn ham"])
    assert run.pass_order == ["censor", "dropspam"]
    assert run.outputs == [None, "**** ham"]
    assert_revertible(run)


def test_assert_idempotent_catches_a_pass_that_changes_its_own_output() -> None:
    run = run_pass(Exclaim, "hi")
    assert run.text == "hi!"
    assert_revertible(run)
    with pytest.raises(AssertionError, match="second run changed its own output"):
        assert_idempotent(run)


def test_assert_revertible_catches_a_corrupted_edit() -> None:
    run = run_pass(Censor, "darn")
    outcome = run.outcomes[0]
    outcome.edits[0] = dataclasses.replace(outcome.edits[0], before="dang")
    with pytest.raises(AssertionError, match="reverting the edits gives 'dang'"):
        assert_revertible(run)


def test_a_crashing_pass_fails_the_test_unless_check_is_off() -> None:
    with pytest.raises(PassRunError, match=r"\[doc-1\].*boom inside the pass"):
        run_pass(Crash, ["fine", "boom"])
    run = run_pass(Crash, ["fine", "boom"], check=False)
    assert run.texts == ["fine", "boom"]
    assert [p.kind for p in run.problems] == ["pass_error"]


def test_a_shadowed_class_and_an_unknown_name_are_explained() -> None:
    with pytest.raises(PassRunError, match="registered by plugin 'registers_other'"):
        run_pass(Censor, "x", plugins=[_RegistersOther()])
    with pytest.raises(PassRunError, match="no pass named 'nosuchpass'"):
        run_pass("nosuchpass", "x")


def test_a_pass_by_name_from_a_plugin_object() -> None:
    run = run_pass("censor", "darn", plugins=[_RegistersOther()], entry_points=False)
    assert run.text == "darn"  # OtherCensor does nothing
    assert run.session.provider_of("censor") == "registers_other"


def test_make_tree_writes_exact_bytes_and_refuses_escapes(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "c", {"a.txt": "one\r\ntwo\n", "sub/b.txt": b"\xff\xfeh\x00"})
    assert (root / "a.txt").read_bytes() == b"one\r\ntwo\n"
    assert (root / "sub" / "b.txt").read_bytes() == b"\xff\xfeh\x00"
    for bad in ("../x.txt", "/abs.txt"):
        with pytest.raises(ValueError, match="inside the root"):
            make_tree(tmp_path / "c", {bad: "x"})


def test_clean_tree_runs_the_file_pipeline(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "corpus", {"a.txt": "darn it\r\n", "d/b.txt": "fine\n"})
    run = clean_tree(root, [Censor], output=tmp_path / "out")
    assert run.files == {"a.txt": "**** it\r\n", "d/b.txt": "fine\n"}
    assert run.exit_code == 0 and run.report_path is not None and run.report_path.is_file()
    assert run.report["pipeline"] == ["censor"]
    assert read_tree(root) == {"a.txt": "darn it\r\n", "d/b.txt": "fine\n"}  # input untouched


def test_fixtures(
    corpuskit_tree: Callable[..., Path],
    corpuskit_run: Callable[..., PassRun],
    corpuskit_clean_tree: Callable[..., TreeRun],
    tmp_path: Path,
) -> None:
    root = corpuskit_tree({"x.txt": "darn\n"})
    assert root == tmp_path / "corpus" and (root / "x.txt").read_text() == "darn\n"
    assert corpuskit_run(Censor, "darn").text == "****"
    assert corpuskit_clean_tree(root, [Censor]).files == {"x.txt": "****\n"}
    assert (tmp_path / "out" / "x.txt").is_file()


def test_fixtures_ignore_plugin_environment_variables(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    import os

    monkeypatch.setenv("CORPUSKIT_DISABLE_PLUGINS", "encoding,dedup")
    request.getfixturevalue("corpuskit_run")
    assert "CORPUSKIT_DISABLE_PLUGINS" not in os.environ


def test_the_pytest_plugin_is_loaded_by_entry_point(tmp_path: Path) -> None:
    """A plugin author's test file gets the fixtures without any conftest."""
    (tmp_path / "test_author.py").write_text(textwrap.dedent("""
        from corpuskit import Pass

        class Upper(Pass):
            name = "upper"
            def apply(self, doc, ctx):
                ctx.replace(0, len(doc.text), doc.text.upper(), rule="up", reason="shout")

        def test_it(corpuskit_run, corpuskit_tree):
            assert corpuskit_run(Upper, "abc").text == "ABC"
            assert (corpuskit_tree({"a.txt": "x"}) / "a.txt").exists()
    """))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


@settings(max_examples=40, deadline=None)
@given(document_texts())
def test_document_texts_make_segmentable_documents(text: str) -> None:
    """The strategy's texts have paragraphs with exact offsets, and a replace-everywhere pass
    keeps the invariants on all of them."""
    doc = Document(id="h", text=text)
    assert doc.paragraphs and all(text[p.start:p.end] == p.text for p in doc.paragraphs)
    run = run_pass(Censor, text + " the", {"word": "the"})
    assert_invariants(run)
