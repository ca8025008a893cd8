"""docs/plugins.md documents every hookspec with its current signature and flags."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

from corpuskit import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugins.md"


def _gen_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_hooks", ROOT / "docs" / "gen_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _specs() -> dict[str, object]:
    return {
        name: fn for name, fn in vars(hookspecs).items()
        if name.startswith("corpuskit_") and getattr(fn, "corpuskit_spec", None) is not None
    }


def test_generated_reference_is_up_to_date() -> None:
    gen = _gen_hooks()
    text = DOC.read_text(encoding="utf-8")
    assert gen.updated(text) == text, "run: python docs/gen_hooks.py"


def test_every_hookspec_is_documented_with_its_signature() -> None:
    """Checked from the source independently of the generator, so a generator bug that drops
    a hook or mangles a signature fails too."""
    text = DOC.read_text(encoding="utf-8")
    specs = _specs()
    assert len(specs) >= 10
    for name, fn in specs.items():
        assert f"### `{name}`" in text, name
        src = inspect.getsource(fn)  # type: ignore[arg-type]
        m = re.search(r"def (\w+\((?:.|\n)*?\)) -> ([^:]+):", src)
        assert m is not None
        params = " ".join(m.group(1).split()).replace("( ", "(").replace(", )", ")")
        assert f"def {params} -> {m.group(2).strip()}: ..." in text, name
        opts = fn.corpuskit_spec  # type: ignore[attr-defined]
        section = text.split(f"### `{name}`", 1)[1].split("### ", 1)[0]
        for flag in ("firstresult", "historic"):
            assert (f"`{flag}`" in section) == bool(opts.get(flag)), (name, flag)


def test_no_documented_hook_is_stale() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(corpuskit_\w+)`", text, re.MULTILINE))
    assert documented == set(_specs())


def test_guide_example_plugin_works_as_a_plugin_file(tmp_path: Path) -> None:
    """The example of section 1, saved as a file and loaded the way ``-p ./file.py`` loads
    it, registers ``trailing_ws`` and does what the guide says."""
    text = DOC.read_text(encoding="utf-8")
    code = text.split("`src/corpuskit_trailing/__init__.py`:", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 30
    path = tmp_path / "guide_trailing_example.py"
    path.write_text(code, encoding="utf-8")
    from corpuskit.plugins import load_module_or_path
    from corpuskit.testing import assert_invariants, run_pass

    module = load_module_or_path(str(path))
    run = run_pass("trailing_ws", ["one  \r\ntwo\t\n", "clean\n"], plugins=[module],
                   entry_points=False)
    assert run.texts == ["one\r\ntwo\n", "clean\n"]
    assert_invariants(run)
    assert run_pass("trailing_ws", "a\t\n", {"tabs": False}, plugins=[module],
                    entry_points=False).text == "a\t\n"
