"""JSONL in, JSONL out: compression kept, untouched records byte-identical, bad lines reported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard

from corpuskit.config import Config
from corpuskit.io.jsonl import open_read
from corpuskit.runner import Runner
from corpuskit.session import Session

LINES = [
    b'{"id": "a", "text": "keep me as I am", "lang": "en"}',
    b'{"text": "please shout", "id": "b", "n": 1}',
    b"this is not json",
    b'{"id": "../../x", "text": "escape attempt shout"}',
    b'{"id": "c", "body": "no text field"}',
    b'{"id": "d", "text": "DROP me"}',
]


def _write(path: Path, data: bytes) -> None:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    elif path.name.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("name", ["c.jsonl", "c.jsonl.gz", "c.jsonl.zst"])
def test_jsonl_roundtrip(tmp_path: Path, sample_session: Session, name: str) -> None:
    src = tmp_path / name
    _write(src, b"\n".join(LINES) + b"\n")
    out = tmp_path / ("out-" + name)
    res = Runner(sample_session, Config(pipeline=["shout", "dropper"]), timings=False).run_path(
        src, out)
    with open_read(out) as fh:
        got = fh.read().splitlines()
    assert got[0] == LINES[0]  # untouched record: same bytes
    assert json.loads(got[1]) == {"text": "please SHOUT", "id": "b", "n": 1}  # key order kept
    assert got[2] == LINES[2]  # invalid JSON copied through
    assert got[3] == LINES[3]  # unsafe id copied through, not cleaned
    assert got[4] == LINES[4]
    assert len(got) == 5  # d was dropped
    kinds = sorted(p.kind for p in res.problems)
    assert kinds == ["invalid_id", "invalid_record", "invalid_record"]
    rdir = out.with_name(out.name + ".corpuskit")
    report = json.loads((rdir / "report.json").read_text())
    assert report["input"]["format"] == "jsonl"
    assert not any(p.name == "x" for p in tmp_path.parent.iterdir())
    assert res.exit_code == 1


def test_gzip_output_is_deterministic(tmp_path: Path, sample_session: Session) -> None:
    src = tmp_path / "c.jsonl.gz"
    _write(src, b"\n".join(LINES[:2]) + b"\n")
    outs: list[Any] = []
    for n in range(2):
        out = tmp_path / f"o{n}.jsonl.gz"
        Runner(sample_session, Config(pipeline=["shout"]), timings=False).run_path(src, out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_jsonl_directory(tmp_path: Path, sample_session: Session) -> None:
    d = tmp_path / "in"
    d.mkdir()
    _write(d / "one.jsonl", LINES[0] + b"\n")
    _write(d / "two.jsonl.zst", LINES[1] + b"\n")
    c = Config(pipeline=["shout"])
    c.input.format = "jsonl"
    Runner(sample_session, c, timings=False).run_path(d, tmp_path / "out")
    assert (tmp_path / "out/one.jsonl").read_bytes() == LINES[0] + b"\n"
    with open_read(tmp_path / "out/two.jsonl.zst") as fh:
        assert b"SHOUT" in fh.read()


def test_large_jsonl_is_split_into_shards_with_same_output(
    tmp_path: Path, sample_session: Session
) -> None:
    recs = [json.dumps({"text": f"record {i} shout" if i % 3 else f"record {i}"}).encode()
            for i in range(500)]
    src = tmp_path / "big.jsonl"
    src.write_bytes(b"\n".join(recs) + b"\n")
    outs = []
    for name, shard_bytes, jobs in (("one", 10**9, 1), ("split", 2000, 1), ("split2", 2000, 2)):
        c = Config(pipeline=["shout", "crossdup"], jobs=jobs)
        c.input.shard_bytes = shard_bytes
        out = tmp_path / f"{name}.jsonl"
        res = Runner(sample_session, c, timings=False).run_path(src, out)
        outs.append((out.read_bytes(), (out.with_name(out.name + ".corpuskit") / "report.json")
                     .read_text().replace(f"{name}.jsonl", "X")))
        assert res.report["input"]["documents"] == 500
    assert outs[0][0] == outs[1][0] == outs[2][0]
    assert outs[1][1] == outs[2][1]
    ids = [d["id"] for d in json.loads(outs[1][1])["documents"]]
    assert ids == [f"big.jsonl#{i + 1}" for i in range(500)]
