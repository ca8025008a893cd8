"""Shared fixtures for the core tests: small corpora built in tmp_path, sessions with the test
plugin loaded by path (so process workers can load it too)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from corpuskit.plugins import PluginSpec
from corpuskit.session import Session, SessionSpec

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpora"
SAMPLE_PLUGIN = str(Path(__file__).resolve().parent / "_plugins" / "sample_passes.py")

# compiled line filters go to a cache of the test run's own (subprocesses inherit it), not to
# the user's ~/.cache; the first test that needs the built-in rules' filter compiles it
_CACHE = None
if "CORPUSKIT_CACHE_DIR" not in os.environ:
    _CACHE = os.environ["CORPUSKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="corpuskit-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CACHE is not None:
        shutil.rmtree(_CACHE, ignore_errors=True)


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8"))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (hidden report dir included) with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def sample_session() -> Session:
    """The core alone (built-in passes blocked, so the strict core decoder is in charge) plus
    the test passes."""
    blocked = ("encoding", "copyright", "boilerplate", "dedup")
    return Session(SessionSpec(PluginSpec(extra=(SAMPLE_PLUGIN,), blocked=blocked)))


@pytest.fixture
def seeds_dir() -> Path:
    d = SHARED / "seeds"
    if not d.is_dir():
        pytest.skip("../shared/corpora not available")
    return d


@pytest.fixture
def make_tree():  # type: ignore[no-untyped-def]
    return write_tree


@pytest.fixture
def snap():  # type: ignore[no-untyped-def]
    return snapshot
