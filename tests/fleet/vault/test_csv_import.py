from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import CamvaultError, InvalidContent, MalformedMessage, MessageTooLarge
from camvault.fleet.vault import CsvCredential, parse_credentials_csv
from tests.fleet.vault.conftest import PLANTED

BOM = b"\xef\xbb\xbf"


def _csv(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def test_excel_export_with_bom_semicolons_and_loose_headers() -> None:
    data = BOM + _csv(
        "IP Address;Login;PWD;Label;Model;Serial No;MAC Address;Comments;Floor\n"
        f"192.168.1.64;admin;{PLANTED};Front door;DS-2CD2043G0-I;DS-2CD2043G0-I20190101;"
        "44:19:b6:01:02:03;by the gate;1\n"
        "\n"
        'cam2.local:8080;operator;"semi;colon ""quoted""";"Back, yard";;;;"two\nlines";2\n'
    )
    result = parse_credentials_csv(data)
    assert result.delimiter == ";"
    assert result.problems == []
    assert result.ignored_columns == ["Floor"]
    assert not result.username_defaulted
    assert result.rows == [
        CsvCredential(
            line=2,
            address="192.168.1.64",
            name="Front door",
            username="admin",
            password=PLANTED,
            model="DS-2CD2043G0-I",
            serial="DS-2CD2043G0-I20190101",
            mac="44:19:b6:01:02:03",
            notes="by the gate",
        ),
        CsvCredential(
            line=4,
            address="cam2.local:8080",
            name="Back, yard",
            username="operator",
            password='semi;colon "quoted"',
            notes="two\r\nlines",
        ),
    ]


def test_comma_delimiter_default_username_and_url_addresses() -> None:
    data = _csv("host,password,name\nhttp://10.0.0.5/,Pa55word-1,NVR\n[fe80::1]:80,Pa55word-2,-\n")
    result = parse_credentials_csv(data)
    assert result.delimiter == ","
    assert result.username_defaulted
    assert [(row.address, row.username, row.name) for row in result.rows] == [
        ("10.0.0.5", "admin", "NVR"),
        ("[fe80::1]:80", "admin", ""),
    ]


def test_password_is_kept_exactly_while_other_cells_are_trimmed() -> None:
    result = parse_credentials_csv(_csv("ip,user,password\n 10.0.0.1 , admin ,  spaced pw \n"))
    assert (result.rows[0].address, result.rows[0].username, result.rows[0].password) == (
        "10.0.0.1",
        "admin",
        "  spaced pw ",
    )


def test_repr_of_a_row_hides_the_password() -> None:
    row = parse_credentials_csv(_csv(f"ip,password\n10.0.0.1,{PLANTED}\n")).rows[0]
    assert PLANTED not in repr(row)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("10.0.0.1,admin,", "password", "empty"),
        ("10.0.0.1,,pw-123", "username", "empty"),
        (",admin,pw-123", "address", "empty"),
        ("not an address!,admin,pw-123", "address", "not an IP"),
        ("10.0.0.1:99999,admin,pw-123", "address", "not an IP"),
        ("10.0.0.1,admin,pw-123,extra", "", "has 4 fields"),
        ("10.0.0.1,admin", "", "truncated"),
        ("10.0.0.1,admin,=cmd|' /C calc'!A0", "password", "formula"),
        ("=cmd|' /C calc'!A0,admin,pw-123", "address", "formula"),
        ("10.0.0.1,@SUM(1+1)*cmd|' /C calc'!A0,pw-123", "username", "formula"),
        ("10.0.0.1,+admin,pw-123", "username", "formula"),
        ("10.0.0.1,admin\x07,pw-123", "username", "control"),
    ],
)
def test_bad_rows_are_reported_by_line_and_column_without_content(row: str, column: str, reason: str) -> None:
    data = _csv(f"ip,user,password\n10.0.0.9,admin,{PLANTED}\n{row}\n")
    result = parse_credentials_csv(data)
    assert [row.line for row in result.rows] == [2]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.line, problem.column) == (3, column)
    assert reason in problem.reason
    with pytest.raises(InvalidContent) as caught:
        result.raise_for_problems()
    assert "line 3" in str(caught.value)
    assert "nothing imported" in str(caught.value)
    for secret in (PLANTED, "cmd|", "pw-123", "SUM"):
        assert secret not in str(caught.value)


def test_formula_in_name_and_notes_columns_is_refused() -> None:
    data = _csv('ip,password,name,notes\n10.0.0.1,pw-1,=HYPERLINK("http://x"),ok\n10.0.0.2,pw-2,ok,-2+3\n')
    problems = parse_credentials_csv(data).problems
    assert [(problem.line, problem.column) for problem in problems] == [(2, "name"), (3, "notes")]


