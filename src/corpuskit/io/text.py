"""A directory tree of text files (or one file): one file is one document, its id the path."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path

from corpuskit.config import InputSettings
from corpuskit.io.atomic import atomic_copy, atomic_write_bytes
from corpuskit.io.base import Passthrough, ReadEnv, ReadItem, Shard
from corpuskit.model import Document, Problem, ProblemAction, Source
from corpuskit.plugin_api import hookimpl
from corpuskit.registry import FormatRegistrar


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def walk_files(root: Path, settings: InputSettings, *, extra_ok: bool) -> list[tuple[str, int]]:
    """Sorted (relative path, size) of files under ``root``; hidden files and dirs skipped.

    ``extra_ok`` lets extension-less files in (they are checked for text when read).
    """
    out: list[tuple[str, int]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root)
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            rel = fn if rel_dir == "." else f"{rel_dir}/{fn}".replace(os.sep, "/")
            if settings.exclude and _matches(rel, settings.exclude):
                continue
            if not (_matches(rel, settings.include) or (extra_ok and "." not in fn)):
                continue
            full = Path(dirpath) / fn
            try:
                size = full.stat().st_size
            except OSError:
                size = 0  # dangling link or unreadable: reported when read
            out.append((rel, size))
    out.sort()
    return out


class TextTreeFormat:
    """Plain-text files; output is the same tree, UTF-8, line endings as they were."""

    name = "text"

    def claims(self, input_path: Path) -> bool:
        return input_path.is_dir() or not input_path.name.endswith(
            (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".json.zst")
        )

    def list_files(self, input_path: Path, settings: InputSettings) -> list[tuple[str, int]]:
        if input_path.is_file():
            return [(input_path.name, input_path.stat().st_size)]
        return walk_files(input_path, settings, extra_ok=settings.extensionless)

    def read(self, shard: Shard, env: ReadEnv) -> Iterator[ReadItem]:
        settings = env.settings
        action: ProblemAction = "copied" if settings.on_bad_input == "copy" else "skipped"
        for pos, rel in enumerate(shard.files):
            path = env.root / rel
            extensionless = "." not in rel.rsplit("/", 1)[-1]
            try:
                size = path.stat().st_size
                if size > settings.max_document_bytes:
                    yield Passthrough(
                        Problem(
                            "too_large",
                            f"{size} bytes is over input.max_document_bytes "
                            f"({settings.max_document_bytes}); not cleaned",
                            path=rel,
                            doc_id=rel,
                            action=action,
                        ),
                        rel,
                    )
                    continue
                data = path.read_bytes()
            except OSError as exc:
                yield Passthrough(
                    Problem(
                        "unreadable",
                        f"cannot read: {exc.strerror or exc}",
                        path=rel,
                        doc_id=rel,
                        action="skipped",
                    ),
                    rel,
                )
                continue
            if not data:
                yield Passthrough(
                    Problem("empty", "empty file", path=rel, doc_id=rel, action="copied"), rel
                )
                continue
            dec = env.decode(data, rel)
            if dec.problem is not None or dec.text is None:
                if extensionless:
                    continue  # an extension-less file that is not text is not part of the corpus
                yield Passthrough(
                    Problem(
                        dec.problem or "undecodable",
                        dec.message or "could not decode",
                        path=rel,
                        doc_id=rel,
                        action=action,
                    ),
                    rel,
                )
                continue
            yield Document(
                id=rel,
                text=dec.text,
                source=Source(
                    path=rel, format=self.name, encoding=dec.encoding, bom=dec.bom
                ),
                ordinal=(shard.index, pos),
                segmentation=settings.segmentation,
            )

    def writer(self, out_root: Path, shard: Shard, env: ReadEnv) -> TextTreeWriter:
        return TextTreeWriter(out_root, env)


class TextTreeWriter:
    """Writes each document to the same relative path, atomically."""

    def __init__(self, out_root: Path, env: ReadEnv) -> None:
        self.out_root = out_root
        self.env = env

    def write(self, doc: Document) -> None:
        data = doc.text.encode("utf-8")
        if doc.source.encoding == "utf-8-sig":
            data = b"\xef\xbb\xbf" + data
        atomic_write_bytes(self.out_root / doc.source.path, data)

    def write_passthrough(self, item: Passthrough) -> None:
        if item.data is not None:
            atomic_write_bytes(self.out_root / item.path, item.data)
        else:
            atomic_copy(self.env.root / item.path, self.out_root / item.path)

    def close(self) -> None:
        pass


@hookimpl
def corpuskit_register_formats(register: FormatRegistrar) -> None:
    register(TextTreeFormat())
