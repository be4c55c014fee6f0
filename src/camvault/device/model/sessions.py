"""Web sessions (``sessionLogin``) and the short-lived challenges that precede them (research notes §6.2).

A client asks ``sessionLogin/capabilities`` for a challenge, proves the password with the hash of §6.2 and
gets a session id, which it sends as a cookie and keeps alive with ``sessionHeartbeat`` (every 30 s in the
real web UI). Sessions expire after :attr:`SessionSettings.idle_timeout` without a request or heartbeat; a
logout, a password change, a reboot or a reset ends them. Both tables are bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["LoginChallenge", "Session", "SessionRegistry", "SessionSettings"]


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """Limits of the session table.

    Attributes:
        idle_timeout: seconds a session survives without a request or heartbeat (our choice: the real web
            UI heartbeats every 30 s and gives up after 5 failures, so 5 minutes of silence ends it).
        challenge_timeout: seconds a ``sessionLogin/capabilities`` challenge stays usable.
        max_sessions: sessions at once; one more is refused with ``maxSessionUserLink`` (§2.2).
    """

    idle_timeout: float = 300.0
    challenge_timeout: float = 60.0
    max_sessions: int = 64
    max_challenges: int = 256


@dataclass(frozen=True, slots=True)
class LoginChallenge:
    """A pending session-login challenge."""

    session_id: str = field(repr=False)
    username: str
    challenge: str = field(repr=False)
    expires: float


@dataclass(slots=True)
class Session:
    """An open web session."""

    session_id: str = field(repr=False)
    user_id: int
    username: str
    source: str
    login_time: datetime
    last_seen: float


class SessionRegistry:
    """Open sessions and pending challenges, keyed by session id."""

    def __init__(self, settings: SessionSettings | None = None) -> None:
        self.settings = settings or SessionSettings()
        self._challenges: OrderedDict[str, LoginChallenge] = OrderedDict()
        self._sessions: dict[str, Session] = {}

    def add_challenge(self, challenge: LoginChallenge) -> None:
        """Remember a challenge until it is used or expires."""
        self._challenges[challenge.session_id] = challenge
        while len(self._challenges) > self.settings.max_challenges:
            self._challenges.popitem(last=False)

    def take_challenge(self, session_id: str, now: float) -> LoginChallenge | None:
        """Remove and return a live challenge; a challenge is good for one login attempt only."""
        challenge = self._challenges.pop(session_id, None)
        if challenge is None or challenge.expires < now:
            return None
        return challenge

    def is_full(self, now: float) -> bool:
        """Whether a new session would exceed the limit."""
        self._expire(now)
        return len(self._sessions) >= self.settings.max_sessions

    def open(
        self, session_id: str, *, user_id: int, username: str, source: str, login_time: datetime, now: float
    ) -> Session:
        """Open a session under an id the client proved it was given."""
        session = Session(session_id, user_id, username, source, login_time, now)
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str, now: float) -> Session | None:
        """Return the live session with this id and refresh it, or ``None``."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if now - session.last_seen > self.settings.idle_timeout:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    def close(self, session_id: str) -> bool:
        """End one session; return whether it existed."""
        return self._sessions.pop(session_id, None) is not None

    def close_where(self, predicate: Callable[[Session], bool]) -> int:
        """End every session matching ``predicate``; return how many ended."""
        doomed = [sid for sid, session in self._sessions.items() if predicate(session)]
        for sid in doomed:
            del self._sessions[sid]
        return len(doomed)

    def clear(self) -> None:
        """End every session and forget every challenge (reboot, reset)."""
        self._sessions.clear()
        self._challenges.clear()

    def live(self, now: float) -> list[Session]:
        """Every live session."""
        self._expire(now)
        return list(self._sessions.values())

    def _expire(self, now: float) -> None:
        self.close_where(lambda session: now - session.last_seen > self.settings.idle_timeout)
