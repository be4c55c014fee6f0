"""The fleet hygiene audit: from what the collector observed to findings, scores and reports.

Pure code, no I/O: the collector fills a :class:`FleetObservation`; :func:`audit` returns an
:class:`AuditReport`; the renderers turn it into a terminal table, ``camvault.audit/1`` JSON or one HTML file;
:func:`exit_code` gives a CI job its status. Nothing here ever holds a password: :func:`password_facts`
derives what the audit needs while the collector holds one. The finding catalogue, the scoring formula and
the JSON schema are documented in ``docs/audit.md``.

Public API:

* Observations: :class:`FleetObservation`, :class:`DeviceObservation`, :class:`CredentialStatus`,
  :class:`PasswordFacts`, :func:`password_facts`, :data:`VENDOR_DEFAULT_PASSWORDS`.
* Findings: :class:`Finding`, :class:`FindingCode`, :class:`Severity`, :class:`Scope`, :class:`FindingType`,
  :data:`FINDING_TYPES`.
* Engine: :func:`audit`, :class:`AuditReport`, :class:`DeviceReport`, :data:`SCORE_PENALTIES`,
  :func:`exit_code` and its :data:`EXIT_CLEAN` / :data:`EXIT_FINDINGS` / :data:`EXIT_INCOMPLETE`; the rule
  thresholds :data:`CLOCK_SKEW_WARN_SECONDS`, :data:`CLOCK_SKEW_HIGH_SECONDS`, :data:`MAX_ADMINS`,
  :data:`NIST_MIN_LENGTH`.
* Catalogue: :func:`default_catalogue`, :func:`load_catalogue`, :class:`Catalogue`, :class:`Advisory`,
  :class:`AffectedRange`, :class:`AdvisoryMatch`, :class:`FirmwareVersion`, :class:`Reference`,
  :data:`CATALOGUE_SCHEMA`, :data:`MAX_CATALOGUE_BYTES`.
* Reports: :func:`render_console`, :func:`render_text`, :func:`render_json`, :func:`report_to_dict`,
  :func:`report_schema`, :func:`render_html`, :data:`REPORT_SCHEMA`.
"""

from __future__ import annotations

from camvault.fleet.audit.catalogue import (
    CATALOGUE_SCHEMA,
    MAX_CATALOGUE_BYTES,
    Advisory,
    AdvisoryMatch,
    AffectedRange,
    Catalogue,
    FirmwareVersion,
    Reference,
    default_catalogue,
    load_catalogue,
)
from camvault.fleet.audit.engine import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    SCORE_PENALTIES,
    AuditReport,
    DeviceReport,
    audit,
    exit_code,
)
from camvault.fleet.audit.findings import FINDING_TYPES, Finding, FindingCode, FindingType, Scope, Severity
from camvault.fleet.audit.observations import (
    VENDOR_DEFAULT_PASSWORDS,
    CredentialStatus,
    DeviceObservation,
    FleetObservation,
    PasswordFacts,
    password_facts,
)
from camvault.fleet.audit.render import (
    REPORT_SCHEMA,
    render_console,
    render_html,
    render_json,
    render_text,
    report_schema,
    report_to_dict,
)
from camvault.fleet.audit.rules import (
    CLOCK_SKEW_HIGH_SECONDS,
    CLOCK_SKEW_WARN_SECONDS,
    MAX_ADMINS,
    NIST_MIN_LENGTH,
)

__all__ = [
    "CATALOGUE_SCHEMA",
    "CLOCK_SKEW_HIGH_SECONDS",
    "CLOCK_SKEW_WARN_SECONDS",
    "EXIT_CLEAN",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "FINDING_TYPES",
    "MAX_ADMINS",
    "MAX_CATALOGUE_BYTES",
    "NIST_MIN_LENGTH",
    "REPORT_SCHEMA",
    "SCORE_PENALTIES",
    "VENDOR_DEFAULT_PASSWORDS",
    "Advisory",
    "AdvisoryMatch",
    "AffectedRange",
    "AuditReport",
    "Catalogue",
    "CredentialStatus",
    "DeviceObservation",
    "DeviceReport",
    "Finding",
    "FindingCode",
    "FindingType",
    "FirmwareVersion",
    "FleetObservation",
    "PasswordFacts",
    "Reference",
    "Scope",
    "Severity",
    "audit",
    "default_catalogue",
    "exit_code",
    "load_catalogue",
    "password_facts",
    "render_console",
    "render_html",
    "render_json",
    "render_text",
    "report_schema",
    "report_to_dict",
]
