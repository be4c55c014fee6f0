"""Reading the credential spreadsheet owners actually keep, exported as CSV.

Tolerant where spreadsheets differ, strict where a mistake would store garbage:

* UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one); anything else is refused with
  the hint to re-export, never guessed.
* ``;`` or ``,`` as delimiter (European locales write ``;``): the one whose header names a password column
  wins.
* Header names are matched loosely (case, spaces, ``_``/``-``/``.`` ignored) against the aliases in
  :data:`COLUMN_ALIASES`; unknown columns are ignored and reported.
* Without a username column every row gets :data:`DEFAULT_USERNAME` (``admin``, the Hikvision administrator
  that always exists and cannot be deleted: research/hikvision.md section 4.2).
* Bounded: at most ``max_bytes`` and ``max_rows``.

Cells that start like a spreadsheet formula (``=``, ``+``, ``-``, ``@``, TAB or CR: OWASP's CSV-injection
list) are refused in every column except the password, where only a leading ``=`` is refused: ``+``, ``-``
and ``@`` are ordinary password characters, while a cell that really begins with ``=`` was a formula in the
spreadsheet. A lone ``-`` (a common "none") counts as empty.

Problems are reported per row by line number and column name; no message ever quotes a cell, so a password
cannot leak through an error. Nothing here stores anything: the caller stores the rows only when
:attr:`CsvParseResult.problems` is empty (:meth:`CsvParseResult.raise_for_problems`).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.fleet.vault.vault import MAX_PASSWORD_LENGTH

__all__ = [
    "COLUMN_ALIASES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_USERNAME",
    "CsvCredential",
    "CsvParseResult",
    "RowProblem",
    "parse_credentials_csv",
]

DEFAULT_MAX_BYTES: Final = 2 * 1024 * 1024
DEFAULT_MAX_ROWS: Final = 20_000
DEFAULT_USERNAME: Final = "admin"
_MAX_CELL: Final = 500
_DELIMITERS: Final = (";", ",")
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "address": ("ip", "ipaddress", "ipv4", "address", "host", "hostname"),
    "username": ("user", "username", "login", "loginname", "account"),
    "password": ("password", "pass", "pwd", "passwd"),
    "name": ("name", "label", "devicename", "title"),
    "model": ("model", "devicemodel"),
    "serial": ("serial", "serialnumber", "serialno", "sn"),
    "mac": ("mac", "macaddress"),
    "notes": ("notes", "note", "comment", "comments", "remarks"),
}
_ALIAS_TO_FIELD: Final = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}

_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME: Final = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")
_MAC: Final = re.compile(r"[0-9A-Fa-f]{2}(?:[-:.]?[0-9A-Fa-f]{2}){5}")


@dataclass(frozen=True, slots=True)
class CsvCredential:
    """One good row: what the inventory attaches to a device and the vault stores.

    Attributes:
        line: the line the row starts on (1 is the header).
        address: the device address (IP or host name, optional ``:port``; an ``http(s)://`` prefix removed).
        name: the device's label, or empty.
        username: the account name.
        password: the password, exactly as in the file (hidden from ``repr``).
        model: the model, or empty.
        serial: the serial number, or empty.
        mac: the MAC address, or empty.
        notes: free text, or empty.
    """

    line: int
    address: str
    name: str
    username: str
    password: str = field(repr=False)
    model: str = ""
    serial: str = ""
    mac: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row cannot be imported; names the line and column, never the cell's content."""

    line: int
    column: str
    reason: str

    def describe(self) -> str:
        """Return e.g. ``line 7, password: empty``."""
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class CsvParseResult:
    """The outcome of reading a spreadsheet.

    Attributes:
        rows: the good rows, in file order.
        problems: the bad rows; import nothing unless this is empty.
        delimiter: the delimiter found.
        ignored_columns: header names that matched no known column.
        username_defaulted: no username column: every row got :data:`DEFAULT_USERNAME`.
    """

    rows: list[CsvCredential]
    problems: list[RowProblem]
    delimiter: str
    ignored_columns: list[str]
    username_defaulted: bool

    def raise_for_problems(self) -> None:
        """Refuse the whole file if any row is bad.

        Raises:
            InvalidContent: naming every bad line (first 20) and why.
        """
        if not self.problems:
            return
        shown = "; ".join(problem.describe() for problem in self.problems[:20])
        more = f" (and {len(self.problems) - 20} more)" if len(self.problems) > 20 else ""
        raise InvalidContent(f"{len(self.problems)} bad row(s), nothing imported: {shown}{more}")


def parse_credentials_csv(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    default_username: str = DEFAULT_USERNAME,
) -> CsvParseResult:
    """Parse a credential spreadsheet exported as CSV.

    Args:
        data: the file's bytes.
        max_bytes: refuse larger files.
        max_rows: refuse files with more data rows.
        default_username: the username when the file has no username column.

    Returns:
        Good rows and per-row problems.

    Raises:
        MessageTooLarge: over ``max_bytes`` or ``max_rows``.
        MalformedMessage: not UTF-8, contains NUL bytes, or is not well-formed CSV (e.g. truncated inside
            a quoted cell).
        InvalidContent: no header with a password and an address column (wrong delimiter, no header), or
            two columns that mean the same thing.
    """
    if len(data) > max_bytes:
        raise MessageTooLarge(f"the CSV file is larger than {max_bytes} bytes")
    text = _decode(data)
    if not text.strip():
        raise InvalidContent("the CSV file is empty")
    delimiter, header = _find_header(text)
    columns = _map_columns(header)
    username_defaulted = "username" not in columns.values()
    rows: list[CsvCredential] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    records = _records(text, delimiter, max_rows)
    next(records)  # the header, already read by _find_header
    for line, cells in records:
        values, problem = _row_values(line, cells, header, columns)
        if problem is not None:
            problems.append(problem)
            continue
        if username_defaulted:
            values["username"] = default_username
        row_problems = _check_row(line, values)
        if row_problems:
            problems.extend(row_problems)
            continue
        credential = _credential(line, values)
        key = (credential.address.lower(), credential.username)
        if key in seen:
            problems.append(RowProblem(line, "address", f"same address and username as line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(credential)
    ignored = [name for index, name in enumerate(header) if index not in columns and name.strip()]
    return CsvParseResult(rows, problems, delimiter, ignored, username_defaulted)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedMessage(
            f"the CSV file is not UTF-8 (invalid byte at offset {exc.start}); "
            "save it from the spreadsheet as 'CSV UTF-8'"
        ) from None
    if "\x00" in text:
        raise MalformedMessage("the CSV file contains NUL bytes; it is not a text export")
    return text


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name).lower()


def _find_header(text: str) -> tuple[str, list[str]]:
    for delimiter in _DELIMITERS:
        for _line, cells in _records(text, delimiter, max_rows=None):
            if any(_ALIAS_TO_FIELD.get(_normalise(cell)) == "password" for cell in cells):
                return delimiter, cells
            break
    raise InvalidContent(
        "no password column: the first line must name the columns (e.g. ip, user, password) "
        "separated by ';' or ','",
        field="password",
    )


def _map_columns(header: Sequence[str]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = _ALIAS_TO_FIELD.get(_normalise(cell))
        if name is None:
            continue
        if name in columns.values():
            raise InvalidContent(f"two columns mean {name!r}; keep one", field=name)
        columns[index] = name
    if "address" not in columns.values():
        raise InvalidContent("no address column (ip, address or host)", field="address")
    return columns


def _records(text: str, delimiter: str, max_rows: int | None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line the record starts on, cells) for each non-blank record; the header is the first."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous_end = 0
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MalformedMessage(f"line {previous_end + 1}: malformed CSV ({exc})") from None
        start, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if max_rows is not None and count > max_rows + 1:
            raise MessageTooLarge(f"the CSV file has more than {max_rows} rows")
        yield start, cells


def _row_values(
    line: int, cells: list[str], header: list[str], columns: dict[int, str]
) -> tuple[dict[str, str], RowProblem | None]:
    extra = cells[len(header) :]
    if len(cells) < len(header) or any(cell.strip() for cell in extra):
        reason = f"has {len(cells)} fields, the header has {len(header)}"
        return {}, RowProblem(line, "", reason + (" (truncated?)" if len(cells) < len(header) else ""))
    values = {name: cells[index] for index, name in columns.items()}
    for name in COLUMN_ALIASES:
        values.setdefault(name, "")
    return values, None


def _check_row(line: int, values: dict[str, str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for name, value in values.items():
        if name == "password":
            continue
        stripped = value.strip()
        if stripped == "-":
            values[name] = ""
        elif value.startswith(_FORMULA_STARTS):
            problems.append(RowProblem(line, name, "starts like a spreadsheet formula; refused"))
        elif len(value) > _MAX_CELL:
            problems.append(RowProblem(line, name, f"longer than {_MAX_CELL} characters"))
        elif _has_control_characters(stripped, multiline=name == "notes"):
            problems.append(RowProblem(line, name, "contains control characters"))
        else:
            values[name] = stripped
    password = values["password"]
    if not password:
        problems.append(RowProblem(line, "password", "empty"))
    elif password.startswith("="):
        problems.append(RowProblem(line, "password", "starts with '=' like a spreadsheet formula; refused"))
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(RowProblem(line, "password", f"longer than {MAX_PASSWORD_LENGTH} characters"))
    if not problems:
        problems.extend(_check_identity(line, values))
    return problems


def _has_control_characters(value: str, *, multiline: bool) -> bool:
    allowed = "\r\n\t" if multiline else ""
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in value)


def _check_identity(line: int, values: dict[str, str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    if not values["username"]:
        problems.append(RowProblem(line, "username", "empty"))
    address = _strip_scheme(values["address"])
    values["address"] = address
    if not address:
        problems.append(RowProblem(line, "address", "empty"))
    elif not _valid_address(address):
        problems.append(RowProblem(line, "address", "not an IP address or host name"))
    if values["mac"] and not _MAC.fullmatch(values["mac"]):
        problems.append(RowProblem(line, "mac", "not a MAC address"))
    return problems


def _strip_scheme(address: str) -> str:
    lowered = address.lower()
    for scheme in ("http://", "https://"):
        if lowered.startswith(scheme):
            return address[len(scheme) :].rstrip("/")
    return address


def _valid_address(address: str) -> bool:
    host, port = address, ""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
        if rest and not rest.startswith(":"):
            return False
    elif address.count(":") == 1:
        host, port = address.split(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return len(host) <= 253 and _HOSTNAME.fullmatch(host) is not None
    return True


def _credential(line: int, values: dict[str, str]) -> CsvCredential:
    return CsvCredential(
        line=line,
        address=values["address"],
        name=values["name"],
        username=values["username"],
        password=values["password"],
        model=values["model"],
        serial=values["serial"],
        mac=values["mac"],
        notes=values["notes"],
    )
