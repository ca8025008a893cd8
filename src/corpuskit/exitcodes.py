"""Process exit codes of the ``corpuskit`` command."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Every input was cleaned (or --check found nothing to change)."""
    INCOMPLETE = 1
    """The run finished, but some inputs could not be cleaned (see the report), or --check
    found changes."""
    USAGE = 2
    """Bad usage, config or output location: nothing was written."""
