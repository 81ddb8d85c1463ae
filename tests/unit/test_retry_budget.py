"""The retry budget: retries spend, successes refund, a failing server gets a fast clear stop."""

from __future__ import annotations

import pytest

from livionkey_async._retry_budget import RetryBudget


def test_a_fresh_budget_allows_retries() -> None:
    budget = RetryBudget()
    assert budget.tokens == budget.max_tokens == 10.0
    assert budget.can_retry()


def test_a_dead_server_gets_five_retries_then_a_clear_stop() -> None:
    budget = RetryBudget()
    allowed = 0
    while budget.try_spend():
        allowed += 1
        assert allowed < 100
    assert allowed == 5  # 10 tokens, retries only while more than half is left
    assert budget.tokens == 5.0
    assert not budget.can_retry()
    assert not budget.try_spend()
    assert budget.tokens == 5.0  # a refused retry costs nothing


def test_once_stopped_a_retry_needs_about_ten_successes() -> None:
    budget = RetryBudget()
    while budget.try_spend():
        pass
    budget.refund()  # 5.1: one success buys one retry ...
    assert budget.try_spend()
    for _ in range(5):  # ... and then it takes ten more
        budget.refund()
    assert not budget.can_retry()
    for _ in range(6):
        budget.refund()
    assert budget.try_spend()


def test_refunds_never_overflow() -> None:
    budget = RetryBudget()
    budget.spend()
    for _ in range(1000):
        budget.refund()
    assert budget.tokens == 10.0


def test_spend_never_goes_negative() -> None:
    budget = RetryBudget(max_tokens=2.0, retry_cost=1.5)
    budget.spend()
    budget.spend()
    assert budget.tokens == 0.0


def test_custom_threshold_and_cost() -> None:
    budget = RetryBudget(max_tokens=4.0, retry_cost=2.0, success_refund=1.0, threshold=0.0)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()
    budget.refund()
    assert budget.try_spend()
    assert repr(budget) == "RetryBudget(tokens=0/4)"


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        RetryBudget(max_tokens=0)
    with pytest.raises(ValueError, match="negative"):
        RetryBudget(retry_cost=-1)
