"""What every v2 resource shares: one request through the core transport, typed answers, the
documented meaning of an operation's 4xx, and cursor pagination behind ``iterate``.

A call that is not idempotent (a create, an install, a pincode sent) and is answered success
with a body that cannot be read was applied all the same: that is an ``AmbiguousOutcomeError``
(look it up, never send it again), not a ``ResponseFormatError`` a caller could take for "not
done". ``read`` decides that, for every v2 call.

Pagination (``after``, ``limit`` at most 100, ``{data, after, limit, hasNext}``): ``page`` asks for
one page; ``iterate`` walks them all lazily, never asking for one cursor twice (so never
yielding a page twice), reading the cursor as ``_assumptions`` says. An answer that promises more
but gives no way on is a ``ResponseFormatError``, never an endless loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from .._arguments import check_text
from .._errors import AmbiguousOutcomeError, LivionKeyError, ResponseFormatError, ValidationError
from .._transport import Call, Transport
from ._assumptions import IN_USE_WORDS, MAX_PAGE_LIMIT
from ._convert import structure
from ._errors import ContractInUseError, is_generic
from ._models import Page
from ._validation import check_limit

__all__ = ["Api", "Params", "segment"]

T = TypeVar("T")

Params = Mapping[str, str | int | bool | None]


def segment(value: str) -> str:
    """One path segment, escaped (an id never changes the path it is sent to)."""
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:  # a lone surrogate: the callers' check_id says which argument
        raise ValidationError("an id must be valid Unicode text") from None


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

    async def read(
        self,
        call: Call,
        cls: type[T],
        *,
        refine: Mapping[int, type[LivionKeyError]] | None = None,
    ) -> T:
        """Send ``call`` and read its answer as ``cls``. A success answer that cannot be read is
        a ``ResponseFormatError``, or, for a call that is not idempotent (it was applied), an
        ``AmbiguousOutcomeError``: sending it again would apply it twice."""
        try:
            return structure(await self.send(call, refine=refine), cls)
        except ResponseFormatError as exc:
            if call.idempotent:
                raise
            raise AmbiguousOutcomeError(
                f"{call.method} {call.path}: created, answer unreadable ({exc.message}); it is "
                "not sent again: look it up",
                method=call.method,
                path=call.path,
            ) from None

    async def get(self, path: str, cls: type[T], params: Params | None = None) -> T:
        return await self.read(Call("GET", path, params=_query(params or {})), cls)

    async def delete(self, path: str, *, json: object = None, in_use: bool = False) -> None:
        """``DELETE path``. Not there is ``NotFoundError``, unless an earlier attempt of this
        call may have deleted it (then it is done). ``in_use``: a 400 saying the object cannot
        be deleted now is ``ContractInUseError`` (the words are assumed: ``_assumptions``)."""
        try:
            await self.send(Call("DELETE", path, json=json, gone_is_done=True))
        except ValidationError as exc:
            says_so = any(words in exc.message.lower() for words in IN_USE_WORDS)
            if in_use and says_so and exc.status == 400 and is_generic(exc):
                raise ContractInUseError(exc.message, status=exc.status) from None
            raise

    async def page(
        self,
        path: str,
        item: type[T],
        *,
        after: str | None,
        limit: int | None,
        params: Params | None = None,
    ) -> Page[T]:
        check_text("after", after)
        check_limit(limit)
        query = _query({**(params or {}), "after": after, "limit": limit})
        page: Page[T] = await self.read(
            Call("GET", path, params=query),
            Page[item],  # type: ignore[valid-type]
        )
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
        check_limit(page_size, "page_size", optional=False)
        after: str | None = None
        asked: set[str] = set()
        while True:
            page = await self.page(path, item, after=after, limit=page_size, params=params)
            for element in page.data:
                yield element
            if page.has_next is False or (page.has_next is None and len(page.data) < page_size):
                return
            following = _next_cursor(after, page)
            if following is None:
                if page.has_next:
                    raise ResponseFormatError(f"{path}: hasNext without a way to the next page")
                return
            if following in asked:
                raise ResponseFormatError(f"{path}: the after cursor {following!r} came back")
            asked.add(following)
            after = following


def _count(cursor: str) -> int | None:
    return int(cursor) if cursor.isascii() and cursor.isdigit() else None


def _next_cursor(sent: str | None, page: Page[Any]) -> str | None:
    """The ``after`` that asks for the page after ``page`` (``sent`` asked for it): the answer's
    when it moves on; when the cursor is a number of items to skip and the answer's does not
    move past it (missing, or the one sent echoed back), ``sent + len(data)``."""
    answered = page.after or None
    skipped = 0 if sent is None else _count(sent)
    if skipped is None:
        return answered
    following = None if answered is None else _count(answered)
    if answered is not None and (following is None or following > skipped):
        return answered
    return str(skipped + len(page.data)) if page.data else None
