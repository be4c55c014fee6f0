"""The three report formats: Rich table, camvault.audit/1 JSON (checked against its schema), and HTML."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from camvault.fleet.audit import (
    REPORT_SCHEMA,
    AuditReport,
    CredentialStatus,
    DeviceObservation,
    FindingCode,
    Severity,
    audit,
    default_catalogue,
    render_console,
    render_html,
    render_json,
    render_text,
    report_schema,
    report_to_dict,
)
from camvault.fleet.drivers.models import Account, Level, LoginResult
from tests.fleet.audit.factory import NOW, device, facts, fleet, pw
from tests.fleet.audit.schema_check import SchemaViolation, validate

PLANTED_PASSWORD = "Zq-PLANTED-pw-3141!"
PLANTED_KEY = "fp-PLANTED-fingerprint-2718"
HOSTILE_LABEL = '<script>alert("x")</script><img src=x onerror=alert(1)> [bold red]boom[/bold red]'


def run(*devices: DeviceObservation) -> AuditReport:
    return audit(fleet(*devices), catalogue=default_catalogue(), now=NOW)


def busy() -> AuditReport:
    """A fleet with something of every kind, a hostile label, and a planted password on two devices."""
    return run(
        device("cam-1", label=HOSTILE_LABEL, password=pw(PLANTED_PASSWORD, reuse_key=PLANTED_KEY)),
        device(
            "cam-2",
            label="Yard & Gate",
            password=pw(PLANTED_PASSWORD, reuse_key=PLANTED_KEY),
            clock_skew_seconds=-900.0,
        ),
        device("cam-3", facts=facts("DS-2CD2142F-IWS", "V5.3.0", "build 150513"), password=pw("12345")),
        device("cam-4", credential=CredentialStatus.REJECTED, login=LoginResult(ok=False)),
        device("cam-5", reachable=False, credential=CredentialStatus.NOT_TRIED_UNREACHABLE),
        device(
            "cam-6",
            accounts=(
                Account("1", "admin", Level.ADMINISTRATOR),
                Account("2", "<b>eve</b>", Level.ADMINISTRATOR),
            ),
        ),
    )


def all_outputs(report: AuditReport) -> dict[str, str]:
    return {
        "text": render_text(report, details=True),
        "color": render_text(report, details=True, color=True),
        "json": render_json(report),
        "html": render_html(report),
        "repr": repr(report),
    }


# --- no secrets -----------------------------------------------------------------------------------------


def test_the_planted_password_and_fingerprint_appear_in_no_output() -> None:
    report = busy()
    for name, output in all_outputs(report).items():
        assert PLANTED_PASSWORD not in output, name
        assert PLANTED_KEY not in output, name
    assert report.fleet_findings[0].code is FindingCode.REUSED_PASSWORD  # the planted pair was seen


@settings(max_examples=20, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=4, max_size=30))
def test_no_password_appears_in_any_output(secret: str) -> None:
    password = f"PLANTED{secret}"
    report = run(
        device("cam-1", password=pw(password, reuse_key="k")),
        device("cam-2", password=pw(password, reuse_key="k")),
    )
    for name, output in all_outputs(report).items():
        assert password not in output, name


# --- JSON -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", [busy(), run(), run(device("cam-1"))], ids=["busy", "empty", "clean"])
def test_json_validates_against_the_schema(report: AuditReport) -> None:
    document = json.loads(render_json(report))
    validate(document, report_schema())
    assert document["schema"] == REPORT_SCHEMA == "camvault.audit/1"


def test_json_content() -> None:
    report = busy()
    document = json.loads(render_json(report))
    assert document == report_to_dict(report)
    assert document["generated_at"] == "2026-11-25T12:00:00+00:00"
    summary = document["summary"]
    assert summary["devices"] == 6
    assert summary["counts"] == {severity.value: count for severity, count in report.counts().items()}
    assert sum(summary["by_code"].values()) == len(report.findings)
    assert summary["complete"] is False and summary["incomplete_devices"] == 1
    by_id = {entry["id"]: entry for entry in document["devices"]}
    assert (
        by_id["cam-1"]["label"] == HOSTILE_LABEL
    )  # data, not markup: JSON consumers escape for their medium
    assert by_id["cam-1"]["fleet_findings"] == ["reused-password"]
    assert by_id["cam-5"]["score"] is None
    assert by_id["cam-3"]["firmware"] == "V5.3.0 build 150513"
    (vulnerable,) = [
        finding for finding in by_id["cam-3"]["findings"] if finding["code"] == "vulnerable-firmware"
    ]
    assert vulnerable["cves"] == ["CVE-2017-7921", "CVE-2017-7923"]
    assert [finding["devices"] for finding in document["fleet_findings"]] == [["cam-1", "cam-2"]]


def test_json_is_stable() -> None:
    assert render_json(busy()) == render_json(busy())
    assert render_json(busy(), indent=None).count("\n") == 1


def test_the_schema_checker_refuses_broken_documents() -> None:
    document = report_to_dict(busy())
    schema = report_schema()
    breakages = [
        lambda d: d.pop("devices"),
        lambda d: d.update(schema="camvault.audit/2"),
        lambda d: d.update(extra=1),
        lambda d: d["summary"].update(score=101),
        lambda d: d["summary"]["counts"].update(critical=-1),
        lambda d: d["summary"]["by_code"].update({"no-such-code": 1}),
        lambda d: d["devices"][0].update(credential="fine"),
        lambda d: d["devices"][0]["findings"][0].update(severity="urgent"),
        lambda d: d["devices"][0]["findings"][0].update(evidence=[]),
        lambda d: d["devices"][0].update(score="100"),
        lambda d: d["fleet_findings"][0].update(cves=["CVE-1"]),
        lambda d: d.update(generated_at="yesterday"),
        lambda d: d["summary"].update(complete=1),
    ]
    validate(document, schema)
    for breakage in breakages:
        broken = copy.deepcopy(document)
        breakage(broken)
        with pytest.raises(SchemaViolation):
            validate(broken, schema)


def test_the_schema_names_every_finding_code_and_severity() -> None:
    definitions: dict[str, Any] = report_schema()["$defs"]
    assert set(definitions["code"]["enum"]) == {code.value for code in FindingCode}
    assert definitions["severity"]["enum"] == [severity.value for severity in Severity.most_urgent_first()]
    assert set(definitions["device"]["properties"]["credential"]["enum"]) == {
        status.value for status in CredentialStatus
    }


# --- terminal -------------------------------------------------------------------------------------------


def test_terminal_table() -> None:
    text = render_text(busy(), width=200)
    assert "Fleet audit: 6 devices" in text
    assert "Fleet findings" in text
    assert HOSTILE_LABEL in text  # shown literally: Rich markup in a label is not interpreted
    assert "Yard & Gate" in text
    assert "vulnerable-firmware" in text
    assert "Score " in text and "1 not fully audited" in text
    lines = text.splitlines()
    worst_row = next(index for index, line in enumerate(lines) if "cam-3" in line)
    clean_row = next(index for index, line in enumerate(lines) if "cam-6" in line)
    assert worst_row < clean_row  # worst first
    assert "fix:" not in text  # details only on request
    detailed = render_text(busy(), width=200, details=True)
    assert "fix: Rotate it to a generated password" in detailed
    assert "\x1b[" not in detailed
    assert "\x1b[" in render_text(busy(), color=True)


def test_console_renderable_prints_on_a_console() -> None:
    console = Console(record=True, width=160, color_system=None)
    console.print(render_console(run(device("cam-1", https_available=False))))
    assert "no-https" in console.export_text()


# --- HTML -----------------------------------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_html_escapes_everything_the_owner_typed() -> None:
    html = render_html(busy())
    page = parsed(html)
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    assert not any(name.startswith("on") for name, _ in page.attributes)
    assert "&lt;script&gt;" in html
    assert HOSTILE_LABEL in "".join(page.text)  # the label reads as typed
    assert "&lt;b&gt;eve&lt;/b&gt;" in html  # account names too
    assert "Yard &amp; Gate" in html


def test_html_is_self_contained() -> None:
    html = render_html(busy())
    page = parsed(html)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    for name, value in page.attributes:
        if name in ("src", "href", "action", "xlink:href"):
            assert value is not None and value.startswith("#"), (name, value)  # in-page links only
    assert re.search(r"Content-Security-Policy\" content=\"default-src 'none'", html)
    assert "url(" not in html and "@import" not in html


def test_html_content_and_charts() -> None:
    report = busy()
    html = render_html(report)
    page = parsed(html)
    assert page.tags.count("svg") == 3  # donut by severity, bars by severity, bars by code
    text = " ".join(page.text)
    for line in report.headlines:
        assert line in text
    for finding in report.findings:
        assert finding.fix in text
    assert "CVE-2017-7921" in text
    counts = report.counts()
    for severity, count in counts.items():
        assert f"{severity.value}: {count}" in text  # the bar titles carry the numbers
    assert f"{report.score}/100" in text


def test_html_of_an_empty_fleet() -> None:
    html = render_html(run())
    assert "No finding concerns several devices together." in html
    assert parsed(html).tags.count("svg") == 2  # no code chart without findings
