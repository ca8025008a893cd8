"""The boilerplate pass: rule lines go (with their rule id), chrome recurring across documents
goes in every copy, recurring body text (quotes, reprinted stories) stays; the seed's tracker
header goes; the state merges across shards; output is idempotent and revertible."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import corpuskit
from corpuskit import Config, ConfigError, Document, Session, hookimpl
from corpuskit.pass_api import PassContext
from corpuskit.passes._rules import Rule, builtin_rules, check_examples, corpuskit_addhooks
from corpuskit.passes.boilerplate import BoilerplateOptions, BoilerplatePass, line_templates
from corpuskit.plugins import PluginSpec
from corpuskit.runner import Runner
from corpuskit.segment import revert_edits
from corpuskit.session import SessionSpec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"

TRACKER = [
    ("This article is from the source 'bbc' and was first published or seen on . It last "
    "changed over 40 days ago and won't be checked again for changes."),
    ("You can find the current article at its original source at "
    "http://www.bbc.co.uk/go/rss/int/news/-/news/world-asia-15705308"),
    "The article has changed 3 times. There is an RSS feed of changes available.",
    "Version 1 Version 2",
]

CHROME = ["Share on Facebook", "Newsletter abonnieren", "Advertisement", "Read more",
          "Zum Inhalt springen", "Home › News › World", "Foto: dpa", "3 Kommentare",
          "Diese Website verwendet Cookies. Mit der Nutzung stimmen Sie dem zu."]

WORDS = [
    "river", "council", "budget", "vote", "minister", "school", "harbour", "festival",
    "study", "court", "engineers", "report", "storm", "bridge", "village", "museum",
    "tender", "transport", "hospital", "farmers", "election", "railway", "police", "market",
    "energy",
]


def _sentence(rng: random.Random, n: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _clean(docs: list[Document] | list[str], **options: object) -> corpuskit.CleanResult:
    cfg = {"passes": {"boilerplate": dict(options)}} if options else None
    return corpuskit.clean(docs, passes=["boilerplate"], config=cfg)


# -- rules --------------------------------------------------------------------------------------
def test_rule_examples_match_and_counter_examples_do_not() -> None:
    rs = builtin_rules("boilerplate")
    assert len(rs.rules) >= 20
    assert len(rs.counter_examples) >= 20
    assert check_examples(rs) == []
    for r in rs.rules:
        assert r.description and r.examples, r.id


def test_every_rule_example_is_removed_and_counter_examples_kept() -> None:
    rs = builtin_rules("boilerplate")
    p = BoilerplatePass(BoilerplateOptions())
    body = "The council met on Tuesday to discuss the budget for the coming year."
    for r in rs.rules:
        for ex in r.examples:
            doc = Document("d", f"{body}\n{ex}\n{body}\n")
            ctx = PassContext("boilerplate", doc, None)
            p.apply(doc, ctx)
            (edit,) = ctx.edits()
            assert edit.before == f"{ex}\n", (r.id, ex)
    res = _clean(["\n".join(rs.counter_examples) + "\n"])
    assert res.edits == []


def test_chrome_lines_in_several_languages_are_removed() -> None:
    rng = random.Random(1)
    body = [_sentence(rng) for _ in range(4)]
    text = "\n".join([CHROME[0], body[0], CHROME[1], body[1], *CHROME[2:], *body[2:]]) + "\n"
    res = _clean([text])
    assert res.documents[0].text == "\n".join(body) + "\n"
    assert len(res.edits) == len(CHROME)
    assert all(e.detail.get("category") for e in res.edits)


def test_seed_002_loses_the_four_tracker_lines() -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/corpora not available")
    paths = sorted(seeds.glob("*.txt"))
    originals = [p.read_text(encoding="utf-8") for p in paths]
    res = corpuskit.clean(paths, passes=["boilerplate"])
    by_name = {Path(o.original.id).name: o for o in res.outcomes}
    seed0 = by_name[paths[0].name]
    assert seed0.edits == [] and seed0.doc.text == originals[0]
    seed2 = by_name[paths[1].name]
    removed = [e.before.strip() for e in seed2.edits]
    assert [e.rule for e in seed2.edits] == ["newsdiff-header"] * 4
    original_lines = originals[1].splitlines()
    assert removed == [ln for ln in original_lines[:7] if ln.strip()]
    out_lines = seed2.doc.text.splitlines()
    assert out_lines == original_lines[7:]
    assert seed2.doc.text == originals[1].split("Version 1 Version 2\n", 1)[1]


def test_user_rule_file_and_disabled_rules(tmp_path: Path) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text(
        'kind = "boilerplate"\n[[rule]]\nid = "kurier-footer"\n'
        'description = "Footer of the Musterstadt Kurier"\n'
        "pattern = '''musterstadt\\s+kurier\\s+gmbh.{0,80}'''\n"
        'examples = ["Musterstadt Kurier GmbH, Hauptstraße 5"]\n',
        encoding="utf-8",
    )
    text = ("Die Brücke wird im Mai eröffnet, teilte die Stadt mit.\n"
            "Musterstadt Kurier GmbH, Hauptstraße 5\n")
    assert _clean([text]).edits == []
    res = _clean([text], extra_rules=[str(rules)])
    assert [e.rule for e in res.edits] == ["kurier-footer"]
    assert _clean(["Text of the article.\nAdvertisement\n"], disabled_rules=["advertisement"]
                  ).edits == []
    with pytest.raises(ConfigError):
        _clean([text], disabled_rules=["nope"])
    with pytest.raises(ConfigError):
        _clean([text], extra_rules=[str(tmp_path / "missing.toml")])


class _SitePlugin:
    @hookimpl
    def corpuskit_boilerplate_rules(self) -> list[Rule]:
        return [Rule(id="plugin-donate", description="Donation appeal of one site.",
                     pattern=r"support\s+our\s+journalism\.?", kind="boilerplate",
                     examples=("Support our journalism",), source="test")]


def test_plugin_adds_rules_through_the_hook() -> None:
    session = Session(SessionSpec(PluginSpec(entry_points=False)))
    # what a historic corpuskit_addhooks call at registration does; see the report
    corpuskit_addhooks(session.pm)
    plugin = _SitePlugin()
    session.pm.register(plugin)
    session.in_memory_plugins.append(plugin)
    text = "The vote was close.\nSupport our journalism\n"
    res = corpuskit.clean([text], passes=["boilerplate"], session=session)
    assert [e.rule for e in res.edits] == ["plugin-donate"]


def test_apply_without_plan_or_hook_uses_rules_only() -> None:
    p = BoilerplatePass(BoilerplateOptions(), hook=None)
    doc = Document("d", "A line of the article that stays here.\nRead more\n")
    ctx = PassContext("boilerplate", doc, None)
    p.apply(doc, ctx)
    assert [e.rule for e in ctx.edits()] == ["read-more"]


# -- frequency ----------------------------------------------------------------------------------
QUOTE = '"We will not give up on this town," the mayor said.'


def _site_corpus(n: int = 12, seed: int = 7) -> list[Document]:
    """Pages of one site: templated header/footer chrome, unique bodies, a shared quote."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        body = [_sentence(rng, 16) for _ in range(6)]
        if i % 2 == 0:
            body.insert(3, QUOTE)
        lines = [
            "Musterstadt Kurier",
            f"Ausgabe {i + 1} vom {rng.randint(1, 28)}. März 2021 · Seite {rng.randint(1, 40)}",
            f"Lokales aus dem Kreis {rng.choice(['Nord', 'Süd', 'West'])}",
            *body,
            f"Mehr Nachrichten aus Musterstadt unter https://kurier.example/{i}",
            "Musterstadt Kurier GmbH, Hauptstraße 5, 12345 Musterstadt",
        ]
        docs.append(Document(f"page-{i}", "\n".join(lines) + "\n"))
    return docs


