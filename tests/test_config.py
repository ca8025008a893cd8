from __future__ import annotations

from pathlib import Path

import pytest

from corpuskit.config import Config, apply_set, find_config_file, load_config
from corpuskit.errors import ConfigError


def test_file_discovery_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.corpuskit]\npipeline = ["a", "b"]\n')
    sub = tmp_path / "x" / "y"
    sub.mkdir(parents=True)
    found = find_config_file(sub)
    assert found == tmp_path / "pyproject.toml"
    assert load_config(found).pipeline == ["a", "b"]


def test_tables_and_unknown_keys(tmp_path: Path) -> None:
    f = tmp_path / "corpuskit.toml"
    f.write_text('[input]\ninclude = ["*.md"]\n[passes.dedup]\nthreshold = 0.7\n'
                 '[executor]\nname = "process"\njobs = 3\n[plugins.pii]\ntoken = "X"\n')
    c = load_config(f)
    assert c.input.include == ["*.md"]
    assert c.passes == {"dedup": {"threshold": 0.7}}
    assert (c.executor, c.jobs) == ("process", 3)
    assert c.plugin_settings("pii") == {"token": "X"}
    f.write_text("pipelin = []\n")
    with pytest.raises(ConfigError, match="pipelin"):
        load_config(f)
    f.write_text("[input\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(f)


def test_set_overrides() -> None:
    c = Config()
    apply_set(c, "dedup.threshold=0.9")
    apply_set(c, "dedup.scope=document")
    apply_set(c, "input.max_document_bytes=10")
    apply_set(c, "dedup.shingle=[1, 2]")
    assert c.passes["dedup"] == {"threshold": 0.9, "scope": "document", "shingle": [1, 2]}
    assert c.input.max_document_bytes == 10
    with pytest.raises(ConfigError):
        apply_set(c, "novalue")


def test_fingerprint_ignores_execution_settings() -> None:
    a, b = Config(), Config(jobs=8, executor="process")
    assert a.fingerprint() == b.fingerprint()
    assert a.to_dict() == b.to_dict()
