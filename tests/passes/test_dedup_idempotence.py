"""Regression tests: a second ``clean`` over the dedup pass's output removes nothing more.

Each test rebuilds, in miniature, a case seen on real pages where the second run still found
something: the first run's decision depended on text the same run removed or reshaped.
"""

from __future__ import annotations

from typing import Any

import pytest

import corpuskit
from corpuskit.model import Document
from corpuskit.plugins import PluginSpec
from corpuskit.segment import revert_edits
from corpuskit.session import Session, SessionSpec


@pytest.fixture(scope="module")
def session() -> Session:
    return Session(SessionSpec(PluginSpec(entry_points=False)))


def clean_twice(docs: list[Document], session: Session, **opts: Any
                ) -> tuple[corpuskit.CleanResult, corpuskit.CleanResult]:
    config = {"passes": {"dedup": opts}}
    first = corpuskit.clean(docs, passes=["dedup"], config=config, session=session)
    for o in first.outcomes:
        assert revert_edits(o.doc.text, o.edits) == o.original.text
    again = [Document(o.original.id, o.doc.text, ordinal=o.original.ordinal)
             for o in first.outcomes if not o.dropped]
    second = corpuskit.clean(again, passes=["dedup"], config=config, session=session)
    return first, second


def paragraphs(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


# -- a sentence cut out of a hard-wrapped block ----------------------------------------------
TITLE = "Drei Haselnüsse für Aschenbrödel: Jetzt Tickets sichern für Winterausstellung"
WRAPPED = (
    f"{TITLE} 30. Oktober 2023\n"
    "Neues im „WortRaum“ der Cantiere 123 mit vielen Gästen 28. Oktober 2023\n"
    "Gewinne Freikarten für die große Firebirds-Nacht in Dresden 28. Oktober 2023\n"
    "Dresdner Wochenmärkte: Frische Kartoffeln aus der Region 27. Oktober 2023"
)


def test_sentence_cut_that_would_unwrap_a_block_is_not_made(session: Session) -> None:
    """ "... Winterausstellung 30." reads as a sentence repeating the title; cutting it leaves
    "Oktober 2023" as a short first line, the block no longer looks hard-wrapped, and the next
    run reads its lines one by one ("Oktober 2023" then repeats another page's line). The
    block is left whole instead, so both runs judge the same paragraph."""
    page = Document("a-page", f"{TITLE}\n\nEin Artikel über die Ausstellung.\n\n{WRAPPED}\n",
                    ordinal=(0, 0))
    calendar = Document("b-calendar", "Archiv\n\nNovember 2023\nOktober 2023\nSeptember 2023\n",
                        ordinal=(0, 1))
    first, second = clean_twice([page, calendar], session)
    out = {o.original.id: o.doc for o in first.outcomes}
    assert WRAPPED in out["a-page"].text  # nothing cut out of the wrapped block
    assert out["b-calendar"].text == calendar.text
    assert second.edits == []


# -- lines removed from a block that is read line by line -------------------------------------
LINE_A = "Gesetzliche Überprüfungen, Qualitätsmanagement, Arbeiten an Prüfständen,"
LINE_B = "Kundenkommunikation, Projektmanagement und Projektpraktiukum"
LINE_C = "Zusatzeinrichtungen – Fahrzeugsicherheit"


def test_lines_left_in_a_block_stay_paragraphs_of_their_own(session: Session) -> None:
    """Short menu lines around three long ones are exact repeats of another page's lines. Once
    they are gone, the three lines left look hard-wrapped: the next run would read them as one
    paragraph, a near-duplicate of the one-line version above. Blank lines keep them apart (any
    two of them would still read as wrapped), so the output has the paragraphs the first run
    judged."""
    menu = Document("a-menu", "§57a\n\nLärmschutzeinrichtungen\n\nSicherheitsbestimmungen\n",
                    ordinal=(0, 0))
    block = f"§57a\n{LINE_A}\n{LINE_B}\n{LINE_C}\nLärmschutzeinrichtungen\nSicherheitsbestimmungen"
    page = Document("b-page", f"{LINE_A} {LINE_B}\n\nLF 14\n\n{block}\n\nEnde der Liste\n",
                    ordinal=(0, 1))
    first, second = clean_twice([menu, page], session)
    out = next(o for o in first.outcomes if o.original.id == "b-page")
    assert sorted(e.rule for e in out.edits) == ["exact"] * 3 + ["keep-apart"] * 2
    assert paragraphs(out.doc) == [f"{LINE_A} {LINE_B}", "LF 14", LINE_A, LINE_B, LINE_C,
                                   "Ende der Liste"]
    assert f"\n\n{LINE_A}\n\n{LINE_B}\n\n{LINE_C}\n\nEnde" in out.doc.text
    assert second.edits == []


def test_block_still_read_line_by_line_gets_no_blank_line(session: Session) -> None:
    """The blank line is only for blocks that would be read differently: removing a menu
    line from a list of short lines leaves a list of short lines."""
    menu = Document("a-menu", "Impressum\n", ordinal=(0, 0))
    page = Document("b-page", "Start\nImpressum\nKontakt\nSuche\n", ordinal=(0, 1))
    first, second = clean_twice([menu, page], session)
    out = next(o for o in first.outcomes if o.original.id == "b-page")
    assert [e.rule for e in out.edits] == ["exact"]
    assert out.doc.text == "Start\nKontakt\nSuche\n"
    assert second.edits == []


# -- a repeat paragraph the paragraph rules keep after all ------------------------------------
HEADLINE = "« Il y a, d’abord, le poids de la géographie ». Sur les migrations avec François Héran"


def test_repeat_kept_by_the_plan_gets_the_sentence_rule(session: Session) -> None:
    """The last line is a near pair of the second headline, so the sentence rule left it to
    the paragraph rules; but those delete the second headline as a copy of the first, which the
    last line is not near, and keep it. The second run would then cut its sentence (a repeat of
    the first headline's). The first run does it now."""
    doc = Document("page", f"{HEADLINE} - Le Grand Continent\n\nEntretien\n\n{HEADLINE}\n\n"
                           "Le texte de l’entretien commence ici.\n\n"
                           "Il y a, d’abord, le poids de la géographie.\n")
    first, second = clean_twice([doc], session)
    (o,) = first.outcomes
    assert sorted(e.rule for e in o.edits) == ["near", "repeated-sentence"]
    assert paragraphs(o.doc) == [f"{HEADLINE} - Le Grand Continent", "Entretien",
                                 "Le texte de l’entretien commence ici."]
    assert second.edits == []


def test_kept_repeat_is_judged_without_the_paragraphs_the_plan_deletes(session: Session) -> None:
    """The second line repeats the first line's last sentence, so the sentence rule left it
    whole; the plan deletes the first line (a near copy of the other article's) and keeps the
    second. Its sentences must not be cut as repeats of the deleted line -- the second run,
    where that line is gone, would not -- or what is left ("matilda fitzroy, abbess of
    montvilliers.") is a new text the first run never compared: an exact repeat of the other
    article's line, removed by the second run."""
    mother = ("her mother was isabel de beaumont, sister of robert de beaumont, "
              "2nd earl of leicester.")
    other = Document("a-article", " isabel fitzroy, daughter of isabel de beaumont, sister of "
                                  "robert de beaumont, 2nd earl of leicester.\n"
                                  " matilda fitzroy, abbess of montvilliers\n", ordinal=(0, 0))
    line1 = f" isabel fitzroy. {mother}"
    line2 = f" matilda fitzroy, abbess of montvilliers. {mother}"
    doc = Document("b-article", f"{line1}\n{line2}\n robert fitzroy, died 1172.\n",
                   ordinal=(0, 1))
    first, second = clean_twice([other, doc], session)
    out = next(o for o in first.outcomes if o.original.id == "b-article")
    assert [e.rule for e in out.edits] == ["near"]
    assert paragraphs(out.doc) == [line2, " robert fitzroy, died 1172."]
    assert second.edits == []