def test_recurring_chrome_is_removed_in_every_copy_and_quotes_are_kept() -> None:
    docs = _site_corpus()
    res = _clean(docs)
    for d_in, d_out in zip(docs, res.documents, strict=True):
        out = d_out.text.splitlines()
        assert not any("Musterstadt Kurier" in ln or "Ausgabe" in ln or "Lokales" in ln
                       or "Mehr Nachrichten" in ln for ln in out), out
        assert len(out) == len(d_in.text.splitlines()) - 5
        assert (QUOTE in out) == (QUOTE in d_in.text)
    freq = [e for e in res.edits if e.rule == "recurring-line"]
    assert len(freq) == 5 * len(docs)
    assert all(e.detail["doc_frequency"] >= 5 and e.detail["documents"] == len(docs)
               for e in freq)
    assert {e.detail["template"] for e in freq if "ausgabe" in e.detail["template"]} == {
        "ausgabe <n> vom <n>. <w> <n> · <w> <n>"}


def test_threshold_by_count_and_fraction() -> None:
    docs = _site_corpus(6)
    assert _clean(docs, min_docs=7).edits == []
    assert _clean(docs, min_fraction=1.0).edits != []  # every page has the chrome
    assert _clean(docs, min_docs=2, frequency=False).edits == []


def test_reprinted_story_is_not_chrome() -> None:
    """The same wire story on eight sites: its lines recur, but always with the same text
    around them, so they stay (dedup's job); each site's own chrome still goes."""
    rng = random.Random(3)
    story = [_sentence(rng, 18) for _ in range(5)]
    story.insert(2, "Officials declined to comment.")
    docs = []
    for site in range(8):
        pages = []
        for page in range(6):
            body = story if page == 0 else [_sentence(rng, 18) for _ in range(4)]
            pages.append(Document(f"s{site}-p{page}", "\n".join(
                [f"Site {site} navigation bar", *body, f"Imprint of site {site} media house"])
                + "\n"))
        docs.extend(pages)
    res = _clean(docs)
    for d_in, d_out in zip(docs, res.documents, strict=True):
        if d_in.id.endswith("-p0"):
            assert d_out.text.splitlines() == story, d_in.id
    assert any(e.rule == "recurring-line" for e in res.edits)


