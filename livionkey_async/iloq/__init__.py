"""LivionKey20 set-up: check an integrator's iLOQ credentials before the automat is connected.

A LivionKey20 hands out iLOQ 5 Series keys. Before Livion connects it, the integrator creates an
API user in iLOQ Manager and hands over the service address, the service code, the user name and
its password; most failed installations fail on one of them, or on a right or setting the API user
lacks. ``check_credentials`` walks iLOQ's session flow with them and reports every check, with the
fix in iLOQ Manager's words::

    report = await check_credentials(service_address="https://s5.iloq.com/iloqws",
                                     service_code="ABC123", username="api.keyautomat",
                                     password=password)
    for check in report.checks:
        print(check.status, check.name, check.detail, check.fix or "")

``IloqClient`` is the small async iLOQ client underneath. From the shell:
``livionkey-async iloq check --service-address URL --service-code CODE --username USER``.
"""

from ._checks import ADDRESS, API_ACCESS, GET_URL, LOCKING_SYSTEM, LOGIN, PUBLIC_API, SESSION
from ._client import IloqClient, IloqSession, TlsError
from ._errors import SessionRefusedError
from ._models import LockGroup
from ._preflight import check_credentials
from ._report import CheckResult, CheckStatus, PreflightReport
from ._rights import RIGHTS, Right

# The names of the checks, in report order (each right's check is named by its ``label``).
CHECK_NAMES: tuple[str, ...] = (
    ADDRESS,
    GET_URL,
    SESSION,
    LOCKING_SYSTEM,
    PUBLIC_API,
    API_ACCESS,
    LOGIN,
    *(right.label for right in RIGHTS),
)

__all__ = [
    "CHECK_NAMES",
    "RIGHTS",
    "CheckResult",
    "CheckStatus",
    "IloqClient",
    "IloqSession",
    "LockGroup",
    "PreflightReport",
    "Right",
    "SessionRefusedError",
    "TlsError",
    "check_credentials",
]
