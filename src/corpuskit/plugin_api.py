"""The marker plugins use to implement hooks: ``@corpuskit.hookimpl``."""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("corpuskit")
"""Decorate a function named like a hookspec in :mod:`corpuskit.hookspecs` to implement it."""
