"""The ``corpuskit`` command through its real entry point (``main``), plus one subprocess run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corpuskit.cli import main

SAMPLE = str(Path(__file__).resolve().parents[1] / "_plugins" / "sample_passes.py")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_explain_restore(tmp_path: Path, capsys: Any, make_tree: Any, snap: Any) -> None:
    src = make_tree(tmp_path / "news", {
        "a.txt": "one shout\nshared line here\n",
        "b/c.txt": "shared line here\nother\n",
    })
    code, out, _ = cli(capsys, "clean", str(src), "-p", SAMPLE, "--pipeline", "shout,crossdup",
                       "--no-timings")
    assert code == 0, out
    dest = tmp_path / "news.clean"
    assert (dest / "a.txt").read_text() == "one SHOUT\nshared line here\n"
    assert "shout" in out and "crossdup" in out  # the summary table names the passes
    code, out, _ = cli(capsys, "explain", str(dest), "b/c.txt")
    assert code == 0
    assert "crossdup/cross-doc" in out and "kept copy: a.txt" in out
    code, out, _ = cli(capsys, "restore", str(dest), "-o", str(tmp_path / "restored"))
    assert code == 0
    assert snap(tmp_path / "restored") == snap(src)


def test_dry_run_and_check(tmp_path: Path, capsys: Any, make_tree: Any, snap: Any) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "shout\n"})
    before = snap(tmp_path)
    code, out, _ = cli(capsys, "clean", str(src), "--dry-run", "-p", SAMPLE, "--pipeline", "shout")
    assert code == 0 and "would change" in out and "a.txt" in out
    code, _, _ = cli(capsys, "clean", str(src), "--check", "-p", SAMPLE, "--pipeline", "shout")
    assert code == 1
    assert snap(tmp_path) == before


def test_usage_errors_exit_2(tmp_path: Path, capsys: Any, make_tree: Any) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "x\n"})
    code, _, err = cli(capsys, "clean", str(src), "-o", str(src / "inside"))
    assert code == 2 and "input tree" in err
    code, _, err = cli(capsys, "clean", str(tmp_path / "missing"))
    assert code == 2
    code, _, err = cli(capsys, "clean", str(src), "--pipeline", "nosuchpass")
    assert code == 2 and "nosuchpass" in err


def test_bad_input_exit_1_and_json(tmp_path: Path, capsys: Any, make_tree: Any) -> None:
    src = make_tree(tmp_path / "in", {"a.txt": "fine\n", "b.txt": b"\xff\xfe\x00x\x00\x00\x00"})
    code, out, _ = cli(capsys, "clean", str(src), "--json", "--pipeline", "")
    assert code == 1
    summary = json.loads(out)
    assert summary["problems"][0]["path"] == "b.txt"


def test_passes_and_plugins_listing(capsys: Any) -> None:
    code, out, _ = cli(capsys, "passes", "--json", "-p", SAMPLE)
    assert code == 0
    names = {r["name"]: r for r in json.loads(out)}
    assert names["crossdup"]["scope"] == "corpus"
    assert names["crossdup"]["options"]["min_chars"]["default"] == 5
    code, out, _ = cli(capsys, "plugins", "--json", "-p", SAMPLE)
    rows = {r["name"]: r for r in json.loads(out)}
    assert "corpuskit_register_passes" in rows["sample_passes"]["hooks"]
    assert rows["corpuskit.text"]["builtin"] is True


def test_disable_plugin_with_no_prefix(capsys: Any) -> None:
    code, out, _ = cli(capsys, "passes", "--json", "-p", SAMPLE, "-p", "no:sample_passes")
    assert code == 0
    assert "crossdup" not in {r["name"] for r in json.loads(out)}


def test_broken_plugin_warns_or_fails_when_strict(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "broken_plugin.py"
    bad.write_text("raise ImportError('missing dependency foo')\n")
    code, _, err = cli(capsys, "passes", "-p", str(bad))
    assert code == 0 and "broken_plugin" in err and "missing dependency foo" in err
    code, _, err = cli(capsys, "passes", "-p", str(bad), "--strict-plugins")
    assert code == 2 and "missing dependency foo" in err


def test_module_entry_point_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "corpuskit", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("corpuskit ")
