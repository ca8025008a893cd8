"""The ``encoding`` plugin: decoding bytes (with detection), ftfy repair with explained edits,
and the fast path, which must give exactly what ``ftfy.fix_text`` gives.

Ground truth comes from outside corpuskit: the labels of ``chardet-encodings``, ftfy's own
published test cases, real text from the shared corpora, and ``ftfy.fix_text`` itself.
"""

from __future__ import annotations

import csv
import json
import random
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ftfy
import pytest
from ftfy import TextFixerConfig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpuskit
from corpuskit.config import Config
from corpuskit.model import Document, Edit
from corpuskit.pass_api import PassContext
from corpuskit.passes import _detect
from corpuskit.passes._ftfy_fast import FastFixer, badness_witnesses, build_gate
from corpuskit.passes.encoding import EncodingOptions, EncodingPass
from corpuskit.plugins import PluginSpec
from corpuskit.runner import Runner
from corpuskit.segment import apply_edits, revert_edits
from corpuskit.session import Session, SessionSpec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
CORPUS_CONFIG = EncodingOptions().ftfy_config()


def corpora_dir(name: str) -> Path:
    d = SHARED / name
    if not d.is_dir():
        pytest.skip(f"../shared/corpora/{name} not available")
    return d


def damage(text: str, rate: float, seed: int) -> str:
    """Turn some lines into UTF-8-read-as-cp1252 mojibake, as a broken pipeline would."""
    rnd = random.Random(seed)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line and rnd.random() < rate:
            lines[i] = line.encode("utf-8").decode("cp1252", "replace")
    return "\n".join(lines)


def sample_texts(budget: int) -> Iterator[tuple[str, str]]:
    """A deterministic sample (~``budget`` characters) of every real text corpus."""
    picks = [
        ("trafilatura-eval", "text/*.txt"),
        ("article-extraction-benchmark", "text/*.txt"),
        ("article-extraction-benchmark", "gold/*.txt"),
        ("wiki-versions", "docs/*/*"),
        ("clough-stevenson-plagiarism", "docs/*"),
    ]
    for name, pattern in picks:
        files = sorted(corpora_dir(name).glob(pattern))
        chosen = sorted(files, key=lambda p: zlib.crc32(p.name.encode()))
        used = 0
        for p in chosen:
            if used > budget // len(picks):
                break
            data = p.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", "replace")
            used += len(text)
            yield f"{name}/{p.name}", text


# ---------------------------------------------------------------------------------------------
# the gate
# ---------------------------------------------------------------------------------------------
def test_every_badness_alternative_has_a_witness() -> None:
    """Without a witness per alternative the gate would be 'run ftfy everywhere' (slow)."""
    wit = badness_witnesses()
    assert wit is not None
    pairs, singles = wit
    assert pairs and singles
    for a, b in pairs:
        assert min(a) > 0x7F and min(b) > 0x7F
    assert build_gate(CORPUS_CONFIG) is not None
    assert build_gate(TextFixerConfig()) is not None


def test_ordinary_typography_is_not_a_gate_hit() -> None:
    """Curly quotes, dashes and accented names alone must not send a line to ftfy."""
    gate = build_gate(CORPUS_CONFIG)
    assert gate is not None
    line = "“Zoë Brontë’s café — naïve façade…” said Ms. Müller-Lüdenscheidt, «Ça va?» 20 °C"
    assert gate.search(line) is None
    assert ftfy.fix_text(line, CORPUS_CONFIG) == line


def test_all_options_off_changes_nothing() -> None:
    off = {k: False for k, v in TextFixerConfig()._asdict().items() if isinstance(v, bool)}
    cfg = TextFixerConfig(**{**off, "unescape_html": False, "normalization": None})
    text = "CafÃ© &amp; \x00 “x” ﬁ\r\n"
    assert FastFixer(cfg).fix_text(text) == ftfy.fix_text(text, cfg) == text


