"""The audit report in three forms: a Rich table for the terminal, JSON for scripts, and one HTML file.

* :func:`render_console` builds Rich renderables (devices table, fleet findings, summary line, and with
  ``details`` every finding's evidence and fix); :func:`render_text` prints them to a string.
* :func:`report_to_dict` / :func:`render_json` give the stable ``camvault.audit/1`` document described in
  ``docs/audit.md``; :func:`report_schema` returns its JSON Schema (``data/audit-report.schema.json``).
* :func:`render_html` writes a self-contained page: no external asset, no script, a strict
  Content-Security-Policy, inline SVG charts, every value escaped by Jinja2's autoescape.

Owner-supplied text (labels, addresses, account names) is never interpreted: Rich gets it as
:class:`~rich.text.Text`, never as markup, and HTML gets it escaped.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from camvault.fleet.audit.engine import AuditReport, DeviceReport
from camvault.fleet.audit.findings import Finding, Severity

__all__ = [
    "REPORT_SCHEMA",
    "render_console",
    "render_html",
    "render_json",
    "render_text",
    "report_schema",
    "report_to_dict",
]

REPORT_SCHEMA = "camvault.audit/1"
"""The ``schema`` value of the JSON report; a new major number means an incompatible change."""

_SEVERITY_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_SEVERITY_COLOURS = {
    Severity.CRITICAL: "#8b0000",
    Severity.HIGH: "#d9480f",
    Severity.MEDIUM: "#e8a200",
    Severity.LOW: "#1c7ed6",
    Severity.INFO: "#868e96",
}
_CHART_BAR_WIDTH = 300
_CHART_ROW = 22
_DONUT_CIRCUMFERENCE = 100.0
_DONUT_RADIUS = 100.0 / (2 * math.pi)


# --- terminal -------------------------------------------------------------------------------------------


def render_console(report: AuditReport, *, details: bool = False) -> RenderableType:
    """Build the terminal view: devices (worst first), fleet findings, then a summary.

    Args:
        report: the audit report.
        details: also list every device's findings with their evidence and fix.
    """
    parts: list[RenderableType] = [_devices_table(report)]
    if report.fleet_findings:
        parts.append(_fleet_table(report.fleet_findings))
    if details:
        parts.extend(
            _device_details(device) for device in _worst_first(report.devices) if device.all_findings
        )
    parts.extend(Text(line) for line in report.headlines)
    parts.append(_summary_line(report))
    return Group(*parts)


def render_text(report: AuditReport, *, width: int = 120, details: bool = False, color: bool = False) -> str:
    """Render :func:`render_console` to a string (plain text unless ``color``)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
        emoji=False,
    )
    console.print(render_console(report, details=details))
    return buffer.getvalue()


def _devices_table(report: AuditReport) -> Table:
    table = Table(title=f"Fleet audit: {len(report.devices)} devices", title_justify="left")
    for column in ("Device", "Address", "Worst", "Score", "Findings"):
        table.add_column(column, overflow="fold")
    for device in _worst_first(report.devices):
        table.add_row(
            Text(device.label or device.device_id),
            Text(device.address),
            _severity_text(device.worst),
            Text("-" if device.score is None else str(device.score)),
            Text(", ".join(code.value for code in device.codes) or "none"),
        )
    return table


