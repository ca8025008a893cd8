"""pytest fixtures for plugin authors, loaded automatically (``pytest11`` entry point).

This module is imported by *every* pytest run in an environment where corpuskit is installed,
so it imports nothing at module level beyond pytest: each fixture imports
:mod:`corpuskit.testing` when it is first used.

Fixtures:

- ``corpuskit_tree``: ``corpuskit_tree({"a.txt": "...", "sub/b.txt": b"..."})`` writes a small
  corpus under the test's ``tmp_path`` and returns its root.
- ``corpuskit_run``: :func:`corpuskit.testing.run_pass` with an environment cleared of
  ``CORPUSKIT_*`` plugin variables, so a developer's shell cannot change test results.
- ``corpuskit_clean_tree``: :func:`corpuskit.testing.clean_tree` (the file pipeline, output and
  report on disk) with the same isolation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from corpuskit.testing import PassRun, TreeRun

_ENV_VARS = ("CORPUSKIT_DISABLE_PLUGINS", "CORPUSKIT_TRACE_PLUGINS", "CORPUSKIT_NO_CONFIG")


@pytest.fixture
def _corpuskit_clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ignore the caller's plugin-related environment and any corpuskit.toml found upwards."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CORPUSKIT_NO_CONFIG", "1")
    yield


@pytest.fixture
def corpuskit_tree(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing ``{relative path: str | bytes}`` under ``tmp_path / "corpus"``."""
    from corpuskit.testing import make_tree

    def build(files: Mapping[str, str | bytes], name: str = "corpus") -> Path:
        return make_tree(tmp_path / name, files)

    return build


@pytest.fixture
def corpuskit_run(_corpuskit_clean_env: None) -> Callable[..., PassRun]:
    """:func:`corpuskit.testing.run_pass`, isolated from ``CORPUSKIT_*`` variables."""
    from corpuskit.testing import run_pass

    return run_pass


@pytest.fixture
def corpuskit_clean_tree(
    _corpuskit_clean_env: None, tmp_path: Path
) -> Callable[..., TreeRun]:
    """:func:`corpuskit.testing.clean_tree`; output defaults to ``tmp_path / "out"``."""
    from corpuskit.testing import clean_tree

    def run(root: Path, *args: Any, **kwargs: Any) -> TreeRun:
        kwargs.setdefault("output", tmp_path / "out")
        return clean_tree(root, *args, **kwargs)

    return run
