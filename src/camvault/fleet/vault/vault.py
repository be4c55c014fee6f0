"""The credential vault: versioned device secrets under envelope encryption (see :mod:`._envelope`).

Two kinds of methods:

* *In the caller's transaction* (take ``conn``, never commit): :meth:`Vault.stage`, :meth:`~Vault.promote`,
  :meth:`~Vault.discard`, :meth:`~Vault.current`, :meth:`~Vault.get`, :meth:`~Vault.staged`,
  :meth:`~Vault.history`, :meth:`~Vault.put`, :meth:`~Vault.refs`, :meth:`~Vault.fingerprints`,
  :meth:`~Vault.current_secrets`, :meth:`~Vault.audit`. A rotation step writes its journal row and its vault
  change through the same connection, so both commit or neither does.
* *Convenience wrappers with their own transactions* (take the passphrase, never a ``conn``):
  :meth:`Vault.initialize`, :meth:`Vault.unlock`, :meth:`~Vault.verify_passphrase`, :meth:`~Vault.reveal`,
  :meth:`~Vault.change_passphrase`. A failed passphrase is audit-logged in a transaction of its own, so the
  record survives the caller's rollback; call these outside any open transaction.

Nothing is ever deleted: retired versions stay readable (an older password can be recovered) and discarded
ones stay on record. What is *not* authenticated: a version's ``state`` and ``note`` (they change without
re-encryption); an attacker with write access to the database can reorder states but cannot read, forge or
swap a credential.
"""

from __future__ import annotations

import getpass
import hmac
import logging
import os
import re
import uuid
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import Connection, Row, func, insert, select, update

from camvault.clock import Clock, SystemClock
from camvault.errors import (
    InvalidContent,
    PasswordRejected,
    SecretNotFound,
    StoreError,
    VaultError,
    VaultIntegrityError,
    WrongPassphrase,
)
from camvault.fleet.store import Store
from camvault.fleet.store.schema import vault, vault_secret
from camvault.fleet.vault import audit
from camvault.fleet.vault._envelope import (
    RandomSource,
    Unauthentic,
    data_key_aad,
    decode_payload,
    encode_payload,
    fingerprint,
    fingerprint_key,
    master_key_aad,
    new_key,
    payload_aad,
    seal,
    unseal,
)
from camvault.fleet.vault.kdf import KEY_BYTES, RFC9106_LOW_MEMORY, SALT_BYTES, KdfParams, derive_key
from camvault.fleet.vault.models import (
    AuditAction,
    Secret,
    SecretState,
    SecretVersion,
    SecretVersionInfo,
    VaultStatus,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSPHRASE_LENGTH",
    "VAULT_FORMAT",
    "Vault",
    "check_new_passphrase",
    "check_ref",
    "new_ref",
    "vault_status",
]

_log = logging.getLogger(__name__)

VAULT_FORMAT: Final = 1
"""Version of the on-disk vault layout described in :mod:`._envelope`."""

MIN_PASSPHRASE_LENGTH: Final = 12
"""A vault passphrase shorter than this is refused (it guards every device password at once)."""

MAX_PASSWORD_LENGTH: Final = 1024
_MAX_PASSPHRASE_LENGTH: Final = 4096
_MAX_USERNAME_LENGTH: Final = 128
_MAX_NOTE_LENGTH: Final = 500
_REF_PATTERN: Final = re.compile(r"[A-Za-z0-9][\x21-\x7e]{0,199}")


def new_ref() -> str:
    """Return a fresh reference, ``cred:<uuid4>``."""
    return f"cred:{uuid.uuid4()}"


def check_ref(ref: str) -> str:
    """Return ``ref`` if it is a valid reference: 1-200 printable ASCII characters, no spaces.

    Raises:
        VaultError: the reference is malformed.
    """
    if not isinstance(ref, str) or not _REF_PATTERN.fullmatch(ref):
        raise VaultError("a secret reference is 1-200 printable ASCII characters without spaces")
    return ref


def _check_credential(username: str, password: str) -> None:
    if not 1 <= len(username) <= _MAX_USERNAME_LENGTH or not username.isprintable():
        raise VaultError(f"the username must be 1-{_MAX_USERNAME_LENGTH} printable characters")
    if not 1 <= len(password) <= MAX_PASSWORD_LENGTH:
        raise VaultError(f"the password must be 1-{MAX_PASSWORD_LENGTH} characters")


