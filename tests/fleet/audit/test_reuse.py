"""Password reuse: one fleet finding per group of devices sharing a vault fingerprint, never the password."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.fleet.audit import CredentialStatus, FindingCode, Scope, Severity, audit, default_catalogue
from camvault.fleet.audit.rules import reuse_findings
from tests.fleet.audit.factory import NOW, device, fleet, pw

SHARED = "Site-Pass-2024!x"


def test_one_finding_per_group_naming_its_devices() -> None:
    devices = [
        device("cam-b", label="Garage", password=pw(SHARED, reuse_key="k1")),
        device("cam-a", label="Yard", password=pw(SHARED, reuse_key="k1")),
        device("cam-c", password=pw("Other-Pass-77!q", reuse_key="k2")),
        device("cam-d", password=pw("Other-Pass-77!q", reuse_key="k2")),
        device("cam-e", password=pw("Other-Pass-77!q", reuse_key="k2")),
        device("cam-f", password=pw("Lone-Pass-991!z", reuse_key="k3")),
        device("cam-g", password=pw("No-Key-Pass-5!j")),  # no fingerprint: cannot be compared
    ]
    findings = reuse_findings(devices)
    assert [finding.devices for finding in findings] == [("cam-a", "cam-b"), ("cam-c", "cam-d", "cam-e")]
    first = findings[0]
    assert first.code is FindingCode.REUSED_PASSWORD
    assert first.scope is Scope.FLEET
    assert first.severity is Severity.HIGH
    assert first.evidence[0] == "2 devices share one password: Yard, Garage"
    assert (
        first.fix
        == "Give each device its own generated password: `camvault fleet rotate --device cam-a --device cam-b`."
    )
    for finding in findings:
        text = " ".join((*finding.evidence, finding.fix, finding.title))
        assert SHARED not in text and "Other-Pass" not in text
        assert "k1" not in text and "k2" not in text


def test_rejected_or_unknown_credentials_are_not_grouped() -> None:
    devices = [
        device("cam-a", password=pw(SHARED, reuse_key="k1")),
        device("cam-b", password=pw(SHARED, reuse_key="k1"), credential=CredentialStatus.REJECTED),
        device("cam-c", password=None, credential=CredentialStatus.UNKNOWN),
    ]
    assert reuse_findings(devices) == ()
    devices.append(
        device("cam-d", password=pw(SHARED, reuse_key="k1"), credential=CredentialStatus.NOT_TRIED_BUDGET)
    )
    assert [finding.devices for finding in reuse_findings(devices)] == [("cam-a", "cam-d")]


def test_the_report_attaches_the_group_to_each_member() -> None:
    report = audit(
        fleet(
            device("cam-a", password=pw(SHARED, reuse_key="k1")),
            device("cam-b", password=pw(SHARED, reuse_key="k1")),
            device("cam-c"),
        ),
        catalogue=default_catalogue(),
        now=NOW,
    )
    assert len(report.fleet_findings) == 1
    by_id = {entry.device_id: entry for entry in report.devices}
    assert by_id["cam-a"].codes == (FindingCode.REUSED_PASSWORD,)
    assert by_id["cam-a"].findings == ()  # it is a fleet finding, listed once
    assert by_id["cam-c"].codes == ()
    assert report.counts()[Severity.HIGH] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["k1", "k2", "k3", "k4", None]), min_size=0, max_size=12))
def test_groups_are_exactly_the_shared_keys(keys: list[str | None]) -> None:
    devices = [device(f"cam-{index:02d}", password=pw(reuse_key=key)) for index, key in enumerate(keys)]
    findings = reuse_findings(devices)
    members = {
        key: [d.device_id for d in devices if d.password and d.password.reuse_key == key]
        for key in set(keys)
        if key
    }
    expected = sorted(tuple(ids) for ids in members.values() if len(ids) >= 2)
    assert sorted(finding.devices for finding in findings) == expected
    grouped = [device_id for finding in findings for device_id in finding.devices]
    assert len(grouped) == len(set(grouped))  # a device is in one group at most
    assert reuse_findings(reversed(devices)) == findings  # order of the input does not matter
