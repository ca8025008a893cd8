"""The executor protocol: ``map(fn, context, items)`` yields ``fn(context, item)`` in item order.

``context`` is the same for every item (the phase's plans and settings) and may be large, so an
executor ships it once per worker, not once per item. Results must come back in item order:
that, not completion order, is what makes output independent of the worker count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """What ``corpuskit_register_executors`` factories return."""

    jobs: int

    def map(
        self, fn: Callable[[Any, Any], R], context: Any, items: Sequence[Any]
    ) -> Iterator[R]: ...

    def close(self) -> None: ...


ExecutorFactory = Callable[[int, dict[str, Any]], Executor]
