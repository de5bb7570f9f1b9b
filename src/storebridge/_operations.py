"""Each store operation declared once, bound to a sync or an async runner.

A resource method is written once as a function that checks its arguments and returns the
adapter's flow. :func:`operation` and :func:`listing` turn it into a method whose type
follows the store it sits on: on ``Orders[Sync]`` ``get(ref)`` returns an ``Order``; on
``Orders[Async]`` it returns an awaitable of one. Nothing is written twice, so the sync and
async facades cannot drift.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from storebridge._not_kept import refuse
from storebridge.adapter import Adapter
from storebridge.flow import Flow, ListFlow

P = ParamSpec("P")
T = TypeVar("T")


class Sync:
    """Marks resources of a :class:`~storebridge.Store` (results are returned)."""


class Async:
    """Marks resources of an :class:`~storebridge.AsyncStore` (results are awaited)."""


M = TypeVar("M", Sync, Async)


class Runner(Protocol):
    """What runs flows for a resource: the store's engine."""

    def run(self, flow: Any) -> Any: ...

    def iterate(self, flow: Any) -> Any: ...


class Resource(Generic[M]):
    """A group of operations (``store.orders``...) over one adapter and one runner."""

    def __init__(self, adapter: Adapter, runner: Runner) -> None:
        self._adapter = adapter
        self._runner = runner

    def _require(self, operation: str) -> None:
        self._adapter.require(operation)

    def _kept(self, value: object, path: str = "") -> None:
        """ValidationError naming a field of ``value`` the platform has no place for."""
        refuse(self._adapter.not_kept, value, path, self._adapter.display_name)


class operation(Generic[P, T]):
    """A single-result operation: the decorated function returns the adapter's flow."""

    def __init__(self, build: Callable[Concatenate[Any, P], Flow[T]]) -> None:
        self._build = build
        functools.update_wrapper(self, build)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: Any) -> operation[P, T]: ...

    @overload
    def __get__(self, obj: Resource[Sync], owner: Any) -> Callable[P, T]: ...

    @overload
    def __get__(self, obj: Resource[Async], owner: Any) -> Callable[P, Awaitable[T]]: ...

    def __get__(self, obj: Resource[Any] | None, owner: Any) -> Any:
        if obj is None:
            return self
        build = self._build

        @functools.wraps(build)
        def call(*args: Any, **kwargs: Any) -> Any:
            return obj._runner.run(build(obj, *args, **kwargs))

        return call


class listing(Generic[P, T]):
    """A listing: the decorated function returns the adapter's list flow; lazy iteration."""

    def __init__(self, build: Callable[Concatenate[Any, P], ListFlow[T]]) -> None:
        self._build = build
        functools.update_wrapper(self, build)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: Any) -> listing[P, T]: ...

    @overload
    def __get__(self, obj: Resource[Sync], owner: Any) -> Callable[P, Iterator[T]]: ...

    @overload
    def __get__(self, obj: Resource[Async], owner: Any) -> Callable[P, AsyncGenerator[T, None]]: ...

    def __get__(self, obj: Resource[Any] | None, owner: Any) -> Any:
        if obj is None:
            return self
        build = self._build

        @functools.wraps(build)
        def call(*args: Any, **kwargs: Any) -> Any:
            return obj._runner.iterate(build(obj, *args, **kwargs))

        return call


__all__ = ["Async", "Resource", "Runner", "Sync", "listing", "operation"]