def test_passwords_may_start_with_plus_minus_or_at() -> None:
    result = parse_credentials_csv(_csv("ip,password\n10.0.0.1,-Pa55\n10.0.0.2,+Pa55\n10.0.0.3,@Pa55\n"))
    assert result.problems == []
    assert [row.password for row in result.rows] == ["-Pa55", "+Pa55", "@Pa55"]


def test_duplicate_device_accounts_are_reported() -> None:
    result = parse_credentials_csv(_csv("ip,user,password\n10.0.0.1,admin,a-1\n10.0.0.1,admin,b-2\n"))
    assert [(problem.line, problem.reason) for problem in result.problems] == [
        (3, "same address and username as line 2")
    ]


def test_truncated_inside_a_quoted_cell_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="line 3"):
        parse_credentials_csv(_csv('ip,password\n10.0.0.1,ok-123\n10.0.0.2,"unterminated'))


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(MessageTooLarge):
        parse_credentials_csv(b"ip,password\n" + b"10.0.0.1,pw\n" * 200, max_bytes=1000)


def test_too_many_rows_is_refused() -> None:
    rows = "".join(f"10.0.{i // 250}.{i % 250 + 1},pw-{i}\n" for i in range(11))
    with pytest.raises(MessageTooLarge, match="10 rows"):
        parse_credentials_csv(_csv("ip,password\n" + rows), max_rows=10)
    assert len(parse_credentials_csv(_csv("ip,password\n" + rows), max_rows=11).rows) == 11


@pytest.mark.parametrize(
    "text",
    [
        "ip\tuser\tpassword\n10.0.0.1\tadmin\tpw\n",  # tab-separated
        "ip|user|password\n10.0.0.1|admin|pw\n",  # pipe-separated
        f"10.0.0.1,admin,{PLANTED}\n",  # no header: first line is data
    ],
)
def test_wrong_delimiter_or_missing_header_names_no_password_column(text: str) -> None:
    with pytest.raises(InvalidContent) as caught:
        parse_credentials_csv(_csv(text))
    assert caught.value.field == "password"
    assert PLANTED not in str(caught.value)


def test_missing_address_column_and_duplicate_columns_are_refused() -> None:
    with pytest.raises(InvalidContent) as caught:
        parse_credentials_csv(_csv("name,user,password\ncam,admin,pw\n"))
    assert caught.value.field == "address"
    with pytest.raises(InvalidContent, match="two columns"):
        parse_credentials_csv(_csv("ip,host,password\n1.1.1.1,2.2.2.2,pw\n"))


def test_non_utf8_is_refused_with_a_hint() -> None:
    latin1 = "ip;user;password;name\n10.0.0.1;admin;pässwörd;Tür\n".encode("latin-1")
    with pytest.raises(MalformedMessage, match="CSV UTF-8"):
        parse_credentials_csv(latin1)


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", BOM])
def test_empty_files_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidContent, match="empty"):
        parse_credentials_csv(data)


def test_nul_bytes_are_refused() -> None:
    with pytest.raises(MalformedMessage, match="NUL"):
        parse_credentials_csv(b"ip,password\n10.0.0.1,p\x00w\n")


_cell = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc")), max_size=20
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 254),
            st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=10),
            _cell.filter(lambda value: value != "" and not value.startswith("=")),
            _cell.map(str.strip).filter(
                lambda value: value != "-" and not value.startswith(("=", "+", "-", "@"))
            ),
        ),
        max_size=8,
        unique_by=lambda row: row[0],
    ),
    delimiter=st.sampled_from([";", ","]),
)
def test_round_trip_through_a_csv_writer(rows: list[tuple[int, str, str, str]], delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["Address", "Username", "Password", "Name"])
    for last_octet, username, password, name in rows:
        writer.writerow([f"10.1.1.{last_octet}", username, password, name])
    result = parse_credentials_csv(buffer.getvalue().encode("utf-8"))
    assert result.problems == []
    assert [(row.address, row.username, row.password, row.name) for row in result.rows] == [
        (f"10.1.1.{octet}", username, password, name) for octet, username, password, name in rows
    ]


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=400) | st.text(max_size=300).map(lambda text: ("ip;password\n" + text).encode())
)
def test_arbitrary_bytes_give_a_result_or_a_camvault_error(data: bytes) -> None:
    try:
        result = parse_credentials_csv(data)
    except CamvaultError:
        return
    assert all(isinstance(row, CsvCredential) for row in result.rows)
