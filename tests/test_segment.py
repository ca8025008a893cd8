from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.model import Document, Edit
from corpuskit.segment import (
    apply_edits,
    deletion_spans,
    line_spans,
    revert_edits,
    split_lines,
    split_paragraphs,
)


def texts(spans: list[tuple[int, int]], text: str) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_line_spans_keep_every_ending_style() -> None:
    text = "a\r\nb\rc\n\nd"
    assert texts(line_spans(text), text) == ["a", "b", "c", "", "d"]
    assert texts(split_lines(text), text) == ["a", "b", "c", "d"]


def test_file_without_blank_lines_is_one_paragraph_per_line() -> None:
    text = "First paragraph is here.\nSecond one.\nThird.\n"
    assert texts(split_paragraphs(text), text) == [
        "First paragraph is here.", "Second one.", "Third."
    ]


def test_hard_wrapped_block_stays_one_paragraph() -> None:
    wrapped = (
        "Inheritance is a basic concept of Object-Oriented Programming where\n"
        "the basic idea is to create new classes that add extra detail to\n"
        "existing classes.\n\nSecond paragraph.\n"
    )
    paras = texts(split_paragraphs(wrapped), wrapped)
    assert len(paras) == 2
    assert paras[0].startswith("Inheritance") and paras[0].endswith("existing classes.")


def test_blocks_and_lines_modes() -> None:
    text = "a\nb\n\nc\n"
    assert texts(split_paragraphs(text, "blocks"), text) == ["a\nb", "c"]
    assert texts(split_paragraphs(text, "lines"), text) == ["a", "b", "c"]


def test_news_diff_seed_body_is_split_into_lines(seeds_dir) -> None:  # type: ignore[no-untyped-def]
    path = next(seeds_dir.glob("002_*.txt"))
    text = path.read_text(encoding="utf-8")
    paras = Document("x", text).paragraphs
    assert any(p.text == "Recent attacks" for p in paras)
    assert len(paras) > 20  # header blocks + one paragraph per body line


def test_deleting_the_last_units_keeps_the_trailing_newline_state() -> None:
    text = "A\nB\nC\n"
    units = split_lines(text)
    spans = deletion_spans(units, [1, 2], text)
    kept = text
    for s, e in sorted(spans.values(), reverse=True):
        kept = kept[:s] + kept[e:]
    assert kept == "A\n"
    text2 = "A\nB"
    spans2 = deletion_spans(split_lines(text2), [1], text2)
    (s, e), = spans2.values()
    assert text2[:s] + text2[e:] == "A"


line_text = st.text(alphabet=st.sampled_from([*"ab c\n\r\t", "é", "\u2019"]), max_size=80)


@given(line_text, st.data())
@settings(max_examples=200)
def test_deleting_any_units_then_reverting_restores_text(text: str, data: st.DataObject) -> None:
    units = split_paragraphs(text)
    if not units:
        return
    chosen = data.draw(st.sets(st.integers(0, len(units) - 1)))
    spans = deletion_spans(units, chosen, text)
    edits = [
        Edit("t", "r", "d", "delete", s, e, text[s:e], "", "why")
        for s, e in sorted(spans.values())
    ]
    out = apply_edits(text, edits)
    assert revert_edits(out, edits) == text
    # no unit that was kept lost a character, and every deleted unit is gone
    for i, (s, e) in enumerate(units):
        if i not in chosen and text[s:e]:
            assert text[s:e] in out
    # deleting never merges what was separated by a blank line: kept units keep their paragraphs
    kept = [text[s:e] for i, (s, e) in enumerate(units) if i not in chosen]
    assert [out[s:e] for s, e in split_paragraphs(out)] == kept or "\r" in text


@given(line_text, st.lists(st.tuples(st.integers(0, 80), st.integers(0, 5), st.text(max_size=5)),
                           max_size=5))
@settings(max_examples=200)
def test_replacements_revert(text: str, reps: list[tuple[int, int, str]]) -> None:
    edits = []
    pos = 0
    for start, length, new in sorted(reps):
        s = max(start, pos)
        e = min(s + length, len(text))
        if s > len(text):
            break
        edits.append(Edit("t", "r", "d", "replace", s, e, text[s:e], new, "why"))
        pos = e + 1
    out = apply_edits(text, edits)
    assert revert_edits(out, edits) == text


def _paragraphs_by_blocks(text: str) -> list[tuple[int, int]]:
    """Reference for the numpy block split: blocks of adjacent lines, each kept whole if it
    looks hard-wrapped, else split into its lines."""
    from corpuskit.segment import _looks_hard_wrapped

    blocks: list[list[tuple[int, int]]] = []
    prev = -2
    for s, e in split_lines(text):
        if blocks and s - prev == 1:
            blocks[-1].append((s, e))
        else:
            blocks.append([(s, e)])
        prev = e
    out: list[tuple[int, int]] = []
    for b in blocks:
        if len(b) > 1 and _looks_hard_wrapped(text, b):
            out.append((b[0][0], b[-1][1]))
        else:
            out.extend(b)
    return out


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 5, 39, 40, 60, 100, 101, 150]),
                          st.booleans()), max_size=14))
def test_paragraph_blocks_match_the_reference(shape: list[tuple[int, bool]]) -> None:
    lines = [("word " * k)[:k].rstrip(" ") + ("." if stop and k else "x" * bool(k))
             for k, stop in shape]
    text = "\n".join(lines)
    assert split_paragraphs(text) == _paragraphs_by_blocks(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aB \n\t\xa0\u2003\u3000\x1c.éÄ„…", max_size=60),
                min_size=1, max_size=6),
       st.lists(st.sampled_from([
           "x" * 45 + " wrapped prose line that does not end here and",
           "x" * 50 + " goes on to a second line without a stop at all",
           "A short line.", "", "  ", "menu"]), max_size=8))
def test_joined_segmentation_equals_each_text_alone(texts: list[str], extra: list[str]) -> None:
    from corpuskit.model import prime_segmentation
    from corpuskit.segment import join_lines

    texts = [*texts, "\n".join(extra)]  # hard-wrapped blocks too
    docs = [Document(str(i), t) for i, t in enumerate(texts)]
    # what the boilerplate pass hands it: each text's lower case in UTF-8
    prime_segmentation(docs, join_lines(texts, [t.lower().encode("utf-8") for t in texts]))
    for d, t in zip(docs, texts, strict=True):
        alone = Document("alone", t)
        assert d.__dict__["line_spans"] == alone.line_spans
        assert d.__dict__["paragraph_spans"] == alone.paragraph_spans
