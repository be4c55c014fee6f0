from __future__ import annotations

import dataclasses
import inspect

import pytest

from camvault.errors import InvalidContent, MessageTooLarge
from camvault.protocols.isapi import documents
from camvault.protocols.isapi.documents import (
    NAMESPACES,
    NS_HIKVISION_V10,
    NS_HIKVISION_V20,
    NS_ISAPI_V20,
    NS_STD_CGI_V20,
    IllegalLoginLock,
    IntRange,
    LockStatus,
    UserCheck,
    decode,
    encode,
)

SECRET_FIELD_NAMES = {"password", "login_password", "answer", "key", "session_id"}
PUBLIC_BY_DESIGN = {("ChallengeRequest", "key")}  # the client's RSA *public* key


def test_the_four_namespaces_of_the_research_notes() -> None:
    assert NAMESPACES == (
        "http://www.hikvision.com/ver20/XMLSchema",
        "http://www.isapi.org/ver20/XMLSchema",
        "http://www.std-cgi.org/ver20/XMLSchema",
        "http://www.hikvision.com/ver10/XMLSchema",
    )
    assert (NS_HIKVISION_V20, NS_ISAPI_V20, NS_STD_CGI_V20, NS_HIKVISION_V10) == NAMESPACES


@pytest.mark.parametrize(
    ("namespace", "root_line"),
    [
        (NS_ISAPI_V20, b'<IllegalLoginLock version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">'),
        (
            NS_HIKVISION_V10,
            b'<IllegalLoginLock version="1.0" xmlns="http://www.hikvision.com/ver10/XMLSchema">',
        ),
        (None, b"<IllegalLoginLock>"),
    ],
)
def test_encode_picks_the_version_of_the_namespace(namespace: str | None, root_line: bytes) -> None:
    lines = encode(IllegalLoginLock(enabled=False), namespace=namespace).split(b"\r\n")
    assert lines[0] == b'<?xml version="1.0" encoding="UTF-8"?>'
    assert lines[1] == root_line
    custom = encode(IllegalLoginLock(enabled=False), namespace=NS_ISAPI_V20, version="1.0")
    assert b'version="1.0"' in custom


def test_decode_is_namespace_agnostic_including_prefixes_and_whitespace() -> None:
    for namespace in (*NAMESPACES, "urn:psialliance-org", None):
        xmlns = b"" if namespace is None else b' xmlns="' + namespace.encode() + b'"'
        body = b"<userCheck" + xmlns + b">\n  <statusValue>\n 200 \n</statusValue>\n</userCheck>"
        assert decode(body, UserCheck).status_value == 200
    prefixed = b'<h:userCheck xmlns:h="http://www.isapi.org/ver20/XMLSchema"><h:statusValue>200</h:statusValue></h:userCheck>'
    assert decode(prefixed, UserCheck).status_value == 200
    assert decode(prefixed.decode(), UserCheck).status_value == 200


def test_decode_size_bound_is_adjustable() -> None:
    body = b"<IllegalLoginLock><enabled>true</enabled></IllegalLoginLock>"
    with pytest.raises(MessageTooLarge):
        decode(body, IllegalLoginLock, max_bytes=len(body) - 1)
    assert decode(body, IllegalLoginLock, max_bytes=len(body)).enabled is True


def test_lock_status_and_int_range() -> None:
    assert LockStatus.parse(" Lock ") is LockStatus.LOCKED
    assert LockStatus.parse("UNLOCK") is LockStatus.UNLOCK
    with pytest.raises(InvalidContent):
        LockStatus.parse("open")
    assert 8 in IntRange(8, 16) and 16 in IntRange(8, 16)
    assert 17 not in IntRange(8, 16) and "8" not in IntRange(8, 16)
    with pytest.raises(InvalidContent):
        IntRange(2, 1)


def _document_types() -> list[type]:
    return [
        value
        for name in documents.__all__
        if inspect.isclass(value := getattr(documents, name)) and dataclasses.is_dataclass(value)
    ]


def test_every_document_type_is_exported_and_declares_its_roots() -> None:
    types = _document_types()
    assert len(types) >= 30
    for document_type in types:
        if hasattr(document_type, "ROOT"):
            accepted = document_type.ACCEPTED_ROOTS
            assert accepted is None or document_type.ROOT in accepted, document_type


def test_every_secret_field_is_hidden_from_repr() -> None:
    checked = 0
    for document_type in _document_types():
        for field in dataclasses.fields(document_type):
            if (
                field.name in SECRET_FIELD_NAMES
                and (document_type.__name__, field.name) not in PUBLIC_BY_DESIGN
            ):
                checked += 1
                assert not field.repr, f"{document_type.__name__}.{field.name} is in repr"
    assert checked >= 10
