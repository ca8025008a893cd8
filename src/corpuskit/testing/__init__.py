"""Test helpers for pass authors: run a pass in a few lines and check the invariants.

Everything goes through the real :class:`corpuskit.Session` and runner, exactly as
``corpuskit clean`` would run the pass, so a test that passes here tells the truth about the
installed plugin. Typical use::

    from corpuskit.testing import run_pass, assert_invariants

    def test_shouts() -> None:
        run = run_pass(Shout, ["hello\\n", "world\\n"], options={"suffix": "!"})
        assert run.texts == ["HELLO!\\n", "WORLD!\\n"]
        assert run.rules == {"shout": 2}
        assert_invariants(run)   # edits undo to the input; a second run changes nothing

The pytest fixtures in :mod:`corpuskit.testing.pytest_plugin` (``corpuskit_run``,
``corpuskit_tree``, ``corpuskit_clean_tree``) wrap the same functions.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from corpuskit.api import CleanResult, clean
from corpuskit.config import Config, config_from_dict
from corpuskit.model import Document, Edit, Problem
from corpuskit.pass_api import Pass
from corpuskit.plugin_api import hookimpl
from corpuskit.plugins import PluginSpec
from corpuskit.process import Outcome
from corpuskit.registry import PassRegistrar
from corpuskit.segment import revert_all
from corpuskit.session import Session, SessionSpec

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "PassRun",
    "PassRunError",
    "TreeRun",
    "assert_discovered",
    "assert_idempotent",
    "assert_invariants",
    "assert_revertible",
    "clean_tree",
    "document_texts",
    "make_tree",
    "read_tree",
    "run_pass",
    "run_passes",
]

PassRef = type[Pass] | str
"""A pass given as its class (registered for the test) or by its registered name."""
DocInput = str | Document


class PassRunError(AssertionError):
    """The harness could not run the pass as asked, or the pass raised on a document.

    An ``AssertionError`` so that pytest shows it as a test failure with the message, not as
    an error inside the harness. The runner itself never raises for a failing pass (it reports
    and goes on); the harness does, because a test should not pass over a crash.
    """


class _ClassRegistrar:
    """An in-memory plugin that registers the pass classes under test."""

    def __init__(self, classes: Sequence[type[Pass]]) -> None:
        self.classes = list(classes)
        self.__name__ = "corpuskit.testing:" + ",".join(c.__qualname__ for c in classes)

    @hookimpl
    def corpuskit_register_passes(self, register: PassRegistrar) -> None:
        for cls in self.classes:
            register(cls)


def _pass_name(ref: PassRef) -> str:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, type) and issubclass(ref, Pass):
        return ref.name
    raise TypeError(f"expected a Pass subclass or a pass name, got {ref!r}")


_SESSIONS: dict[tuple[Any, ...], Session] = {}
_MAX_SESSIONS = 32


def _build_session(
    passes: Sequence[PassRef], plugins: Sequence[object], entry_points: bool | None
) -> Session:
    """A session holding the given plugins and classes; fails loudly if a class is shadowed.

    Sessions are cached per (classes, plugins, entry_points, plugin environment): a
    hypothesis test calls ``run_pass`` hundreds of times, and building a session imports and
    registers every plugin each time.
    """
    classes = [p for p in passes if not isinstance(p, str)]
    if entry_points is None:
        # classes under test: isolate them from whatever else is installed; names: the user's
        # real environment, which is what they want to check
        entry_points = not classes
    key: tuple[Any, ...] = (tuple(classes), tuple(plugins), entry_points,
                            os.environ.get("CORPUSKIT_DISABLE_PLUGINS", ""))
    try:
        session = _SESSIONS.get(key)
    except TypeError:  # an unhashable plugin object: no caching
        key, session = (), None
    if session is None:
        session = _new_session(classes, plugins, entry_points)
        if key:
            if len(_SESSIONS) >= _MAX_SESSIONS:
                _SESSIONS.pop(next(iter(_SESSIONS)))
            _SESSIONS[key] = session
    registered = session.pass_classes()
    for ref in passes:
        name = _pass_name(ref)
        if name not in registered:
            known = ", ".join(sorted(registered)) or "none"
            errors = "; ".join(session.plugin_errors) or "none"
            raise PassRunError(
                f"no pass named {name!r} (registered: {known}; plugin errors: {errors}); is its "
                "plugin installed (pip install -e), or given with plugins=[module]?"
            )
    return session


def _new_session(classes: list[type[Pass]], plugins: Sequence[object],
                 entry_points: bool) -> Session:
    extra: list[object] = list(plugins)
    if classes:
        extra.append(_ClassRegistrar(classes))
    session = Session(SessionSpec(PluginSpec(entry_points=entry_points)), plugins=extra)
    registered = session.pass_classes()
    for cls in classes:
        got = registered.get(cls.name)
        if got is None or got.obj is not cls:
            where = f"plugin {got.plugin!r}" if got else "nobody (registration failed)"
            raise PassRunError(
                f"pass name {cls.name!r} is registered by {where}, not by the class under test "
                f"{cls.__module__}.{cls.__qualname__}; rename it or pass entry_points=False"
            )
    broken = [i.error for i in session.plugin_infos if i.error and i.dist == "in-memory"]
    if broken:
        raise PassRunError("plugin(s) under test failed: " + "; ".join(broken))
    return session


def _clean(docs: list[Document], cfg: Config, session: Session) -> CleanResult:
    """``corpuskit.clean`` with the runner's per-process pass cache emptied first.

    The runner caches built passes under ``id(PhaseContext)``; once a context is freed a new
    one can get the same id and reuse passes built with another run's options (about 1 run
    in 10 when one session runs back to back, as here). Until the runner holds its context,
    the harness starts each run with an empty cache.
    """
    from corpuskit import runner

    runner._PASSES.clear()
    return clean(docs, config=cfg, session=session)


def _as_docs(docs: str | Iterable[DocInput]) -> list[Document]:
    if isinstance(docs, str):
        docs = [docs]  # one text is one document, not one document per character
    out: list[Document] = []
    for i, d in enumerate(docs):
        if isinstance(d, Document):
            out.append(d)
        elif isinstance(d, str):
            out.append(Document(id=f"doc-{i}", text=d))
        else:
            raise TypeError(f"expected str or Document, got {type(d).__name__}")
    return out


def _config(config: Mapping[str, Any] | Config | None) -> Config:
    if isinstance(config, Config):
        return config
    return config_from_dict(dict(config or {}))


@dataclass
class PassRun:
    """What a pipeline did to in-memory documents, in input order, with assertion helpers."""

    result: CleanResult
    inputs: list[Document]
    pass_order: list[str]
    session: Session
    config: Config

    @property
    def outcomes(self) -> list[Outcome]:
        return self.result.outcomes

    @property
    def outputs(self) -> list[str | None]:
        """Output text of every input document, ``None`` where it was dropped."""
        return [None if o.dropped else o.doc.text for o in self.outcomes]

    @property
    def texts(self) -> list[str]:
        """Output texts of the documents that were kept (dropped ones left out)."""
        return [o.doc.text for o in self.outcomes if not o.dropped]

    @property
    def text(self) -> str | None:
        """The output of a run over exactly one document (``None`` if it was dropped)."""
        if len(self.outcomes) != 1:
            raise PassRunError(f".text needs one input document, the run had {len(self.outcomes)}")
        return self.outputs[0]

    @property
    def edits(self) -> list[Edit]:
        return self.result.edits

    def edits_of(self, index: int) -> list[Edit]:
        """Edits of the ``index``-th input document."""
        return list(self.outcomes[index].edits)

    @property
    def dropped(self) -> list[str]:
        """Ids of the dropped documents, in input order."""
        return [o.original.id for o in self.outcomes if o.dropped]

    @property
    def tags(self) -> list[dict[str, Any]]:
        """Tags of every input document (``ctx.tag``), in input order."""
        return [dict(o.tags) for o in self.outcomes]

    @property
    def rules(self) -> dict[str, int]:
        """How many edits each rule made: ``{"email": 2}``."""
        return dict(Counter(e.rule for e in self.edits))

    @property
    def counters(self) -> dict[str, int]:
        """Counters the passes kept with ``ctx.count``, summed over the run (all passes)."""
        out: dict[str, int] = {}
        for entry in self.report.get("passes", []):
            for k, v in entry.get("counters", {}).items():
                out[k] = out.get(k, 0) + v
        return out

    @property
    def problems(self) -> list[Problem]:
        return self.result.problems

    @property
    def report(self) -> dict[str, Any]:
        return self.result.report


def run_passes(
    passes: Sequence[PassRef],
    docs: str | Iterable[DocInput],
    *,
    config: Mapping[str, Any] | Config | None = None,
    plugins: Sequence[object] = (),
    entry_points: bool | None = None,
    check: bool = True,
) -> PassRun:
    """Run ``passes`` in the given order over in-memory documents.

    ``passes`` are classes or registered names. A class is registered for this run by an
    in-memory plugin; ``plugins`` adds plugin modules or objects (to test hooks other than
    pass registration). ``entry_points`` loads installed plugins; it defaults to off when a
    class is given (the test sees only the core and what it names) and on when every pass is
    named (the test sees what ``corpuskit clean`` would). ``config`` is shaped like
    corpuskit.toml. With ``check`` (the default) a pass that raises on a document fails the
    test instead of being reported and skipped as in a real run.
    """
    session = _build_session(passes, plugins, entry_points)
    cfg = _config(config)
    names = [_pass_name(p) for p in passes]
    cfg.pipeline = names
    inputs = _as_docs(docs)
    result = _clean(inputs, cfg, session)
    run = PassRun(result, inputs, names, session, cfg)
    if check:
        failures = [f"[{p.doc_id}] {p.message}" for p in run.problems if p.kind == "pass_error"]
        if failures:
            raise PassRunError("pass failed: " + "; ".join(failures))
    return run


def run_pass(
    pass_: PassRef,
    docs: str | Iterable[DocInput],
    options: Mapping[str, Any] | None = None,
    *,
    plugins: Sequence[object] = (),
    config: Mapping[str, Any] | None = None,
    entry_points: bool | None = None,
    check: bool = True,
) -> PassRun:
    """Run one pass over documents (strings or :class:`corpuskit.Document`) with ``options``.

    ``run_pass(MyPass, ["text one", "text two"], {"threshold": 2})``. A single string is one
    document. See :func:`run_passes` for the other arguments.
    """
    name = _pass_name(pass_)
    data: dict[str, Any] = dict(config or {})
    if options is not None:
        pass_opts = dict(data.get("passes", {}))
        pass_opts[name] = {**pass_opts.get(name, {}), **options}
        data["passes"] = pass_opts
    return run_passes([pass_], docs, config=data, plugins=plugins,
                      entry_points=entry_points, check=check)


# -- invariants -------------------------------------------------------------------------------
def assert_revertible(run: PassRun) -> None:
    """Undoing every recorded edit, last pass first, gives back each input text exactly.

    This is what ``corpuskit restore`` relies on: an edit whose ``before`` is not the text it
    replaced, or offsets that drift, make it fail here first.
    """
    for o in run.outcomes:
        out = "" if o.dropped else o.doc.text
        try:
            back = revert_all(out, o.edits, run.pass_order)
        except ValueError as exc:
            raise AssertionError(f"[{o.original.id}] edits do not revert: {exc}") from None
        if back != o.original.text:
            raise AssertionError(
                f"[{o.original.id}] reverting the edits gives {back!r}, "
                f"not the input {o.original.text!r}"
            )


def assert_idempotent(run: PassRun) -> None:
    """Running the same pipeline over its own output changes nothing and drops nothing.

    The kept output documents are run again, together (corpus passes see the cleaned corpus),
    with the same session and config.
    """
    kept = [o.doc for o in run.outcomes if not o.dropped]
    again = _clean(kept, run.config, run.session)
    changed = [o for o in again.outcomes if o.edits]
    if changed:
        lines = [
            f"[{o.original.id}] {e.pass_name}/{e.rule} {e.kind} {e.before!r} -> {e.after!r}"
            for o in changed for e in o.edits
        ]
        raise AssertionError("a second run changed its own output:\n" + "\n".join(lines[:20]))
    errors = [p.message for p in again.problems if p.kind == "pass_error"]
    if errors:
        raise AssertionError("the second run failed: " + "; ".join(errors))


def assert_invariants(run: PassRun) -> None:
    """:func:`assert_revertible` and :func:`assert_idempotent`: what every pass must keep."""
    assert_revertible(run)
    assert_idempotent(run)


def assert_discovered(name: str) -> type[Pass]:
    """Check that an installed plugin provides the pass ``name`` with no configuration at all
    (entry point group ``corpuskit``), as ``corpuskit passes`` would show it; returns the class."""
    session = Session()
    registered = session.pass_classes()
    if name not in registered:
        errors = "; ".join(session.plugin_errors) or "none"
        raise AssertionError(
            f"no installed plugin registers a pass {name!r} (plugin errors: {errors}); is the "
            "package installed and its [project.entry-points.corpuskit] table right?"
        )
    cls: type[Pass] = registered[name].obj
    return cls


# -- corpora on disk --------------------------------------------------------------------------
def make_tree(root: Path | str, files: Mapping[str, str | bytes]) -> Path:
    """Write ``{"a.txt": "text", "sub/b.txt": b"bytes"}`` under ``root`` and return it.

    Strings are written as UTF-8 with their line endings untouched (``\\r\\n`` stays), bytes
    as they are (for encoding tests). Paths are POSIX, relative, without ``..``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"tree paths must be relative and stay inside the root: {rel!r}")
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` as ``{posix relative path: text}``, hidden ones left out."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            full = Path(dirpath) / fn
            out[full.relative_to(root).as_posix()] = full.read_bytes().decode("utf-8")
    return out


@dataclass
class TreeRun:
    """A file-tree run: the output directory, its files, and the report as written."""

    output: Path
    files: dict[str, str]
    report: dict[str, Any]
    exit_code: int
    report_path: Path | None


def clean_tree(
    root: Path,
    passes: Sequence[PassRef] | None = None,
    *,
    config: Mapping[str, Any] | Config | None = None,
    plugins: Sequence[object] = (),
    entry_points: bool | None = None,
    output: Path | None = None,
) -> TreeRun:
    """Clean a corpus on disk as ``corpuskit clean ROOT -o OUTPUT`` would (atomic output,
    report.json), and read the output back. ``passes=None`` runs the default pipeline."""
    from corpuskit import runner  # the file pipeline is only needed here

    session = _build_session(list(passes or []), plugins, entry_points)
    cfg = _config(config)
    if passes is not None:
        cfg.pipeline = [_pass_name(p) for p in passes]
    runner._PASSES.clear()  # see _clean
    result = runner.Runner(session, cfg, timings=False).run_path(Path(root), output)
    assert result.output is not None
    return TreeRun(result.output, read_tree(result.output), result.report, result.exit_code,
                   result.report_path)


# -- hypothesis -------------------------------------------------------------------------------
def document_texts(max_paragraphs: int = 6) -> SearchStrategy[str]:
    """A hypothesis strategy for document-like texts: paragraphs of words and punctuation,
    separated by single or blank lines, ``\\n`` or ``\\r\\n``, with or without a final newline.

    Plain ``st.text()`` rarely produces paragraphs at all; this one exercises segmentation and
    offsets the way real files do. Needs hypothesis (imported on first call).
    """
    from hypothesis import strategies as st

    word = st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéñ", min_size=1, max_size=10),
        st.sampled_from(["The", "and", "2024", "3.5", "…", "—", "e.g.", "Straße", "日本"]),
    )
    line = st.lists(word, min_size=1, max_size=14).map(" ".join)
    punct = st.sampled_from(["", ".", "!", "?", ":", " ..."])
    sentence = st.tuples(line, punct).map("".join)
    para = st.lists(sentence, min_size=1, max_size=3)
    nl = st.sampled_from(["\n", "\r\n"])

    @st.composite
    def build(draw: st.DrawFn) -> str:
        eol = draw(nl)
        paras = draw(st.lists(para, min_size=1, max_size=max_paragraphs))
        text = eol.join(paras[0])
        for p in paras[1:]:
            text += draw(st.sampled_from([eol, eol * 2])) + eol.join(p)
        return text + (eol if draw(st.booleans()) else "")

    return build()
