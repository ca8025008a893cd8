"""Built-in executors: ``inline`` (this process) and ``process`` (a local process pool)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from corpuskit.plugin_api import hookimpl
from corpuskit.registry import ExecutorRegistrar

R = TypeVar("R")


class InlineExecutor:
    """Runs everything in the calling process: the library default, and ``--jobs 1``."""

    def __init__(self, jobs: int = 1, options: dict[str, Any] | None = None) -> None:
        self.jobs = 1

    def map(self, fn: Callable[[Any, Any], R], context: Any, items: Sequence[Any]) -> Iterator[R]:
        for item in items:
            yield fn(context, item)

    def close(self) -> None:
        pass


_CONTEXT_CACHE: dict[str, Any] = {}


def _call_with_context(fn: Callable[[Any, Any], R], context_path: str, item: Any) -> R:
    ctx = _CONTEXT_CACHE.get(context_path)
    if ctx is None:
        _CONTEXT_CACHE.clear()  # one phase at a time: drop the previous phase's plans
        with open(context_path, "rb") as fh:
            ctx = pickle.load(fh)
        _CONTEXT_CACHE[context_path] = ctx
    return fn(ctx, item)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class ProcessExecutor:
    """A local process pool (forkserver on Linux, spawn elsewhere; never plain fork, which
    copies the driver's state and threads). The context is pickled to a temp file once per
    ``map`` and loaded once per worker; at most ``2 × jobs`` items are in flight, so results
    waiting to be yielded in order never pile up."""

    def __init__(self, jobs: int = 0, options: dict[str, Any] | None = None) -> None:
        self.jobs = jobs if jobs > 0 else default_jobs()
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        self._pool = ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context(method)
        )
        self._tmp = tempfile.TemporaryDirectory(prefix="corpuskit-ctx-")
        self._n = 0

    def map(self, fn: Callable[[Any, Any], R], context: Any, items: Sequence[Any]) -> Iterator[R]:
        self._n += 1
        path = Path(self._tmp.name) / f"context-{self._n}.pkl"
        with open(path, "wb") as fh:
            pickle.dump(context, fh, protocol=pickle.HIGHEST_PROTOCOL)
        pending: deque[Future[R]] = deque()
        it = iter(items)
        limit = 2 * self.jobs
        for item in it:
            pending.append(self._pool.submit(_call_with_context, fn, str(path), item))
            if len(pending) >= limit:
                break
        while pending:
            result = pending.popleft().result()
            nxt = next(it, _END)
            if nxt is not _END:
                pending.append(self._pool.submit(_call_with_context, fn, str(path), nxt))
            yield result

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._tmp.cleanup()


_END: Any = object()


@hookimpl
def corpuskit_register_executors(register: ExecutorRegistrar) -> None:
    register("inline", InlineExecutor)
    register("process", ProcessExecutor)
