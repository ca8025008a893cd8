"""Writes that never leave a half-written file where a finished one is expected."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def _tmp_for(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{os.getpid()}.tmp")


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to a temporary sibling, fsync-free, then rename it over ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_for(dest)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_copy(src: Path, dest: Path) -> None:
    """Copy a file's bytes (streamed, so a huge file costs no memory) and rename into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_for(dest)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def is_within(child: Path, parent: Path) -> bool:
    """Whether ``child`` is ``parent`` or below it, after resolving links."""
    c = child.resolve()
    p = parent.resolve()
    return c == p or p in c.parents
