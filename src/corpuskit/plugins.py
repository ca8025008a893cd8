"""Building the plugin manager: built-ins, entry points, extra modules, with failure isolation.

Built-in passes, formats and executors are ordinary plugins registered exactly like a
third-party one (as pytest does with its own plugins). A plugin that fails to import or to
register is recorded and reported; the run goes on without it unless ``strict`` is set.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from corpuskit import hookspecs
from corpuskit.errors import PluginLoadError

ENTRY_POINT_GROUP = "corpuskit"

ESSENTIAL_PLUGINS: tuple[tuple[str, str], ...] = (
    ("corpuskit.decode", "corpuskit.io.decode"),
    ("corpuskit.text", "corpuskit.io.text"),
    ("corpuskit.jsonl", "corpuskit.io.jsonl"),
    ("corpuskit.executors", "corpuskit.executors.local"),
)
"""Core modules that cannot be disabled: without them nothing can be read or run."""

DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("encoding", "corpuskit.passes.encoding"),
    ("copyright", "corpuskit.passes.copyright"),
    ("boilerplate", "corpuskit.passes.boilerplate"),
    ("dedup", "corpuskit.passes.dedup"),
)
"""Built-in pass plugins; disable one with ``-p no:NAME``."""


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin, as ``corpuskit plugins`` lists it."""

    name: str
    dist: str
    version: str
    module: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dist": self.dist,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "error": self.error,
        }


@dataclass(frozen=True)
class PluginSpec:
    """Picklable description of which plugins to load: workers rebuild the same set from it."""

    extra: tuple[str, ...] = ()
    """Modules or ``.py`` paths to load in addition to built-ins and entry points."""
    blocked: tuple[str, ...] = ()
    """Plugin names not to load (``-p no:NAME``)."""
    strict: bool = False
    entry_points: bool = True
    """Load installed entry-point plugins (turn off for fully isolated tests)."""


def _version() -> str:
    from corpuskit._version import __version__

    return __version__


def _blocked_from_env() -> set[str]:
    raw = os.environ.get("CORPUSKIT_DISABLE_PLUGINS", "")
    return {x.strip() for x in raw.split(",") if x.strip()}


def load_module_or_path(ref: str) -> ModuleType:
    """Import ``ref`` as a module name, or load it from a ``.py`` file path."""
    if ref.endswith(".py") or os.sep in ref or "/" in ref:
        path = Path(ref).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"plugin file not found: {ref}")
        mod_name = f"corpuskit_local_{path.stem}"
        if mod_name in sys.modules:
            return sys.modules[mod_name]
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load plugin file {ref}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[mod_name]
            raise
        return module
    return importlib.import_module(ref)


class PluginHost:
    """A plugin manager plus what was loaded and what failed."""

    def __init__(self, spec: PluginSpec) -> None:
        self.spec = spec
        self.pm = pluggy.PluginManager("corpuskit")
        self.pm.add_hookspecs(hookspecs)
        # historic: every plugin registered from now on may add hookspecs of its own
        self.pm.hook.corpuskit_addhooks.call_historic(kwargs={"pluginmanager": self.pm})
        self.infos: list[PluginInfo] = []
        self.errors: list[PluginLoadError] = []
        blocked = set(spec.blocked) | _blocked_from_env()
        if blocked != set(spec.blocked):
            # make the spec self-contained: workers elsewhere may not share this environment
            spec = PluginSpec(spec.extra, tuple(sorted(blocked)), spec.strict, spec.entry_points)
            self.spec = spec
        self.blocked = blocked
        for name, modname in ESSENTIAL_PLUGINS:
            self._register(
                name,
                "corpuskit",
                _version(),
                lambda m=modname: importlib.import_module(m),
                modname,
                builtin=True,
            )
        for name, modname in DEFAULT_PLUGINS:
            if name in blocked:
                continue
            self._register(
                name,
                "corpuskit",
                _version(),
                lambda m=modname: importlib.import_module(m),
                modname,
                builtin=True,
            )
        if spec.entry_points:
            eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
            for ep in eps:
                if ep.name in blocked or self.pm.has_plugin(ep.name):
                    continue
                dist = ep.dist.name if ep.dist is not None else "?"
                version = ep.dist.version if ep.dist is not None else "?"
                self._register(ep.name, dist, version, ep.load, ep.value, builtin=False)
        for ref in spec.extra:
            name = Path(ref).stem if ref.endswith(".py") else ref
            if name in blocked or self.pm.has_plugin(name):
                continue
            self._register(
                name, "local", "-", lambda r=ref: load_module_or_path(r), ref, builtin=False
            )
        if os.environ.get("CORPUSKIT_TRACE_PLUGINS"):
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()

    def _register(
        self, name: str, dist: str, version: str, load: Any, module: str, *, builtin: bool
    ) -> None:
        info = PluginInfo(name, dist, version, module, builtin)
        try:
            obj = load()
            self.pm.register(obj, name=name)
        except Exception as exc:
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            err = PluginLoadError(name, dist, version, exc)
            info.error = str(err)
            self.infos.append(info)
            self.errors.append(err)
            if self.spec.strict or (builtin and name not in dict(DEFAULT_PLUGINS)):
                raise err from exc
            return
        info.hooks = sorted(
            h.name for h in self.pm.get_hookcallers(obj) or [] if h.name.startswith("corpuskit_")
        )
        self.infos.append(info)
        # a plugin may add hookspecs that earlier-registered plugins implement
        with contextlib.suppress(pluggy.PluginValidationError):
            self.pm.check_pending()  # re-checked, strictly, when the session is complete
