"""The preflight's judgement, without I/O: what each observation makes of every check.

Every check is shown passing and failing, each failure with a fix, and every check that cannot
run because an earlier one failed is shown skipped (neither passed nor failed).
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from livionkey_async import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    LivionKeyError,
    NotFoundError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from livionkey_async.iloq import (
    CHECK_NAMES,
    RIGHTS,
    CheckResult,
    CheckStatus,
    LockGroup,
    PreflightReport,
    Right,
    SessionRefusedError,
    TlsError,
)
from livionkey_async.iloq._advice import (
    ADDRESS_FIX,
    API_ACCESS_RIGHTS_FIX,
    NO_LOCKING_SYSTEM_FIX,
    PUBLIC_API_FIX,
    TLS_FIX,
    TRY_AGAIN,
    right_fix,
    session_result,
)
from livionkey_async.iloq._checks import (
    ADDRESS,
    API_ACCESS,
    GET_URL,
    LOCKING_SYSTEM,
    LOGIN,
    PUBLIC_API,
    SESSION,
    Observations,
    SystemSeen,
    evaluate,
    select_systems,
)
from livionkey_async.iloq._models import API_ACCESS_RIGHTS, FIVE_SERIES, PUBLIC_API_IN_USE
from livionkey_async.testing._iloq import RIGHT_BITS

ADDRESS_URL = "https://s5.iloq.com/iloqws"
ALL_RIGHTS = sum(right.bit for right in RIGHTS)
ALL_OPTIONS = PUBLIC_API_IN_USE | API_ACCESS_RIGHTS | FIVE_SERIES
FIRST_FOUR = (ADDRESS, GET_URL, SESSION, LOCKING_SYSTEM)
PER_SYSTEM = CHECK_NAMES[len(FIRST_FOUR) :]
P, F, S = CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.SKIPPED


def group(
    lock_group_id: str = "g-1", name: str = "Main", options: int = ALL_OPTIONS, state: int = 0
) -> LockGroup:
    return LockGroup(lock_group_id, name, options, state)


def seen(*systems: SystemSeen, **changes: Any) -> Observations:
    """A flow in which every step answered well, then ``changes``."""
    chosen = list(systems) or [SystemSeen(group(), rights_mask=ALL_RIGHTS)]
    observed = Observations(
        service_address=ADDRESS_URL,
        url_answered=True,
        session_opened=True,
        lock_groups=tuple(system.group for system in chosen),
        systems=chosen,
        session_killed=True,
    )
    return attrs.evolve(observed, **changes)


def status(report: PreflightReport) -> dict[str, CheckStatus]:
    """Check name → status (single-system reports only)."""
    assert len({c.name for c in report.checks}) == len(report.checks)
    return {check.name: check.status for check in report.checks}


def one(report: PreflightReport, name: str) -> CheckResult:
    (check,) = (c for c in report.checks if c.name == name)
    return check


def assert_well_formed(report: PreflightReport) -> None:
    """Failures carry a fix, passes and skips none; skips say why; ``ok`` is tri-state."""
    for check in report.checks:
        assert check.detail
        if check.status is F:
            assert check.fix
            assert check.ok is False
        elif check.status is S:
            assert check.fix is None
            assert check.ok is None
            assert check.detail.startswith("skipped: ")
        else:
            assert check.fix is None
            assert check.ok is True


def test_everything_in_order_passes() -> None:
    report = evaluate(seen())
    assert_well_formed(report)
    assert report.ok
    assert tuple(c.name for c in report.checks) == CHECK_NAMES
    assert len(CHECK_NAMES) == 19
    assert set(status(report).values()) == {P}
    assert report.service_url == ADDRESS_URL
    assert report.session_killed is True
    assert report.passed == report.checks
    assert not report.failed
    assert not report.skipped


def test_a_resolved_pool_is_reported_and_used() -> None:
    pool = "https://s5.iloq.com/iloqwspool2/"
    report = evaluate(seen(resolved_url=pool))
    assert report.ok
    assert report.service_url == pool
    assert pool in one(report, GET_URL).detail


@pytest.mark.parametrize(
    ("error", "fix", "says"),
    [
        (TransportError("POST Url/GetUrl: no answer within 30s"), ADDRESS_FIX, "does not answer"),
        (TransportError("POST Url/GetUrl: ClientConnectorError"), ADDRESS_FIX, "does not answer"),
        (TlsError("certificate verify failed"), TLS_FIX, "TLS certificate"),
        (NotFoundError("No HTTP resource", status=404), ADDRESS_FIX, "not an iLOQ service"),
        (ApiError("not allowed", status=405), ADDRESS_FIX, "not an iLOQ service"),
        (ServerError("Service Unavailable", status=503), TRY_AGAIN, "503"),
        (ApiError("redirected to https://x/; use that address", status=301), ADDRESS_FIX, "x/"),
    ],
)
def test_a_service_address_that_does_not_answer_fails_and_skips_the_rest(
    error: LivionKeyError, fix: str, says: str
) -> None:
    report = evaluate(Observations(service_address=ADDRESS_URL, address_error=error))
    assert_well_formed(report)
    assert tuple(c.name for c in report.checks) == CHECK_NAMES
    assert status(report)[ADDRESS] is F
    assert one(report, ADDRESS).fix == fix
    assert says in one(report, ADDRESS).detail
    assert all(c.status is S for c in report.checks[1:])
    assert one(report, GET_URL).detail == "skipped: the service address does not answer"
    assert not report.ok
    assert report.service_url is None


def test_an_iloq_service_refusing_get_url_answers_but_does_not_resolve() -> None:
    error = AuthenticationError("Forbidden", status=403)
    report = evaluate(Observations(service_address=ADDRESS_URL, address_error=error))
    assert_well_formed(report)
    assert [status(report)[n] for n in FIRST_FOUR] == [P, F, S, S]
    assert "API gateway" in (one(report, GET_URL).fix or "")
    assert "403" in one(report, GET_URL).detail


def test_an_unusable_get_url_answer_fails_get_url_and_skips_the_session() -> None:
    error = ResponseFormatError("GetUrl answered something other than a URL string")
    report = evaluate(Observations(ADDRESS_URL, url_answered=True, url_error=error))
    assert_well_formed(report)
    assert [status(report)[n] for n in FIRST_FOUR] == [P, F, S, S]
    assert "URL string" in one(report, GET_URL).detail
    assert one(report, SESSION).detail == "skipped: GetUrl did not resolve"


@pytest.mark.parametrize("result", [*range(0, 12), None, 42])
def test_every_create_session_result_is_explained_with_a_fix(result: int | None) -> None:
    if result == 1:
        return  # success is not a refusal (covered by test_everything_in_order_passes)
    error = SessionRefusedError("refused", result=result)
    report = evaluate(seen(session_error=error, session_opened=False, lock_groups=None, systems=[]))
    assert_well_formed(report)
    assert [status(report)[n] for n in FIRST_FOUR] == [P, P, F, S]
    check = one(report, SESSION)
    assert f"Result {result}" in check.detail or f"({result})" in check.detail
    assert (check.detail, check.fix) == session_result(result)
    assert all(c.status is S for c in report.checks[4:])
    assert one(report, PUBLIC_API).detail == "skipped: no session was opened"


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (5, "service code"),
        (6, "https://s5.iloq.com/iloqws"),
        (11, "https://s5.iloq.com/iloqws"),
        (7, "unlock"),
        (8, "unlock"),
        (9, "password expiration"),
        (3, "https://"),
        (4, "try again later"),
    ],
)
def test_the_fix_for_each_refusal_says_what_to_do(result: int, words: str) -> None:
    detail, fix = session_result(result)
    assert words in fix
    assert f"Result {result}" in detail


def test_a_lost_create_session_answer_says_the_session_may_linger() -> None:
    error = AmbiguousOutcomeError(
        "POST CreateSession: ServerDisconnectedError", method="POST", path="CreateSession"
    )
    report = evaluate(seen(session_error=error, session_opened=False, lock_groups=None, systems=[]))
    assert_well_formed(report)
    check = one(report, SESSION)
    assert check.status is F
    assert "expires on the server" in check.detail
    assert check.fix == TRY_AGAIN


def test_locking_systems_that_cannot_be_read_fail_visibility() -> None:
    error = TransportError("GET LockGroups: no answer within 0.2s")
    report = evaluate(seen(lock_groups=None, lock_groups_error=error, systems=[]))
    assert_well_formed(report)
    assert [status(report)[n] for n in FIRST_FOUR] == [P, P, P, F]
    assert "no answer within 0.2s" in one(report, LOCKING_SYSTEM).detail
    assert one(report, LOCKING_SYSTEM).fix == TRY_AGAIN
    assert all(c.status is S and c.locking_system is None for c in report.checks[4:])


def test_no_visible_locking_system_fails_and_skips_the_per_system_checks() -> None:
    report = evaluate(seen(lock_groups=(), systems=[]))
    assert_well_formed(report)
    assert tuple(c.name for c in report.checks) == CHECK_NAMES
    assert one(report, LOCKING_SYSTEM).fix == NO_LOCKING_SYSTEM_FIX
    assert {one(report, name).detail for name in PER_SYSTEM} == {
        "skipped: no locking system is visible"
    }


def test_a_named_locking_system_that_is_not_visible_fails_listing_the_visible_ones() -> None:
    visible = (group("g-1", "Main"), group("g-2", "Annex", options=2048, state=1))
    report = evaluate(seen(locking_system="Garage", lock_groups=visible, systems=[]))
    assert_well_formed(report)
    check = one(report, LOCKING_SYSTEM)
    assert check.status is F
    assert "Main" in check.detail
    assert "Annex (not 5 Series, not in use)" in check.detail
    assert '"Garage"' in (check.fix or "")
    assert all(c.status is S for c in report.checks[4:])


def test_public_api_off_fails_with_its_fix_and_skips_the_login_and_rights() -> None:
    system = SystemSeen(group(options=API_ACCESS_RIGHTS | FIVE_SERIES))
    report = evaluate(seen(system))
    assert_well_formed(report)
    statuses = status(report)
    assert statuses[PUBLIC_API] is F
    assert statuses[API_ACCESS] is P
    assert one(report, PUBLIC_API).fix == PUBLIC_API_FIX
    assert '"Public API in use"' in PUBLIC_API_FIX
    assert "Edit locking system information" in PUBLIC_API_FIX
    assert statuses[LOGIN] is S
    assert all(statuses[right.label] is S for right in RIGHTS)
    assert one(report, LOGIN).detail == "skipped: Public API is not in use"


def test_api_access_rights_off_fails_with_its_fix_and_nothing_else() -> None:
    system = SystemSeen(group(options=PUBLIC_API_IN_USE | FIVE_SERIES), rights_mask=ALL_RIGHTS)
    report = evaluate(seen(system))
    assert_well_formed(report)
    assert [c.name for c in report.failed] == [API_ACCESS]
    assert report.failed[0].fix == API_ACCESS_RIGHTS_FIX
    assert '"Allow API Access Rights"' in API_ACCESS_RIGHTS_FIX
    assert report.failed[0].locking_system == "Main"


@pytest.mark.parametrize("right", RIGHTS, ids=[r.key for r in RIGHTS])
def test_each_missing_right_fails_alone_with_its_fix(right: Right) -> None:
    report = evaluate(seen(SystemSeen(group(), rights_mask=ALL_RIGHTS & ~right.bit)))
    assert_well_formed(report)
    assert [c.name for c in report.failed] == [right.label]
    failed = report.failed[0]
    assert failed.fix == right_fix(right)
    assert f'"{right.label}"' in failed.fix
    assert "usage rights" in failed.fix
    assert str(right.bit) in failed.detail
    assert right.iloq_name in failed.detail
    assert len(report.passed) == len(CHECK_NAMES) - 1


def test_a_refused_login_to_the_locking_system_fails_and_skips_the_rights() -> None:
    error = ApiError("Locking system was not found.", status=400)
    report = evaluate(seen(SystemSeen(group(), login_error=error)))
    assert_well_formed(report)
    statuses = status(report)
    assert statuses[LOGIN] is F
    assert "Locking system was not found." in one(report, LOGIN).detail
    assert all(statuses[right.label] is S for right in RIGHTS)
    assert one(report, RIGHTS[0].label).detail == "skipped: the login to the locking system failed"
    server_down = evaluate(seen(SystemSeen(group(), login_error=ServerError("x", status=503))))
    assert one(server_down, LOGIN).fix == TRY_AGAIN


def test_several_locking_systems_are_each_checked() -> None:
    main = SystemSeen(group("g-1", "Main"), rights_mask=ALL_RIGHTS)
    annex = SystemSeen(group("g-2", "Annex"), rights_mask=ALL_RIGHTS & ~RIGHTS[4].bit)
    report = evaluate(seen(main, annex))
    assert_well_formed(report)
    assert len(report.checks) == len(FIRST_FOUR) + 2 * len(PER_SYSTEM)
    assert [c.locking_system for c in report.checks[4:]] == ["Main"] * 15 + ["Annex"] * 15
    assert [(c.name, c.locking_system) for c in report.failed] == [(RIGHTS[4].label, "Annex")]
    assert "2 visible: Main, Annex" in one(report, LOCKING_SYSTEM).detail


def test_the_named_locking_system_alone_is_checked() -> None:
    visible = (group("g-1", "Main"), group("G-2", "Annex"))
    assert select_systems(visible, None) == visible
    assert select_systems(visible, " annex ") == (visible[1],)
    assert select_systems(visible, "g-2") == (visible[1],)
    assert select_systems(visible, "Garage") == ()
    report = evaluate(
        seen(
            SystemSeen(visible[1], rights_mask=ALL_RIGHTS),
            lock_groups=visible,
            locking_system="Annex",
        )
    )
    assert report.ok
    assert "checking Annex" in one(report, LOCKING_SYSTEM).detail


def test_the_rights_table_matches_ilogs_bits() -> None:
    """Bits are distinct powers of two, CanEditCalendars is the one iLOQ's text quotes, and the
    simulator's independently typed table agrees key for key."""
    bits = [right.bit for right in RIGHTS]
    assert len(RIGHTS) == 12
    assert len(set(bits)) == 12
    assert all(bit & (bit - 1) == 0 for bit in bits)
    assert {r.key: r.bit for r in RIGHTS}["door_calendars"] == 2251799813685248
    assert {r.key: r.bit for r in RIGHTS} == RIGHT_BITS
