"""corpuskit-ray: the ``ray`` executor (``corpuskit clean --executor ray [--ray-address ADDR]``).

Loaded through the ``corpuskit`` entry point, in the driver and again in every Ray worker when
it rebuilds the session from the phase context, so this module stays cheap: Ray itself is
imported only when a :class:`RayExecutor` is made.
"""

from __future__ import annotations

from corpuskit import hookimpl
from corpuskit.registry import ExecutorRegistrar
from corpuskit_ray.executor import RayExecutor

__version__ = "0.1.0"
__all__ = ["RayExecutor", "__version__", "corpuskit_register_executors"]


@hookimpl
def corpuskit_register_executors(register: ExecutorRegistrar) -> None:
    register("ray", RayExecutor)
