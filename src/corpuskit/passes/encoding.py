"""The ``encoding`` plugin: bytes → the right Unicode, then mojibake repaired with ftfy.

Two jobs, one plugin (disable both with ``-p no:encoding``):

* **Decoding** (the ``corpuskit_decode`` hook, ahead of the core's strict UTF-8 fallback):
  BOM-marked UTF-8/16/32, UTF-16/32 without a BOM, UTF-8, 7-bit ISO-2022, and legacy code
  pages detected with charset-normalizer. Input that no encoding turns into plausible text is
  reported (``undecodable``/``binary``), never decoded to noise. The encoding used is recorded
  per document (``Decoded.encoding`` → the document's source and the report). The hook gets no
  configuration, so detection is switched off through the environment
  (``CORPUSKIT_ENCODING_DETECT=0``: strict UTF-8 as in the core), which worker processes
  inherit; ``CORPUSKIT_ENCODING_AMBIGUOUS=guess`` accepts charset-normalizer's best guess where
  equally plausible encodings disagree (reported by default). See
  :mod:`corpuskit.passes._detect`.

* **Repair** (the :class:`EncodingPass`, first in the pipeline): ``ftfy`` on every line, output
  identical to ``ftfy.fix_text(text, config)`` but an order of magnitude faster, because lines
  that no enabled fixer can change are never handed to ftfy (see
  :mod:`corpuskit.passes._ftfy_fast` for why that is exact). Each changed ftfy segment (a line)
  becomes one edit on its smallest changed span, with ftfy's explanation steps in the detail.

Default ftfy options, chosen for training corpora (datatrove's ``FTFYFormatter`` and NeMo
Curator's ``UnicodeReformatter`` settled on the same set): repair what is *broken* — mojibake
(``fix_encoding`` and its four sub-fixes), C1 controls, lone surrogates, terminal escapes,
invisible control characters, HTML entities in text that is not HTML (``unescape_html="auto"``)
— and leave *legitimate* typography alone: curly quotes stay curly (``uncurl_quotes=False``:
a model should see real quotes), ligatures and full-width forms stay
(``fix_latin_ligatures=False``, ``fix_character_width=False``: full-width punctuation is
correct in CJK text), line breaks stay as written (``fix_line_breaks=False``; see
``line_endings``), and no Unicode normalization (``normalization=None``: NFC/NFKC rewrite text
that is not broken, NFKC even changes meaning, "10³" → "103"). Every field of
``ftfy.TextFixerConfig`` can be set in ``[passes.encoding]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from ftfy import TextFixerConfig
from pydantic import Field

from corpuskit.config import InputSettings
from corpuskit.io.base import Decoded
from corpuskit.model import Document
from corpuskit.pass_api import Pass, PassContext, PassOptions
from corpuskit.passes import _detect
from corpuskit.passes._ftfy_fast import FastFixer, SegmentFix
from corpuskit.plugin_api import hookimpl
from corpuskit.registry import PassRegistrar

Normalization = Literal["NFC", "NFD", "NFKC", "NFKD"]


class EncodingOptions(PassOptions):
    """ftfy's ``TextFixerConfig``, field for field, with corpus defaults, plus line endings."""

    unescape_html: bool | Literal["auto"] = Field(
        "auto",
        description="Decode HTML entities (&amp;, &eacute;); 'auto' stops doing it from the "
        "first line containing '<' (the text is probably HTML).",
    )
    remove_terminal_escapes: bool = Field(True, description="Remove ANSI terminal escapes.")
    fix_encoding: bool = Field(True, description="Repair mojibake (UTF-8 decoded as a "
                               "single-byte code page, and the like).")
    restore_byte_a0: bool = Field(True, description="fix_encoding: allow a space to stand for "
                                  "a lost U+00A0 byte inside mojibake.")
    replace_lossy_sequences: bool = Field(True, description="fix_encoding: turn mojibake whose "
                                          "bytes were partly lost into U+FFFD.")
    decode_inconsistent_utf8: bool = Field(True, description="fix_encoding: repair mojibake "
                                           "embedded in otherwise correct text.")
    fix_c1_controls: bool = Field(True, description="Read C1 control characters as their "
                                  "Windows-1252 characters.")
    fix_latin_ligatures: bool = Field(False, description="Split ligatures such as 'ﬁ' into "
                                      "letters (off: they are not broken text).")
    fix_character_width: bool = Field(False, description="Replace full-width Latin and "
                                      "half-width katakana (off: correct in CJK text).")
    uncurl_quotes: bool = Field(False, description="Replace curly quotes with straight ones "
                                "(off: curly quotes are legitimate typography).")
    fix_line_breaks: bool = Field(False, description="ftfy's own line-break fix (CRLF, CR, "
                                  "U+2028/2029, U+0085 → LF); see also line_endings.")
    fix_surrogates: bool = Field(True, description="Join UTF-16 surrogate pairs, replace lone "
                                 "surrogates with U+FFFD.")
    remove_control_chars: bool = Field(True, description="Remove invisible control characters "
                                       "(not tabs or line breaks).")
    normalization: Normalization | None = Field(
        None, description="Unicode normalization form applied to changed and unchanged text "
        "alike (None: no normalization)."
    )
    max_decode_length: int = Field(1_000_000, ge=1, description="Longest ftfy segment; longer "
                                   "lines are cut (as ftfy.fix_text does).")
    explain: bool = Field(True, description="Record ftfy's explanation steps in each edit. "
                          "Off uses ftfy's non-explaining path, which ignores the four "
                          "fix_encoding sub-options (an ftfy quirk).")
    line_endings: Literal["keep", "lf"] = Field(
        "keep", description="'keep': as written; 'lf': CRLF and CR become LF (each recorded "
        "as an edit), applied after ftfy."
    )

    def ftfy_config(self) -> TextFixerConfig:
        """The ``TextFixerConfig`` these options describe."""
        data = self.model_dump()
        data.pop("line_endings")
        return TextFixerConfig(**data)


