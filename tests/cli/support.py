"""What the command-line tests share: the credentials, the example files, a run's captured
output, and readers of tables and reports.

The fixtures built on these (``sim``: a simulator the environment points the CLI at; ``cli``:
run a command in a worker thread and capture its output) live in ``conftest.py`` beside this
module.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livionkey_async._cli import main

EMAIL = "demo@example.com"
# Not the seeded default: a password nothing else prints, so any leak is unmistakable.
PASSWORD = "Pw-7f3c9e1a-never-printed"
WRONG_PASSWORD = "Wrong-4d2b8c-never-printed"
DEMO_PASSWORD = "livionkey-demo"  # what the ``demo`` command's own simulator uses
SECRETS = (PASSWORD, WRONG_PASSWORD, DEMO_PASSWORD)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_IDS = [f"booking-{n}" for n in range(1001, 1011)]
FUTURE = "2031-09-01T10:00:00Z"
FUTURE_END = "2031-09-02T10:00:00Z"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


Cli = Callable[..., Awaitable[Run]]


def call_main(argv: list[str]) -> int:
    """``main`` as the console script runs it: a ``SystemExit`` message goes to stderr."""
    try:
        return main(argv)
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def table_value(text: str, label: str) -> str:
    """The value cell of the table row labelled ``label`` (rich's, or the plain fallback's)."""
    match = re.search(rf"│ {re.escape(label)} +│ ([^│]*?) *│", text)
    assert match is not None, f"no row {label!r} in:\n{text}"
    return match.group(1)


def report_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    assert_no_secrets(text)
    return [json.loads(line) for line in text.splitlines()]
