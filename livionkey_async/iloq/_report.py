"""What a preflight returns: one :class:`CheckResult` per check, gathered in a
:class:`PreflightReport`. Plain frozen data, safe to print or serialise (no secret is ever in it).
"""

from __future__ import annotations

from enum import StrEnum

from attrs import frozen

__all__ = ["CheckResult", "CheckStatus", "PreflightReport"]


class CheckStatus(StrEnum):
    """``skipped``: the check could not run because an earlier one failed."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@frozen
class CheckResult:
    """One check. ``detail`` says what was found (or, when skipped, why it could not run);
    ``fix`` says what to do in iLOQ Manager (failures only). ``locking_system`` names the
    locking system a per-system check is about (``None`` for the others)."""

    name: str
    status: CheckStatus
    detail: str = ""
    fix: str | None = None
    locking_system: str | None = None

    @property
    def ok(self) -> bool | None:
        """``True`` passed, ``False`` failed, ``None`` skipped (neither)."""
        if self.status is CheckStatus.SKIPPED:
            return None
        return self.status is CheckStatus.PASSED


@frozen
class PreflightReport:
    """Every check, in the order they ran. ``service_url``: where the session calls went (the
    service address, or what ``GetUrl`` resolved it to); ``session_killed``: whether the session
    was ended (``None``: none was opened)."""

    checks: tuple[CheckResult, ...]
    service_url: str | None = None
    session_killed: bool | None = None

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.status is CheckStatus.PASSED for check in self.checks)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.FAILED)

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.SKIPPED)

    @property
    def passed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is CheckStatus.PASSED)
