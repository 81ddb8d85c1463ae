"""Parsing of Retry-After and the rate-limit headers: every form, case-insensitively, leniently."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from livionkey_async._ratelimit_headers import RateLimitHint, parse_rate_limit, parse_retry_after

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def http_date(epoch: float) -> str:
    return format_datetime(datetime.fromtimestamp(epoch, UTC), usegmt=True)


# --- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "5"}, 5.0),
        ({"retry-after": " 1.5 "}, 1.5),
        ({"RETRY-AFTER": "-3"}, 0.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": http_date(NOW + 30)}, 30.0),
        ({"Retry-After": http_date(NOW - 30)}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ms-retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "5", "retry-after-ms": "4200"}, 4.2),  # the precise one wins
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": ""}, None),
        ({"retry-after-ms": "lots", "Retry-After": "2"}, 2.0),
        ({}, None),
        ({"Content-Type": "text/plain"}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == (
        None if expected is None else pytest.approx(expected)
    )


def test_retry_after_is_case_insensitive_with_multidicts() -> None:
    headers: CIMultiDict[str] = CIMultiDict()
    headers.add("RETRY-after", "7")
    assert parse_retry_after(headers, now=NOW) == 7.0
    assert parse_rate_limit(headers, now=NOW).retry_after == 7.0


def test_repeated_retry_after_uses_the_first() -> None:
    headers: CIMultiDict[str] = CIMultiDict([("Retry-After", "3"), ("retry-after", "9")])
    assert parse_retry_after(headers, now=NOW) == 3.0


def test_absurdly_large_retry_after_is_ignored_not_infinite() -> None:
    assert parse_retry_after({"Retry-After": "9" * 400}, now=NOW) is None


# --- RateLimit (IETF drafts) and X-RateLimit ----------------------------------------------------


def test_structured_policy_and_ratelimit_items() -> None:
    hint = parse_rate_limit(
        {"RateLimit-Policy": '"default";q=100;w=1', "RateLimit": '"default";r=50;t=30'}, now=NOW
    )
    assert hint == RateLimitHint(limit=100.0, window=1.0, remaining=50.0, reset=30.0)
    assert hint.per_second == 100.0


def test_the_most_restrictive_policy_per_second_is_reported() -> None:
    hint = parse_rate_limit(
        {"RateLimit-Policy": '"burst";q=100;w=1, "daily";q=1000;w=86400, "minute";q=600;w=60'},
        now=NOW,
    )
    assert (hint.limit, hint.window) == (1000.0, 86400.0)
    assert hint.per_second == pytest.approx(1000 / 86400)


def test_policies_split_over_repeated_fields_and_quoted_commas() -> None:
    headers: CIMultiDict[str] = CIMultiDict(
        [("RateLimit-Policy", '"a,b";q=10;w=1'), ("ratelimit-policy", '"c";q=5;w=1')]
    )
    hint = parse_rate_limit(headers, now=NOW)
    assert (hint.limit, hint.window) == (5.0, 1.0)


def test_the_tightest_ratelimit_item_is_reported() -> None:
    hint = parse_rate_limit({"RateLimit": '"a";r=50;t=30, "b";r=0;t=20, "c";r=0;t=5'}, now=NOW)
    assert (hint.remaining, hint.reset) == (0.0, 20.0)
    hint = parse_rate_limit({"RateLimit": '"a";r=50;t=10, "b";r=10;t=10'}, now=NOW)
    assert (hint.remaining, hint.reset) == (10.0, 10.0)


def test_older_draft_separate_fields() -> None:
    hint = parse_rate_limit(
        {
            "RateLimit-Limit": "100, 100;w=10",
            "RateLimit-Remaining": "42",
            "RateLimit-Reset": "7",
        },
        now=NOW,
    )
    assert hint == RateLimitHint(limit=100.0, window=10.0, remaining=42.0, reset=7.0)


def test_older_draft_dictionary_and_integer_policy() -> None:
    hint = parse_rate_limit(
        {"RateLimit": "limit=100, remaining=50, reset=5", "RateLimit-Policy": "100;w=10"},
        now=NOW,
    )
    assert hint == RateLimitHint(limit=100.0, window=10.0, remaining=50.0, reset=5.0)
    assert hint.per_second == 10.0


def test_dictionary_limit_without_a_policy_has_no_window() -> None:
    hint = parse_rate_limit({"RateLimit": "limit=100, remaining=0, reset=2"}, now=NOW)
    assert (hint.limit, hint.window, hint.remaining, hint.reset) == (100.0, None, 0.0, 2.0)
    assert hint.per_second is None


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("30", 30.0),
        (str(int(NOW) + 60), 60.0),  # epoch seconds
        (str(int(NOW) - 60), 0.0),  # already past
        (str(int(NOW * 1000) + 5000), 5.0),  # epoch milliseconds
    ],
)
def test_x_ratelimit_reset_as_delay_or_epoch(reset: str, expected: float) -> None:
    hint = parse_rate_limit(
        {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": reset},
        now=NOW,
    )
    assert hint.limit == 5000.0
    assert hint.window is None
    assert hint.remaining == 4999.0
    assert hint.reset == pytest.approx(expected)


def test_newest_form_wins_and_a_malformed_one_is_skipped() -> None:
    hint = parse_rate_limit(
        {
            "RateLimit-Policy": '"p";q=10;w=1',
            "RateLimit": '"p";r=3;t=1',
            "X-RateLimit-Limit": "99",
            "X-RateLimit-Remaining": "98",
        },
        now=NOW,
    )
    assert (hint.limit, hint.remaining) == (10.0, 3.0)
    hint = parse_rate_limit(
        {"RateLimit-Policy": "garbage;;=", "RateLimit": "???", "X-RateLimit-Limit": "99"}, now=NOW
    )
    assert hint.limit == 99.0


def test_negative_or_nonsense_numbers_are_clamped_or_dropped() -> None:
    hint = parse_rate_limit(
        {"X-RateLimit-Limit": "-5", "X-RateLimit-Remaining": "-1", "X-RateLimit-Reset": "abc"},
        now=NOW,
    )
    assert hint == RateLimitHint(remaining=0.0)


def test_no_headers_no_hint() -> None:
    hint = parse_rate_limit({"Content-Type": "application/json"}, now=NOW)
    assert hint.is_empty
    assert hint.per_second is None
    assert not RateLimitHint(remaining=1.0).is_empty


# --- properties ----------------------------------------------------------------------------------

KNOWN = [
    "Retry-After",
    "retry-after-ms",
    "x-ms-retry-after-ms",
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
header_values = st.text() | st.from_regex(r'[0-9";=,a-z\-. wqrt]*', fullmatch=True)


@given(
    st.dictionaries(st.sampled_from(KNOWN) | st.text(), header_values, max_size=8),
    st.floats(min_value=0, max_value=4e9),
)
def test_parsing_never_raises(headers: dict[str, str], now: float) -> None:
    hint = parse_rate_limit(headers, now=now)
    retry = parse_retry_after(headers, now=now)
    assert hint.retry_after == retry
    for value in (hint.retry_after, hint.remaining, hint.reset):
        assert value is None or value >= 0
    for value in (hint.limit, hint.window):
        assert value is None or value > 0


quotas = st.integers(min_value=1, max_value=1_000_000)
windows = st.integers(min_value=1, max_value=86_400)
counts = st.integers(min_value=0, max_value=1_000_000)
delays = st.integers(min_value=0, max_value=100_000)
names = st.from_regex(r"[a-z][a-z0-9_\-]{0,11}", fullmatch=True)


@given(names, quotas, windows, counts, delays)
def test_round_trip_structured_fields(name: str, q: int, w: int, r: int, t: int) -> None:
    hint = parse_rate_limit(
        {"RateLimit-Policy": f'"{name}";q={q};w={w}', "RateLimit": f'"{name}";r={r};t={t}'},
        now=NOW,
    )
    assert hint == RateLimitHint(limit=q, window=w, remaining=r, reset=t)


@given(quotas, windows, counts, delays)
def test_round_trip_older_drafts(q: int, w: int, r: int, t: int) -> None:
    separate = parse_rate_limit(
        {
            "RateLimit-Limit": str(q),
            "RateLimit-Remaining": str(r),
            "RateLimit-Reset": str(t),
            "RateLimit-Policy": f"{q};w={w}",
        },
        now=NOW,
    )
    dictionary = parse_rate_limit(
        {"RateLimit": f"limit={q}, remaining={r}, reset={t}", "RateLimit-Policy": f"{q};w={w}"},
        now=NOW,
    )
    expected = RateLimitHint(limit=q, window=w, remaining=r, reset=t)
    assert separate == expected
    assert dictionary == expected


@given(quotas, counts, delays, st.booleans())
def test_round_trip_x_ratelimit(q: int, r: int, t: int, as_epoch: bool) -> None:
    reset = str(int(NOW) + t) if as_epoch else str(t)
    hint = parse_rate_limit(
        {"x-ratelimit-limit": str(q), "X-RATELIMIT-REMAINING": str(r), "X-RateLimit-Reset": reset},
        now=NOW,
    )
    assert hint == RateLimitHint(limit=q, remaining=r, reset=t)


@given(st.integers(min_value=0, max_value=10**7), st.booleans())
def test_round_trip_retry_after(seconds: int, as_date: bool) -> None:
    value = http_date(NOW + seconds) if as_date else str(seconds)
    assert parse_retry_after({"Retry-After": value}, now=NOW) == pytest.approx(seconds)
    assert parse_retry_after({"retry-after-ms": str(seconds)}, now=NOW) == pytest.approx(
        seconds / 1000
    )
