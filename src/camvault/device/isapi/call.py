"""One ISAPI request as a handler sees it: the request, the device, who is asking, and reply helpers.

Handlers are plain functions ``(Call) -> Response``. They parse bodies with :meth:`Call.document`, answer
with :meth:`Call.reply` (a document) or :meth:`Call.ok` (a ``ResponseStatus``), and signal refusals by
raising :class:`~camvault.errors.DeviceRefusal`; the front end renders every refusal, parse error and
authentication failure in one place.

``security=1`` (research notes §6.3): when the query carries ``security=1`` and an ``iv``, the sensitive
fields are AES-128-CBC encrypted under a key derived from the *authenticated* user's password.
:meth:`Call.decrypt` and :meth:`Call.encrypt` apply it, and are the identity otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from camvault.device.host import DeviceHost
from camvault.device.http import Request, Response
from camvault.device.model import Account, DeviceModel, UserLevel
from camvault.errors import CryptoError, DeviceRefusal, InvalidContent
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import Document, decode, encode
from camvault.protocols.isapi.status import ok_status

__all__ = ["KEY_ITERATIONS", "XML_CONTENT_TYPE", "Call"]

XML_CONTENT_TYPE = 'application/xml; charset="UTF-8"'
KEY_ITERATIONS = 100
"""``keyIterateNum`` the device advertises (observed value, §4.5)."""

MAX_REQUEST_XML = 64 * 1024

DocumentT = TypeVar("DocumentT", bound=Document)


@dataclass(slots=True)
class Call:
    """The context of one ISAPI request.

    Attributes:
        request: the HTTP request.
        model: the device.
        host: the lab side of the device.
        account: the authenticated account, ``None`` on public routes.
        session_id: the web session used, if the caller authenticated with one.
    """

    request: Request
    model: DeviceModel
    host: DeviceHost
    account: Account | None = None
    session_id: str | None = None

    @property
    def namespace(self) -> str:
        """The XML namespace of this firmware generation."""
        return self.model.firmware.xml_namespace

    @property
    def url(self) -> str:
        """The request path, as ``requestURL`` echoes it."""
        return self.request.path

    @property
    def actor(self) -> Account:
        """The authenticated account (only on authenticated routes)."""
        if self.account is None:
            raise DeviceRefusal("badAuthorization", "this request needs a logged-in user")
        return self.account

    def require_administrator(self) -> Account:
        """The actor, if it has Administrator level.

        Raises:
            DeviceRefusal: ``lowPrivilege`` otherwise.
        """
        if self.actor.level is not UserLevel.ADMINISTRATOR:
            raise DeviceRefusal("lowPrivilege", "this needs an Administrator")
        return self.actor

    # ------------------------------------------------------------------ bodies

    def document(self, cls: type[DocumentT], *, max_bytes: int = MAX_REQUEST_XML) -> DocumentT:
        """Parse the request body as ``cls`` (bounded, namespace-agnostic, hostile input refused)."""
        return decode(self.request.body, cls, max_bytes=max_bytes)

    # ------------------------------------------------------------------ security=1

    @property
    def security(self) -> bool:
        """Whether the request uses ``security=1`` field encryption."""
        return self.request.query.get("security") in {"1", "2"}

    def _key(self) -> tuple[bytes, str]:
        query = self.request.query
        if query.get("security") == "2":
            raise DeviceRefusal("notSupport", "security=2 (AES-256) is not supported")
        iv = query.get("iv")
        if not iv:
            raise DeviceRefusal("badParameters", "security=1 needs an iv")
        actor = self.actor
        irreversible = actor.password.irreversible_hash(actor.name, self.model.identity.salt)
        return field_crypto.derive_key_from_irreversible_hash(irreversible, KEY_ITERATIONS), iv

    def decrypt(self, value: str | None) -> str | None:
        """Decrypt a sensitive field when ``security=1`` is on; pass it through otherwise.

        Raises:
            DeviceRefusal: ``badParameters`` when the field does not decrypt.
        """
        if not value or not self.security:
            return value
        key, iv = self._key()
        try:
            return field_crypto.decrypt_field(key, value, iv)
        except (CryptoError, InvalidContent):
            # The key comes from the caller's password: a field that does not decrypt is a wrong password in
            # disguise, and is counted as a failed login (or the decryption would be a password oracle).
            raise DeviceRefusal(
                "incorrectUserNameOrPassword", "an encrypted field does not decrypt"
            ) from None

    def encrypt(self, value: str) -> str:
        """Encrypt a sensitive field of a reply when ``security=1`` is on."""
        if not self.security:
            return value
        key, iv = self._key()
        try:
            return field_crypto.encrypt_field(key, value, iv)
        except (CryptoError, InvalidContent):
            raise DeviceRefusal("badParameters", "the iv is not usable") from None

    # ------------------------------------------------------------------ replies

    def reply(self, document: Document, status: int = 200) -> Response:
        """Answer with a document in this firmware's namespace."""
        return Response(
            status, [("Content-Type", XML_CONTENT_TYPE)], encode(document, namespace=self.namespace)
        )

    def ok(self) -> Response:
        """Answer ``ResponseStatus`` OK."""
        return self.reply(ok_status(self.url))

    def binary(self, data: bytes, filename: str | None = None) -> Response:
        """Answer with a binary body (configuration files, recordings)."""
        headers = [("Content-Type", "application/octet-stream")]
        if filename:
            headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
        return Response(200, headers, data)
