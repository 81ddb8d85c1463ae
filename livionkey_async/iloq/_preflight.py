"""``check_credentials``: walk iLOQ's session flow once with an integrator's four values.

This module is the I/O edge: it calls GetUrl → CreateSession → LockGroups → SetLockgroup (for
each locking system under check) → KillSession, records what each answered in
:class:`Observations`, and lets :func:`evaluate` judge. A server or network failure is never
raised: it becomes a failed check, and the checks after it are skipped. Bad input is a
``ValidationError`` before anything is sent. The session, once opened, is killed whatever
happens, and the password is sent once and kept nowhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from .._arguments import check_text
from .._errors import LivionKeyError, ResponseFormatError, ValidationError
from ._checks import Observations, SystemSeen, evaluate, select_systems
from ._client import IloqClient, IloqSession
from ._report import PreflightReport
from ._wire import checked_url

__all__ = ["check_credentials"]


async def check_credentials(
    *,
    service_address: str,
    service_code: str,
    username: str,
    password: str,
    locking_system: str | None = None,
    api_key: str | None = None,
    timeout: float = 30.0,  # noqa: ASYNC109 - per attempt (sock timeouts), not overall
    max_attempts: int = 3,
    session: aiohttp.ClientSession | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> PreflightReport:
    """Check an API user's iLOQ credentials the way LivionKey will when the automat connects.

    ``service_address`` (e.g. ``https://s5.iloq.com/iloqws``), ``service_code``, ``username`` and
    ``password`` are the four values from iLOQ Manager. ``locking_system``: check only this one
    (its name or id); by default every visible locking system is checked. ``api_key``: an iLOQ
    API gateway key, if one was issued. ``timeout`` (seconds per attempt), ``max_attempts``,
    ``session`` and ``sleep`` are as for :class:`IloqClient`.

    Returns a :class:`PreflightReport`; ``report.ok`` only when every check passed.
    """
    for name, value in (("service_code", service_code), ("username", username)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{name} is required")
        check_text(name, value)
    if not isinstance(password, str) or not password:
        raise ValidationError("password is required")
    check_text("password", password)
    if locking_system is not None and (
        not isinstance(locking_system, str) or not locking_system.strip()
    ):
        raise ValidationError("locking_system must not be empty (or leave it out)")
    check_text("locking_system", locking_system)
    checked_url(service_address)  # a clear ValidationError before anything is sent
    seen = Observations(service_address=service_address.strip(), locking_system=locking_system)
    async with IloqClient(
        service_address,
        api_key=api_key,
        timeout=timeout,
        max_attempts=max_attempts,
        session=session,
        sleep=sleep,
    ) as client:
        if await _resolve(client, service_code.strip(), seen):
            opened = await _open(client, service_code.strip(), username.strip(), password, seen)
            del password
            if opened is not None:
                async with opened:
                    await _inspect(opened, seen)
                seen.session_killed = opened.killed
    return evaluate(seen)


async def _resolve(client: IloqClient, service_code: str, seen: Observations) -> bool:
    try:
        resolved = await client.resolve_url(service_code)
    except ResponseFormatError as exc:
        seen.url_answered, seen.url_error = True, exc
        return False
    except LivionKeyError as exc:
        seen.address_error = exc
        return False
    seen.url_answered = True
    seen.resolved_url = None if resolved is None else str(resolved)
    return True


async def _open(
    client: IloqClient, service_code: str, username: str, password: str, seen: Observations
) -> IloqSession | None:
    try:
        opened = await client.create_session(service_code, username, password)
    except LivionKeyError as exc:
        seen.session_error = exc
        return None
    seen.session_opened = True
    return opened


async def _inspect(session: IloqSession, seen: Observations) -> None:
    try:
        seen.lock_groups = await session.lock_groups()
    except LivionKeyError as exc:
        seen.lock_groups_error = exc
        return
    for group in select_systems(seen.lock_groups, seen.locking_system):
        system = SystemSeen(group)
        seen.systems.append(system)
        if not group.public_api:
            continue  # assumed: iLOQ refuses the login to a system without the Public API
        try:
            system.rights_mask = await session.set_lockgroup(group.lock_group_id)
        except LivionKeyError as exc:
            system.login_error = exc