# ---------------------------------------------------------------------------------------------
# identity with ftfy.fix_text
# ---------------------------------------------------------------------------------------------
CONFIGS = {
    "corpus-defaults": CORPUS_CONFIG,
    "ftfy-defaults": TextFixerConfig(),
    "explain-off": TextFixerConfig(explain=False, restore_byte_a0=False),
    "nfkc-lines": TextFixerConfig(normalization="NFKC", fix_line_breaks=True, uncurl_quotes=False),
}


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
def test_identical_to_ftfy_on_its_own_test_cases(config_name: str) -> None:
    cfg = CONFIGS[config_name]
    fixer = FastFixer(cfg)
    n = 0
    for path in sorted(corpora_dir("ftfy-test-cases").glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            text = case["original"]
            assert fixer.fix_text(text) == ftfy.fix_text(text, cfg), (path.name, case["label"])
            n += 1
    assert n >= 150


def test_identical_to_ftfy_on_real_corpora() -> None:
    """A deterministic ~1.5 MB sample (the benchmark script checks every file), with 2% of
    lines damaged so that the slow path is exercised too."""
    fixer = FastFixer(CORPUS_CONFIG)
    n_changed = 0
    for i, (name, text) in enumerate(sample_texts(1_500_000)):
        text = damage(text, 0.02, i)
        expected = ftfy.fix_text(text, CORPUS_CONFIG)
        assert fixer.fix_text(text) == expected, name
        n_changed += expected != text
    assert n_changed > 20


def test_identical_to_ftfy_with_ftfy_defaults_on_real_text() -> None:
    cfg = TextFixerConfig()
    fixer = FastFixer(cfg)
    for i, (name, text) in enumerate(sample_texts(200_000)):
        text = damage(text, 0.05, i)
        assert fixer.fix_text(text) == ftfy.fix_text(text, cfg), name


ENCODINGS = ["cp1252", "latin-1", "cp1251", "macroman", "cp437", "iso-8859-2", "cp1250",
             "cp1253", "cp1254", "cp1257", "sloppy-windows-1252", "sloppy-windows-1251"]
PIECES = [
    "the", "The quick fox", " ", "  ", "’", "‘", "“", "”", "–", "—", "…", "•", "·", "©", "®",
    "°", "€", "£", "é", "è", "ü", "ß", "ñ", "É", "Ü", "«", "»", "\u00a0", "½", "²", "×", "§",
    "&amp;", "&eacute;", "&#x2019;", "&#8212;", "&NTILDE;", "&lt;", "&nbsp;", "&bogus;", "AT&T",
    "<b>", "<", "\x00", "\x07", "\x1b[31m", "\x1b", "\x7f", "\ufeff", "\u206a", "\ufffc", "\x0b",
    "\t", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x80", "\x9d", "\ud83d\ude00",
    "\ud83d", "\ude00", "ﬁ", "ﬂ", "Ĳ", "ＬＯＵＤ", "ｶﾀｶﾅ", "\u3000", "ʼ", "e\u0301", "\u1100\u1161",
    "Ã la", "Ã ", "Â ", "Ã\xa0", "Ð¾", "â€™", "â€œ", "â€\x9d", "вЂ™", "Ã©", "Ã", "Â", "œ", "Œ",
    "√±", "ÂÃ", "ï»¿", "Ð", "Ñ", "Ø", "Ù", "Ã¼", "\ufffd", "?", "ΒΓΞΟ", "Кириллица", "Ελληνικά",
    "日本語", "한국어", "😀",
]


@st.composite
def mixed_text(draw: Any) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            parts.append(draw(st.sampled_from(PIECES)))
        elif kind == 1:
            src = draw(st.text(min_size=1, max_size=8))
            enc = draw(st.sampled_from(ENCODINGS))
            parts.append(src.encode("utf-8", "surrogatepass").decode(enc, "replace"))
        elif kind == 2:
            parts.append(draw(st.text(max_size=6)))
        else:
            parts.append(draw(st.sampled_from(["\n", " ", "", "\r\n", ". "])))
    return "".join(parts)


configs = st.builds(
    TextFixerConfig,
    unescape_html=st.sampled_from([True, False, "auto"]),
    remove_terminal_escapes=st.booleans(),
    fix_encoding=st.booleans(),
    restore_byte_a0=st.booleans(),
    replace_lossy_sequences=st.booleans(),
    decode_inconsistent_utf8=st.booleans(),
    fix_c1_controls=st.booleans(),
    fix_latin_ligatures=st.booleans(),
    fix_character_width=st.booleans(),
    uncurl_quotes=st.booleans(),
    fix_line_breaks=st.booleans(),
    fix_surrogates=st.booleans(),
    remove_control_chars=st.booleans(),
    normalization=st.sampled_from([None, "NFC", "NFD", "NFKC", "NFKD"]),
    max_decode_length=st.sampled_from([1_000_000, 1_000_000, 5, 17]),
    explain=st.booleans(),
)


@given(mixed_text(), configs)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_identical_to_ftfy_on_generated_text(text: str, cfg: TextFixerConfig) -> None:
    assert FastFixer(cfg).fix_text(text) == ftfy.fix_text(text, cfg)


@given(mixed_text())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_identical_to_ftfy_on_generated_text_corpus_defaults(text: str) -> None:
    assert FastFixer(CORPUS_CONFIG).fix_text(text) == ftfy.fix_text(text, CORPUS_CONFIG)


# ---------------------------------------------------------------------------------------------
# the pass: edits, explanations, invariants
# ---------------------------------------------------------------------------------------------
def run_pass(p: EncodingPass, text: str) -> tuple[str, list[Any]]:
    doc = Document(id="d", text=text)
    ctx = PassContext(p.name, doc)
    p.apply(doc, ctx)
    edits = ctx.edits()
    return apply_edits(text, edits), edits


@given(mixed_text(), st.sampled_from(["keep", "lf"]), st.booleans())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_pass_edits_give_ftfy_output_and_revert(text: str, line_endings: str,
                                                 ftfy_defaults: bool) -> None:
    base: dict[str, Any] = (
        {k: v for k, v in TextFixerConfig()._asdict().items()} if ftfy_defaults else {}
    )
    opts = EncodingOptions(**base, line_endings=line_endings)
    p = EncodingPass(opts)
    out, edits = run_pass(p, text)
    expected = ftfy.fix_text(text, opts.ftfy_config())
    if line_endings == "lf":
        expected = expected.replace("\r\n", "\n").replace("\r", "\n")
    assert out == expected
    assert revert_edits(out, edits) == text
    for e in edits:
        assert e.before != e.after and e.start < e.end
        if e.rule != "line_endings":
            assert e.detail["ftfy_steps"], e


def test_each_fix_is_its_own_small_edit_with_ftfy_steps() -> None:
    text = ("Plain line.\n"
            "The cafÃ© served â€œcoffeeâ€\x9d.\n"
            "Another plain line — with a real dash.\n"
            "Tom &amp; Jerry\n")
    out, edits = run_pass(EncodingPass(), text)
    assert out == ftfy.fix_text(text, CORPUS_CONFIG)
    spans = [(e.before, e.after) for e in edits]
    assert ("Ã©", "é") in spans and ("â€œ", "“") in spans and ("â€\x9d", "”") in spans
    assert ("&amp;", "&") in spans
    moj = [e for e in edits if e.rule == "mojibake"]
    assert moj and all(["decode", "utf-8"] in e.detail["ftfy_steps"] for e in moj)
    # the steps are ftfy's own explanation of the line, replayable with ftfy.apply_plan
    line = text.splitlines(keepends=True)[1]
    plan = [tuple(s) for s in moj[0].detail["ftfy_steps"]]
    assert ftfy.apply_plan(line, plan) == ftfy.fix_text(line, CORPUS_CONFIG)


def test_line_endings_lf_is_recorded_per_line_ending() -> None:
    text = "one\r\ntwo cafÃ©\r\nthree\rfour"
    opts = EncodingOptions(line_endings="lf")
    out, edits = run_pass(EncodingPass(opts), text)
    assert out == "one\ntwo café\nthree\nfour"
    assert sum(e.rule == "line_endings" for e in edits) == 3
    assert revert_edits(out, edits) == text
    # "keep" leaves them alone
    out_keep, _ = run_pass(EncodingPass(), text)
    assert out_keep == "one\r\ntwo café\r\nthree\rfour"


def test_options_mirror_every_ftfy_field_with_corpus_defaults() -> None:
    fields = set(EncodingOptions.model_fields)
    assert set(TextFixerConfig._fields) <= fields
    cfg = EncodingOptions().ftfy_config()
    # what datatrove and NeMo Curator keep: typography stays, no normalization
    assert not cfg.uncurl_quotes and not cfg.fix_latin_ligatures
    assert not cfg.fix_character_width and cfg.normalization is None
    assert cfg.fix_encoding and cfg.remove_control_chars
    with pytest.raises(corpuskit.errors.ConfigError):
        corpuskit.clean(["x"], passes=["encoding"], config={"passes": {"encoding": {"uncurl": 1}}})


def test_ftfy_published_cases_through_the_library() -> None:
    """With ftfy's own defaults the pass reproduces every expected-pass case of ftfy's suite;
    with corpus defaults the negative cases that expect no change come through untouched."""
    cases = []
    for path in sorted(corpora_dir("ftfy-test-cases").glob("*.json")):
        cases += json.loads(path.read_text(encoding="utf-8"))
    passing = [c for c in cases if c["expect"] == "pass"]
    ftfy_defaults = {k: v for k, v in TextFixerConfig()._asdict().items()}
    res = corpuskit.clean([c["original"] for c in passing], passes=["encoding"],
                          config={"passes": {"encoding": ftfy_defaults}})
    assert [d.text for d in res.documents] == [c["fixed"] for c in passing]
    for o in res.outcomes:
        assert revert_edits(o.doc.text, o.edits) == o.original.text
        assert bool(o.edits) == (o.doc.text != o.original.text)
    negatives = [c for c in cases if c["expect"] == "pass" and c["fixed"] == c["original"]]
    res = corpuskit.clean([c["original"] for c in negatives], passes=["encoding"])
    assert not res.edits


# ---------------------------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------------------------
def chardet_rows() -> list[dict[str, str]]:
    root = corpora_dir("chardet-encodings")
    with open(root / "labels.tsv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_detection_accuracy_on_chardet_corpus() -> None:
    """Share of files decoded to exactly the labelled text (93.9% measured); anything not
    decoded must be reported as a problem, never returned as text."""
    root = corpora_dir("chardet-encodings")
    right = total = 0
    for row in chardet_rows():
        data = (root / row["path"]).read_bytes()
        try:
            truth = data.decode(row["encoding"])
        except (LookupError, UnicodeDecodeError):
            continue
        total += 1
        dec = _detect.decode(data)
        assert (dec.text is None) == (dec.problem is not None)
        right += dec.text == truth
    assert total == 424
    assert right / total >= 0.93


def test_real_cp1252_text_decodes_exactly() -> None:
    """Western web text saved as cp1252 (the common legacy case) comes back letter for letter;
    charset-normalizer alone gets about a quarter of these wrong (cp1250, cp852, even cp932
    for a lone "©")."""
    right = total = 0
    for name, text in sample_texts(600_000):
        if text.isascii() or not name.startswith(("trafilatura", "article")):
            continue
        try:
            data = text.encode("cp1252")
        except UnicodeEncodeError:
            continue
        total += 1
        dec = _detect.decode(data)
        right += dec.text == text
        assert dec.text is None or dec.encoding != "unknown"
    assert total >= 30
    assert right / total >= 0.95


def test_short_or_ambiguous_input_is_reported_not_guessed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    greek = (corpora_dir("chardet-encodings") / "files" / "iso-8859-7-greek" / "_ude_2.txt")
    data = greek.read_bytes()
    dec = _detect.decode(data)
    assert dec.text is None and dec.problem == "undecodable" and "ambiguous" in dec.message
    monkeypatch.setenv(_detect.AMBIGUOUS_ENV, "guess")
    assert _detect.decode(data).text is not None


@pytest.mark.parametrize("folder", ["UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE", "UTF-16",
                                    "UTF-32", "iso-2022-jp", "iso-2022-kr", "utf-8-sig"])
def test_nul_and_escape_traps(folder: str) -> None:
    """UTF-16/32 without a BOM (valid UTF-8 full of NULs) and 7-bit ISO-2022 (valid ASCII full
    of escapes) are decoded as what they are, not as binary or as escape soup."""
    root = corpora_dir("chardet-encodings")
    rows = [r for r in chardet_rows() if r["path"].split("/")[1] == folder]
    assert rows
    for row in rows:
        data = (root / row["path"]).read_bytes()
        dec = _detect.decode(data)
        assert dec.text == data.decode(row["encoding"]), row["path"]


def test_binary_is_reported_not_decoded() -> None:
    rnd = random.Random(7)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rnd.randrange(256) for _ in range(4000))
    dec = _detect.decode(png)
    assert dec.text is None and dec.problem == "binary"
    mostly_nul = (corpora_dir("chardet-encodings") / "files" / "ascii"
                  / "_mozilla_bug638318_text.html").read_bytes()
    assert _detect.decode(mostly_nul).problem == "binary"


def test_detection_off_is_strict_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    data = "Grüße aus Köln, schöne Grüße".encode("cp1252")
    assert _detect.decode(data).text == "Grüße aus Köln, schöne Grüße"
    monkeypatch.setenv(_detect.DETECT_ENV, "off")
    dec = _detect.decode(data)
    assert dec.text is None and dec.problem == "undecodable"


# ---------------------------------------------------------------------------------------------
# end to end through the runner
# ---------------------------------------------------------------------------------------------
def real_text(corpus: str, pattern: str, min_chars: int, want: str, encodable: str) -> str:
    """The first file (in sorted order) that is long enough, has characters from ``want`` and
    can be written in ``encodable``."""
    for p in sorted(corpora_dir(corpus).glob(pattern)):
        text = p.read_text(encoding="utf-8")
        if len(text) < min_chars or sum(text.count(ch) for ch in want) < 10:
            continue
        try:
            text.encode(encodable)
        except UnicodeEncodeError:
            continue
        return text
    pytest.skip(f"no suitable text in {corpus}")


@pytest.fixture(scope="module")
def encoded_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A corpus of real text in several encodings, some of it with real-world-style mojibake."""
    root = tmp_path_factory.mktemp("enc") / "in"
    root.mkdir()
    english = real_text("article-extraction-benchmark", "gold/*.txt", 3000, "’“—", "utf-8")
    german = real_text("trafilatura-eval", "text/*.txt", 4000, "äöüß", "cp1252")
    german2 = real_text("trafilatura-eval", "text/*.txt", 9000, "ÄÖÜ", "utf-16")
    chardet = corpora_dir("chardet-encodings") / "files"
    samples = {
        "ru-cp1251.txt": (chardet / "windows-1251-russian" / "aif.ru.health.xml", "windows-1251"),
        "ja-sjis.txt": (chardet / "SHIFT_JIS" / "10e.org.xml", "shift_jis"),
        "zh-gb2312.txt": (chardet / "GB2312" / "14.blog.westca.com.xml", "gb2312"),
        "utf16le-nobom.txt": (chardet / "UTF-16LE" / "nobom-utf16le.txt", "utf-16-le"),
    }
    files: dict[str, tuple[bytes, str, str]] = {  # name -> (bytes, text, encoding recorded)
        "en-utf8-mojibake.txt": (damage(english, 0.3, 1).encode("utf-8"),
                                 damage(english, 0.3, 1), "utf-8"),
        "en-utf8-bom.txt": (b"\xef\xbb\xbf" + english.encode("utf-8"), english, "utf-8-sig"),
        "de-utf16-bom.txt": (german2.encode("utf-16"), german2, "utf-16"),
        "de-cp1252.txt": (german.encode("cp1252"), german, "cp1252"),
        "de-cp1252-crlf.txt": (german.replace("\n", "\r\n").encode("cp1252"),
                               german.replace("\n", "\r\n"), "cp1252"),
    }
    for name, (path, label) in samples.items():
        data = path.read_bytes()
        files[name] = (data, data.decode(label), "")
    for name, (data, _, _) in files.items():
        (root / name).write_bytes(data)
    (root / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return {"root": root, "files": files}


def run(root: Path, out: Path, **passes: Any) -> Any:
    session = Session(SessionSpec(PluginSpec()))
    config = Config(pipeline=["encoding"], executor="inline", jobs=1,
                    passes={"encoding": dict(passes)} if passes else {})
    return Runner(session, config).run_path(root, out)


def test_runner_decodes_repairs_reports_and_reverts(encoded_corpus: dict[str, Any],
                                                     tmp_path: Path) -> None:
    root, files = encoded_corpus["root"], encoded_corpus["files"]
    out = tmp_path / "out"
    result = run(root, out)
    report = json.loads((out / ".corpuskit" / "report.json").read_text(encoding="utf-8"))
    records = {r["path"]: r for r in report["documents"]}
    for name, (data, text, enc) in files.items():
        rec = records[name]
        # the recorded encoding is one that turns these bytes into this text
        assert data.decode(rec["encoding"]) == text, name
        if enc:
            assert rec["encoding"] == enc, name
        expected = ftfy.fix_text(text, CORPUS_CONFIG)
        written = (out / name).read_bytes().decode("utf-8-sig" if enc == "utf-8-sig" else "utf-8")
        assert written == expected, name
        edits = [Edit.from_dict(e) for e in rec["edits"]]
        assert revert_edits(written, edits) == text, name
        assert all(e.pass_name == "encoding" and e.detail.get("ftfy_steps") for e in edits)
        assert (rec["status"] == "changed") == (expected != text)
    moj = records["en-utf8-mojibake.txt"]
    original = files["en-utf8-bom.txt"][1]
    damaged_lines = {i for i, (a, b) in enumerate(zip(
        original.split("\n"), files["en-utf8-mojibake.txt"][1].split("\n"), strict=True))
        if a != b}
    assert len(damaged_lines) >= 3
    written = (out / "en-utf8-mojibake.txt").read_text(encoding="utf-8")
    assert written == original  # ftfy undid every damaged line of this text
    assert sum(e["rule"] == "mojibake" for e in moj["edits"]) >= len(damaged_lines)
    assert records["en-utf8-bom.txt"]["status"] == "unchanged"
    assert (out / "en-utf8-bom.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    # not text: reported, copied through unchanged, never "decoded"
    assert records["binary.txt"]["status"] == "not_cleaned"
    assert (out / "binary.txt").read_bytes() == (root / "binary.txt").read_bytes()
    assert result.exit_code == 1 and report["input"]["encodings"]["cp1252"] == 2
    # a second run over the output changes nothing
    again = run(out, tmp_path / "out2")
    assert again.report["input"]["documents_changed"] == 0


def test_runner_line_endings_lf(encoded_corpus: dict[str, Any], tmp_path: Path) -> None:
    root, files = encoded_corpus["root"], encoded_corpus["files"]
    out = tmp_path / "out"
    run(root, out, line_endings="lf")
    _, text, _ = files["de-cp1252-crlf.txt"]
    written = (out / "de-cp1252-crlf.txt").read_bytes().decode("utf-8")
    assert "\r" not in written
    assert written == ftfy.fix_text(text, CORPUS_CONFIG).replace("\r\n", "\n")
