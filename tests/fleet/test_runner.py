"""The runner: failures are values, deadlines hold, limits hold, runs can stop early."""

from __future__ import annotations

import asyncio

from camvault.errors import AuthenticationFailed, DeviceTimeout
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.runner import Outcome, Runner


def devices(count: int, group: str = "default") -> list[DeviceRecord]:
    return [
        DeviceRecord.new(f"cam-{index:02d}", "hikvision", f"192.0.2.{index + 1}", group_name=group)
        for index in range(count)
    ]


async def test_failures_timeouts_and_bugs_are_outcomes_in_order() -> None:
    async def task(record: DeviceRecord) -> str:
        if record.label == "cam-01":
            raise AuthenticationFailed(record.label, "wrong password", attempts_left=4)
        if record.label == "cam-02":
            await asyncio.sleep(10)
        if record.label == "cam-03":
            raise KeyError("secret-looking-detail")
        return record.host

    result = await Runner(concurrency=4, timeout=0.2).run(devices(5), task)
    assert [o.kind for o in result.outcomes] == [
        "ok",
        "AuthenticationFailed",
        "DeviceTimeout",
        "DeviceError",
        "ok",
    ]
    assert result.outcomes[0].value == "192.0.2.1"
    assert isinstance(result.outcomes[2].error, DeviceTimeout)
    assert "secret-looking-detail" not in result.outcomes[3].reason, (
        "unexpected exceptions are reported by type only"
    )
    assert result.by_kind()["ok"] == 2


async def test_concurrency_and_group_limits_hold() -> None:
    in_flight = {"all": 0, "max": 0, "site": 0, "site_max": 0}

    async def task(record: DeviceRecord) -> None:
        in_flight["all"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["all"])
        if record.group_name == "site-a":
            in_flight["site"] += 1
            in_flight["site_max"] = max(in_flight["site_max"], in_flight["site"])
        await asyncio.sleep(0.01)
        in_flight["all"] -= 1
        if record.group_name == "site-a":
            in_flight["site"] -= 1

    await Runner(concurrency=5, per_group_limit=2).run(devices(10, "site-a") + devices(10, "site-b"), task)
    assert in_flight["max"] <= 5
    assert in_flight["site_max"] <= 2


async def test_stop_when_skips_the_rest_and_hooks_cannot_break_a_run() -> None:
    seen: list[str] = []

    class Hooks:
        def run_started(self, total: int) -> None:
            seen.append(f"start {total}")

        def device_finished(self, outcome: Outcome[object]) -> None:
            raise RuntimeError("a broken progress bar")

    async def task(record: DeviceRecord) -> None:
        raise AuthenticationFailed(record.label, "refused")

    def stop(finished: list[Outcome[None]]) -> str | None:
        return "every device refuses" if len(finished) >= 3 and all(not o.ok for o in finished) else None

    result = await Runner(concurrency=1, hooks=[Hooks()]).run(devices(10), task, stop_when=stop)
    assert result.stopped == "every device refuses"
    assert len(result.failed) == 3 and len(result.skipped) == 7
    assert seen == ["start 10"]
