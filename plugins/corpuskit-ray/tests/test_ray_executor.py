"""The ``ray`` executor against a real local Ray instance (loopback, 2 CPUs, started once).

The claim under test is the issue's: the same passes over the same shards give byte-identical
output to the in-process executor, including a corpus-scope pass whose scan states are made in
Ray workers and merged on the driver. The test corpus is real text from ``shared/corpora`` cut
into many small shards, so several tasks are in flight and finish out of order.
"""

from __future__ import annotations

import json
import operator
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ray = pytest.importorskip("ray")

from corpuskit_ray import RayExecutor  # noqa: E402
from corpuskit_ray.parity import PluginMismatchError, check_worker, fingerprint  # noqa: E402

from corpuskit import Config, Session  # noqa: E402
from corpuskit.config import InputSettings  # noqa: E402
from corpuskit.plugins import PluginSpec  # noqa: E402
from corpuskit.runner import Runner  # noqa: E402
from corpuskit.session import SessionSpec  # noqa: E402

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"
SHARD_BYTES = 20_000  # the corpus below is ~0.2 MB of text: about ten shards


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    """One private local Ray instance for the whole file (starting Ray takes seconds)."""
    saved = os.environ.pop("RAY_ADDRESS", None)
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        ray.shutdown()
        if saved is not None:
            os.environ["RAY_ADDRESS"] = saved


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds + 40 wiki revisions (near-duplicates across files) + a Latin-1 file + an empty one."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    root = tmp_path_factory.mktemp("corpus") / "in"
    root.mkdir()
    for f in sorted((CORPORA / "seeds").glob("*.txt")):
        shutil.copyfile(f, root / f.name)
    docs = sorted(p for p in (CORPORA / "wiki-versions" / "docs").glob("*/*.txt"))[:40]
    for f in docs:
        dest = root / "wiki" / f.parent.name / f.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
    latin1 = "Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9.\n\nSecond paragraph.\n"
    (root / "latin1.txt").write_bytes(latin1.encode("latin-1"))
    (root / "empty.txt").write_bytes(b"")
    return root


EXACTDUP = '''
"""A corpus-scope test pass: delete every repeat of a paragraph seen earlier in corpus order."""
from __future__ import annotations

import hashlib
import os
from typing import Any

from corpuskit import Pass, hookimpl

SEEN_PIDS: set[int] = set()
"""Processes that ran scan(): filled on the driver by merge(), read by the test."""


class ExactDup(Pass):
    name = "ray_test_exactdup"
    corpus_scope = True
    default_order = 50  # first, so that the built-in passes leave it repeats to find

    def scan(self, docs):
        first: dict[str, list[Any]] = {}
        for d in docs:
            for p in d.paragraphs:
                if len(p.text) >= 40:
                    key = hashlib.sha1(p.text.encode("utf-8", "surrogatepass")).hexdigest()
                    first.setdefault(key, [list(d.ordinal), p.index, d.id])
        return {"pids": {os.getpid()}, "first": first}

    def merge(self, states):
        # order-sensitive on purpose: "first" is whichever state comes first, so a merge that
        # is not given shard order would pick other paragraphs and change the output
        out: dict[str, Any] = {"pids": set(), "first": {}}
        for st in states:
            out["pids"] |= st["pids"]
            for k, v in st["first"].items():
                out["first"].setdefault(k, v)
        SEEN_PIDS.update(out["pids"])
        return out

    def finalize(self, state):
        return state["first"]

    def apply(self, doc, ctx):
        for p in doc.paragraphs:
            key = hashlib.sha1(p.text.encode("utf-8", "surrogatepass")).hexdigest()
            hit = ctx.plan.get(key) if len(p.text) >= 40 else None
            if hit is not None and (tuple(hit[0]), hit[1]) != (doc.ordinal, p.index):
                ctx.delete_paragraph(p, rule="repeat", reason="seen earlier in the corpus",
                                     kept={"doc_id": hit[2], "paragraph": hit[1]})
                ctx.count("repeats")


@hookimpl
def corpuskit_register_passes(register):
    register(ExactDup)
'''


