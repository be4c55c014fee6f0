"""The boundaries of DESIGN.md, enforced: the parts meet only on the wire."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "camvault"

# part -> camvault packages it must never import
FORBIDDEN = {
    "protocols": {"device", "support", "fleet", "cli", "passwords"},
    "passwords": {"device", "support", "fleet", "cli"},
    "device": {"support", "fleet", "cli"},
    "support": {"device", "fleet", "cli"},
    "fleet": {"device", "support", "cli"},
}


def camvault_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "camvault" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_part_does_not_import_its_neighbours(part: str) -> None:
    offenders = []
    for path in sorted((SRC / part).rglob("*.py")):
        bad = camvault_imports(path) & FORBIDDEN[part]
        if bad:
            offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_no_relative_imports_cross_parts() -> None:
    """Relative imports would hide a crossing from the check above; the package uses absolute imports."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offenders, offenders


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from camvault.fleet.vault import Vault\nimport camvault.support\n")
    assert camvault_imports(sample) == {"fleet", "support"}