def _fleet_table(findings: tuple[Finding, ...]) -> Table:
    table = Table(title="Fleet findings", title_justify="left")
    for column in ("Severity", "Finding", "Devices", "Evidence"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        table.add_row(
            _severity_text(finding.severity),
            Text(finding.code.value),
            Text(str(len(finding.devices))),
            Text(finding.evidence[0] if finding.evidence else ""),
        )
    return table


def _device_details(device: DeviceReport) -> RenderableType:
    lines = Text()
    lines.append(f"{device.label or device.device_id} ({device.address})", style="bold")
    for finding in device.all_findings:
        lines.append("\n  ")
        lines.append(f"[{finding.severity.value}]", style=_SEVERITY_STYLES[finding.severity])
        lines.append(f" {finding.code.value}: {finding.title}")
        for fact in finding.evidence:
            lines.append(f"\n    - {fact}")
        lines.append(f"\n    fix: {finding.fix}")
    return lines


def _summary_line(report: AuditReport) -> Text:
    counts = ", ".join(f"{count} {severity.value}" for severity, count in report.counts().items() if count)
    score = "-" if report.score is None else f"{report.score}/100"
    line = Text(f"Score {score}; findings: {counts or 'none'}")
    incomplete = len(report.incomplete_devices)
    if incomplete:
        line.append(f"; {incomplete} not fully audited")
    return line


def _severity_text(severity: Severity | None) -> Text:
    if severity is None:
        return Text("ok", style="green")
    return Text(severity.value, style=_SEVERITY_STYLES[severity])


def _worst_first(devices: tuple[DeviceReport, ...]) -> list[DeviceReport]:
    return sorted(devices, key=lambda device: -(device.worst.rank if device.worst is not None else -1))


# --- JSON -----------------------------------------------------------------------------------------------


def report_to_dict(report: AuditReport) -> dict[str, Any]:
    """The report as the ``camvault.audit/1`` JSON document (plain dicts, lists, strings and numbers)."""
    return {
        "schema": REPORT_SCHEMA,
        "generated_at": _timestamp(report.generated_at),
        "observed_at": _timestamp(report.observed_at),
        "catalogue": {"updated": report.catalogue_updated},
        "summary": {
            "devices": len(report.devices),
            "complete": report.complete,
            "incomplete_devices": len(report.incomplete_devices),
            "score": report.score,
            "worst_severity": report.worst.value if report.worst is not None else None,
            "counts": {severity.value: count for severity, count in report.counts().items()},
            "by_code": {code.value: count for code, count in report.counts_by_code().items()},
            "headlines": list(report.headlines),
        },
        "devices": [_device_dict(device) for device in report.devices],
        "fleet_findings": [_finding_dict(finding) for finding in report.fleet_findings],
    }


def render_json(report: AuditReport, *, indent: int | None = 2) -> str:
    """The report as ``camvault.audit/1`` JSON text, ending with a newline."""
    return json.dumps(report_to_dict(report), indent=indent, ensure_ascii=False) + "\n"


@functools.cache
def _schema_text() -> str:
    return (
        resources.files("camvault.fleet.audit")
        .joinpath("data")
        .joinpath("audit-report.schema.json")
        .read_text("utf-8")
    )


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the ``camvault.audit/1`` document."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def _device_dict(device: DeviceReport) -> dict[str, Any]:
    return {
        "id": device.device_id,
        "label": device.label,
        "address": device.address,
        "vendor": device.vendor,
        "model": device.model,
        "firmware": device.firmware,
        "reachable": device.reachable,
        "credential": device.credential.value,
        "score": device.score,
        "worst_severity": device.worst.value if device.worst is not None else None,
        "complete": device.complete,
        "incomplete_reasons": list(device.incomplete_reasons),
        "findings": [_finding_dict(finding) for finding in device.findings],
        "fleet_findings": list(dict.fromkeys(finding.code.value for finding in device.fleet_findings)),
    }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "title": finding.title,
        "evidence": list(finding.evidence),
        "fix": finding.fix,
        "devices": list(finding.devices),
        "references": list(finding.references),
        "cves": list(finding.cves),
    }


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- HTML -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bar:
    label: str
    count: int
    width: float
    y: int
    colour: str


@dataclass(frozen=True, slots=True)
class _Arc:
    label: str
    count: int
    dash: str
    offset: float
    colour: str


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("camvault.fleet.audit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: AuditReport) -> str:
    """A self-contained HTML report: summary, posture charts, fleet findings and per-device details."""
    counts = report.counts()
    by_code = report.counts_by_code()
    code_severity = {finding.code: finding.severity for finding in reversed(report.findings)}
    severity_bars = _bars(
        [(severity.value, count, _SEVERITY_COLOURS[severity]) for severity, count in counts.items()]
    )
    code_bars = _bars(
        [(code.value, count, _SEVERITY_COLOURS[code_severity[code]]) for code, count in by_code.items()]
    )
    template = _templates().get_template("report.html.j2")
    return template.render(
        report=report,
        schema=REPORT_SCHEMA,
        generated_at=_timestamp(report.generated_at),
        observed_at=_timestamp(report.observed_at),
        counts=counts,
        severity_bars=severity_bars,
        code_bars=code_bars,
        arcs=_donut(counts),
        total_findings=sum(counts.values()),
        devices=_worst_first(report.devices),
        colours={severity.value: colour for severity, colour in _SEVERITY_COLOURS.items()},
        bar_width=_CHART_BAR_WIDTH,
        row_height=_CHART_ROW,
        radius=round(_DONUT_RADIUS, 4),
    )


def _bars(rows: list[tuple[str, int, str]]) -> list[_Bar]:
    largest = max((count for _, count, _ in rows), default=0) or 1
    return [
        _Bar(label, count, round(_CHART_BAR_WIDTH * count / largest, 1), index * _CHART_ROW, colour)
        for index, (label, count, colour) in enumerate(rows)
    ]


def _donut(counts: dict[Severity, int]) -> list[_Arc]:
    """Donut segments as stroke dashes on a circle of circumference 100, starting at the top."""
    total = sum(counts.values())
    if not total:
        return []
    arcs = []
    start = 0.0
    for severity, count in counts.items():
        if not count:
            continue
        share = _DONUT_CIRCUMFERENCE * count / total
        arcs.append(
            _Arc(
                severity.value,
                count,
                f"{share:.3f} {_DONUT_CIRCUMFERENCE - share:.3f}",
                round(25.0 - start, 3),
                _SEVERITY_COLOURS[severity],
            )
        )
        start += share
    return arcs
