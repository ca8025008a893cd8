"""Check that a Ray worker rebuilt the same plugins as the driver before it touches a shard.

Workers rebuild the corpuskit session from the phase context's :class:`SessionSpec`: built-ins,
installed entry points and ``-p`` modules, loaded *on the worker's node*. On one machine that is
the same set as the driver's. On a cluster, a node without a plugin (or with another version, or
where it fails to import) would silently run a different pipeline, and the output would depend
on which node a shard landed on. A local process pool cannot meet this, so the check lives here:
the driver sends a fingerprint of its plugins with each phase and a worker whose own fingerprint
differs fails the task with a message naming both.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

from corpuskit import Session, __version__
from corpuskit.session import SessionSpec

Fingerprint = tuple[Any, ...]


class PluginMismatchError(RuntimeError):
    """A worker node has other plugins (or versions) than the driver."""


def fingerprint(spec: SessionSpec) -> Fingerprint:
    """corpuskit's version, every plugin (name, distribution, version, loaded or failed) and
    every registered pass (name, provider, version), as a session built from ``spec`` sees them
    on this machine."""
    session = Session(spec)
    plugins = tuple(sorted((i.name, i.dist, _file_version(i.module) or i.version, not i.error)
                           for i in session.plugin_infos))
    passes = tuple(sorted((name, reg.plugin, str(getattr(reg.obj, "version", "")))
                          for name, reg in session.passes.items.items()))
    return (__version__, plugins, passes)


def _file_version(ref: str) -> str:
    """A plugin loaded from a ``.py`` path has no version: use a digest of the file, so that a
    node holding another copy of the file is caught too."""
    if not ref.endswith(".py"):
        return ""
    try:
        return "sha1:" + hashlib.sha1(Path(ref).read_bytes()).hexdigest()[:12]
    except OSError:
        return "unreadable"


def spec_of(context: Any) -> SessionSpec | None:
    """The spec a runner phase context carries; None for other contexts (plain ``map`` use)
    and for in-memory sessions, which never leave the driver's process."""
    spec = getattr(context, "spec", None)
    if isinstance(spec, SessionSpec) and not spec.token:
        return spec
    return None


_CHECKED: dict[SessionSpec, Fingerprint] = {}


def check_worker(spec: SessionSpec, expected: Fingerprint) -> None:
    """Raise :class:`PluginMismatchError` if this worker's plugins differ from ``expected``."""
    mine = _CHECKED.get(spec)
    if mine is None:
        mine = _CHECKED[spec] = fingerprint(spec)
    if mine == expected:
        return
    raise PluginMismatchError(
        f"Ray worker on {socket.gethostname()} does not have the driver's corpuskit plugins; "
        "install the same corpuskit and plugin versions on every node (or pass a runtime_env). "
        f"driver: {_describe(expected)}; worker: {_describe(mine)}"
    )


def _describe(fp: Fingerprint) -> str:
    version, plugins, passes = fp
    loaded = ", ".join(f"{n}={v}" + ("" if ok else " (failed)") for n, _d, v, ok in plugins)
    names = ", ".join(f"{n}@{v}" for n, _p, v in passes)
    return f"corpuskit {version}; plugins [{loaded}]; passes [{names}]"
