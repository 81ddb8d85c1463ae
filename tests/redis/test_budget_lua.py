"""The budget's Lua: its rate finder against the Python original, and the script on fakeredis.

The rate finder exists twice, in ``_pacing._RateFinder`` (one process) and in the Lua chunk the
shared budget runs inside Redis; the same events must give the same rates, modes and plateaus.
"""

from __future__ import annotations

import math
from typing import Any

import fakeredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livionkey_async._pacing import _RateFinder
from livionkey_async.redis._lua import BUDGET, FINDER

State = tuple[float, str, float, float | None]

_DRIVER = (
    FINDER
    + r"""
local function num(t) if t == '' then return nil end return tonumber(t) end
local f = finder_new(num(ARGV[1]), num(ARGV[2]), num(ARGV[3]))
local out, i = {}, 4
while i <= #ARGV do
  if ARGV[i] == 'g' then
    finder_grow(f, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]))
    i = i + 3
  else
    finder_decrease(f, num(ARGV[i + 1]), num(ARGV[i + 2]), ARGV[i + 3] == '1',
      tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]))
    i = i + 7
  end
  local learnt = finder_learnt(f)
  out[#out + 1] = table.concat({string.format('%.17g', f.rate or -1), f.mode,
    string.format('%.17g', f.plateau or -1), string.format('%.17g', learnt or -1)}, ' ')
end
return out
"""
)

_rates = st.floats(min_value=0.5, max_value=5000, allow_nan=False)
_maybe_rate = st.none() | _rates
_grow = st.tuples(
    st.just("g"), st.floats(min_value=0.0, max_value=90.0), st.floats(min_value=1, max_value=1e6)
)
_decrease = st.tuples(
    st.just("d"),
    _maybe_rate,
    _maybe_rate,
    st.booleans(),
    st.floats(min_value=0.0, max_value=300.0),
    st.integers(min_value=0, max_value=500),
    st.sampled_from([0.5, 1.0]),
)


