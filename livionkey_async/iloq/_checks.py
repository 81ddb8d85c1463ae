"""The preflight's judgement: what the session flow observed, turned into check results.

The I/O (``_preflight``) only records what each step of GetUrl → CreateSession → LockGroups →
SetLockgroup answered into :class:`Observations`; :func:`evaluate` decides, without I/O, which
check passed, which failed (with a sentence and a fix) and which could not run because an earlier
one failed (skipped, never passed or failed). The list of checks is the same every time: the
first five, then per locking system "Public API in use", "API access rights allowed", "locking
system login" and each of the twelve rights.
"""

from __future__ import annotations

from attrs import define, field

from .._errors import (
    AmbiguousOutcomeError,
    LivionKeyError,
    ResponseFormatError,
    TransportError,
)
from ._advice import (
    ADDRESS_FIX,
    API_ACCESS_RIGHTS_FIX,
    CONTACT_ILOQ,
    LOGIN_FIX,
    NO_LOCKING_SYSTEM_FIX,
    PUBLIC_API_FIX,
    TLS_FIX,
    TRY_AGAIN,
    fix_for,
    right_fix,
    session_result,
)
from ._errors import SessionRefusedError, TlsError
from ._models import LockGroup
from ._report import CheckResult, CheckStatus, PreflightReport
from ._rights import RIGHTS

__all__ = [
    "ADDRESS",
    "API_ACCESS",
    "GET_URL",
    "LOCKING_SYSTEM",
    "LOGIN",
    "PUBLIC_API",
    "SESSION",
    "Observations",
    "SystemSeen",
    "evaluate",
    "select_systems",
]

ADDRESS = "service address answers"
GET_URL = "GetUrl resolves"
SESSION = "session opens"
LOCKING_SYSTEM = "locking system visible"
PUBLIC_API = "Public API in use"
API_ACCESS = "API access rights allowed"
LOGIN = "locking system login"

PASSED, FAILED, SKIPPED = CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.SKIPPED


@define
class SystemSeen:
    """One locking system under check: what ``SetLockgroup`` answered, if it was called."""

    group: LockGroup
    rights_mask: int | None = None
    login_error: LivionKeyError | None = None


@define
class Observations:
    """What each step of the session flow answered; ``None`` everywhere a step did not run."""

    service_address: str
    locking_system: str | None = None  # the one the caller named, if any
    address_error: LivionKeyError | None = None  # GetUrl got no usable answer
    url_answered: bool = False  # GetUrl answered 2xx
    resolved_url: str | None = None  # what it resolved to (None: keep the service address)
    url_error: LivionKeyError | None = None  # its answer was unusable
    session_error: LivionKeyError | None = None
    session_opened: bool = False
    lock_groups: tuple[LockGroup, ...] | None = None
    lock_groups_error: LivionKeyError | None = None
    systems: list[SystemSeen] = field(factory=list)
    session_killed: bool | None = None


def select_systems(groups: tuple[LockGroup, ...], wanted: str | None) -> tuple[LockGroup, ...]:
    """The locking systems to check: every visible one, or the one named (id or name, any case)."""
    if wanted is None:
        return groups
    key = wanted.strip().casefold()
    return tuple(
        g for g in groups if key in (g.lock_group_id.casefold(), g.name.strip().casefold())
    )


def evaluate(seen: Observations) -> PreflightReport:
    """Every check's result, from what was observed. Pure."""
    checks: list[CheckResult] = []
    reason = _service_checks(seen, checks)
    if reason is None:
        reason = _visibility_check(seen, checks)
    else:
        checks.append(_skipped(LOCKING_SYSTEM, reason))
    if reason is not None or not seen.systems:
        checks.extend(_per_system_skipped(reason or "no locking system was checked", None))
    else:
        for system in seen.systems:
            checks.extend(_system_checks(system))
    return PreflightReport(
        checks=tuple(checks),
        service_url=seen.resolved_url or (seen.service_address if seen.url_answered else None),
        session_killed=seen.session_killed,
    )