def _check_note(note: str) -> None:
    if len(note) > _MAX_NOTE_LENGTH:
        raise VaultError(f"a note is at most {_MAX_NOTE_LENGTH} characters")


def check_new_passphrase(passphrase: str, *, what: str = "the vault passphrase") -> None:
    """Refuse a passphrase too short (under :data:`MIN_PASSPHRASE_LENGTH`) or too long to protect secrets.

    Raises:
        PasswordRejected: with reason ``too_short`` or ``too_long``.
    """
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise PasswordRejected("too_short", f"{what} needs at least {MIN_PASSPHRASE_LENGTH} characters")
    if len(passphrase) > _MAX_PASSPHRASE_LENGTH:
        raise PasswordRejected("too_long", f"{what} is too long")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def _require_transaction(conn: Connection) -> None:
    """Refuse a connection outside a transaction: its writes would be lost, or committed piecemeal."""
    if not conn.in_transaction():
        raise VaultError("vault changes need a connection inside a transaction (use Store.transaction())")


def _vault_row(conn: Connection) -> Row[Any] | None:
    rows = conn.execute(select(vault)).all()
    if len(rows) > 1:
        raise VaultIntegrityError("the database holds more than one vault row")
    return rows[0] if rows else None


def _require_vault_row(conn: Connection) -> Row[Any]:
    row = _vault_row(conn)
    if row is None:
        raise VaultError("this database holds no vault; run `camvault vault init` first")
    return row


def _kdf_of(row: Row[Any]) -> KdfParams:
    params = KdfParams(
        time_cost=row.kdf_time_cost,
        memory_kib=row.kdf_memory_kib,
        parallelism=row.kdf_parallelism,
        algorithm=row.kdf_algorithm,
        version=row.kdf_version,
    )
    try:
        params.check()
    except InvalidContent as exc:
        raise VaultIntegrityError(
            f"vault {row.id}: stored key-derivation parameters refused: {exc}"
        ) from None
    if row.format != VAULT_FORMAT:
        raise VaultIntegrityError(
            f"vault {row.id} has format {row.format}; this camvault reads {VAULT_FORMAT}"
        )
    return params


def _info(row: Row[Any]) -> SecretVersionInfo:
    return SecretVersionInfo(
        ref=row.ref,
        version=row.version,
        state=SecretState(row.state),
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
        state_changed_at=row.state_changed_at,
    )


def vault_status(conn: Connection, *, recent: int = 5) -> VaultStatus | None:
    """Describe the vault without its passphrase (metadata only).

    Args:
        conn: a connection.
        recent: how many audit entries to include.

    Returns:
        The status, or ``None`` when the database holds no vault.
    """
    row = _vault_row(conn)
    if row is None:
        return None
    counts = {state: 0 for state in SecretState}
    for state, count in conn.execute(
        select(vault_secret.c.state, func.count()).group_by(vault_secret.c.state)
    ):
        counts[SecretState(state)] = int(count)
    failed = audit.read_entries(conn, limit=1, action=AuditAction.UNLOCK_FAILED)
    return VaultStatus(
        vault_id=row.id,
        created_at=row.created_at,
        passphrase_changed_at=row.passphrase_changed_at,
        kdf=_kdf_of(row).describe(),
        refs=int(conn.execute(select(func.count(func.distinct(vault_secret.c.ref)))).scalar_one()),
        versions=counts,
        failed_unlocks=audit.count_entries(conn, AuditAction.UNLOCK_FAILED),
        last_failed_unlock=failed[0].at if failed else None,
        recent=audit.read_entries(conn, limit=recent),
    )


