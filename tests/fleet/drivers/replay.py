"""Recorded real device replies, replayed through ``httpx.MockTransport`` as a behavioural fake device.

A case is a folder under ``fixtures/<vendor>/<case>/`` (NAPALM's ``mocked_data`` layout, aesthetics.md §2):

* ``*.http``: raw HTTP replies (status line, headers, blank line, body) holding the captured bytes quoted in
  the research notes;
* ``replies.json``: which reply answers which request: ``unauthorized`` (the captured 401, served to every
  request without valid Digest credentials), ``routes`` (``"METHOD /path"`` to a file, served once the Digest
  answer verifies) and optional ``public`` routes served without credentials;
* ``expected.json``: the credential the case is replayed with and what each driver method must return.

The fake is not a dictionary lookup: it verifies every Digest answer against the captured challenge's realm
and nonce and the case's password (a wrong answer gets the captured 401 and is counted as a failed login),
refuses to see ``Basic`` at all, and records every request so that tests can inspect what was sent.
Adding a regression case means adding a folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from camvault.protocols import digest

FIXTURES = Path(__file__).parent / "fixtures"

NOT_FOUND = b"<html><body>404 Not Found</body></html>"


@dataclass(frozen=True)
class RecordedReply:
    """One reply read from a ``.http`` file."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.body)


def load_reply(path: Path) -> RecordedReply:
    """Parse a raw HTTP reply; header lines may end in CRLF or LF, the body is kept byte for byte."""
    raw = path.read_bytes()
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            break
    else:
        head, body = raw, b""
    lines = head.decode("latin-1").splitlines()
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return RecordedReply(status, headers, body)


def cases(vendor: str) -> list[Path]:
    """Every case folder of a vendor, sorted."""
    return sorted(path for path in (FIXTURES / vendor).iterdir() if (path / "expected.json").is_file())


@dataclass
class RecordedDevice:
    """A device that answers with one case's recorded replies."""

    folder: Path
    config: dict[str, Any] = field(init=False)
    expected: dict[str, Any] = field(init=False)
    requests: list[httpx.Request] = field(default_factory=list, init=False)
    failed_logins: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.config = json.loads((self.folder / "replies.json").read_text(encoding="utf-8"))
        self.expected = json.loads((self.folder / "expected.json").read_text(encoding="utf-8"))
        self.unauthorized = load_reply(self.folder / self.config["unauthorized"])
        header = next(
            value for name, value in self.unauthorized.headers if name.lower() == "www-authenticate"
        )
        self.challenge = digest.parse_challenge(header)

    @property
    def username(self) -> str:
        return str(self.expected["credential"]["username"])

    @property
    def password(self) -> str:
        return str(self.expected["credential"]["password"])

    def reply_file(self, key: str) -> Path | None:
        name = self.config["routes"].get(key)
        return None if name is None else self.folder / name

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = f"{request.method} {request.url.path}"
        public = self.config.get("public", {}).get(key)
        if public is not None:
            return load_reply(self.folder / public).response()
        header = request.headers.get("authorization")
        if header is None:
            return self.unauthorized.response()
        assert header.startswith("Digest "), "a driver sent credentials with a scheme other than Digest"
        if not self._verifies(header, request):
            self.failed_logins += 1
            return self.unauthorized.response()
        path = self.reply_file(key)
        if path is None:
            return httpx.Response(404, headers=[("Content-Type", "text/html")], content=NOT_FOUND)
        return load_reply(path).response()

    def _verifies(self, header: str, request: httpx.Request) -> bool:
        credentials = digest.parse_authorization(header)
        assert isinstance(credentials, digest.DigestAuthorization)
        if credentials.username != self.username or credentials.nonce != self.challenge.nonce:
            return False
        ha1 = digest.ha1(self.username, self.challenge.realm, self.password)
        return digest.verify(credentials, method=request.method, ha1=ha1, uri=request.url.raw_path.decode())
