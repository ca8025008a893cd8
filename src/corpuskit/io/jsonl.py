"""JSON Lines (plain, .gz, .zst): one record is one document; other fields pass through.

A record whose text no pass changed is written back as its original bytes, so an untouched
record is byte-identical in the output, whatever JSON formatting the producer used.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from corpuskit.config import InputSettings
from corpuskit.io.base import Passthrough, ReadEnv, ReadItem, Shard, safe_relative
from corpuskit.io.text import walk_files
from corpuskit.model import Document, Problem, ProblemAction, Source
from corpuskit.plugin_api import hookimpl
from corpuskit.registry import FormatRegistrar

SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst")


def compression_of(name: str) -> str:
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".zst"):
        return "zstd"
    return "none"


def open_read(path: Path) -> IO[bytes]:
    """Binary reader that decompresses by suffix."""
    comp = compression_of(path.name)
    if comp == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if comp == "zstd":
        import zstandard

        fh = open(path, "rb")  # noqa: SIM115 - closed through the stream reader
        reader = zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)
        return io.BufferedReader(reader)
    return open(path, "rb")


class _CompressedOut:
    """Deterministic compressed output (gzip with mtime 0 and no name; zstd level 3)."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.raw = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        comp = compression_of(dest.name)
        self.stream: IO[bytes]
        if comp == "gzip":
            self.stream = gzip.GzipFile(  # type: ignore[assignment]
                filename="", mode="wb", fileobj=self.raw, mtime=0
            )
        elif comp == "zstd":
            import zstandard

            self.stream = zstandard.ZstdCompressor(level=3).stream_writer(self.raw, closefd=False)
        else:
            self.stream = self.raw

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def close(self) -> None:
        if self.stream is not self.raw:
            self.stream.close()
        self.raw.close()
        os.replace(self.tmp, self.dest)

    def abort(self) -> None:
        try:
            if self.stream is not self.raw:
                self.stream.close()
            self.raw.close()
        finally:
            self.tmp.unlink(missing_ok=True)