def _text(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _python(
    initial: float | None, known: float | None, hint: float | None, events: list[Any]
) -> list[State]:
    finder = _RateFinder(initial=initial, known=known, hint=hint)
    out: list[State] = []
    for event in events:
        if event[0] == "g":
            finder.grow(event[1], event[2])
        else:
            _, old, measured, trusted, lasted, recent, min_rate = event
            finder.decrease(
                old=old,
                measured=measured,
                trusted=trusted,
                lasted=lasted,
                recent=float(recent),
                min_rate=min_rate,
            )
        plateau = -1.0 if math.isinf(finder.plateau) else finder.plateau
        learnt = finder.learnt
        out.append((finder.rate if finder.rate is not None else -1.0, finder.mode, plateau, learnt))
    return out


def _lua(
    server: fakeredis.FakeRedis,
    initial: float | None,
    known: float | None,
    hint: float | None,
    events: list[Any],
) -> list[State]:
    args = [_text(initial), _text(known), _text(hint)]
    for event in events:
        if event[0] == "g":
            args += ["g", repr(event[1]), repr(event[2])]
        else:
            _, old, measured, trusted, lasted, recent, min_rate = event
            args += [
                "d",
                _text(old),
                _text(measured),
                "1" if trusted else "0",
                repr(lasted),
                str(recent),
                repr(min_rate),
            ]
    out: list[State] = []
    for line in server.eval(_DRIVER, 0, *args):
        rate, *mode, plateau, learnt = line.decode().split(" ")
        out.append((float(rate), " ".join(mode), float(plateau), float(learnt)))
    return out


@pytest.fixture(scope="module")
def server() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


def _valid(events: list[Any]) -> list[Any]:
    # The pacer reports `old` as None only while it paces nothing; keep to paced decreases.
    return [e for e in events if e[0] == "g" or e[1] is not None]


@settings(max_examples=150, deadline=None)
@given(
    initial=_maybe_rate,
    known=_maybe_rate,
    hint=_maybe_rate,
    events=st.lists(_grow | _decrease, max_size=25),
)
def test_the_lua_finder_finds_what_the_python_one_finds(
    server: fakeredis.FakeRedis,
    initial: float | None,
    known: float | None,
    hint: float | None,
    events: list[Any],
) -> None:
    events = _valid(events)
    python = _python(initial, known, hint, events)
    lua = _lua(server, initial, known, hint, events)
    assert len(python) == len(lua)
    for (p_rate, p_mode, p_plateau, p_learnt), (l_rate, l_mode, l_plateau, l_learnt) in zip(
        python, lua, strict=True
    ):
        assert l_mode == p_mode
        assert l_rate == pytest.approx(p_rate, rel=1e-9)
        assert l_plateau == pytest.approx(p_plateau, rel=1e-9)
        assert l_learnt == pytest.approx(-1.0 if p_learnt is None else p_learnt, rel=1e-9)


def _budget(
    server: fakeredis.FakeRedis, op: str, *extra: str, ceiling: str = "", hint: str = ""
) -> list[str]:
    keys = ["t:{a}:pace", "t:{a}:grants", "t:{a}:members"]
    args = [op, "member-1", ceiling, "30", hint, "1", "0.5", "60", *extra]
    return [v.decode() for v in server.eval(BUDGET, len(keys), *keys, *args)]


def test_the_budget_spaces_slots_at_its_rate_on_the_servers_clock() -> None:
    server = fakeredis.FakeRedis()
    first = _budget(server, "acquire", ceiling="10")
    second = _budget(server, "acquire", ceiling="10")
    third = _budget(server, "acquire", ceiling="10")
    slots = [float(reply[1]) for reply in (first, second, third)]
    assert slots[1] - slots[0] == pytest.approx(0.1, abs=1e-6)
    assert slots[2] - slots[1] == pytest.approx(0.1, abs=1e-6)
    assert first[4] == "10"  # the ceiling is the rate
    assert first[6] == "1"  # one member


def test_a_429_pauses_every_later_slot_and_starts_one_congestion_event() -> None:
    server = fakeredis.FakeRedis()
    grant = _budget(server, "acquire", hint="50")
    generation = grant[3]
    throttled = _budget(server, "throttled", grant[1], generation, "2", "1", "1", hint="50")
    assert throttled[10] == "1"  # a new event
    assert throttled[7] == "1"
    assert float(throttled[2]) - float(throttled[0]) == pytest.approx(2.0, abs=0.01)
    straggler = _budget(server, "throttled", grant[1], generation, "", "1", "1", hint="50")
    assert straggler[10] == "0"  # its slot was given before the plan changed
    assert straggler[7] == "1"
    after = _budget(server, "acquire", hint="50")
    assert float(after[1]) >= float(throttled[2])  # the next slot waits out the pause
    assert int(after[3]) > int(generation)


def test_a_slot_past_the_callers_wait_is_refused_and_not_reserved() -> None:
    server = fakeredis.FakeRedis()
    first = _budget(server, "acquire", "", "", ceiling="10")
    refused = _budget(server, "acquire", "0.01", "", ceiling="10")  # its slot is 0.1 s away
    assert first[11] == "0"
    assert refused[11] == "1"
    assert float(refused[1]) - float(first[1]) == pytest.approx(0.1, abs=1e-6)
    taken = _budget(server, "acquire", "0.5", "", ceiling="10")
    # The refused call reserved nothing: the next one gets the slot it was refused.
    assert taken[11] == "0"
    assert float(taken[1]) == pytest.approx(float(refused[1]), abs=1e-6)


def test_a_pause_past_max_wait_is_refused_and_not_reserved() -> None:
    server = fakeredis.FakeRedis()
    _budget(server, "pause", "0", "-1", "2", "0", "0", ceiling="10")
    refused = _budget(server, "acquire", "", "1", ceiling="10")  # waits out at most 1 s
    assert refused[11] == "1"
    assert float(refused[2]) - float(refused[0]) == pytest.approx(2.0, abs=0.05)
    taken = _budget(server, "acquire", "", "3", ceiling="10")
    assert taken[11] == "0"
    assert float(taken[1]) == pytest.approx(float(taken[2]), abs=1e-6)  # the pause's end


def test_a_caller_whose_deadline_has_passed_is_refused_even_a_free_slot() -> None:
    server = fakeredis.FakeRedis()
    refused = _budget(server, "acquire", "-0.2", "", ceiling="10")  # the slot is free, now
    assert refused[11] == "1"
    taken = _budget(server, "acquire", "", "", ceiling="10")
    # Nothing was reserved: the next caller gets that same free slot.
    assert float(taken[1]) == pytest.approx(float(refused[1]), abs=0.01)
