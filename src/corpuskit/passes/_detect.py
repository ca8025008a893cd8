"""Bytes → text for the ``encoding`` plugin: exact decodes first, detection last, never a guess.

Order, from certain to uncertain:

1. A byte-order mark decides (UTF-8/16/32), through the core's own :func:`decode_bytes`.
2. NUL bytes: text in UTF-16 or UTF-32 *without* a BOM has its NULs in a fixed byte lane
   (ASCII ``D`` is ``44 00`` in UTF-16LE). If one lane holds (almost) all of them and the strict
   decode is clean text, it is that encoding; otherwise the file is binary. This is the trap of
   "valid UTF-8 full of NULs": strict UTF-8 would accept such a file as text.
3. Valid UTF-8 is UTF-8, except 7-bit ISO-2022 (Japanese/Korean mail and news encodings), which
   is also valid ASCII: its escape sequences (``ESC $ B``...) give it away.
4. Anything else goes to charset-normalizer, with a Western prior and a refusal to guess:

   * its candidates as plausible as the best one (chaos within 0.01, language coherence within
     0.05) are compared; if they all give the same text, that text it is;
   * else cp1252 wins when its reading is among them, or when they are all Latin-script code
     pages, or when they are all DOS/Mac/rare ISO pages, provided the cp1252 reading itself
     looks like a Latin-script language (see :func:`_western_reading`); also when the "best"
     is a CJK multi-byte reading of a file with under 1% high bytes (one ``©``);
   * otherwise the file is reported as ``undecodable`` ("ambiguous"), unless
     ``CORPUSKIT_ENCODING_AMBIGUOUS=guess``.

Measured (``benchmarks/RESULTS-encoding.md``): on the 424 decodable files of
``chardet-encodings`` (38 encodings) 398 (93.9%) decode to exactly the labelled text, 7 are
reported, 19 get another reading: 16 Hungarian/Czech/Slovak/Polish/Turkish files and one
MacRoman file read as cp1252 (charset-normalizer scores cp1252 as plausible for them), one
iso-8859-2 file as cp1250, one Shift_JIS file as cp932. On 568 real
Western web texts (trafilatura-eval, article-extraction-benchmark) saved as cp1252, 565
(99.5%) decode exactly; charset-normalizer's ``best()`` alone gets 76% of a 300-text sample,
because short runs of accented letters leave it choosing between many equal code pages.
``ftfy.guess_bytes`` decodes only 36 (8.5%) chardet files: it knows UTF-8/16, MacRoman and
cp1252, nothing else.
"""

from __future__ import annotations

import codecs
import os
import re

import charset_normalizer

from corpuskit.io.base import Decoded
from corpuskit.io.decode import decode_bytes

_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
         codecs.BOM_UTF16_BE)
_SAMPLE = 1 << 16
_ISO2022 = ("iso2022_jp", "iso2022_kr", "iso2022_jp_2")
_ISO2022_ESCAPES = (b"\x1b$", b"\x1b(", b"\x1b)", b"\x1bN", b"\x1bO")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_SAMPLE_CHARS = 200_000
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")
_MULTIBYTE = ("shift_jis", "cp932", "euc", "gb", "big5", "hz", "iso2022", "johab", "cp949",
              "cp950", "utf")
_NON_LATIN = ("cp1251", "cp1253", "cp1255", "cp1256", "koi8", "iso8859-5", "iso8859-6",
              "iso8859-7", "iso8859-8", "iso8859-11", "tis-620", "cp874", "cp866", "cp855",
              "mac-cyrillic", "mac-greek", "kz1048", "ptcp154", "cp1125", "cp737", "cp862",
              "cp864", "cp869", "cp720", "cp1006")
_EXOTIC = ("cp437", "cp850", "cp852", "cp857", "cp858", "cp860", "cp861", "cp863", "cp865",
           "cp775", "hp-roman8", "mac-roman", "mac-latin2", "mac-iceland", "mac-turkish",
           "mac-croatian", "mac-romanian", "iso8859-3", "iso8859-4", "iso8859-10", "iso8859-13",
           "iso8859-14", "iso8859-16", "cp1258", "cp424", "cp500", "cp273")
"""Latin-script DOS, Mac and rare ISO code pages: only chosen when no common code page is
as plausible."""
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")