def test_shared_banner_does_not_make_blogs_one_context() -> None:
    """Eight blogs on one host share a long cookie banner (a rule removes it) and a footer.
    The banner is the only long line of each page, so it used to be every page's context
    signature: the footer looked like one text reprinted eight times and stayed, until a
    first clean had removed the banner and a second clean removed the footer."""
    rng = random.Random(5)
    banner = ("Datenschutz & Cookies: Diese Website verwendet Cookies. Wenn du die Website "
              "weiterhin nutzt, stimmst du der Verwendung von Cookies zu.")
    footer = "Erstelle eine kostenlose Website oder Blog – auf WordPress.com."
    docs = [Document(f"blog{i}", "\n".join(
        [*(_sentence(rng, 8) for _ in range(4)), footer, banner]) + "\n") for i in range(8)]
    first = _clean(docs)
    assert all(footer not in d.text and banner not in d.text for d in first.documents)
    again = _clean([Document(d.id, d.text) for d in first.documents])
    assert again.edits == []


def test_scan_merge_is_independent_of_sharding() -> None:
    docs = _site_corpus(20)
    p = BoilerplatePass(BoilerplateOptions())
    whole = p.finalize(p.merge([p.scan(docs)]))
    parts = p.finalize(p.merge([p.scan(docs[:3]), p.scan(docs[3:11]), p.scan([]),
                                p.scan(docs[11:])]))
    assert whole == parts
    assert whole.docs == 20 and whole.frequent
    empty = p.finalize(p.merge([]))
    assert empty.frequent == {} and empty.docs == 0


