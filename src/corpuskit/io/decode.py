"""The core's fallback decoder: strict UTF-8 (BOM or not) and BOM-marked UTF-16/32.

It runs last (``trylast``), so the ``encoding`` pass, or any plugin, can decode first. Anything
it cannot decode exactly is reported, never replaced with U+FFFD.
"""

from __future__ import annotations

import codecs

from corpuskit.io.base import Decoded
from corpuskit.plugin_api import hookimpl

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> Decoded:
    """Decode exactly or say why not: BOM-marked Unicode, else strict UTF-8, else a problem."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as exc:
                return Decoded(None, enc, True, "undecodable", f"starts with a {enc} BOM but {exc}")
            return Decoded(text, enc, True)
    if b"\x00" in data[:65536]:
        return Decoded(None, "binary", False, "binary", "contains NUL bytes: not a text file")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError as exc:
        return Decoded(
            None,
            "unknown",
            False,
            "undecodable",
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "enable the 'encoding' pass to detect legacy encodings",
        )


@hookimpl(trylast=True)
def corpuskit_decode(data: bytes, path: str) -> Decoded:
    return decode_bytes(data)
