"""corpuskit: clean text corpora and explain every change.

The public API is what this module exports; everything else may change between versions.
"""

from corpuskit._version import __version__
from corpuskit.api import CleanResult, clean
from corpuskit.config import Config
from corpuskit.errors import ConfigError, CorpuskitError
from corpuskit.exitcodes import ExitCode
from corpuskit.model import Document, Edit, Paragraph, Problem, Source
from corpuskit.pass_api import Pass, PassContext, PassError, PassOptions
from corpuskit.plugin_api import hookimpl
from corpuskit.process import Outcome
from corpuskit.session import Session

__all__ = [
    "CleanResult",
    "Config",
    "ConfigError",
    "CorpuskitError",
    "Document",
    "Edit",
    "ExitCode",
    "Outcome",
    "Paragraph",
    "Pass",
    "PassContext",
    "PassError",
    "PassOptions",
    "Problem",
    "Session",
    "Source",
    "__version__",
    "clean",
    "hookimpl",
]