def test_line_templates_align_with_document_lines() -> None:
    text = "Version 1 Version 2\r\n\r\n  \nSeen on 'bbc' at http://x.y/z 40 days ago\rlast"
    doc = Document("d", text)
    originals, templates = line_templates(text)
    assert originals == [ln.text for ln in doc.lines]
    assert templates == ["version <n> <w> <n>", "seen on <q> at <u> <n> days ago", "last"]
    assert line_templates("Lokales aus dem Kreis Nord")[1] == ["lokales aus dem <w> <w>"]


def test_runner_end_to_end_with_shards_and_workers(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    docs = _site_corpus(10)
    for d in docs:
        (src / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
    cfg = Config(pipeline=["copyright", "boilerplate"], executor="process", jobs=2)
    cfg.input.shard_bytes = 2000  # several shards: states are merged across them
    result = Runner(Session(), cfg, timings=False).run_path(src, tmp_path / "out")
    assert result.exit_code == 0
    mem = {d.id: d.text for d in _clean(docs).documents}  # same result as in memory
    for d in docs:
        assert (tmp_path / "out" / f"{d.id}.txt").read_text(encoding="utf-8") == mem[d.id]
    (bp,) = [p for p in result.report["passes"] if p["name"] == "boilerplate"]
    assert bp["rules"]["recurring-line"] == 50


# -- properties ---------------------------------------------------------------------------------
_content = st.builds(lambda seed: _sentence(random.Random(seed)), st.integers(0, 10_000))
_line = st.one_of(_content, st.sampled_from(CHROME + TRACKER + [QUOTE, "Share prices fell"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=10), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_rules_idempotent_and_revertible(lines: list[str], eol: str, trailing: bool) -> None:
    text = eol.join(lines) + (eol if trailing else "")
    res = _clean([Document("d", text)])
    out = res.documents[0].text
    assert revert_edits(out, res.edits) == text
    assert _clean([Document("d", out)]).edits == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(6, 14), st.integers(0, 1000))
def test_frequency_idempotent_and_revertible(n: int, seed: int) -> None:
    docs = _site_corpus(n, seed)
    res = _clean(docs)
    for o in res.outcomes:
        assert revert_edits(o.doc.text, o.edits) == o.original.text
    again = _clean(res.documents)
    assert again.edits == []


# -- speed-ups must not change a decision ----------------------------------------------------
def _real_texts(limit: int) -> list[str]:
    texts: list[str] = []
    for sub in ("article-extraction-benchmark/text", "trafilatura-eval/text"):
        texts.extend(p.read_text(encoding="utf-8")
                     for p in sorted((SHARED / sub).glob("*.txt"))[:limit])
    if not texts:
        pytest.skip("../shared/corpora not available")
    return texts


def _edits(p: BoilerplatePass, doc: Document, plan: object) -> list[tuple[int, int, str]]:
    ctx = PassContext("boilerplate", doc, plan)
    p.apply(doc, ctx)
    return [(e.start, e.end, e.rule) for e in ctx.edits()]


def test_line_memo_gives_the_verdicts_of_a_fresh_pass() -> None:
    """The pass remembers line verdicts across documents; a pass that has seen the corpus must
    decide every document exactly as a pass that sees the document first, and a pickled pass
    (as workers get it) starts with an empty memo."""
    import pickle

    texts = _real_texts(40)
    docs = [Document(f"d{i}", t, ordinal=(0, i)) for i, t in enumerate(texts)]
    warm = BoilerplatePass(BoilerplateOptions())
    plan = warm.finalize(warm.merge([warm.scan(docs)]))
    first = [_edits(warm, Document(d.id, d.text), plan) for d in docs]
    again = [_edits(warm, Document(d.id, d.text), plan) for d in docs]
    assert warm._memo and warm._key_hash.memo
    cold = [_edits(BoilerplatePass(BoilerplateOptions()), Document(d.id, d.text), plan)
            for d in docs]
    assert first == again == cold
    assert sum(map(len, first)) > 100
    copy = pickle.loads(pickle.dumps(warm))
    assert copy._memo == {} and copy._key_hash.memo == {}
    assert [_edits(copy, Document(d.id, d.text), plan) for d in docs[:5]] == first[:5]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["\n", "\r\n", "\r", " ", "  ", "\t"]) | st.sampled_from(
    ["ann", "Bob", "@", "x@y.de", ".", "+", "-", "mail.me@host", "a@b.c@d.e", "@@", "é@ü.fr"]),
    max_size=30))