# -- the first four checks ---------------------------------------------------------------------


def _service_checks(seen: Observations, checks: list[CheckResult]) -> str | None:
    """Address, GetUrl and session; returns why later checks cannot run (``None``: they can)."""
    error = seen.address_error
    if error is not None and not _answered(error):
        checks.append(
            _failed(ADDRESS, _address_detail(seen.service_address, error), _address_fix(error))
        )
        skip = "the service address does not answer"
        checks.extend(_skipped(name, skip) for name in (GET_URL, SESSION))
        return skip
    checks.append(_passed(ADDRESS, f"{seen.service_address} answers"))

    error = error or seen.url_error
    if error is not None or not seen.url_answered:
        detail = f"GetUrl failed: {_says(error)}" if error else "GetUrl did not run"
        fix = _get_url_fix(error) if error else CONTACT_ILOQ
        checks.append(_failed(GET_URL, detail, fix))
        checks.append(_skipped(SESSION, "GetUrl did not resolve"))
        return "GetUrl did not resolve"
    if seen.resolved_url:
        checks.append(_passed(GET_URL, f"resolved to {seen.resolved_url}"))
    else:
        checks.append(_passed(GET_URL, "answered empty: the service address is used as it is"))

    if seen.session_error is not None or not seen.session_opened:
        detail, fix = _session_failure(seen.session_error)
        checks.append(_failed(SESSION, detail, fix))
        return "no session was opened"
    checks.append(_passed(SESSION, "CreateSession answered Result 1 (success)"))
    return None


def _answered(error: LivionKeyError) -> bool:
    """An answer from an iLOQ service that refused this request (a 4xx other than "no such
    path"): the address works, the request did not."""
    status = error.status
    return status is not None and 400 <= status < 500 and status not in (404, 405)


def _address_detail(address: str, error: LivionKeyError) -> str:
    if isinstance(error, TlsError):
        return f"{address}: the TLS certificate could not be verified ({error.message})"
    if isinstance(error, TransportError):
        return f"{address} does not answer: {error.message}"
    if error.status is not None and 300 <= error.status < 400:
        return f"{address} {error.message}"
    if error.status in (404, 405):
        return f"{address} answers {error.status}: it is not an iLOQ service address"
    return f"{address}: {_says(error)}"


def _address_fix(error: LivionKeyError) -> str:
    if isinstance(error, TlsError):
        return TLS_FIX
    if error.status is not None and error.status >= 500:
        return TRY_AGAIN
    return ADDRESS_FIX


def _get_url_fix(error: LivionKeyError) -> str:
    if error.status in (401, 403):
        return (
            "iLOQ refused GetUrl: if your iLOQ service is behind an API gateway, give its key "
            "(x-api-key); otherwise contact iLOQ API support (api.support@iloq.com) with your "
            "service code."
        )
    return fix_for(error, ADDRESS_FIX if isinstance(error, ResponseFormatError) else CONTACT_ILOQ)


def _session_failure(error: LivionKeyError | None) -> tuple[str, str]:
    if error is None:
        return ("CreateSession did not run", CONTACT_ILOQ)
    if isinstance(error, SessionRefusedError):
        return session_result(error.result)
    if isinstance(error, AmbiguousOutcomeError):
        return (
            f"CreateSession got no usable answer ({error.message}); if the server opened a "
            "session, it cannot be ended from here and expires on the server.",
            TRY_AGAIN,
        )
    return (f"CreateSession failed: {_says(error)}", fix_for(error, CONTACT_ILOQ))


