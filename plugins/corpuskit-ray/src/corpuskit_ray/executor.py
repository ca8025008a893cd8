"""``RayExecutor``: corpuskit's executor protocol on Ray tasks.

The runner hands an executor ``map(fn, context, items)`` once per phase (each dedup-like scan,
then the write phase). Here that becomes one Ray task per shard. What makes the output equal to
the local executors' is not Ray but the protocol: the shards are fixed by the input (never by
the worker count) and results are yielded in shard order, so the driver merges scan states and
writes the report exactly as it does inline.

Why the context travels as it does. The phase context (config + plans, e.g. the dedup plan)
can be large, so it is put in the object store once per ``map`` and each task receives only
its reference, boxed in a list so that Ray does not resolve it per task. A worker fetches and
unpickles it once per phase and keeps it while the phase lasts: besides saving the copies,
this keeps the object alive, and the runner's per-worker caches (session, built passes) are
keyed on it.

Ray is imported lazily: the plugin is loaded by every corpuskit session through its entry
point, and only a run that picks ``--executor ray`` should pay for importing (and starting) Ray.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from corpuskit_ray.parity import Fingerprint, check_worker, fingerprint, spec_of

R = TypeVar("R")

_CONTEXT: dict[str, Any] = {}
"""The current phase's context in a worker process, keyed by its object-store id."""


def _context_of(boxed: list[Any]) -> Any:
    import ray

    ref, expected = boxed
    key = ref.hex()
    ctx = _CONTEXT.get(key)
    if ctx is None:
        # fetch the new context before dropping the old one: both are alive for a moment, so
        # the new object cannot reuse the old one's id(), which the runner's caches key on
        ctx = ray.get(ref)
        spec = spec_of(ctx)
        if expected is not None and spec is not None:
            check_worker(spec, expected)
        _CONTEXT.clear()  # one phase at a time: let the previous phase's plans go
        _CONTEXT[key] = ctx
    return ctx


def _call(fn: Callable[[Any, Any], R], boxed: list[Any], item: Any) -> R:
    """The body of every task: ``fn(context, item)`` with the worker's cached context."""
    return fn(_context_of(boxed), item)


def _address(options: dict[str, Any]) -> str | None:
    """``--ray-address`` (``executor_options["address"]``), else ``RAY_ADDRESS``, else none."""
    addr = options.get("address") or os.environ.get("RAY_ADDRESS") or None
    return str(addr) if addr else None


def _runtime_env(options: dict[str, Any]) -> dict[str, Any]:
    """The user's ``runtime_env`` plus the driver's ``CORPUSKIT_*`` variables: a worker on
    another node does not inherit the driver's environment, and ``CORPUSKIT_DISABLE_PLUGINS``
    changes which plugins a session loads."""
    env = dict(options.get("runtime_env") or {})
    ours = {k: v for k, v in os.environ.items() if k.startswith("CORPUSKIT_")}
    if ours:
        env["env_vars"] = {**ours, **dict(env.get("env_vars") or {})}
    return env


def _abandon(refs: list[Any]) -> None:
    """Cancel tasks nobody will read (an earlier shard failed, or the run was interrupted) and
    collect their outcomes briefly, so that Ray does not log each one as an unhandled error."""
    import ray

    for ref in refs:
        ray.cancel(ref, force=False)
    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=_ABANDON_WAIT_S)
    for ref in ready:
        # the first failure is already on its way to the caller; these are only collected
        with contextlib.suppress(Exception):
            ray.get(ref)


_ABANDON_WAIT_S = 5.0


class RayExecutor:
    """Runs each shard as a Ray task (``num_cpus=1``) and yields results in shard order.

    ``options`` (``Config.executor_options``):

    - ``address``: a cluster to join (``HOST:6379``, ``ray://HOST:10001`` or ``auto``); without
      it (and without ``RAY_ADDRESS``) a private local instance with ``jobs`` CPUs is started;
    - ``runtime_env``: passed to ``ray.init``, e.g. ``{"pip": ["corpuskit", "my-plugin"]}`` for
      a cluster whose nodes lack the plugins;
    - ``init``: any other ``ray.init`` keyword arguments (``namespace``, ``_node_ip_address``…).

    Each phase also carries a fingerprint of the driver's plugins; a worker whose own plugins
    differ (a cluster node missing one) fails with
    :class:`~corpuskit_ray.parity.PluginMismatchError` instead of running another pipeline.

    If Ray is already initialised in this process (a notebook, a test fixture, an application
    embedding corpuskit) that connection is used as is and left open by :meth:`close`: only an
    instance this executor started (or joined) is shut down.
    """

    def __init__(self, jobs: int = 0, options: dict[str, Any] | None = None) -> None:
        import ray

        options = dict(options or {})
        self._owns = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "ignore_reinit_error": True,
                "log_to_driver": False,
                "logging_level": logging.WARNING,  # not Ray's INFO chatter on every run
            }
            address = _address(options)
            if address is None:
                # "local", not None: None would silently join a cluster that `ray start` left
                # on this machine, where num_cpus may not be given
                kwargs["address"] = "local"
                kwargs["num_cpus"] = jobs if jobs > 0 else None
            else:
                kwargs["address"] = address
            runtime_env = _runtime_env(options)
            if runtime_env:
                kwargs["runtime_env"] = runtime_env
            kwargs.update(options.get("init") or {})
            ray.init(**kwargs)
            self._owns = True
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        cpus = int(resources.get("CPU", 1))
        self.jobs = jobs if jobs > 0 else max(1, cpus)
        # Ray retries a task whose worker died (a lost node): safe, a shard rewrites its files
        # atomically; an exception raised by corpuskit itself is not retried
        self._task: Any = ray.remote(num_cpus=1)(_call)
        self._fingerprints: dict[Any, Fingerprint] = {}

    def map(self, fn: Callable[[Any, Any], R], context: Any, items: Sequence[Any]) -> Iterator[R]:
        """Yield ``fn(context, item)`` in item order, with at most ``2 × jobs`` tasks in flight.

        The bound keeps finished-but-not-yet-yielded results (a slow shard at the head holds
        back the rest) from piling up in the driver; two per worker keeps workers busy while
        the driver consumes. A task's exception is re-raised here (Ray raises it as an instance
        of the original class), and tasks still in flight are cancelled.
        """
        import ray

        spec = spec_of(context)
        expected = None
        if spec is not None:
            expected = self._fingerprints.get(spec)
            if expected is None:
                expected = self._fingerprints[spec] = fingerprint(spec)
        boxed = [ray.put(context), expected]
        pending: deque[Any] = deque()
        it = iter(items)
        limit = 2 * self.jobs
        try:
            for item in it:
                pending.append(self._task.remote(fn, boxed, item))
                if len(pending) >= limit:
                    break
            while pending:
                result: R = ray.get(pending.popleft())
                for item in it:
                    pending.append(self._task.remote(fn, boxed, item))
                    break
                yield result
        finally:
            if pending:
                _abandon(list(pending))

    def close(self) -> None:
        """Shut Ray down if this executor started it; otherwise leave it to its owner."""
        import ray

        if self._owns and ray.is_initialized():
            ray.shutdown()
        self._owns = False