def test_mail_substitution_inside_tokens_equals_the_whole_text_one(parts: list[str]) -> None:
    """Templating substitutes e-mail addresses only inside the tokens holding an '@'; that must
    give exactly what the mail regex gives over the whole text."""
    from corpuskit.passes import boilerplate as bp

    text = "".join(parts)
    assert bp._AT_TOKEN.sub(bp._mail_sub, text) == bp._T_MAIL.sub("<u>", text)


def test_mail_substitution_equal_on_real_pages_and_key_memo_exact() -> None:
    from corpuskit.passes import boilerplate as bp

    hashes = bp._KeyHashes()
    n = 0
    for text in _real_texts(200):
        assert bp._AT_TOKEN.sub(bp._mail_sub, text) == bp._T_MAIL.sub("<u>", text)
        originals, templates = line_templates(text)
        assert bp.nonblank_lines(text) == originals
        for orig, tmpl in zip(originals, templates, strict=True):
            assert bp.line_template(orig) == tmpl  # a line's template needs no context
            assert hashes(orig, tmpl) == bp._h(bp._key(orig, tmpl))
            assert hashes.of_line(orig) == bp._h(bp._key(orig, tmpl))
            n += 1
    assert n > 1000


_piece = st.sampled_from(["Σ", "ΟΔΟΣ", "İ", "www.x.de", "http://a.b/c", "'q'", "“q”", "Ann",
                          "3.5", "@", "a@b.de", "  ", "\t", " ", "\u00a0", "x", "\n", "\r\n"])


@settings(max_examples=80, deadline=None)
@given(st.lists(_piece, max_size=25))
def test_line_template_needs_no_context(parts: list[str]) -> None:
    """Templating one line alone gives its template in the whole text (what lets the pass
    remember templates per line)."""
    from corpuskit.passes import boilerplate as bp

    text = "".join(parts)
    originals, templates = line_templates(text)
    assert [bp.line_template(o) for o in originals] == templates


def test_rule_looking_behind_the_line_is_judged_in_context() -> None:
    """A user rule with a look-behind can see the previous line, so its verdicts are not
    remembered per line: the same line is chrome after one line and kept after another."""
    from corpuskit.passes._rules import LineMatcher

    assert LineMatcher(builtin_rules("boilerplate").rules).context_free
    rule = Rule("after-menu", "a line right after 'Menu'", r"(?<=Menu\n)\s*Home", max_words=3)
    m = LineMatcher((rule,))
    assert not m.context_free
    text = "Menu\nHome\nIntro\nHome\n"
    assert m.match(text, 5, 9) is rule and m.match(text, 16, 20) is None


_ADVERSARIAL_SEPS = (" ", " | ", "|", " - ", "-", " / ", "/", " > ", " › ", "›", " » ", ": ",
                     ". ", ",", " • ", " · ", " via ", " by ", " & ", " (")
_ADVERSARIAL_FILL = ("a", "A b", "x y z", "1", "AFP", "Getty Images")


