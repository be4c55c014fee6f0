"""docs/audit.md stays true to the code: the finding table, the example document, the exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from camvault.fleet.audit import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    FINDING_TYPES,
    SCORE_PENALTIES,
    audit,
    default_catalogue,
    report_schema,
    report_to_dict,
)
from tests.fleet.audit.factory import NOW, device, facts, fleet, pw
from tests.fleet.audit.schema_check import validate

DOC = (Path(__file__).resolve().parents[3] / "docs" / "audit.md").read_text(encoding="utf-8")


def table_rows(first_cell: str) -> dict[str, list[str]]:
    """Rows of the markdown tables whose first cell is a back-quoted name matching ``first_cell``."""
    rows = {}
    for line in DOC.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(first_cell, cells[0]):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_finding_code_is_documented_with_its_severity_and_scope() -> None:
    rows = table_rows(r"`[a-z]+(-[a-z0-9]+)*`")
    for code, kind in FINDING_TYPES.items():
        assert code.value in rows, code
        severity, scope, _ = rows[code.value]
        assert kind.severity.value in severity, code
        assert scope == kind.scope.value, code


def test_severity_penalties_are_documented() -> None:
    rows = table_rows(r"`(critical|high|medium|low|info)`")
    assert {name: int(cells[-1]) for name, cells in rows.items()} == {
        severity.value: penalty for severity, penalty in SCORE_PENALTIES.items()
    }


def test_exit_codes_are_documented() -> None:
    rows = table_rows(r"[0-9]")
    assert set(rows) == {str(EXIT_CLEAN), str(EXIT_FINDINGS), str(EXIT_INCOMPLETE)}


def test_the_json_example_is_valid_and_is_what_the_engine_writes() -> None:
    (example_text,) = re.findall(r"```json\n(.*?)```", DOC, flags=re.DOTALL)
    example = json.loads(example_text)
    validate(example, report_schema())
    report = audit(
        fleet(
            device(
                "cam-0017",
                label="yard-cam",
                address="192.168.1.64",
                password=pw("Reused#SitePw-24", reuse_key="k"),
                clock_skew_seconds=3600,
            ),
            device(
                "cam-0018",
                label="garage-cam",
                address="192.168.1.65",
                password=pw("Reused#SitePw-24", reuse_key="k"),
            ),
            device(
                "cam-0021",
                label="old-cam",
                address="192.168.1.70",
                facts=facts("DS-2CD2032-I", "V5.2.5", "build 141201"),
                password=pw("12345"),
            ),
        ),
        catalogue=default_catalogue(),
        now=NOW,
    )
    produced = report_to_dict(report)
    assert example["summary"]["by_code"] == produced["summary"]["by_code"]
    assert example["summary"]["score"] == produced["summary"]["score"]
    assert [(d["id"], d["score"], [f["code"] for f in d["findings"]]) for d in example["devices"]] == [
        (d["id"], d["score"], [f["code"] for f in d["findings"]]) for d in produced["devices"]
    ]
    assert example["fleet_findings"][0]["devices"] == produced["fleet_findings"][0]["devices"]
