from __future__ import annotations

import pytest

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols import xml

DEVICE_INFO_V550 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
    b'<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\r\n'
    b"<deviceName>IP CAMERA</deviceName>\r\n<model>DS-2CD2155FWD-I</model>\r\n"
    b"<supportBeep>false</supportBeep>\r\n</DeviceInfo>\r\n"
)


def test_reads_fields_whatever_the_namespace() -> None:
    for ns in ("http://www.hikvision.com/ver20/XMLSchema", "http://www.isapi.org/ver20/XMLSchema", None):
        doc = (
            DEVICE_INFO_V550.replace(b"http://www.hikvision.com/ver20/XMLSchema", ns.encode())
            if ns
            else (DEVICE_INFO_V550.replace(b' xmlns="http://www.hikvision.com/ver20/XMLSchema"', b""))
        )
        root = xml.require_root(xml.parse(doc), "DeviceInfo")
        assert xml.text(root, "model") == "DS-2CD2155FWD-I"
        assert xml.boolean(root, "supportBeep") is False
        assert xml.namespace_of(root) == ns


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>',
        b"<x><y></x>",
        b"<x>",
        b"",
        b"   ",
        b"\xff\xfe<\x00",
    ],
)
def test_hostile_or_broken_xml_is_refused(payload: bytes) -> None:
    with pytest.raises(MalformedMessage):
        xml.parse(payload)


def test_size_and_depth_are_bounded() -> None:
    with pytest.raises(MessageTooLarge):
        xml.parse(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)
    deep = b"<a>" * 40 + b"</a>" * 40
    with pytest.raises(MalformedMessage, match="deeper"):
        xml.parse(deep)
    assert xml.local_name(xml.parse(b"<a>" * 10 + b"</a>" * 10).tag) == "a"


def test_typed_getters_name_the_field() -> None:
    root = xml.parse(b"<r><n>abc</n><b>flase</b><m>7</m><t>tru</t></r>")
    with pytest.raises(InvalidContent) as info:
        xml.integer(root, "n")
    assert info.value.field == "n"
    assert xml.boolean(root, "b") is False  # the real firmware misspelling
    with pytest.raises(InvalidContent):
        xml.boolean(root, "t")
    with pytest.raises(InvalidContent, match="between"):
        xml.integer(root, "m", minimum=8, maximum=16)
    with pytest.raises(InvalidContent, match="missing"):
        xml.text(root, "absent")
    assert xml.optional_text(root, "absent") is None


def test_render_looks_like_the_device_and_escapes() -> None:
    doc = xml.render(
        xml.Node(
            "User", children=[xml.Node("id", 1), xml.Node("userName", "a<b&c"), None, xml.Node("e", True)]
        ),
        namespace="http://www.isapi.org/ver20/XMLSchema",
    )
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\r\n<User version="2.0" xmlns=')
    assert b"<userName>a&lt;b&amp;c</userName>\r\n" in doc
    root = xml.parse(doc)
    assert xml.text(root, "userName") == "a<b&c"
    assert xml.boolean(root, "e") is True


@pytest.mark.parametrize("encoding", ["rot13", "hex", "U-F-8", "bogus"])
def test_unknown_encodings_are_malformed(encoding: str) -> None:
    with pytest.raises(MalformedMessage):
        xml.parse(f'<?xml version="1.0" encoding="{encoding}"?><a/>'.encode())


@pytest.mark.parametrize("raw", ["1_000", "١٢", "0x10", "1e3", " ", "--1"])
def test_integers_are_ascii_decimal_only(raw: str) -> None:
    root = xml.parse(f"<r><n>{raw}</n></r>".encode())
    with pytest.raises(InvalidContent):
        xml.integer(root, "n")


def test_getters_without_a_path_read_the_element_itself() -> None:
    leaf = xml.parse(b"<count>x</count>")
    with pytest.raises(InvalidContent) as info:
        xml.integer(leaf)
    assert info.value.field == "count"
    assert xml.integer(xml.parse(b"<count>-12</count>")) == -12
