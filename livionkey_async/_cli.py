"""The ``livionkey-async`` command line: one subcommand per job, dispatched by argparse."""

from __future__ import annotations

import argparse
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livionkey-async",
        description="An asyncio client and simulator for LivionKey API V1.",
        epilog=_cli_ops.ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, (add_arguments, _)) in COMMANDS.items():
        add_arguments(commands.add_parser(name, help=summary, description=summary))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check = getattr(args, "check", None)
    if check is not None:  # option combinations argparse cannot express: exit 2 on a bad one
        check(args)
    _, (_, run) = COMMANDS[args.command]
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