class JsonlFormat:
    """JSON Lines files; output keeps names, record order and compression."""

    name = "jsonl"

    def claims(self, input_path: Path) -> bool:
        if input_path.is_file():
            return input_path.name.endswith(SUFFIXES)
        return False

    def list_files(self, input_path: Path, settings: InputSettings) -> list[tuple[str, int]]:
        if input_path.is_file():
            return [(input_path.name, input_path.stat().st_size)]
        s = InputSettings(**settings.__dict__)
        if s.include == ["*.txt"]:
            s.include = [f"*{suf}" for suf in SUFFIXES]
        return walk_files(input_path, s, extra_ok=False)

    def split(self, path: Path, shard_bytes: int) -> list[tuple[int, int, int]] | None:
        """Cut an uncompressed JSONL file into line-aligned byte ranges of about
        ``shard_bytes``, with the line number each starts at (one sequential read)."""
        if compression_of(path.name) != "none":
            return None
        ranges: list[tuple[int, int, int]] = []
        start, lines_before = 0, 0
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(shard_bytes)
                if not chunk:
                    break
                tail = fh.readline()  # finish the line the chunk cut through
                end = start + len(chunk) + len(tail)
                ranges.append((start, end, lines_before))
                lines_before += chunk.count(b"\n") + tail.count(b"\n")
                start = end
        return ranges

    def finish(self, out_root: Path, shards: Sequence[Shard]) -> None:
        """Concatenate the parts written for a split file, in order, into the file itself."""
        parts: dict[str, list[Path]] = {}
        for sh in shards:
            if sh.byte_range is not None:
                parts.setdefault(sh.files[0], []).append(_part_path(out_root, sh))
        for rel, paths in parts.items():
            dest = out_root / rel
            tmp = dest.with_name(f".{dest.name}.join.tmp")
            with open(tmp, "wb") as out:
                for p in paths:
                    with open(p, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
            os.replace(tmp, dest)
            for p in paths:
                p.unlink()

    def read(self, shard: Shard, env: ReadEnv) -> Iterator[ReadItem]:
        settings = env.settings
        bad_action: ProblemAction = "copied" if settings.on_bad_input == "copy" else "skipped"
        pos = 0
        for rel in shard.files:
            try:
                fh = (
                    _open_range(env.root / rel, shard.byte_range)
                    if shard.byte_range is not None
                    else open_read(env.root / rel)
                )
            except OSError as exc:
                yield Passthrough(
                    Problem("unreadable", f"cannot read: {exc}", path=rel, action="skipped"),
                    rel,
                    data=b"",
                )
                continue
            with fh:
                lineno = 0
                if shard.byte_range is not None:
                    lineno = shard.first_line
                try:
                    for raw in fh:
                        lineno += 1
                        item = self._record(raw, rel, lineno, env, bad_action, shard.index, pos)
                        pos += 1
                        if item is not None:
                            yield item
                except (OSError, EOFError, ValueError) as exc:
                    yield Passthrough(
                        Problem(
                            "unreadable",
                            f"stopped reading at line {lineno + 1}: {exc}",
                            path=rel,
                            action="skipped",
                        ),
                        rel,
                        data=b"",
                    )

    def _record(
        self,
        raw: bytes,
        rel: str,
        lineno: int,
        env: ReadEnv,
        bad_action: ProblemAction,
        shard_index: int,
        pos: int,
    ) -> ReadItem | None:
        settings = env.settings
        line = raw.rstrip(b"\r\n")
        where = f"{rel}#{lineno}"
        if not line.strip():
            return None
        if len(line) > settings.max_document_bytes:
            return Passthrough(
                Problem(
                    "too_large",
                    f"record of {len(line)} bytes is over input.max_document_bytes",
                    path=rel,
                    doc_id=where,
                    action=bad_action,
                ),
                rel,
                data=raw if raw.endswith(b"\n") else raw + b"\n",
            )
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return self._bad(
                raw, rel, where, "invalid_record", f"not valid JSON: {exc}", bad_action
            )
        if not isinstance(rec, dict):
            return self._bad(
                raw, rel, where, "invalid_record", "record is not an object", bad_action
            )
        text = rec.get(settings.text_key)
        if not isinstance(text, str):
            return self._bad(
                raw,
                rel,
                where,
                "invalid_record",
                f"no string field {settings.text_key!r}",
                bad_action,
            )
        raw_id = rec.get(settings.id_key)
        doc_id = where if raw_id is None else str(raw_id)
        if safe_relative(doc_id) is None:
            return self._bad(
                raw,
                rel,
                where,
                "invalid_id",
                f"id {doc_id!r} is not a safe relative name (absolute, '..' or empty); "
                "record not cleaned",
                bad_action,
            )
        meta = {k: v for k, v in rec.items() if k != settings.text_key}
        return Document(
            id=doc_id,
            text=text,
            metadata={"_jsonl_raw": line, **meta},
            source=Source(path=rel, format=self.name, index=lineno),
            ordinal=(shard_index, pos),
            segmentation=settings.segmentation,
        )

    @staticmethod
    def _bad(
        raw: bytes, rel: str, where: str, kind: Any, msg: str, action: ProblemAction
    ) -> Passthrough:
        return Passthrough(
            Problem(kind, msg, path=rel, doc_id=where, action=action),
            rel,
            data=raw if raw.endswith(b"\n") else raw + b"\n",
        )

    def writer(self, out_root: Path, shard: Shard, env: ReadEnv) -> JsonlWriter:
        return JsonlWriter(out_root, shard, env)


def _open_range(path: Path, byte_range: tuple[int, int]) -> IO[bytes]:
    """The bytes of a line-aligned range (see :meth:`JsonlFormat.split`)."""
    start, end = byte_range
    with open(path, "rb") as fh:
        fh.seek(start)
        return io.BytesIO(fh.read(end - start))


def _part_path(out_root: Path, shard: Shard) -> Path:
    dest = out_root / shard.files[0]
    return dest.with_name(f".{dest.name}.part-{shard.part:06d}")


class JsonlWriter:
    """One output file per input file; records in input order."""

    def __init__(self, out_root: Path, shard: Shard, env: ReadEnv) -> None:
        self.out_root = out_root
        self.shard = shard
        self.env = env
        self.current: str | None = None
        self.out: _CompressedOut | None = None
        self.done: set[str] = set()

    def _switch(self, rel: str) -> _CompressedOut:
        if self.current != rel:
            if self.out is not None:
                self.out.close()
                self.done.add(self.current or "")
            self.current = rel
            dest = (
                _part_path(self.out_root, self.shard)
                if self.shard.byte_range is not None
                else self.out_root / rel
            )
            self.out = _CompressedOut(dest)
        assert self.out is not None
        return self.out

    def write(self, doc: Document) -> None:
        out = self._switch(doc.source.path)
        raw = doc.metadata.get("_jsonl_raw")
        original = None
        if isinstance(raw, bytes):
            try:
                original = orjson.loads(raw).get(self.env.settings.text_key)
            except orjson.JSONDecodeError:  # pragma: no cover - it parsed when read
                original = None
        if isinstance(raw, bytes) and original == doc.text:
            out.write(raw + b"\n")
            return
        rec: dict[str, Any] = {}
        text_written = False
        source_rec = orjson.loads(raw) if isinstance(raw, bytes) else None
        keys = list(source_rec) if isinstance(source_rec, dict) else []
        meta = {k: v for k, v in doc.metadata.items() if k != "_jsonl_raw"}
        for k in keys:
            if k == self.env.settings.text_key:
                rec[k] = doc.text
                text_written = True
            else:
                rec[k] = meta.get(k)
        for k, v in meta.items():
            rec.setdefault(k, v)
        if not text_written:
            rec[self.env.settings.text_key] = doc.text
        out.write(orjson.dumps(rec) + b"\n")

    def write_passthrough(self, item: Passthrough) -> None:
        out = self._switch(item.path)
        if item.data:
            out.write(item.data)

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.done.add(self.current or "")
            self.out = None
        for rel in self.shard.files:  # inputs whose every record was dropped still get a file
            if rel not in self.done:
                self._switch(rel)
                assert self.out is not None
                self.out.close()
                self.out = None


@hookimpl
def corpuskit_register_formats(register: FormatRegistrar) -> None:
    register(JsonlFormat())