@lru_cache(maxsize=16)
def _fixer(config: TextFixerConfig) -> FastFixer:
    """Compiling the gate costs a few ms: share it between passes with the same config."""
    return FastFixer(config)


@dataclass(frozen=True)
class PlannedEdit:
    """One replacement of ``text[start:end]``, before it is recorded on a context."""

    start: int
    end: int
    new: str
    rule: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


_CR_RE = re.compile("\r\n?")


class EncodingPass(Pass):
    """Repair mojibake and other Unicode damage with ftfy, one edit per changed line."""

    name = "encoding"
    summary = "Repair mojibake and Unicode glitches with ftfy (every fix explained)"
    version = "1"
    Options = EncodingOptions
    default_enabled = True
    default_order = 100

    def __init__(self, options: PassOptions | None = None, hook: Any = None) -> None:
        super().__init__(options, hook)
        opts = self.options
        assert isinstance(opts, EncodingOptions)
        self.ftfy_config = opts.ftfy_config()
        self.fixer = _fixer(self.ftfy_config)
        self.lf = opts.line_endings == "lf"

    def fix_text(self, text: str) -> str:
        """What this pass turns ``text`` into (``ftfy.fix_text``, then the line-ending rule)."""
        out = self.fixer.fix_text(text)
        return _CR_RE.sub("\n", out) if self.lf else out

    def plan(self, text: str) -> list[PlannedEdit]:
        """The edits that turn ``text`` into :meth:`fix_text` of it, smallest spans first."""
        fixes = _merge_by_line(text, self.fixer.fix_segments(text))
        out: list[PlannedEdit] = []
        for f in fixes:
            rule, reason = _describe(f.steps)
            steps = _steps_json(f.steps)
            trimmed = _trim(text, f.start, f.end, f.fixed)
            if trimmed[2] == "" and not _only_removals(f.steps):
                trimmed = _widen_left(text, f.start, *trimmed)
            for a, b, new in _split_on_ascii(text, *trimmed):
                detail: dict[str, Any] = {"ftfy_steps": steps}
                if self.lf:
                    a, b, new = _guard_crlf(text, a, b, new)
                    lf_new = _CR_RE.sub("\n", new)
                    if lf_new != new:
                        detail["line_endings"] = "lf"
                    new = lf_new
                out.append(PlannedEdit(a, b, new, rule, reason, detail))
        if self.lf:
            out = _add_line_ending_edits(text, out)
        return out

    def apply(self, doc: Document, ctx: PassContext) -> None:
        edits = self.plan(doc.text)
        for e in edits:
            ctx.replace(e.start, e.end, e.new, rule=e.rule, reason=e.reason, **e.detail)
        if edits:
            ctx.count("edits_ftfy", sum(1 for e in edits if e.rule != "line_endings"))
            n_le = sum(1 for e in edits if e.rule == "line_endings")
            if n_le:
                ctx.count("edits_line_endings", n_le)


