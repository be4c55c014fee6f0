"""Reset documents without a login: GUID-file reset and export, and the vendor-support code [ours].

The research notes found no ISAPI body for these (hikvision.md §12.4, §14.1, §16 gaps 6-7); the shapes
are ours, made like the documents firmware does have (``<SecurityQuestion>``: the proof and the new
password together, as SADP's ``GUIDReset`` carries ``GUID`` and ``Password``). The emulated device parses
them and the fleet driver writes them, so there is one definition. Under ``security=1`` every secret
field is sealed (hex of the AES-CBC ciphertext, §6.3); the bounds below allow for that expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Self
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.resetcode import MAX_CODE_FILE_BYTES

__all__ = ["GuidFileData", "GuidFileReset", "PasswordResetCode"]

MAX_GUID_FIELD = 2 * 64 * 1024
"""One GUID-file field as sent: hex of the sealed base64 of a GUID file fits easily."""
MAX_PASSWORD_FIELD = 1024
"""The new password as sent, sealed or not (devices allow at most 16 characters, §9)."""
MAX_TYPED_CODE_FIELD = 1024
MAX_CODE_FILE_FIELD = 16 * MAX_CODE_FILE_BYTES


@dataclass(frozen=True, slots=True)
class GuidFileReset:
    """``PUT /ISAPI/Security/GUIDFileData/reset`` body: the GUID file and the new admin password.

    Attributes:
        guid_file: the file, base64-encoded (sealed under ``security=1``).
        password: the new administrator password (sealed under ``security=1``).
    """

    ROOT: ClassVar[str] = "GUIDFileReset"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"GUIDFileReset"})

    guid_file: str = field(repr=False)
    password: str = field(repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<GUIDFile>`` and ``<password>``.

        Raises:
            InvalidContent: either is missing, empty or too long.
        """
        guid_file = xml.text(element, "GUIDFile", max_length=MAX_GUID_FIELD)
        password = xml.text(element, "password", max_length=MAX_PASSWORD_FIELD)
        if not guid_file or not password:
            raise InvalidContent("<GUIDFile> and <password> must not be empty", field="GUIDFile")
        return cls(guid_file=guid_file, password=password)

    def to_node(self) -> xml.Node:
        """Return ``<GUIDFileReset><GUIDFile/><password/></GUIDFileReset>``."""
        return xml.Node(
            self.ROOT, children=(xml.Node("GUIDFile", self.guid_file), xml.Node("password", self.password))
        )


@dataclass(frozen=True, slots=True)
class GuidFileData:
    """The ``security=1`` reply to a GUID export: the file name and the sealed file."""

    ROOT: ClassVar[str] = "GUIDFileData"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"GUIDFileData"})

    file_name: str
    guid_file: str = field(repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<fileName>`` and ``<GUIDFile>``.

        Raises:
            InvalidContent: either is missing or too long.
        """
        return cls(
            file_name=xml.text(element, "fileName", max_length=128),
            guid_file=xml.text(element, "GUIDFile", max_length=MAX_GUID_FIELD),
        )

    def to_node(self) -> xml.Node:
        """Return ``<GUIDFileData><fileName/><GUIDFile/></GUIDFileData>``."""
        return xml.Node(
            self.ROOT, children=(xml.Node("fileName", self.file_name), xml.Node("GUIDFile", self.guid_file))
        )


@dataclass(frozen=True, slots=True)
class PasswordResetCode:
    """``PUT /ISAPI/Security/passwordReset/code`` body: the vendor's code and the new admin password.

    Attributes:
        reset_code: the typed code, or ``None`` when the file is sent.
        reset_code_file: the code file, base64-encoded, or ``None`` when the typed code is sent.
        password: the new administrator password.

    Raises:
        InvalidContent: not exactly one of the two code forms.
    """

    ROOT: ClassVar[str] = "PasswordResetCode"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"PasswordResetCode"})

    reset_code: str | None = field(repr=False)
    reset_code_file: str | None = field(repr=False)
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if (self.reset_code is None) == (self.reset_code_file is None):
            raise InvalidContent("send exactly one of <resetCode> and <resetCodeFile>", field="resetCode")

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<resetCode>`` or ``<resetCodeFile>``, and ``<password>``.

        Raises:
            InvalidContent: both or neither code form, an empty field, or a field too long.
        """
        typed = xml.optional_text(element, "resetCode", max_length=MAX_TYPED_CODE_FIELD) or None
        code_file = xml.optional_text(element, "resetCodeFile", max_length=MAX_CODE_FILE_FIELD) or None
        password = xml.text(element, "password", max_length=MAX_PASSWORD_FIELD)
        if not password:
            raise InvalidContent("<password> must not be empty", field="password")
        return cls(reset_code=typed, reset_code_file=code_file, password=password)

    def to_node(self) -> xml.Node:
        """Return ``<PasswordResetCode><resetCode|resetCodeFile/><password/></PasswordResetCode>``."""
        code = (
            xml.Node("resetCode", self.reset_code)
            if self.reset_code is not None
            else xml.Node("resetCodeFile", self.reset_code_file)
        )
        return xml.Node(self.ROOT, children=(code, xml.Node("password", self.password)))
