"""Lockout safety rules of the attempt budget."""

from __future__ import annotations

import pytest

from camvault.clock import ManualClock
from camvault.errors import AttemptBudgetExhausted, AuthenticationFailed, DeviceLocked
from camvault.fleet.drivers import AttemptBudget


def test_never_spends_the_reserve_and_never_repeats_a_rejected_password() -> None:
    budget = AttemptBudget(reserve=2, clock=ManualClock())
    budget.learn_threshold("cam", 5)
    for candidate in ("first", "second", "third"):
        budget.spend("cam", candidate)
        budget.record_failure("cam", candidate)
    with pytest.raises(AttemptBudgetExhausted):
        budget.spend("cam", "fourth")
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        budget.spend("cam", "first")
    budget.record_success("cam")
    budget.spend("cam", "fourth")
    with pytest.raises(AuthenticationFailed):
        budget.spend("cam", "second")  # a success does not make a rejected password worth trying


def test_the_device_count_wins_when_lower() -> None:
    budget = AttemptBudget(reserve=2, clock=ManualClock())
    budget.spend("cam", "a")
    budget.record_failure("cam", "a", attempts_left=2)  # someone else has been guessing too
    assert budget.remaining("cam") == 0
    with pytest.raises(AttemptBudgetExhausted):
        budget.spend("cam", "b")


def test_a_reported_lock_blocks_until_it_runs_out() -> None:
    clock = ManualClock()
    budget = AttemptBudget(clock=clock)
    budget.record_lock("cam", unlock_in_seconds=600)
    with pytest.raises(DeviceLocked) as info:
        budget.spend("cam", "x")
    assert info.value.locked_until is not None
    clock.advance(601)
    budget.spend("cam", "x")


def test_budgets_are_per_device_and_source_and_fingerprints_are_keyed() -> None:
    budget = AttemptBudget(reserve=2, clock=ManualClock(), key=b"k" * 32)
    for guess in ("1", "2", "3"):
        budget.record_failure("cam", guess, source="10.0.0.1")
    assert budget.remaining("cam", "10.0.0.1") == 0
    assert budget.remaining("cam", "10.0.0.2") == 3
    assert budget.remaining("other", "10.0.0.1") == 3
    assert budget.fingerprint("cam", "secret") != budget.fingerprint("other", "secret")
    assert "secret" not in repr(budget.state("cam", "10.0.0.1"))
    with pytest.raises(ValueError):
        AttemptBudget(reserve=0)


def test_an_unguessable_secret_passes_a_lock_and_the_reserve_but_is_never_resent() -> None:
    budget = AttemptBudget(reserve=2, clock=ManualClock())
    budget.record_lock("cam", unlock_in_seconds=600)
    with pytest.raises(DeviceLocked):
        budget.spend("cam", "a guessed password")
    budget.spend("cam", "code:VENDOR", unguessable=True)
    budget.record_failure("cam", "code:VENDOR", locked=True, unlock_in_seconds=1800)
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        budget.spend("cam", "code:VENDOR", unguessable=True)
    budget.spend("cam", "code:ANOTHER", unguessable=True)
    with pytest.raises(DeviceLocked):
        budget.spend("cam", "a guessed password")