# ----------------------------------------------------------------------------------------------
# from ftfy segments to edits
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _LineFix:
    start: int
    end: int
    fixed: str
    steps: tuple[tuple[str, str], ...] | None


def _merge_by_line(text: str, fixes: Sequence[SegmentFix]) -> list[_LineFix]:
    """One fix per line: the segments of an over-long line (ftfy cuts those) are merged, so
    that edit boundaries always fall on line boundaries or inside one segment."""
    out: list[_LineFix] = []
    cur: list[SegmentFix] = []
    cur_line = -1
    for f in fixes:
        line = text.rfind("\n", 0, f.start) + 1
        if cur and line != cur_line:
            out.append(_join(text, cur))
            cur = []
        cur.append(f)
        cur_line = line
    if cur:
        out.append(_join(text, cur))
    return out


def _join(text: str, fixes: Sequence[SegmentFix]) -> _LineFix:
    if len(fixes) == 1:
        f = fixes[0]
        return _LineFix(f.start, f.end, f.fixed, f.steps)
    parts: list[str] = []
    steps: list[tuple[str, str]] = []
    pos = fixes[0].start
    explained = True
    for f in fixes:
        parts.append(text[pos : f.start])
        parts.append(f.fixed)
        pos = f.end
        if f.steps is None:
            explained = False
        else:
            steps.extend(f.steps)
    return _LineFix(fixes[0].start, fixes[-1].end, "".join(parts),
                    tuple(steps) if explained else None)


def _trim(text: str, start: int, end: int, fixed: str) -> tuple[int, int, str]:
    """Shrink ``text[start:end] → fixed`` to the span that differs (never to an empty one)."""
    before = text[start:end]
    limit = min(len(before), len(fixed))
    p = 0
    while p < limit and before[p] == fixed[p]:
        p += 1
    s = 0
    while s < limit - p and before[-1 - s] == fixed[-1 - s]:
        s += 1
    a, b = start + p, end - s
    new = fixed[p : len(fixed) - s]
    if a == b:  # a pure insertion: anchor it on a neighbouring character of the segment
        if b < end:
            new, b = new + text[b], b + 1
        else:
            a, new = a - 1, text[a - 1] + new
    return a, b, new


_ASCII_RUN = re.compile("([\x00-\x7f]+)")


def _split_on_ascii(text: str, a: int, b: int, new: str) -> list[tuple[int, int, str]]:
    """Split one replacement into one per changed non-ASCII run, when that is provably the
    same change: both sides have the very same ASCII runs in the same order (mojibake repair
    rewrites non-ASCII runs and leaves ASCII alone), so each old run maps to the new run at the
    same place. Otherwise (an entity or a control character removed) keep one edit."""
    before = text[a:b]
    if before.isascii() or new.isascii():
        return [(a, b, new)]
    old_parts = _ASCII_RUN.split(before)
    new_parts = _ASCII_RUN.split(new)
    if len(old_parts) != len(new_parts) or old_parts[1::2] != new_parts[1::2]:
        return [(a, b, new)]
    out: list[tuple[int, int, str]] = []
    pos = a
    for i, (old, rep) in enumerate(zip(old_parts, new_parts, strict=True)):
        if i % 2 == 0 and old != rep:
            if not old:
                return [(a, b, new)]  # an insertion: keep the single edit
            out.append((pos, pos + len(old), rep))
        pos += len(old)
    return out


