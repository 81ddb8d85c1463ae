"""The README's "Testing your integration" section, pasted into a fresh project and run.

Its pytest configuration and its test module are taken from the README as written and run by a
pytest of their own (a subprocess: the plugin is found through its entry point, as in a user's
project). Without the configuration the README gives, the same module fails as the issue saw.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def section_blocks() -> dict[str, str]:
    """The code blocks of the testing section, by language (the test module by its path)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Testing your integration") :]
    section = section[: section.index("\n## ", 1)]
    blocks: dict[str, str] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", section, re.S):
        first = body.splitlines()[0]
        key = first[2:].strip() if first.startswith("# tests/") else language
        blocks.setdefault(key, body)
    return blocks


def test_the_readme_testing_section_passes_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    blocks = section_blocks()
    assert 'pip install "livionkey-async[testing]"' in blocks["sh"]
    pytester.makefile(".toml", pyproject=blocks["toml"])
    module = blocks["tests/test_livionkey.py"]
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_livionkey.py").write_text(module, encoding="utf-8")
    passed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests")
    passed.assert_outcomes(passed=module.count("\nasync def test_"))

    # Without the configuration it gives, the same tests are not run (the failure).
    pytester.makefile(".toml", pyproject="[tool.pytest.ini_options]\n")
    failed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests")
    failed.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
