from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from camvault.protocols.resetcode import ResetRequest
from camvault.support.policy import (
    REFUSAL_REASONS,
    PolicyConfig,
    RequestHistory,
    check_issuable,
    evaluate_request,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLEAN = RequestHistory(stolen=False, nonce_seen=False, requests_last_day=0, requests_last_week=0)
CONFIG = PolicyConfig(
    validity_window=timedelta(hours=48),
    max_clock_ahead=timedelta(hours=24),
    max_requests_per_day=3,
    max_requests_per_week=5,
)


def request(*, device_time: datetime = NOW, validity: timedelta = timedelta(hours=48)) -> ResetRequest:
    return ResetRequest(
        version=1,
        model="DS-2CD2385G1-I",
        serial="SN-1",
        mac="58:50:ed:1f:e3:85",
        firmware="V5.6.2build 190701",
        device_time=device_time,
        nonce=bytes(16),
        expiry=device_time + validity,
        certificate_pem="",
        signature=b"",
    )


def reason(req: ResetRequest, history: RequestHistory = CLEAN, now: datetime = NOW) -> str | None:
    refusal = evaluate_request(req, now=now, history=history, config=CONFIG)
    if refusal is not None:
        assert refusal.reason in REFUSAL_REASONS
        assert refusal.message
    return None if refusal is None else refusal.reason


def test_a_fresh_request_passes() -> None:
    assert reason(request()) is None


def test_stolen_serial_is_refused_first() -> None:
    history = RequestHistory(stolen=True, nonce_seen=True, requests_last_day=9, requests_last_week=9)
    refusal = evaluate_request(request(), now=NOW, history=history, config=CONFIG)
    assert refusal is not None
    assert refusal.reason == "reported_stolen"
    assert "SN-1" in refusal.message


def test_duplicate_nonce() -> None:
    assert reason(request(), RequestHistory(False, True, 0, 0)) == "duplicate_nonce"


def test_expired_request() -> None:
    req = request(device_time=NOW - timedelta(hours=2), validity=timedelta(hours=1))
    assert reason(req) == "expired"
    assert reason(req, now=req.expiry - timedelta(seconds=1)) is None


def test_request_older_than_the_window() -> None:
    req = request(device_time=NOW - timedelta(hours=49), validity=timedelta(days=10))
    assert reason(req) == "too_old"
    assert reason(request(device_time=NOW - timedelta(hours=47), validity=timedelta(days=10))) is None


def test_device_clock_far_ahead() -> None:
    assert reason(request(device_time=NOW + timedelta(hours=25))) == "clock_ahead"
    assert reason(request(device_time=NOW + timedelta(hours=23))) is None


@pytest.mark.parametrize(
    ("day", "week", "refused"), [(2, 2, False), (3, 3, True), (0, 5, True), (2, 4, False)]
)
def test_request_limits_per_serial(day: int, week: int, refused: bool) -> None:
    result = reason(request(), RequestHistory(False, False, day, week))
    assert result == ("too_many_requests" if refused else None)


def test_issuable_recheck() -> None:
    req = request()
    assert check_issuable(req, now=NOW, stolen=False) is None
    stolen = check_issuable(req, now=NOW, stolen=True)
    assert stolen is not None
    assert stolen.reason == "reported_stolen"
    expired = check_issuable(req, now=req.expiry, stolen=False)
    assert expired is not None
    assert expired.reason == "expired"


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        PolicyConfig(max_requests_per_day=5, max_requests_per_week=2)
    with pytest.raises(ValueError):
        PolicyConfig(validity_window=timedelta(0))
