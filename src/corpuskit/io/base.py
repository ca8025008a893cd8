"""What a corpus format provides, and the records that flow between reader, runner and writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from corpuskit.model import Document, Problem, ProblemKind

if TYPE_CHECKING:
    from corpuskit.config import InputSettings


@dataclass(frozen=True)
class Decoded:
    """Result of ``corpuskit_decode``: text and how it was encoded, or why it is not text."""

    text: str | None
    encoding: str = "utf-8"
    bom: bool = False
    problem: ProblemKind | None = None
    message: str = ""
    confidence: float = 1.0


@dataclass(frozen=True)
class Shard:
    """A unit of parallel work: whole input files, or a byte range of one large splittable
    file (uncompressed JSONL; a compressed file is never split).

    Shards are cut from sizes and sorted paths only, so the same input always gives the same
    shards, whatever the number of workers.
    """

    index: int
    files: tuple[str, ...]
    size: int
    byte_range: tuple[int, int] | None = None
    """For a part of one file: [start, end) in bytes; records starting in it belong to it."""
    part: int = 0
    """Position of this part among the parts of its file (0 for whole files)."""
    first_line: int = 0
    """Number of lines in the file before ``byte_range`` starts (ranges start at a line)."""


@dataclass(frozen=True)
class Passthrough:
    """An input unit that could not become a document: copied through unchanged or skipped."""

    problem: Problem
    path: str
    data: bytes | None = None
    """Bytes to copy (a JSONL line); None means copy the input file ``path`` itself."""


ReadItem = Document | Passthrough
Decoder = Callable[[bytes, str], Decoded]


@dataclass(frozen=True)
class ReadEnv:
    """What a reader needs from the session: settings, the decoder hook, the shard's index."""

    root: Path
    settings: InputSettings
    decode: Decoder
    shard_index: int


class Writer(Protocol):
    """Writes one shard's output under the staging directory."""

    def write(self, doc: Document) -> None: ...

    def write_passthrough(self, item: Passthrough) -> None: ...

    def close(self) -> None: ...


class Format(Protocol):
    """A corpus format. Register an instance through ``corpuskit_register_formats``."""

    name: str

    def claims(self, input_path: Path) -> bool:
        """Whether this format recognises ``input_path`` (a file or a directory)."""
        ...

    def list_files(self, input_path: Path, settings: InputSettings) -> list[tuple[str, int]]:
        """Sorted (relative POSIX path, size) of the input files under the root."""
        ...

    def read(self, shard: Shard, env: ReadEnv) -> Iterator[ReadItem]:
        """Documents (and passthroughs) of a shard, in a deterministic order."""
        ...

    def writer(self, out_root: Path, shard: Shard, env: ReadEnv) -> Writer:
        """A writer for the shard's output files under ``out_root``."""
        ...


def safe_relative(path: str) -> str | None:
    """The path as a safe relative POSIX path inside an output dir, or None if it would escape.

    Rejects absolute paths, drive letters, ``..`` components, NUL and empty names.
    """
    if not path or "\x00" in path or "\\" in path:
        return None
    p = PurePosixPath(path)
    if p.is_absolute() or any(part in ("..", "") for part in p.parts):
        return None
    if ":" in p.parts[0]:
        return None
    norm = str(p)
    if norm in (".", ""):
        return None
    return norm
