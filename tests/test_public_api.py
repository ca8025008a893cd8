from __future__ import annotations

import importlib
import pkgutil

import corpuskit


def test_all_is_exact_and_importable() -> None:
    assert sorted(corpuskit.__all__) == corpuskit.__all__
    for name in corpuskit.__all__:
        assert hasattr(corpuskit, name), name
    public = {n for n in dir(corpuskit) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(corpuskit, n)).__name__ == "module"}
    assert public - modules == set(corpuskit.__all__) - {"__version__"}


def test_every_module_imports_cleanly() -> None:
    for mod in pkgutil.walk_packages(corpuskit.__path__, "corpuskit."):
        if mod.name == "corpuskit.__main__":
            continue
        importlib.import_module(mod.name)


def test_library_clean_with_strings_and_in_memory_plugin() -> None:
    class Upper(corpuskit.Pass):
        name = "upper_a"

        def apply(self, doc: corpuskit.Document, ctx: corpuskit.PassContext) -> None:
            for i, ch in enumerate(doc.text):
                if ch == "a":
                    ctx.replace(i, i + 1, "A", rule="a", reason="test")

    class Plugin:
        @corpuskit.hookimpl
        def corpuskit_register_passes(self, register) -> None:  # type: ignore[no-untyped-def]
            register(Upper)

    res = corpuskit.clean(["banana\n", "kiwi"], passes=["upper_a"], plugins=[Plugin()])
    assert [d.text for d in res.documents] == ["bAnAnA\n", "kiwi"]
    assert len(res.edits) == 3
    assert res.report["passes"][0]["edits"] == 3
    assert res.report["documents"][0]["status"] == "changed"
