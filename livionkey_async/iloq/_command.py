"""The ``iloq`` command: ``livionkey-async iloq check``, the credentials preflight from a desk.

The password comes from ``ILOQ_PASSWORD`` or a hidden prompt, never from an argument (a command
line is visible to everyone on the machine). Prints a checklist (a tick or a cross per check, the
fix beneath each failure) or, with ``--json``, the report as JSON. Exit status: 0 only when every
check passed; 1 when any failed or could not run; 2 for bad input; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys

from .._cli_output import escape, rich_console
from .._errors import ValidationError
from ._preflight import check_credentials
from ._report import CheckResult, CheckStatus, PreflightReport

__all__ = ["add_arguments", "run"]

_MARKS = {
    CheckStatus.PASSED: "[green]✔[/green]",
    CheckStatus.FAILED: "[bold red]✘[/bold red]",
    CheckStatus.SKIPPED: "[dim]○[/dim]",
}


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``iloq check`` on ``parser``."""
    commands = parser.add_subparsers(dest="iloq_command", required=True, metavar="COMMAND")
    summary = "check an API user's iLOQ credentials before a LivionKey20 is connected"
    check = commands.add_parser("check", help=summary, description=summary)
    env = os.environ.get
    check.add_argument(
        "--service-address",
        default=env("ILOQ_SERVICE_ADDRESS"),
        metavar="URL",
        help="as on the iLOQ Manager login screen, e.g. https://s5.iloq.com/iloqws "
        "(or ILOQ_SERVICE_ADDRESS)",
    )
    check.add_argument(
        "--service-code", default=env("ILOQ_SERVICE_CODE"), metavar="CODE",
        help="the locking system's service code (or ILOQ_SERVICE_CODE)",
    )  # fmt: skip
    check.add_argument(
        "--username", default=env("ILOQ_USERNAME"), metavar="USER",
        help="the API user's User ID (or ILOQ_USERNAME); the password is read from "
        "ILOQ_PASSWORD or asked for",
    )  # fmt: skip
    check.add_argument(
        "--locking-system", metavar="NAME_OR_ID",
        help="check only this locking system (default: every one the user sees)",
    )  # fmt: skip
    check.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="SECONDS",
        help="per attempt (%(default)s)",
    )  # fmt: skip
    check.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    """Run the ``iloq`` subcommand the arguments name."""
    missing = [
        flag
        for flag, value in (
            ("--service-address", args.service_address),
            ("--service-code", args.service_code),
            ("--username", args.username),
        )
        if not value
    ]
    if missing:
        print(f"iloq check: {', '.join(missing)} required", file=sys.stderr)
        return 2
    password = os.environ.get("ILOQ_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("iloq check: no password: set ILOQ_PASSWORD", file=sys.stderr)
            return 2
        password = getpass.getpass(f"iLOQ password for {args.username}: ")
    try:
        report = asyncio.run(
            check_credentials(
                service_address=args.service_address,
                service_code=args.service_code,
                username=args.username,
                password=password,
                locking_system=args.locking_system,
                api_key=os.environ.get("ILOQ_API_KEY") or None,
                timeout=args.timeout,
            )
        )
    except ValidationError as exc:
        print(f"iloq check: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        del password
    if args.json:
        print(json.dumps(report_as_json(report), indent=2))
    else:
        print_checklist(report, args)
    return 0 if report.ok else 1


def report_as_json(report: PreflightReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "service_url": report.service_url,
        "session_killed": report.session_killed,
        "checks": [
            {
                "name": check.name,
                "status": check.status.value,
                "ok": check.ok,
                "detail": check.detail,
                "fix": check.fix,
                "locking_system": check.locking_system,
            }
            for check in report.checks
        ],
    }


def print_checklist(report: PreflightReport, args: argparse.Namespace) -> None:
    """A tick or a cross per check, the fix beneath each failure, grouped by locking system."""
    console = rich_console()
    console.print(
        f"[bold]iLOQ credentials check[/bold]: {escape(args.service_address)} "
        f"(service code {escape(args.service_code)}, user {escape(args.username)})",
        soft_wrap=True,
    )
    heading: str | None = None
    for check in report.checks:
        if check.locking_system != heading:
            heading = check.locking_system
            if heading is not None:
                console.print(f"[bold]Locking system: {escape(heading)}[/bold]", soft_wrap=True)
        indent = "  " if check.locking_system is not None else ""
        console.print(f"{indent}{_line(check)}", soft_wrap=True)
        if check.fix:
            console.print(f"{indent}    [yellow]fix:[/yellow] {escape(check.fix)}", soft_wrap=True)
    counts = (
        f"{len(report.passed)} passed, {len(report.failed)} failed, {len(report.skipped)} skipped"
    )
    if report.ok:
        console.print(f"[bold green]All checks passed[/bold green] ({counts}).", soft_wrap=True)
    else:
        console.print(f"[bold red]Not ready[/bold red] ({counts}).", soft_wrap=True)
    if report.session_killed is False:
        console.print(
            "[yellow]note:[/yellow] the iLOQ session could not be ended; it expires on the server.",
            soft_wrap=True,
        )


def _line(check: CheckResult) -> str:
    name = escape(check.name)
    if check.status is CheckStatus.SKIPPED:
        return f"{_MARKS[check.status]} [dim]{name} ({escape(check.detail)})[/dim]"
    return f"{_MARKS[check.status]} {name}: {escape(check.detail)}"
