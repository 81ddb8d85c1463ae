"""The ``livionkey-async`` commands for API v2, chosen with ``--api v2``.

``livionkey_async._cli`` picks this command set when ``--api v2`` is given, for the commands only
v2 has, and for the commands that take credentials when ``LIVIONKEY_SERVICE_ACCOUNT_ID`` is set
and ``--api`` is not.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..testing._v2 import _command as sim_command

__all__ = ["COMMANDS"]

Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "sim": ("run the LivionKey API v2 simulator", sim_command.add_arguments, sim_command.run),
}