_REMOVALS = frozenset(("remove_control_chars", "remove_terminal_escapes"))


def _only_removals(steps: tuple[tuple[str, str], ...] | None) -> bool:
    """Whether ftfy only deleted characters (then a deletion edit is the honest record)."""
    return steps is not None and all(p in _REMOVALS for _, p in steps)


def _widen_left(text: str, seg_start: int, a: int, b: int, new: str) -> tuple[int, int, str]:
    """Trimming '&amp;' → '&' leaves 'amp;' → '': take the shared character back so the edit
    reads as the replacement it is."""
    if a > seg_start:
        return a - 1, b, text[a - 1] + new
    if b < len(text):
        return a, b + 1, new + text[b]
    return a, b, new


def _guard_crlf(text: str, a: int, b: int, new: str) -> tuple[int, int, str]:
    """Widen an edit so no CR LF pair straddles its boundary (line endings are then converted
    inside and outside the edit independently)."""
    if a > 0 and text[a - 1] == "\r":
        a, new = a - 1, "\r" + new
    if new.endswith("\r") and b < len(text) and text[b] == "\n":
        b, new = b + 1, new + "\n"
    return a, b, new


def _add_line_ending_edits(text: str, edits: list[PlannedEdit]) -> list[PlannedEdit]:
    """CR LF / CR → LF edits for the text between the ftfy edits."""
    out: list[PlannedEdit] = []
    pos = 0
    for e in [*edits, None]:
        stop = len(text) if e is None else e.start
        for m in _CR_RE.finditer(text, pos, stop):
            out.append(PlannedEdit(m.start(), m.end(), "\n", "line_endings",
                                   f"line ending {m.group()!r} → '\\n' (line_endings='lf')",
                                   {}))
        if e is not None:
            out.append(e)
            pos = e.end
    return out


_STEP_RULE = {"encode": "mojibake", "decode": "mojibake", "transcode": "mojibake"}


def _describe(steps: tuple[tuple[str, str], ...] | None) -> tuple[str, str]:
    """A rule name (what kind of fix) and a readable reason from ftfy's explanation."""
    if steps is None:
        return "ftfy", "ftfy.fix_text changed this line (explanations are off)"
    kinds: list[str] = []
    for action, param in steps:
        if action in _STEP_RULE or param == "decode_inconsistent_utf8":
            kind = "mojibake"
        elif action == "normalize":
            kind = "normalize"
        else:
            kind = param
        if kind not in kinds:
            kinds.append(kind)
    rule = "+".join(kinds) if kinds else "ftfy"
    reason = "ftfy: " + ", ".join(f"{a} {p}" for a, p in steps)
    return rule, reason


def _steps_json(steps: tuple[tuple[str, str], ...] | None) -> list[list[str]] | None:
    return None if steps is None else [[a, p] for a, p in steps]


# ----------------------------------------------------------------------------------------------
# hooks
# ----------------------------------------------------------------------------------------------
@hookimpl
def corpuskit_register_passes(register: PassRegistrar) -> None:
    register(EncodingPass)


@hookimpl
def corpuskit_decode(data: bytes, path: str, settings: InputSettings) -> Decoded:
    """Decode with legacy-encoding detection (see :mod:`corpuskit.passes._detect`), as the
    run's ``input.detect_encoding`` / ``input.ambiguous_encoding`` settings say."""
    return _detect.decode(
        data, detect=settings.detect_encoding, guess=settings.ambiguous_encoding == "guess"
    )
