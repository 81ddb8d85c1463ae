"""The ``livionkey-async`` command line: one subcommand per job, dispatched by argparse.

``--api v2`` (or, for the commands that take credentials, API v2 credentials and no V1 ones in the
environment: ``LIVIONKEY_SERVICE_ACCOUNT_ID`` and ``LIVIONKEY_PRIVATE_KEY_FILE``, and neither
``LIVIONKEY_EMAIL``/``LIVIONKEY_PASSWORD`` nor ``--email``/``--password``) selects the API v2
command set of ``livionkey_async.v2._cli``, imported only then. A choice the environment made is
said on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from . import __version__, _cli_bulk, _cli_ops, _demo
from .iloq import _command as iloq_command
from .testing import _command as sim_command
from .webhooks import _command as webhooks_command

__all__ = ["main"]

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, tuple[str, Command]] = {
    **{name: (summary, (add, run)) for name, (summary, add, run) in _cli_ops.COMMANDS.items()},
    "bulk": (_cli_bulk.COMMAND[0], (_cli_bulk.COMMAND[1], _cli_bulk.COMMAND[2])),
    "sim": ("run the LivionKey API V1 simulator", (sim_command.add_arguments, sim_command.run)),
    "iloq": (
        "LivionKey20: check an integrator's iLOQ credentials",
        (iloq_command.add_arguments, iloq_command.run),
    ),
    "demo": (
        "provision 20 automats x 30 keys on the embedded simulator, exactly once",
        (_demo.add_arguments, _demo.run),
    ),
    "webhooks": (
        "receive Livion webhooks, or send signed samples to an endpoint",
        (webhooks_command.add_arguments, webhooks_command.run),
    ),
}


def _add_api_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        choices=("v1", "v2"),
        default="v1",
        help="the LivionKey API: v1 (default) or v2 (service account, LivionKey20)",
    )


def build_parser(
    commands_of: dict[str, tuple[str, Command]] | None = None,
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livionkey-async",
        description="An asyncio client and simulator for LivionKey.",
        epilog=_cli_ops.ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, (add_arguments, _)) in (commands_of or COMMANDS).items():
        sub = commands.add_parser(name, help=summary, description=summary)
        add_arguments(sub)
        if commands_of is not None or name in V2_TWINS:
            _add_api_argument(sub)
    return parser


# Commands only API v2 has (chosen without --api), and the ones that take credentials (v2 when
# only API v2 credentials are in the environment and --api is not given). sim and demo stay V1
# by default.
# V2_TWINS: the V1 commands with an API v2 twin, the ones that take --api.
V2_ONLY_COMMANDS = frozenset({"automats", "access-rights"})
CREDENTIAL_COMMANDS = frozenset({"contracts", "contract", "bulk"})
V2_TWINS = CREDENTIAL_COMMANDS | {"sim", "demo"}


def _api(argv: Sequence[str]) -> str:
    """``v2`` when ``--api v2`` is given, or when the command needs it or credentials say so."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--api", choices=("v1", "v2"))
    pre.add_argument("command", nargs="?")
    known, _ = pre.parse_known_args(argv)
    if known.api is not None:
        return str(known.api)
    if known.command in V2_ONLY_COMMANDS:
        return "v2"
    if known.command in CREDENTIAL_COMMANDS and os.environ.get("LIVIONKEY_SERVICE_ACCOUNT_ID"):
        v1 = [name for name in _V1_CREDENTIALS if os.environ.get(name)]
        v1 += [flag for flag in ("--email", "--password") if _given(argv, flag)]
        if v1 or not os.environ.get("LIVIONKEY_PRIVATE_KEY_FILE"):
            why = f"{' and '.join(v1)} given" if v1 else "LIVIONKEY_PRIVATE_KEY_FILE is not set"
            print(f"livionkey-async: using API V1 ({why}; --api v2 for API v2)", file=sys.stderr)
            return "v1"
        print(
            "livionkey-async: using API v2 (LIVIONKEY_SERVICE_ACCOUNT_ID and "
            "LIVIONKEY_PRIVATE_KEY_FILE are set; --api v1 for V1)",
            file=sys.stderr,
        )
        return "v2"
    return "v1"


_V1_CREDENTIALS = ("LIVIONKEY_EMAIL", "LIVIONKEY_PASSWORD")


def _given(argv: Sequence[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(f"{flag}=") for arg in argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands_of = COMMANDS
    if _api(argv) == "v2":
        try:
            from .v2._cli import COMMANDS as V2_COMMANDS
        except ImportError:
            print("API v2 needs the v2 extra: pip install 'livionkey-async[v2]'", file=sys.stderr)
            return 2

        commands_of = {
            name: (summary, (add, run)) for name, (summary, add, run) in V2_COMMANDS.items()
        }
    args = build_parser(commands_of).parse_args(argv)
    check = getattr(args, "check", None)
    if check is not None:  # option combinations argparse cannot express: exit 2 on a bad one
        check(args)
    _, (_, run) = commands_of[args.command]
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
