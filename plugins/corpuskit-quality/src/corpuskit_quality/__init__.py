"""corpuskit-quality: flag or drop low-quality documents with Gopher/C4-style heuristics.

Each rule compares one measured signal (see :mod:`corpuskit_quality.signals`) with a threshold
from the options. A document that fails any rule is tagged (``action = "flag"``, the default:
nothing is removed, the report says why) or dropped (``action = "drop"``) with a reason naming
every failed rule, its measured value and the limit, so a surprising drop can be explained and
the threshold tuned from the report alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, field_validator

from corpuskit import Document, Pass, PassContext, PassOptions, hookimpl
from corpuskit_quality.signals import measure

__version__ = "0.1.0"

# rule name -> (signal, "min" | "max", option holding the limit)
RULES: dict[str, tuple[str, str, str]] = {
    "min_words": ("word_count", "min", "min_words"),
    "max_words": ("word_count", "max", "max_words"),
    "min_mean_word_length": ("mean_word_length", "min", "min_mean_word_length"),
    "max_mean_word_length": ("mean_word_length", "max", "max_mean_word_length"),
    "symbol_word_ratio": ("symbol_word_ratio", "max", "max_symbol_word_ratio"),
    "bullet_lines": ("bullet_line_fraction", "max", "max_bullet_line_fraction"),
    "ellipsis_lines": ("ellipsis_line_fraction", "max", "max_ellipsis_line_fraction"),
    "alpha_words": ("alpha_word_fraction", "min", "min_alpha_word_fraction"),
    "duplicate_lines": ("duplicate_line_fraction", "max", "max_duplicate_line_fraction"),
    "duplicate_line_chars": (
        "duplicate_line_char_fraction", "max", "max_duplicate_line_char_fraction"),
    "duplicate_paragraphs": (
        "duplicate_paragraph_fraction", "max", "max_duplicate_paragraph_fraction"),
    "duplicate_paragraph_chars": (
        "duplicate_paragraph_char_fraction", "max", "max_duplicate_paragraph_char_fraction"),
    "lorem_ipsum": ("lorem_ipsum", "max", "max_lorem_ipsum"),
}
NGRAM_RULES = ("top_ngram", "duplicate_ngram")


class QualityOptions(PassOptions):
    """Thresholds default to Gopher's published values (Rae et al., 2021, table A1)."""

    action: Literal["flag", "drop"] = Field(
        "flag", description="flag: tag failing documents and keep them; drop: remove them.")
    signals: bool = Field(
        False, description="Tag every document with all measured signals (quality_signals).")
    skip: list[str] = Field(
        default_factory=list,
        description="Rules not to apply, e.g. ['bullet_lines'] for a corpus of lists.")
    min_words: int = Field(50, description="Fewer whitespace-separated words fail.")
    max_words: int = Field(100_000, description="More words fail.")
    min_mean_word_length: float = Field(3.0, description="Shorter mean word length fails.")
    max_mean_word_length: float = Field(10.0, description="Longer mean word length fails.")
    max_symbol_word_ratio: float = Field(
        0.1, description="('#' + '...' + '…') per word above this fails.")
    max_bullet_line_fraction: float = Field(
        0.9, description="Share of lines starting with a bullet above this fails.")
    max_ellipsis_line_fraction: float = Field(
        0.3, description="Share of lines ending with an ellipsis above this fails.")
    min_alpha_word_fraction: float = Field(
        0.8, description="Share of words with a letter below this fails.")
    max_duplicate_line_fraction: float = Field(0.3, description="Repeated lines / lines.")
    max_duplicate_line_char_fraction: float = Field(
        0.2, description="Characters in repeated lines / all line characters.")
    max_duplicate_paragraph_fraction: float = Field(
        0.3, description="Repeated paragraphs / paragraphs.")
    max_duplicate_paragraph_char_fraction: float = Field(
        0.2, description="Characters in repeated paragraphs / all paragraph characters.")
    max_top_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> limit on the character share of the most frequent word n-gram.")
    max_duplicate_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> limit on the character share of words in repeated n-grams.")
    max_lorem_ipsum: float = Field(
        0.0, description="C4: a page containing 'lorem ipsum' is placeholder text (1 > 0).")

    @field_validator("skip")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(RULES) - set(NGRAM_RULES))
        if unknown:
            known = ", ".join([*RULES, *NGRAM_RULES])
            raise ValueError(f"unknown rule(s) {', '.join(unknown)} (known: {known})")
        return value


def failures(signals: dict[str, float], o: QualityOptions) -> list[dict[str, Any]]:
    """The failed rules, in a fixed order, each with its measured value and limit."""
    out: list[dict[str, Any]] = []
    # (rule, signal, min|max, limit, name used by `skip`)
    checks: list[tuple[str, str, str, float, str]] = [
        (rule, signal, kind, float(getattr(o, option)), rule)
        for rule, (signal, kind, option) in RULES.items()
    ]
    checks += [(f"top_{n}gram", f"top_{n}gram_char_fraction", "max", lim, "top_ngram")
               for n, lim in sorted(o.max_top_ngram_char_fraction.items())]
    checks += [(f"duplicate_{n}gram", f"duplicate_{n}gram_char_fraction", "max", lim,
                "duplicate_ngram")
               for n, lim in sorted(o.max_duplicate_ngram_char_fraction.items())]
    skip = set(o.skip)
    for rule, signal, kind, limit, group in checks:
        if group in skip:
            continue
        value = signals[signal]
        if (kind == "min" and value < limit) or (kind == "max" and value > limit):
            out.append({"rule": rule, "signal": signal, "value": value,
                        ("min" if kind == "min" else "max"): limit})
    return out


def _describe(f: dict[str, Any]) -> str:
    op, limit = ("<", f["min"]) if "min" in f else (">", f["max"])
    return f"{f['signal']} {f['value']:g} {op} {limit:g}"


class QualityFilter(Pass):
    """Gopher/C4 document heuristics: word count, word length, symbols, bullets, repetition."""

    name = "quality"
    summary = "Flag or drop low-quality documents, Gopher/C4 heuristics"
    version = "1"
    Options = QualityOptions
    default_enabled = False
    default_order = 700

    def apply(self, doc: Document, ctx: PassContext) -> None:
        o = self.options
        assert isinstance(o, QualityOptions)
        signals = measure(doc.text, sorted(o.max_top_ngram_char_fraction),
                          sorted(o.max_duplicate_ngram_char_fraction))
        if o.signals:
            ctx.tag("quality_signals", signals)
        failed = failures(signals, o)
        for f in failed:
            ctx.count(f"failed_{f['rule']}")
        if not failed:
            ctx.tag("quality", "pass")
            return
        reason = "low quality: " + "; ".join(_describe(f) for f in failed)
        if o.action == "drop":
            ctx.drop(rule=str(failed[0]["rule"]), reason=reason, failed=failed)
        else:
            ctx.tag("quality", "fail")
            ctx.tag("quality_failed", failed)


@hookimpl
def corpuskit_register_passes(register: Callable[[type[Pass]], None]) -> None:
    register(QualityFilter)