def _visibility_check(seen: Observations, checks: list[CheckResult]) -> str | None:
    if seen.lock_groups_error is not None or seen.lock_groups is None:
        error = seen.lock_groups_error
        detail = f"LockGroups failed: {_says(error)}" if error else "LockGroups did not run"
        checks.append(
            _failed(LOCKING_SYSTEM, detail, fix_for(error, CONTACT_ILOQ) if error else CONTACT_ILOQ)
        )
        return "the locking systems could not be read"
    groups = seen.lock_groups
    if not groups:
        checks.append(
            _failed(LOCKING_SYSTEM, "the API user sees no locking system", NO_LOCKING_SYSTEM_FIX)
        )
        return "no locking system is visible"
    listed = ", ".join(_describe(g) for g in groups)
    if seen.locking_system is not None and not seen.systems:
        checks.append(
            _failed(
                LOCKING_SYSTEM,
                f'"{seen.locking_system}" is not among the visible locking systems: {listed}',
                f'Name one of those, or in iLOQ Manager give the API user access to "'
                f'{seen.locking_system}" (Administration tab → the API user).',
            )
        )
        return f'"{seen.locking_system}" is not visible'
    count = f"{len(groups)} visible" if len(groups) > 1 else "1 visible"
    checked = (
        "" if len(seen.systems) == len(groups) else f"; checking {seen.systems[0].group.label}"
    )
    checks.append(_passed(LOCKING_SYSTEM, f"{count}: {listed}{checked}"))
    return None


def _describe(group: LockGroup) -> str:
    notes = [] if group.five_series else ["not 5 Series"]
    if not group.active:
        notes.append("not in use")
    return f"{group.label} ({', '.join(notes)})" if notes else group.label


# -- per locking system ------------------------------------------------------------------------


def _system_checks(system: SystemSeen) -> list[CheckResult]:
    group = system.group
    where = group.label
    checks = [
        _passed(PUBLIC_API, "Public API is in use", where)
        if group.public_api
        else _failed(PUBLIC_API, "Public API is not in use", PUBLIC_API_FIX, where),
        _passed(API_ACCESS, "the locking system can use API access rights", where)
        if group.api_access_rights
        else _failed(
            API_ACCESS,
            "the locking system cannot use API access rights",
            API_ACCESS_RIGHTS_FIX,
            where,
        ),
    ]
    if not group.public_api:
        skip = "Public API is not in use"
        checks.append(_skipped(LOGIN, skip, where))
        checks.extend(_skipped(right.label, skip, where) for right in RIGHTS)
        return checks
    if system.login_error is not None or system.rights_mask is None:
        error = system.login_error
        detail = f"SetLockgroup failed: {_says(error)}" if error else "SetLockgroup did not run"
        checks.append(
            _failed(LOGIN, detail, fix_for(error, LOGIN_FIX) if error else LOGIN_FIX, where)
        )
        skip = "the login to the locking system failed"
        checks.extend(_skipped(right.label, skip, where) for right in RIGHTS)
        return checks
    mask = system.rights_mask
    checks.append(_passed(LOGIN, "SetLockgroup answered the user's rights", where))
    for right in RIGHTS:
        if mask & right.bit:
            checks.append(_passed(right.label, f"held (needed for {right.needed_for})", where))
        else:
            detail = (
                f"missing: RightsMask {mask} lacks bit {right.bit} "
                f'(iLOQ: "{right.iloq_name}"), needed for {right.needed_for}'
            )
            checks.append(_failed(right.label, detail, right_fix(right), where))
    return checks


def _per_system_skipped(reason: str, where: str | None) -> list[CheckResult]:
    names = (PUBLIC_API, API_ACCESS, LOGIN, *(right.label for right in RIGHTS))
    return [_skipped(name, reason, where) for name in names]


# -- helpers -----------------------------------------------------------------------------------


def _says(error: LivionKeyError | None) -> str:
    if error is None:
        return "no answer"
    return str(error)


def _passed(name: str, detail: str, where: str | None = None) -> CheckResult:
    return CheckResult(name, PASSED, detail, None, where)


def _failed(name: str, detail: str, fix: str, where: str | None = None) -> CheckResult:
    return CheckResult(name, FAILED, detail, fix, where)


def _skipped(name: str, reason: str, where: str | None = None) -> CheckResult:
    return CheckResult(name, SKIPPED, f"skipped: {reason}", None, where)