class Vault:
    """An unlocked vault: the master key in memory, and the secret API over a :class:`Store`.

    Obtain one with :meth:`initialize` or :meth:`unlock`. Python cannot reliably wipe memory, so the master
    key lives as long as this object; drop it when done.
    """

    __slots__ = ("_actor", "_clock", "_master_key", "_random", "_store", "_vault_id")

    def __init__(
        self,
        store: Store,
        *,
        vault_id: str,
        master_key: bytes,
        clock: Clock,
        actor: str,
        random_bytes: RandomSource,
    ) -> None:
        self._store = store
        self._vault_id = vault_id
        self._master_key = master_key
        self._clock = clock
        self._actor = actor
        self._random = random_bytes

    def __repr__(self) -> str:
        return f"Vault(id={self._vault_id!r}, store={self._store.url!r})"

    @property
    def vault_id(self) -> str:
        """The vault's random id (bound into every ciphertext)."""
        return self._vault_id

    @property
    def store(self) -> Store:
        """The store this vault lives in."""
        return self._store

    @property
    def clock(self) -> Clock:
        """The time source of this vault's timestamps."""
        return self._clock

    @property
    def actor(self) -> str:
        """The OS user recorded in the audit log and on staged versions."""
        return self._actor

    # --- creation and unlocking (own transactions) ---------------------------------------------------

    @classmethod
    def initialize(
        cls,
        store: Store,
        passphrase: str,
        *,
        kdf: KdfParams = RFC9106_LOW_MEMORY,
        clock: Clock | None = None,
        actor: str | None = None,
        random_bytes: RandomSource = os.urandom,
    ) -> Vault:
        """Create the vault of a database: a random master key wrapped under the passphrase.

        Args:
            store: a migrated store without a vault.
            passphrase: at least :data:`MIN_PASSPHRASE_LENGTH` characters.
            kdf: Argon2id parameters (the default is RFC 9106's second recommendation; tests pass a fast
                setting here).
            clock: the time source for timestamps.
            actor: the OS user to record (default: the current one).
            random_bytes: the randomness source.

        Returns:
            The vault, unlocked.

        Raises:
            PasswordRejected: the passphrase is too short or too long.
            VaultError: the database already holds a vault.
        """
        check_new_passphrase(passphrase)
        kdf.check()
        clock = clock or SystemClock()
        actor = actor or _os_user()
        vault_id = uuid.UUID(bytes=new_key(random_bytes)[:16], version=4).hex
        master_key = new_key(random_bytes)
        salt = random_bytes(SALT_BYTES)
        kek = derive_key(passphrase, salt, kdf)
        wrapped = seal(kek, master_key, master_key_aad(vault_id, kdf), random_bytes)
        now = clock.now()
        with store.transaction() as conn:
            existing = _vault_row(conn)
            if existing is not None:
                raise VaultError(f"this database already holds vault {existing.id}")
            conn.execute(
                insert(vault).values(
                    id=vault_id,
                    format=VAULT_FORMAT,
                    kdf_algorithm=kdf.algorithm,
                    kdf_version=kdf.version,
                    kdf_time_cost=kdf.time_cost,
                    kdf_memory_kib=kdf.memory_kib,
                    kdf_parallelism=kdf.parallelism,
                    kdf_salt=salt,
                    wrapped_master_key=wrapped,
                    created_at=now,
                    passphrase_changed_at=now,
                )
            )
            audit.record(conn, AuditAction.INIT, actor=actor, at=now, detail=kdf.describe())
        _log.info("vault %s created in %s (%s)", vault_id, store.url, kdf.describe())
        return cls(
            store,
            vault_id=vault_id,
            master_key=master_key,
            clock=clock,
            actor=actor,
            random_bytes=random_bytes,
        )

    @classmethod
    def unlock(
        cls,
        store: Store,
        passphrase: str,
        *,
        clock: Clock | None = None,
        actor: str | None = None,
        random_bytes: RandomSource = os.urandom,
    ) -> Vault:
        """Open the vault with its passphrase.

        Args:
            store: the store holding the vault.
            passphrase: the vault passphrase.
            clock: the time source for timestamps.
            actor: the OS user to record (default: the current one).
            random_bytes: the randomness source.

        Raises:
            VaultError: the database holds no vault.
            WrongPassphrase: the passphrase does not open it (the attempt is audit-logged).
            VaultIntegrityError: the stored parameters are corrupt.
        """
        clock = clock or SystemClock()
        actor = actor or _os_user()
        master_key, vault_id = _open_master_key(store, passphrase, clock=clock, actor=actor)
        _log.info("vault %s unlocked by %s", vault_id, actor)
        return cls(
            store,
            vault_id=vault_id,
            master_key=master_key,
            clock=clock,
            actor=actor,
            random_bytes=random_bytes,
        )

    def verify_passphrase(self, passphrase: str) -> None:
        """Re-derive the key from ``passphrase`` and check it opens *this* vault (for reveal and export).

        Raises:
            WrongPassphrase: it does not (the attempt is audit-logged).
        """
        master_key, _ = _open_master_key(self._store, passphrase, clock=self._clock, actor=self._actor)
        if not hmac.compare_digest(master_key, self._master_key):
            raise WrongPassphrase(f"the passphrase does not open vault {self._vault_id}")

    def reveal(self, ref: str, *, passphrase: str, version: int | None = None) -> SecretVersion:
        """Show a secret to a person: the passphrase is checked again and the reveal is audit-logged.

        Args:
            ref: the reference.
            passphrase: the vault passphrase, asked again.
            version: a specific version; the current one by default.

        Raises:
            WrongPassphrase: the passphrase is wrong.
            SecretNotFound: no such reference or version (or no current version).
        """
        self.verify_passphrase(passphrase)
        with self._store.transaction() as conn:
            revealed = (
                self.get(conn, ref, version) if version is not None else self._current_version(conn, ref)
            )
            self.audit(conn, AuditAction.REVEAL, ref=ref, detail=f"version {revealed.version}")
        _log.info("vault %s: %s revealed %s version %d", self._vault_id, self._actor, ref, revealed.version)
        return revealed

    def change_passphrase(self, old: str, new: str, *, kdf: KdfParams | None = None) -> None:
        """Re-wrap the master key under a new passphrase; no secret is re-encrypted.

        Args:
            old: the current passphrase (checked again).
            new: the new passphrase (at least :data:`MIN_PASSPHRASE_LENGTH` characters).
            kdf: new Argon2id parameters; by default the vault keeps its current ones.

        Raises:
            WrongPassphrase: ``old`` is wrong (audit-logged).
            PasswordRejected: ``new`` is too short or too long.
        """
        check_new_passphrase(new)
        self.verify_passphrase(old)
        with self._store.transaction(readonly=True) as conn:
            params = kdf or _kdf_of(_require_vault_row(conn))
        params.check()
        salt = self._random(SALT_BYTES)
        wrapped = seal(
            derive_key(new, salt, params),
            self._master_key,
            master_key_aad(self._vault_id, params),
            self._random,
        )
        now = self._clock.now()
        with self._store.transaction() as conn:
            conn.execute(
                update(vault)
                .where(vault.c.id == self._vault_id)
                .values(
                    kdf_algorithm=params.algorithm,
                    kdf_version=params.version,
                    kdf_time_cost=params.time_cost,
                    kdf_memory_kib=params.memory_kib,
                    kdf_parallelism=params.parallelism,
                    kdf_salt=salt,
                    wrapped_master_key=wrapped,
                    passphrase_changed_at=now,
                )
            )
            self.audit(conn, AuditAction.PASSPHRASE_CHANGE, detail=params.describe())
        _log.info("vault %s: passphrase changed by %s", self._vault_id, self._actor)

    # --- secrets, in the caller's transaction ---------------------------------------------------------

    def stage(
        self, conn: Connection, ref: str, secret: str, *, username: str, note: str = ""
    ) -> SecretVersion:
        """Store a new version in state ``staged`` (before the device is touched).

        Args:
            conn: a connection inside the caller's transaction.
            ref: the reference (created if new).
            secret: the password.
            username: the account name.
            note: non-secret context, stored in clear (e.g. "rotation run 12").

        Returns:
            The new version (number = previous highest + 1).

        Raises:
            VaultError: malformed reference, username, password or note.
        """
        _require_transaction(conn)
        check_ref(ref)
        _check_credential(username, secret)
        _check_note(note)
        highest = conn.execute(
            select(func.max(vault_secret.c.version)).where(vault_secret.c.ref == ref)
        ).scalar_one()
        version = int(highest or 0) + 1
        data_key = new_key(self._random)
        now = self._clock.now()
        conn.execute(
            insert(vault_secret).values(
                ref=ref,
                version=version,
                state=SecretState.STAGED.value,
                wrapped_key=seal(
                    self._master_key, data_key, data_key_aad(self._vault_id, ref, version), self._random
                ),
                ciphertext=seal(
                    data_key,
                    encode_payload(username, secret),
                    payload_aad(self._vault_id, ref, version),
                    self._random,
                ),
                note=note,
                created_at=now,
                created_by=self._actor[:128],
                state_changed_at=now,
            )
        )
        _log.info("vault %s: staged %s version %d", self._vault_id, ref, version)
        info = SecretVersionInfo(ref, version, SecretState.STAGED, note, now, self._actor[:128], now)
        return SecretVersion(info, Secret(username, secret))

    def promote(self, conn: Connection, ref: str, version: int) -> SecretVersionInfo:
        """Make a staged version current; the previous current version becomes retired, atomically.

        The staged ciphertext is authenticated first, so a tampered version never becomes current.

        Raises:
            SecretNotFound: no such version.
            VaultError: the version is not staged.
            VaultIntegrityError: the staged version does not authenticate.
        """
        _require_transaction(conn)
        row = self._row(conn, ref, version)
        if row.state != SecretState.STAGED.value:
            raise VaultError(f"{ref} version {version} is {row.state}; only a staged version can be promoted")
        self._decrypt(row)
        now = self._clock.now()
        conn.execute(
            update(vault_secret)
            .where(vault_secret.c.ref == ref, vault_secret.c.state == SecretState.CURRENT.value)
            .values(state=SecretState.RETIRED.value, state_changed_at=now)
        )
        conn.execute(
            update(vault_secret)
            .where(vault_secret.c.ref == ref, vault_secret.c.version == version)
            .values(state=SecretState.CURRENT.value, state_changed_at=now)
        )
        _log.info("vault %s: promoted %s version %d", self._vault_id, ref, version)
        return _info(self._row(conn, ref, version))

    def discard(self, conn: Connection, ref: str, version: int) -> SecretVersionInfo:
        """Mark a staged version as never used (it is kept, readable, but can no longer be promoted).

        Raises:
            SecretNotFound: no such version.
            VaultError: the version is not staged.
        """
        _require_transaction(conn)
        row = self._row(conn, ref, version)
        if row.state != SecretState.STAGED.value:
            raise VaultError(
                f"{ref} version {version} is {row.state}; only a staged version can be discarded"
            )
        conn.execute(
            update(vault_secret)
            .where(vault_secret.c.ref == ref, vault_secret.c.version == version)
            .values(state=SecretState.DISCARDED.value, state_changed_at=self._clock.now())
        )
        _log.info("vault %s: discarded %s version %d", self._vault_id, ref, version)
        return _info(self._row(conn, ref, version))

    def put(self, conn: Connection, ref: str, secret: str, *, username: str, note: str = "") -> SecretVersion:
        """Stage and promote in one go (imports, first records of a known-good credential).

        Returns:
            The new version, now current.
        """
        staged = self.stage(conn, ref, secret, username=username, note=note)
        return SecretVersion(self.promote(conn, ref, staged.version), staged.secret)

    def current(self, conn: Connection, ref: str) -> Secret:
        """Return the current secret of a reference.

        Raises:
            SecretNotFound: the reference is unknown or has no current version (only staged ones).
            VaultIntegrityError: the stored ciphertext does not authenticate.
        """
        return self._current_version(conn, ref).secret

    def get(self, conn: Connection, ref: str, version: int) -> SecretVersion:
        """Return one version, whatever its state (retired and discarded ones included).

        Raises:
            SecretNotFound: no such version.
            VaultIntegrityError: the stored ciphertext does not authenticate.
        """
        return self._decrypt(self._row(conn, ref, version))

    def staged(self, conn: Connection, ref: str) -> list[SecretVersion]:
        """Return the staged versions of a reference, oldest first (usually none or one)."""
        check_ref(ref)
        rows = conn.execute(
            select(vault_secret)
            .where(vault_secret.c.ref == ref, vault_secret.c.state == SecretState.STAGED.value)
            .order_by(vault_secret.c.version)
        ).all()
        return [self._decrypt(row) for row in rows]

    def history(self, conn: Connection, ref: str) -> list[SecretVersionInfo]:
        """Return every version's metadata, oldest first; no plaintext is decrypted.

        Raises:
            SecretNotFound: the reference is unknown.
        """
        check_ref(ref)
        rows = conn.execute(
            select(vault_secret).where(vault_secret.c.ref == ref).order_by(vault_secret.c.version)
        ).all()
        if not rows:
            raise SecretNotFound(f"no secret under {ref}")
        return [_info(row) for row in rows]

    def refs(self, conn: Connection) -> list[str]:
        """Return every reference that holds at least one version, sorted."""
        rows = conn.execute(select(vault_secret.c.ref).distinct().order_by(vault_secret.c.ref))
        return [row.ref for row in rows]

    def current_secrets(self, conn: Connection, refs: Iterable[str] | None = None) -> dict[str, Secret]:
        """Return the current secret of several references (all that have one, by default).

        Raises:
            SecretNotFound: a requested reference has no current version.
            VaultIntegrityError: a stored ciphertext does not authenticate.
        """
        query = select(vault_secret).where(vault_secret.c.state == SecretState.CURRENT.value)
        wanted = None if refs is None else [check_ref(ref) for ref in refs]
        if wanted is not None:
            query = query.where(vault_secret.c.ref.in_(wanted))
        found = {
            row.ref: self._decrypt(row).secret for row in conn.execute(query.order_by(vault_secret.c.ref))
        }
        missing = sorted(set(wanted or ()) - found.keys())
        if missing:
            raise SecretNotFound(f"no current secret under {', '.join(missing[:5])}")
        return found if wanted is None else {ref: found[ref] for ref in wanted}

    def fingerprints(self, conn: Connection) -> dict[str, str]:
        """Return a keyed hash of each current password, to spot reuse without revealing passwords.

        HMAC-SHA256 under a key derived (HKDF) from the master key: equal passwords give equal fingerprints
        within this vault, and nobody without the master key can test guesses against them.
        """
        key = fingerprint_key(self._master_key, self._vault_id)
        return {ref: fingerprint(key, secret.password) for ref, secret in self.current_secrets(conn).items()}

    def audit(
        self, conn: Connection, action: AuditAction, *, ref: str | None = None, detail: str = ""
    ) -> None:
        """Append an audit entry as this vault's actor, in the caller's transaction."""
        audit.record(conn, action, actor=self._actor, at=self._clock.now(), ref=ref, detail=detail)

    # --- internals --------------------------------------------------------------------------------------

    def _row(self, conn: Connection, ref: str, version: int) -> Row[Any]:
        check_ref(ref)
        row = conn.execute(
            select(vault_secret).where(vault_secret.c.ref == ref, vault_secret.c.version == version)
        ).one_or_none()
        if row is None:
            raise SecretNotFound(f"no version {version} under {ref}")
        return row

    def _current_version(self, conn: Connection, ref: str) -> SecretVersion:
        check_ref(ref)
        row = conn.execute(
            select(vault_secret).where(
                vault_secret.c.ref == ref, vault_secret.c.state == SecretState.CURRENT.value
            )
        ).one_or_none()
        if row is None:
            known = conn.execute(select(func.count()).where(vault_secret.c.ref == ref)).scalar_one()
            reason = "only staged or retired versions" if known else "no secret"
            raise SecretNotFound(f"no current secret under {ref} ({reason})")
        return self._decrypt(row)

    def _decrypt(self, row: Row[Any]) -> SecretVersion:
        where = f"{row.ref} version {row.version}"
        try:
            data_key = unseal(
                self._master_key, row.wrapped_key, data_key_aad(self._vault_id, row.ref, row.version)
            )
            if len(data_key) != KEY_BYTES:
                raise Unauthentic
            payload = unseal(data_key, row.ciphertext, payload_aad(self._vault_id, row.ref, row.version))
            username, password = decode_payload(payload)
        except (Unauthentic, ValueError):
            raise VaultIntegrityError(
                f"{where}: stored ciphertext does not authenticate (tampered or moved)"
            ) from None
        return SecretVersion(_info(row), Secret(username, password))


