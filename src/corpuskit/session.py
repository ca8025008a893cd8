"""A Session: one plugin manager, the registries it fills, and the passes of one pipeline.

Nothing here is global: the CLI, the library and each test build their own Session, and worker
processes rebuild an identical one from a picklable :class:`SessionSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy
from pydantic import ValidationError

from corpuskit.config import Config, InputSettings
from corpuskit.errors import ConfigError
from corpuskit.io.base import Decoded, Format
from corpuskit.pass_api import Pass
from corpuskit.plugins import PluginHost, PluginInfo, PluginSpec
from corpuskit.registry import ExecutorRegistrar, FormatRegistrar, PassRegistrar, Registered


@dataclass(frozen=True)
class SessionSpec:
    """Everything a worker needs to rebuild the driver's session: plugin names, never objects."""

    plugins: PluginSpec = field(default_factory=PluginSpec)
    token: str = ""
    """Set for sessions holding in-memory plugins: such a session only runs in its own process."""


class Session:
    """Plugins and registries for one run (or one library call)."""

    def __init__(self, spec: SessionSpec | None = None, *, plugins: list[object] | None = None):
        self.spec = spec or SessionSpec()
        self.host = PluginHost(self.spec.plugins)
        if self.host.spec != self.spec.plugins:  # env-disabled plugins folded into the spec
            self.spec = SessionSpec(plugins=self.host.spec, token=self.spec.token)
        self.pm: pluggy.PluginManager = self.host.pm
        self.in_memory_plugins = list(plugins or [])
        for obj in self.in_memory_plugins:
            self.pm.register(obj)
            self.host.infos.append(
                PluginInfo(
                    getattr(obj, "__name__", type(obj).__name__), "in-memory", "-",
                    getattr(obj, "__name__", repr(obj)), False,
                    sorted(h.name for h in self.pm.get_hookcallers(obj) or []),
                )
            )
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ConfigError(f"a plugin implements an unknown hook: {exc}") from None
        self.passes = self._collect(PassRegistrar(), "corpuskit_register_passes")
        self.formats = self._collect(FormatRegistrar(), "corpuskit_register_formats")
        self.executors = self._collect(ExecutorRegistrar(), "corpuskit_register_executors")

    def _collect(self, registrar: Any, hook_name: str) -> Any:
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            registrar.current_plugin = impl.plugin_name
            try:
                impl.function(register=registrar)
            except Exception as exc:
                msg = f"plugin {impl.plugin_name!r} failed in {hook_name}: {exc}"
                if self.spec.plugins.strict:
                    raise ConfigError(msg) from exc
                for info in self.host.infos:
                    if info.name == impl.plugin_name:
                        info.error = msg
        return registrar

    # -- queries ------------------------------------------------------------------------------
    @property
    def plugin_infos(self) -> list[PluginInfo]:
        return self.host.infos

    @property
    def plugin_errors(self) -> list[str]:
        errs = [str(e) for e in self.host.errors]
        errs.extend(getattr(self.passes, "clashes", []))
        return errs

    def pass_classes(self) -> dict[str, Registered]:
        return dict(self.passes.items)

    def decode(self, data: bytes, path: str, settings: InputSettings | None = None) -> Decoded:
        """Run the ``corpuskit_decode`` hook (first result wins; the core fallback runs last)."""
        result: Decoded | None = self.pm.hook.corpuskit_decode(
            data=data, path=path, settings=settings or InputSettings()
        )
        assert result is not None, "the core decoder always answers"
        return result

    def format(self, name: str) -> Format:
        if name not in self.formats.items:
            known = ", ".join(sorted(self.formats.items))
            raise ConfigError(f"unknown input format {name!r} (known: {known})")
        fmt: Format = self.formats.items[name].obj
        return fmt

    def pipeline_names(self, config: Config) -> list[str]:
        """Pass names in run order, from the config's pipeline or the defaults plus enables."""
        registered = self.passes.items
        if config.pipeline is not None:
            names = list(config.pipeline)
        else:
            classes = [r.obj for r in registered.values()]
            names = [c.name for c in sorted(classes, key=lambda c: (c.default_order, c.name))
                     if c.default_enabled]
            for extra in config.enable:
                if extra not in names:
                    names.append(extra)
            names.sort(key=lambda n: (
                registered[n].obj.default_order if n in registered else 10**6, n))
        names = [n for n in names if n not in config.disable]
        unknown = [n for n in names if n not in registered]
        if unknown:
            known = ", ".join(sorted(registered)) or "none"
            raise ConfigError(
                f"unknown pass(es) {', '.join(unknown)} (registered: {known}); "
                "is the plugin installed, or disabled with -p no:NAME?"
            )
        if len(set(names)) != len(names):
            raise ConfigError(f"a pass appears twice in the pipeline: {names}")
        for key in config.passes:
            if key not in registered:
                raise ConfigError(f"options given for unknown pass {key!r}")
        return names

    def build_passes(self, config: Config) -> list[Pass]:
        """Instantiate the pipeline's passes with validated options."""
        out: list[Pass] = []
        for name in self.pipeline_names(config):
            cls: type[Pass] = self.passes.items[name].obj
            raw = config.passes.get(name, {})
            try:
                options = cls.Options(**raw)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                raise ConfigError(f"invalid options for pass {name!r}: {problems}") from None
            out.append(cls(options, hook=self.pm.hook))
        return out

    def configure(self, config: Config) -> None:
        """Let plugins validate the resolved config (``corpuskit_configure``)."""
        self.pm.hook.corpuskit_configure(config=config)

    def provider_of(self, pass_name: str) -> str:
        reg = self.passes.items.get(pass_name)
        return reg.plugin if reg else ""

    def plugin_versions(self) -> dict[str, str]:
        return {i.name: i.version for i in self.host.infos if not i.error}