DETECT_ENV = "CORPUSKIT_ENCODING_DETECT"
"""Set to ``0``/``off``/``false`` to turn legacy-encoding detection off (strict UTF-8)."""
MAX_CHAOS = 0.2
"""charset-normalizer's own default: candidates messier than this are not offered at all."""
MIN_MULTIBYTE_SHARE = 0.01
"""Below 1% high bytes, a CJK multi-byte reading of a file that cp1252 reads cleanly is not
believed (charset-normalizer reads a lone "©" in English text as Shift_JIS katakana)."""
MAX_WESTERN_RUN_SHARE = 0.5
NEAR_CHAOS = 0.01
NEAR_COHERENCE = 0.05
"""A candidate this close to the best one (chaos, language coherence) is just as plausible."""
AMBIGUOUS_ENV = "CORPUSKIT_ENCODING_AMBIGUOUS"
"""``report`` (default): input that several encodings read differently, equally plausibly, is
reported as undecodable. ``guess``: take charset-normalizer's best candidate anyway."""
MAX_CONTROL_SHARE = 0.01
"""A decode with more than 1% C0/C1 control characters is not text."""


def detection_enabled() -> bool:
    """Whether legacy-encoding detection is on (default) or off through the environment.

    An environment variable, because the decode hook gets no configuration and runs in every
    worker process, which inherits the environment.
    """
    return os.environ.get(DETECT_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def guessing_allowed() -> bool:
    """Whether an ambiguous legacy encoding is guessed (opt-in) instead of reported."""
    return os.environ.get(AMBIGUOUS_ENV, "report").strip().lower() == "guess"


def decode(data: bytes, *, detect: bool = True, guess: bool = False) -> Decoded:
    """Decode ``data`` exactly, detect its legacy encoding, or say why it is not text.

    ``detect``/``guess`` come from the run's config (``input.detect_encoding``,
    ``input.ambiguous_encoding``); the environment variables can turn detection off and
    guessing on for a whole process tree as well.
    """
    if not (detect and detection_enabled()):
        return decode_bytes(data)  # strict: the core's BOM-aware UTF-8
    if data.startswith(_BOMS):
        return decode_bytes(data)
    head = data[:_SAMPLE]
    if b"\x00" in head:
        return _decode_nul_lanes(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _detect_legacy(data, guess)
    if b"\x1b" in head and data.isascii() and any(e in data for e in _ISO2022_ESCAPES):
        for enc in _ISO2022:
            try:
                decoded = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\x1b" not in decoded:
                return Decoded(decoded, enc, False, message=f"7-bit {enc} escape sequences")
    return Decoded(text, "utf-8", False)


def _decode_nul_lanes(data: bytes) -> Decoded:
    """UTF-32/16 without a BOM when the NULs sit in one byte lane; binary otherwise."""
    sample = data[:_SAMPLE]
    for enc, width, lanes in (
        ("utf-32-le", 4, (3,)),
        ("utf-32-be", 4, (0,)),
        ("utf-16-le", 2, (1,)),
        ("utf-16-be", 2, (0,)),
    ):
        if len(data) % width:
            continue
        nul_lane = sum(sample[i::width].count(0) for i in lanes)
        if width == 4:
            if nul_lane * width < len(sample):  # lane must be entirely NUL (code points < 2**24)
                continue
        elif nul_lane < 0.9 * sample.count(0) or nul_lane * width < 0.3 * len(sample):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _control_share(text) <= MAX_CONTROL_SHARE:
            return Decoded(text, enc, False, message=f"{enc} without a byte-order mark")
    return Decoded(None, "binary", False, "binary",
                   "contains NUL bytes and is not UTF-16/32 text: not a text file")


def _detect_legacy(data: bytes, guess: bool = False) -> Decoded:
    """charset-normalizer's candidates, a Western prior, and a refusal to guess between
    equally plausible readings that differ."""
    matches = charset_normalizer.from_bytes(data, threshold=MAX_CHAOS)
    best = matches.best()
    western = _western_reading(data)
    if best is None:
        if western is not None:
            return _ok(data, western, "cp1252", None, "the only plausible reading")
        return Decoded(
            None, "unknown", False, "undecodable",
            "not valid UTF-8, and no encoding decodes it to plausible text "
            f"(charset-normalizer found no candidate under chaos {MAX_CHAOS})",
        )
    best_enc = _name(best.encoding)
    if western is not None and best_enc.startswith(_MULTIBYTE):
        high = len(data) - len(data.translate(None, _HIGH_BYTES))
        if high < MIN_MULTIBYTE_SHARE * len(data):
            # a few high bytes in ASCII text: one ©, not a page of Japanese
            return _ok(data, western, "cp1252", None, f"rather than {best_enc}: few high bytes")
    near = [m for m in matches if m.chaos <= best.chaos + NEAR_CHAOS
            and m.coherence >= best.coherence - NEAR_COHERENCE]
    common = [m for m in near if not _name(m.encoding).startswith(_EXOTIC)]
    if not common and western is not None:
        return _ok(data, western, "cp1252", None, f"rather than DOS/Mac code page {best_enc}")
    near = common or near
    texts = {str(m): m for m in near}
    if len(texts) == 1:
        m = near[0]
        return _ok(data, str(m), _name(m.encoding), float(m.chaos), "detected")
    if western is not None and (
        western in texts or all(_latin_single_byte(_name(m.encoding)) for m in near)
    ):
        return _ok(data, western, "cp1252", None,
                   "Western default among equally plausible Latin code pages")
    if guess or guessing_allowed():
        return _ok(data, str(best), best_enc, float(best.chaos), "best guess (ambiguous)")
    rivals = sorted({_name(m.encoding) for m in near})
    shown = ", ".join(rivals[:5]) + (" ..." if len(rivals) > 5 else "")
    return Decoded(
        None, "unknown", False, "undecodable",
        f"not valid UTF-8 and the legacy encoding is ambiguous: {shown} are as plausible "
        "and give different text; not guessing (convert the file to UTF-8, or set "
        f"{AMBIGUOUS_ENV}=guess)",
    )


def _ok(data: bytes, text: str, enc: str, chaos: float | None, how: str) -> Decoded:
    if _control_share(text) > MAX_CONTROL_SHARE:
        return Decoded(None, "unknown", False, "undecodable",
                       f"not valid UTF-8; the best reading ({enc}) is full of control characters")
    if chaos is None:
        chaos = _run_share(text)
    enc = _common_name(data, text, enc)
    confidence = round(max(0.0, 1.0 - chaos), 3)
    return Decoded(text, enc, False, confidence=confidence,
                   message=f"{enc}: {how} (confidence {confidence})")


def _western_reading(data: bytes) -> str | None:
    """The cp1252 reading, when it is strict and looks like a Latin-script language.

    In real Western text the non-ASCII characters are mostly single letters or punctuation
    between ASCII letters; a Cyrillic, Greek, Hebrew or CJK file read as cp1252 is runs of
    accented letters and symbols. Measured: the share of non-ASCII characters inside runs of
    3+ is 0 for 99% (at most 0.24) of 568 real cp1252 web texts, and at least 0.75 for every
    chardet-encodings file in a non-Latin script.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return text if _run_share(text) <= MAX_WESTERN_RUN_SHARE else None


def _run_share(text: str) -> float:
    """Share of the non-ASCII characters that sit in runs of three or more."""
    sample = text[:_SAMPLE_CHARS]
    total = len(sample) - len(sample.encode("ascii", "ignore"))
    if total == 0:
        return 0.0
    return sum(len(r) for r in _NON_ASCII_RUN.findall(sample)) / total


def _name(enc: str) -> str:
    return codecs.lookup(enc).name


def _latin_single_byte(enc: str) -> bool:
    return not enc.startswith(_NON_LATIN) and not enc.startswith(_MULTIBYTE)


_COMMON = ("cp1252",)
"""Labels to prefer when they decode to the very same text (German with only umlauts is the
same in cp1250 and cp1252; the report should say the common one)."""


def _common_name(data: bytes, text: str, enc: str) -> str:
    for alt in _COMMON:
        if alt == enc:
            break
        try:
            if data.decode(alt) == text:
                return alt
        except UnicodeDecodeError:
            continue
    return enc


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    return len(_CONTROL_RE.findall(text)) / len(text)