def _open_master_key(store: Store, passphrase: str, *, clock: Clock, actor: str) -> tuple[bytes, str]:
    """Derive the key-encryption key and unwrap the master key; audit-log a failure in its own transaction."""
    with store.transaction(readonly=True) as conn:
        row = _require_vault_row(conn)
    params = _kdf_of(row)
    try:
        master_key = unseal(
            derive_key(passphrase, row.kdf_salt, params),
            row.wrapped_master_key,
            master_key_aad(row.id, params),
        )
    except Unauthentic:
        _record_failed_unlock(store, clock=clock, actor=actor)
        raise WrongPassphrase(f"the passphrase does not open vault {row.id}") from None
    if len(master_key) != KEY_BYTES:
        raise VaultIntegrityError(f"vault {row.id}: the master key has the wrong length")
    return master_key, str(row.id)


def _record_failed_unlock(store: Store, *, clock: Clock, actor: str) -> None:
    try:
        with store.transaction() as conn:
            audit.record(
                conn, AuditAction.UNLOCK_FAILED, actor=actor, at=clock.now(), detail="wrong passphrase"
            )
    except StoreError as exc:
        _log.warning("could not record a failed unlock in the audit log: %s", exc)
    _log.info("failed vault unlock by %s (audit-logged)", actor)
