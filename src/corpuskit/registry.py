"""Registrars handed to the ``corpuskit_register_*`` hooks; they remember who registered what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpuskit.pass_api import Pass


@dataclass
class Registered:
    """A registered object and the plugin that provided it (shown by ``corpuskit passes``)."""

    obj: Any
    plugin: str


@dataclass
class PassRegistrar:
    """``register(PassClass)``; a clash keeps the first and records the second as an error."""

    current_plugin: str = ""
    items: dict[str, Registered] = field(default_factory=dict)
    clashes: list[str] = field(default_factory=list)

    def __call__(self, cls: type[Pass]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Pass)):
            raise TypeError(f"register() takes a corpuskit.Pass subclass, not {cls!r}")
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"pass class {cls.__qualname__} needs a `name` that is an identifier")
        if name in self.items:
            self.clashes.append(
                f"pass {name!r} from plugin {self.current_plugin!r} ignored: already registered "
                f"by plugin {self.items[name].plugin!r}"
            )
            return
        self.items[name] = Registered(cls, self.current_plugin)


@dataclass
class FormatRegistrar:
    """``register(FormatClass)``: a corpus format (reader and writer) keyed by its ``name``."""

    current_plugin: str = ""
    items: dict[str, Registered] = field(default_factory=dict)

    def __call__(self, fmt: Any) -> None:
        self.items.setdefault(fmt.name, Registered(fmt, self.current_plugin))


@dataclass
class ExecutorRegistrar:
    """``register(name, factory)``; ``factory(jobs, options)`` returns an executor."""

    current_plugin: str = ""
    items: dict[str, Registered] = field(default_factory=dict)

    def __call__(self, name: str, factory: Callable[..., Any]) -> None:
        self.items.setdefault(name, Registered(factory, self.current_plugin))
