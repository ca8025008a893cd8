"""A run killed with SIGKILL at any point resumes to byte-identical output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

SAMPLE = str(Path(__file__).resolve().parent / "_plugins" / "sample_passes.py")
ARGS = ["-p", SAMPLE, "--pipeline", "shout,crossdup,slow", "--set", "input.shard_bytes=400",
        "--no-timings", "-q"]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "corpuskit", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.parametrize("phase_files", ["scan-", "result-"])
def test_kill_minus_9_then_resume(
    tmp_path: Path, make_tree: Any, snap: Any, phase_files: str
) -> None:
    files = {f"d{i:03d}.txt": f"doc {i} shout\nA shared line of text\n" for i in range(40)}
    src = make_tree(tmp_path / "in", files)
    ref = _cli("clean", str(src), "-o", str(tmp_path / "ref"), *ARGS, "-j", "1")
    assert ref.wait(120) == 0
    out = tmp_path / "out"
    staging = tmp_path / ".out.corpuskit-partial" / "state"
    proc = _cli("clean", str(src), "-o", str(out), *ARGS, "-j", "2",
                env={"CORPUSKIT_TEST_SLOW": "0.05"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = list(staging.glob(f"{phase_files}*.pkl")) if staging.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert not out.exists(), "a killed run must not leave a finished-looking output"
    refused = _cli("clean", str(src), "-o", str(out), *ARGS)
    assert refused.wait(60) == 2
    resumed = _cli("clean", str(src), "-o", str(out), *ARGS, "--resume")
    assert resumed.wait(120) == 0
    assert snap(out) == snap(tmp_path / "ref")
    assert not staging.parent.exists()
