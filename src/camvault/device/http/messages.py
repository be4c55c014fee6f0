"""The request and response values that the device's protocol front ends handle.

A front end is a function ``(Request) -> Response`` (or an async one): it never sees a socket. The same
front end therefore answers the real asyncio server in :mod:`camvault.device.http.server` and the in-process
transport that unit tests use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["Headers", "Request", "Response"]


class Headers(Mapping[str, str]):
    """Case-insensitive, ordered HTTP headers; the first value wins on lookup."""

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)
        self._index: dict[str, str] = {}
        for name, value in self._items:
            self._index.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Return every value of a header, in order."""
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def items_raw(self) -> list[tuple[str, str]]:
        """Return the headers as received, with their original case and repetitions."""
        return list(self._items)


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as a device front end sees it.

    Attributes:
        method: upper-case method.
        target: the raw request target (path and query, as sent).
        headers: request headers.
        body: the complete body (the server bounds its size before building the request).
        peer: the client's IP address, which the illegal-login lock counts by.
        scheme: ``"http"`` or ``"https"``.
        local: the ``(host, port)`` the request arrived on.
    """

    method: str
    target: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    peer: str = "127.0.0.1"
    scheme: str = "http"
    local: tuple[str, int] = ("127.0.0.1", 80)

    @property
    def path(self) -> str:
        """The percent-decoded path, without the query string."""
        return unquote(urlsplit(self.target).path) or "/"

    @property
    def query(self) -> dict[str, str]:
        """The query parameters; the first value of a repeated name wins."""
        result: dict[str, str] = {}
        for name, value in parse_qsl(urlsplit(self.target).query, keep_blank_values=True):
            result.setdefault(name, value)
        return result

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent with the request; malformed pairs are ignored."""
        jar: dict[str, str] = {}
        for header in self.headers.get_all("cookie"):
            for pair in header.split(";"):
                name, sep, value = pair.strip().partition("=")
                if sep and name:
                    jar.setdefault(name, value)
        return jar


@dataclass(slots=True)
class Response:
    """An HTTP response produced by a front end.

    Attributes:
        status: the status code.
        headers: response headers, in order (the server adds ``Content-Length``, ``Date`` and ``Server``).
        body: the complete body.
        close: close the connection after sending (also set for ``Connection: close`` requests).
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    close: bool = False

    def header(self, name: str) -> str | None:
        """Return the first value of a response header, or ``None``."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)
