"""The forgiving reader for the slips in Livion's own examples, and only those."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livionkey_async._lenient_json import MAX_DEPTH, loads_lenient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{\n  "id": "a"\n  "pincode": "1"\n}', {"id": "a", "pincode": "1"}),  # missing comma
        ('[{"id": "1"]', [{"id": "1"}]),  # an array closes the object it holds
        ('{"devices": [{"id": "1"], "n": 2}', {"devices": [{"id": "1"}], "n": 2}),
        ('{"a": [1, 2,], "b": {"c": null,},}', {"a": [1, 2], "b": {"c": None}}),  # trailing
        ('{"a": 1, "a": 2}', {"a": 2}),  # the last of a repeated member, as JSON.parse
        ('  "594395"  ', "594395"),
        ('{"t": "say \\"hi\\" \\u00e4", "n": -1.5e3}', {"t": 'say "hi" ä', "n": -1500.0}),
    ],
)
def test_the_documented_slips_are_forgiven(text: str, expected: object) -> None:
    assert loads_lenient(text) == expected


@pytest.mark.parametrize(
    "text",
    ["<html>", '{"a": 1', '{"a" 1}', "{a: 1}", "{'a': 1}", '{"a": 1}}', "[1, 2] 3", "", "nul"],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"unexpected|expected|ends inside"):
        loads_lenient(text)


def test_nesting_is_bounded() -> None:
    with pytest.raises(ValueError, match="deeply"):
        loads_lenient("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))
    assert loads_lenient("[" * 10 + "]" * 10) == [[[[[[[[[[]]]]]]]]]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_strict_json_reads_the_same(value: object) -> None:
    assert loads_lenient(json.dumps(value)) == value