@pytest.mark.parametrize("kind", ["boilerplate", "copyright"])
def test_rules_do_not_backtrack_exponentially(kind: str) -> None:
    """Every built-in rule against long rows of short items that almost match (an example,
    then 25 separator+item pairs, then a character that makes the match fail). A rule whose
    items can swallow their own separators makes the regex engine try every split: the
    breadcrumb rule once hung for minutes on a 190-character menu row. The alarm only turns
    such a hang into a failure; a normal run of this test takes well under a second."""
    import re
    import signal

    line = ("1 | 9 | A | B | C | Salzgitter | E | F | G Beyss H | I | J | haut | L | Bestimmungen"
            " | Chloe | O | P Tipp klarer | R | S | T | Ü diskutieren V Osób Wendy rangiert Y"
            " Symon Wohl electores § r1")

    def hung(*_: object) -> None:
        raise TimeoutError("a rule backtracks exponentially")

    old = signal.signal(signal.SIGALRM, hung)
    try:
        for r in builtin_rules(kind).rules:
            inner = f"(?:{r.pattern})" if r.case_sensitive else f"(?i:{r.pattern})"
            pat = re.compile(rf"\s*(?:{inner})\s*")
            signal.alarm(60)
            pat.fullmatch(line)
            for ex in (*r.examples[:4], ""):
                for sep in _ADVERSARIAL_SEPS:
                    for fill in _ADVERSARIAL_FILL:
                        for end in ("!", "§ r1", ""):
                            pat.fullmatch((ex + (sep + fill) * 25 + end)[:300])
            signal.alarm(0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_menu_row_of_single_letters_is_a_breadcrumb() -> None:
    row = "A | B | C | Salzgitter | E | F G"
    res = corpuskit.clean([f"A sentence of body text that stays.\n{row}\n"], passes=["boilerplate"])
    assert [e.rule for e in res.edits] == ["breadcrumb"]


def test_a_batch_gets_the_edits_each_document_gets_alone() -> None:
    """apply_batch scans and segments a batch's documents together; the edits must be the ones
    apply finds for each document alone (texts with \r and ones the filter cannot scan are
    mixed in, and go their own way)."""
    root = SHARED / "trafilatura-eval" / "text"
    if not root.is_dir():
        pytest.skip("../shared/corpora not available")
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.glob("*.txt"))[:40]]
    texts += ["Share\r\nbody text\r\nRead more", "", "İstanbul news\nShare", "Cookie Policy"]
    bp = BoilerplatePass()

    def edits(batched: bool) -> list[list[dict[str, object]]]:
        docs = [Document(str(i), t) for i, t in enumerate(texts)]
        ctxs = [PassContext("boilerplate", d, None) for d in docs]
        if batched:
            bp.apply_batch(docs, ctxs)
        else:
            for d, c in zip(docs, ctxs, strict=True):
                bp.apply(d, c)
        return [[e.to_dict() for e in c.edits()] for c in ctxs]

    alone = edits(False)
    assert sum(map(len, alone)) > 100
    assert edits(True) == alone


def test_a_rule_with_a_global_flag_is_refused_with_the_fix(tmp_path: Path) -> None:
    """``(?x)`` at the start of a pattern is legal alone, but not inside the group the passes
    wrap each rule in: the error must say how to write it."""
    rules = tmp_path / "site.toml"
    rules.write_text(
        'kind = "boilerplate"\n[[rule]]\nid = "kurier"\ndescription = "d"\n'
        "pattern = '''(?x) musterstadt \\s+ kurier'''\nexamples = [\"Musterstadt Kurier\"]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"\(\?x:\.\.\.\)"):
        _clean(["Musterstadt Kurier"], extra_rules=[str(rules)])
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "(?x) musterstadt \\s+ kurier", "(?x: musterstadt \\s+ kurier)"), encoding="utf-8")
    got = _clean(["Body text here.\nMusterstadt Kurier"], extra_rules=[str(rules)]).edits
    assert [e.rule for e in got] == ["kurier"]