@pytest.fixture(scope="module")
def exactdup_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plugin") / "ray_test_exactdup.py"
    path.write_text(textwrap.dedent(EXACTDUP), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _run(spec: SessionSpec, config: Config, src: Path, out: Path) -> float:
    t0 = time.perf_counter()
    Runner(Session(spec), config, timings=False).run_path(src, out)
    return time.perf_counter() - t0


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _assert_same_output(inline: Path, other: Path) -> dict[str, bytes]:
    """Every file, report.json and edits.jsonl included, byte for byte (no timings)."""
    a, b = _tree(inline), _tree(other)
    assert str(Path(".corpuskit") / "report.json") in a
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], f"{name} differs between executors"
    return a


def _config(**kw: Any) -> Config:
    return Config(input=InputSettings(shard_bytes=SHARD_BYTES), **kw)


# --------------------------------------------------------------------------------------------
# the same bytes out
# --------------------------------------------------------------------------------------------
def test_default_pipeline_same_bytes_as_inline(
    ray_instance: None, corpus: Path, tmp_path: Path
) -> None:
    spec = SessionSpec()
    t_inline = _run(spec, _config(executor="inline", jobs=1), corpus, tmp_path / "inline")
    t_ray = _run(spec, _config(executor="ray", jobs=2), corpus, tmp_path / "ray")
    tree = _assert_same_output(tmp_path / "inline", tmp_path / "ray")
    report = json.loads(tree[str(Path(".corpuskit") / "report.json")])
    # the passes changed documents (the comparison is not between two untouched copies), and
    # every input file is accounted for, the undecodable and empty ones included
    assert report["input"]["documents_changed"] > 0
    assert report["input"]["files"] == len([p for p in corpus.rglob("*") if p.is_file()])
    assert "latin1.txt" in tree or any(
        "latin1.txt" in json.dumps(p) for p in report["problems"])
    print(f"default pipeline: inline {t_inline:.2f}s, ray(jobs=2) {t_ray:.2f}s")


def test_corpus_pass_loaded_by_path_scans_in_ray_workers(
    ray_instance: None, corpus: Path, exactdup_plugin: Path, tmp_path: Path
) -> None:
    spec = SessionSpec(plugins=PluginSpec(extra=(str(exactdup_plugin),)))
    config = _config(enable=["ray_test_exactdup"])
    _run(spec, _replace(config, executor="inline", jobs=1), corpus, tmp_path / "inline")
    module = sys.modules["corpuskit_local_ray_test_exactdup"]
    assert {os.getpid()} == module.SEEN_PIDS
    module.SEEN_PIDS.clear()
    _run(spec, _replace(config, executor="ray", jobs=2), corpus, tmp_path / "ray")
    # scan ran in Ray worker processes, which loaded the plugin file themselves from the spec
    assert module.SEEN_PIDS and os.getpid() not in module.SEEN_PIDS
    tree = _assert_same_output(tmp_path / "inline", tmp_path / "ray")
    report = json.loads(tree[str(Path(".corpuskit") / "report.json")])
    assert report["pipeline"][0] == "ray_test_exactdup"
    (stats,) = [p for p in report["passes"] if p["name"] == "ray_test_exactdup"]
    edits = [json.loads(line) for line in
             tree[str(Path(".corpuskit") / "edits.jsonl")].decode("utf-8").splitlines()]
    mine = [e for e in edits if e["pass"] == "ray_test_exactdup"]
    # wiki revisions share paragraphs verbatim, so the pass must actually have deleted some,
    # each pointing at a kept copy
    assert mine and stats["counters"]["repeats"] == len(mine)
    assert all(e["detail"]["kept"]["doc_id"] for e in mine)


