"""Run configuration: file discovery, merging with CLI flags, and ``--set`` overrides.

Precedence, lowest first: pass defaults < config file (``corpuskit.toml`` or ``[tool.corpuskit]``
in ``pyproject.toml``, found from the working directory upwards, or ``-c FILE``) < CLI flags <
``--set PASS.KEY=VALUE``. The resolved config is written into the report so a run can be
repeated exactly.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from corpuskit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OnBadInput = Literal["copy", "skip"]
Segmentation = Literal["auto", "blocks", "lines"]


@dataclass
class InputSettings:
    """How the input is found and read."""

    format: str = "auto"
    include: list[str] = field(default_factory=lambda: ["*.txt"])
    """Globs (matched against the path relative to the root, and against the file name)."""
    exclude: list[str] = field(default_factory=list)
    extensionless: bool = True
    """Also take files with no extension when they decode as text."""
    text_key: str = "text"
    id_key: str = "id"
    on_bad_input: OnBadInput = "copy"
    """What to do with a file that cannot be cleaned: copy it through unchanged, or leave it out."""
    max_document_bytes: int = 64 * 1024 * 1024
    """Larger documents are not cleaned (copied through or skipped, and reported)."""
    segmentation: Segmentation = "auto"
    detect_encoding: bool = True
    """Let the encoding plugin detect legacy encodings (False: strict UTF-8 / BOM only)."""
    ambiguous_encoding: Literal["report", "guess"] = "report"
    """When equally plausible encodings read a file differently: report it, or take the best
    guess."""
    shard_bytes: int = 8 * 1024 * 1024
    """Target input size of one shard; fixed, so output never depends on the worker count."""


@dataclass
class Config:
    """Everything that decides what a run does. Two runs with equal configs give equal bytes."""

    pipeline: list[str] | None = None
    """Explicit pass order; None means every default-enabled pass, in default order."""
    enable: list[str] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)
    passes: dict[str, dict[str, Any]] = field(default_factory=dict)
    input: InputSettings = field(default_factory=InputSettings)
    executor: str = "auto"
    """``auto``: a local process pool when there is more than one shard and jobs != 1."""
    jobs: int = 0
    """Worker count; 0 means all cores."""
    executor_options: dict[str, Any] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    """Extra plugin modules or ``.py`` files to load (like ``-p``)."""
    disable_plugins: list[str] = field(default_factory=list)
    plugin_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    report_documents: Literal["all", "changed"] = "all"
    memory_limit: int = 0
    """Bytes of dedup state kept in RAM before spilling to disk; 0 means a quarter of RAM."""
    source: str = ""
    """Where the file part came from (not part of the fingerprint)."""

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """A plugin's own ``[plugins.NAME]`` table (empty when absent)."""
        return dict(self.plugin_config.get(name, {}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of what decides the output, embedded in the report.

        How the run is executed (executor, jobs, memory limit) is left out: it never changes
        the output, and leaving it out keeps reports byte-identical across worker counts.
        """
        d = asdict(self)
        for k in ("source", *RUNTIME_KEYS):
            d.pop(k)
        return d

    def runtime_dict(self) -> dict[str, Any]:
        """Execution settings (reported with the timings)."""
        return {k: getattr(self, k) for k in RUNTIME_KEYS}

    def fingerprint(self) -> str:
        """Stable digest of everything that changes output (for --resume safety checks)."""
        import hashlib

        d = self.to_dict()
        blob = json.dumps(d, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


RUNTIME_KEYS = ("executor", "jobs", "executor_options", "memory_limit")
_TOP_KEYS = {f.name for f in fields(Config)} - {"source", "input", "plugin_config"}
_INPUT_KEYS = {f.name for f in fields(InputSettings)}


def find_config_file(start: Path) -> Path | None:
    """Nearest ``corpuskit.toml``, or ``pyproject.toml`` with ``[tool.corpuskit]``, upwards."""
    for d in [start, *start.parents]:
        cand = d / "corpuskit.toml"
        if cand.is_file():
            return cand
        pp = d / "pyproject.toml"
        if pp.is_file():
            try:
                data = tomllib.loads(pp.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "corpuskit" in data.get("tool", {}):
                return pp
    return None


def load_config(path: Path | None, *, discover_from: Path | None = None) -> Config:
    """Read a config file (explicit or discovered) into a :class:`Config`."""
    if path is None and discover_from is not None and not os.environ.get("CORPUSKIT_NO_CONFIG"):
        path = find_config_file(discover_from)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("corpuskit", {})
    cfg = config_from_dict(data, where=str(path))
    cfg.source = str(path)
    return cfg


def config_from_dict(data: dict[str, Any], where: str = "config") -> Config:
    """Build a Config from a TOML-shaped dict, rejecting unknown keys with their location."""
    cfg = Config()
    for key, value in data.items():
        if key == "input":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [input] must be a table")
            for ik, iv in value.items():
                if ik not in _INPUT_KEYS:
                    raise ConfigError(f"{where}: unknown key input.{ik}")
                setattr(cfg.input, ik, iv)
        elif key == "plugins" and isinstance(value, dict):
            # [plugins] table: per-plugin settings; a `load` list adds plugin modules
            for pk, pv in value.items():
                if pk == "load":
                    cfg.plugins = list(pv)
                elif pk == "disable":
                    cfg.disable_plugins = list(pv)
                elif isinstance(pv, dict):
                    cfg.plugin_config[pk] = pv
                else:
                    raise ConfigError(f"{where}: plugins.{pk} must be a table")
        elif key == "executor" and isinstance(value, dict):
            for ek, ev in value.items():
                if ek == "name":
                    cfg.executor = str(ev)
                elif ek == "jobs":
                    cfg.jobs = int(ev)
                else:
                    cfg.executor_options[ek] = ev
        elif key in _TOP_KEYS:
            setattr(cfg, key, value)
        else:
            raise ConfigError(f"{where}: unknown key {key!r}")
    if cfg.input.on_bad_input not in ("copy", "skip"):
        raise ConfigError(f"{where}: input.on_bad_input must be 'copy' or 'skip'")
    if cfg.input.segmentation not in ("auto", "blocks", "lines"):
        raise ConfigError(f"{where}: input.segmentation must be auto, blocks or lines")
    return cfg


def parse_value(raw: str) -> Any:
    """``--set`` values: TOML/JSON literals when they parse, else the plain string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_set(cfg: Config, assignment: str) -> None:
    """Apply ``PASS.KEY=VALUE`` (or ``input.KEY=VALUE``) to the config."""
    if "=" not in assignment or "." not in assignment.split("=", 1)[0]:
        raise ConfigError(f"--set expects SECTION.KEY=VALUE, got {assignment!r}")
    lhs, raw = assignment.split("=", 1)
    section, key = lhs.strip().split(".", 1)
    value = parse_value(raw.strip())
    if section == "input":
        if key not in _INPUT_KEYS:
            raise ConfigError(f"unknown key input.{key}")
        setattr(cfg.input, key, value)
    elif section == "plugins":
        name, _, pkey = key.partition(".")
        if not pkey:
            raise ConfigError(f"--set plugins.NAME.KEY=VALUE expected, got {assignment!r}")
        cfg.plugin_config.setdefault(name, {})[pkey] = value
    else:
        cfg.passes.setdefault(section, {})[key] = value
