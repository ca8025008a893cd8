"""Exceptions that carry a user-facing message and map to exit codes."""

from __future__ import annotations


class CorpuskitError(Exception):
    """Base of corpuskit's own errors: the message is meant for the user, no traceback needed."""


class ConfigError(CorpuskitError):
    """Bad configuration or usage (exit code 2)."""


class OutputError(CorpuskitError):
    """The output location is unsafe or taken (inside the input, non-empty without --force)."""


class PluginLoadError(CorpuskitError):
    """A plugin failed to import or register (fatal only with --strict-plugins)."""

    def __init__(self, name: str, dist: str, version: str, error: BaseException) -> None:
        self.name = name
        self.dist = dist
        self.version = version
        self.error = error
        super().__init__(
            f"plugin {name!r} ({dist} {version}) failed to load: {type(error).__name__}: {error}"
        )
