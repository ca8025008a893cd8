"""Properties of the whole default pipeline on generated corpora built from realistic pieces:
nothing is lost (edits revert to the input), a second clean changes nothing, runs are
deterministic."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpuskit
from corpuskit.segment import revert_all

SENTENCES = [
    "Seven people were killed on Saturday in the southern Kazakh city of Taraz, officials said.",
    "The interior ministry said earlier the man attacked a weapons store in Taraz.",
    "The interior ministry said earlier the man attacked a gun store in Taraz.",
    "Kazakhstan has seen an unprecedented spate of small-scale attacks over the last year.",
    "Recent attacks",
    "Copyright © 2012 Naharnet.com. All Rights Reserved.",
    "Share this article on Facebook",
    "He said the man was named Kariyev and born in 1977, the news agency reported.",
    "The court ruled the copyright claim was without merit and dismissed the case.",
    "CafÃ© owners said the rÃ©sumÃ© was “fineâ€\x9d.",
    "Caf\u00e9 owners said the r\u00e9sum\u00e9 was \u201cfine\u201d \u2014 mostly.",
    "Around 70 percent of Kazakhstan's 16.5 million people are Muslims.",
    "",
]

doc_text = st.lists(st.sampled_from(SENTENCES), min_size=0, max_size=8).map(
    lambda parts: "\n".join(parts)
) | st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6).map(
    lambda parts: "\r\n".join(parts) + "\r\n"
)
corpora = st.lists(doc_text, min_size=1, max_size=6)


@given(corpora)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_default_pipeline_properties(texts: list[str]) -> None:
    docs = [corpuskit.Document(id=f"d{i}.txt", text=t) for i, t in enumerate(texts)]
    first = corpuskit.clean(docs)
    pipeline = first.report["pipeline"]
    # nothing lost: every document's edits revert its output to its input
    for o in first.outcomes:
        out_text = "" if o.dropped else o.doc.text
        assert revert_all(out_text, o.edits, pipeline) == o.original.text
    # idempotent: cleaning the cleaned corpus changes nothing
    second = corpuskit.clean(first.documents)
    assert second.edits == [], [e.to_dict() for e in second.edits][:3]
    # deterministic
    again = corpuskit.clean(docs)
    assert [d.text for d in again.documents] == [d.text for d in first.documents]
    assert again.report == first.report