def test_cli_joins_a_running_cluster_with_ray_address(
    ray_instance: None, corpus: Path, tmp_path: Path
) -> None:
    """``corpuskit clean --executor ray --ray-address ADDR`` in another process joins this
    file's Ray instance (as a driver joins a multi-node cluster), gives the bytes of
    ``--executor inline``, and leaves the cluster running."""
    address = ray.get_runtime_context().gcs_address
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["CORPUSKIT_NO_CONFIG"] = "1"
    common = ["-m", "corpuskit", "clean", str(corpus), "--no-timings", "-q",
              "--set", f"input.shard_bytes={SHARD_BYTES}"]
    for name, extra in (("inline", ["--executor", "inline"]),
                        ("ray", ["--executor", "ray", "-j", "2", "--ray-address", address])):
        subprocess.run([sys.executable, *common, "-o", str(tmp_path / name), *extra],
                       env=env, cwd=tmp_path, timeout=300, check=True, capture_output=True)
    _assert_same_output(tmp_path / "inline", tmp_path / "ray")
    assert ray.is_initialized()
    again = RayExecutor(1, {})
    try:
        assert list(again.map(operator.add, 1, [1])) == [2]
    finally:
        again.close()


def test_worker_with_other_plugins_refuses_to_run(
    ray_instance: None, exactdup_plugin: Path,
) -> None:
    """A Ray worker whose plugins differ from the driver's (here: the driver loaded a plugin
    the worker's spec does not have) stops with a clear error instead of running another
    pipeline."""
    driver = fingerprint(SessionSpec(plugins=PluginSpec(extra=(str(exactdup_plugin),))))
    check = ray.remote(check_worker)
    with pytest.raises(PluginMismatchError, match="ray_test_exactdup"):
        ray.get(check.remote(SessionSpec(), driver))
    ray.get(check.remote(SessionSpec(plugins=PluginSpec(extra=(str(exactdup_plugin),))), driver))


def _replace(config: Config, **kw: Any) -> Config:
    import dataclasses

    return dataclasses.replace(config, **kw)


# --------------------------------------------------------------------------------------------
# the executor protocol itself
# --------------------------------------------------------------------------------------------
def _slow_head() -> Callable[[Any, int], tuple[Any, int]]:
    """A task function (pickled by value: it is local) whose first items finish last."""

    def fn(ctx: Any, item: int) -> tuple[Any, int]:
        import time as _t

        _t.sleep(0.2 if item < 2 else 0.0)
        return ctx, item

    return fn


def test_results_come_back_in_item_order(ray_instance: None) -> None:
    ex = RayExecutor(2, {})
    try:
        items = list(range(20))
        got = list(ex.map(_slow_head(), {"plan": list(range(1000))}, items))
    finally:
        ex.close()
    assert [i for _, i in got] == items
    assert all(ctx == {"plan": list(range(1000))} for ctx, _ in got)


@settings(max_examples=15, deadline=None)
@given(items=st.lists(st.integers(), max_size=30), jobs=st.integers(1, 3),
       context=st.integers())
def test_map_is_an_ordered_map_for_any_items_and_jobs(
    ray_instance: None, items: list[int], jobs: int, context: int
) -> None:
    ex = RayExecutor(jobs, {})
    try:
        assert list(ex.map(operator.add, context, items)) == [context + i for i in items]
    finally:
        ex.close()


def test_task_error_reaches_the_driver_as_its_own_type(ray_instance: None) -> None:
    ex = RayExecutor(2, {})
    try:
        results = ex.map(operator.truediv, 6, [1, 2, 0, 3])
        assert next(results) == 6.0
        assert next(results) == 3.0
        with pytest.raises(ZeroDivisionError):
            next(results)
    finally:
        ex.close()


def test_close_leaves_a_running_instance_alone(ray_instance: None) -> None:
    ex = RayExecutor(0, {})
    assert ex.jobs == 2  # jobs=0 means every CPU of the cluster
    ex.close()
    assert ray.is_initialized()
    again = RayExecutor(1, {})
    try:
        assert list(again.map(operator.add, 10, [1, 2])) == [11, 12]
    finally:
        again.close()


def test_executor_started_instance_is_shut_down(tmp_path: Path) -> None:
    """In a fresh interpreter (the module's instance is elsewhere): start, use, close."""
    script = textwrap.dedent("""
        import operator, ray
        from corpuskit import Session
        ex = Session().executors.items["ray"].obj(1, {"init": {"_node_ip_address": "127.0.0.1"}})
        print(list(ex.map(operator.mul, 3, [1, 2, 3])), ray.is_initialized())
        ex.close()
        print(ray.is_initialized())
    """)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120, check=True).stdout.split("\n")
    assert out[0] == "[3, 6, 9] True"
    assert out[1] == "False"
