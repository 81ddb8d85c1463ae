"""What every v2 resource shares: one request through the core transport, typed answers, the
documented meaning of an operation's 4xx, and cursor pagination behind ``iterate``.

Pagination (``after``, ``limit`` at most 100, ``{data, after, limit, hasNext}``): ``page`` asks for
one page; ``iterate`` walks them all lazily, following the answer's ``after``. An answer that
promises more but names no new cursor is a ``ResponseFormatError``, never an endless loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from .._errors import LivionKeyError, ResponseFormatError
from .._transport import Call, Transport
from ._assumptions import MAX_PAGE_LIMIT
from ._convert import structure
from ._errors import is_generic
from ._models import Page
from ._validation import check_limit

__all__ = ["Api", "Params", "segment"]

T = TypeVar("T")

Params = Mapping[str, str | int | bool | None]


def segment(value: str) -> str:
    """One path segment, escaped (an id never changes the path it is sent to)."""
    return quote(value, safe="")


def _query(params: Params) -> dict[str, str]:
    """Query parameters as the wire writes them: ``true``/``false``, unset ones left out."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class Api:
    """Sends v2 calls for the resources of one client."""

    __slots__ = ("transport",)

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def send(
        self,
        call: Call,
        *,
        refine: Mapping[int, type[LivionKeyError]] | None = None,
    ) -> Any:
        """Send ``call``. ``refine`` names what this operation's answer of a status means, where
        the status-driven mapping only knows the generic class."""
        try:
            return await self.transport.request(call)
        except LivionKeyError as exc:
            better = refine.get(exc.status) if refine and exc.status is not None else None
            if better is None or not is_generic(exc):
                raise
            raise better(exc.message, status=exc.status) from None

    async def get(self, path: str, cls: type[T], params: Params | None = None) -> T:
        data = await self.send(Call("GET", path, params=_query(params or {})))
        return structure(data, cls)

    async def page(
        self,
        path: str,
        item: type[T],
        *,
        after: str | None,
        limit: int | None,
        params: Params | None = None,
    ) -> Page[T]:
        check_limit(limit)
        query = _query({**(params or {}), "after": after, "limit": limit})
        data = await self.send(Call("GET", path, params=query))
        page: Page[T] = structure(data, Page[item])  # type: ignore[valid-type]
        return page

    async def iterate(
        self,
        path: str,
        item: type[T],
        *,
        page_size: int = MAX_PAGE_LIMIT,
        params: Params | None = None,
    ) -> AsyncIterator[T]:
        """Every item of the list, page after page, fetched as the caller consumes them."""
        check_limit(page_size)
        after: str | None = None
        seen: set[str] = set()
        while True:
            page = await self.page(path, item, after=after, limit=page_size, params=params)
            for element in page.data:
                yield element
            if page.has_next is False:
                return
            if page.has_next is None and len(page.data) < page_size:
                return  # no hasNext (the access rights): a short page is the last one
            if not page.after:
                if page.has_next:
                    raise ResponseFormatError(f"{path}: hasNext without an after cursor")
                return
            if page.after in seen:
                raise ResponseFormatError(f"{path}: the after cursor {page.after!r} came back")
            seen.add(page.after)
            after = page.after
