"""Fleet fixtures: a real PostgreSQL server for the run, and store fixtures over SQLite and PostgreSQL.

``postgres_server`` starts Debian's PostgreSQL (``initdb``/``pg_ctl`` under ``/usr/lib/postgresql/*/bin``)
in a temporary directory, as the ``postgres`` system user when the tests run as root (PostgreSQL refuses to
run as root), listening on 127.0.0.1 on a free port and on a unix socket in that directory, with password
authentication over TCP. Each test that needs a database gets a fresh one from ``postgres_url``.

``database_url`` / ``engine`` / ``store`` are parametrized over ``sqlite`` and ``postgres`` (the latter
marked ``postgres``), so a fleet test written once runs on both engines.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from camvault.fleet.store import Store, create_engine_for

NOT_INSTALLED = "PostgreSQL not installed; make test installs Debian's postgresql"
SUPERUSER = "camvault_test"
START_TIMEOUT = 30
COMMAND_TIMEOUT = 60


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway PostgreSQL server."""

    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def url(self, database: str) -> str:
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _postgres_bin() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str]) -> None:
    result = subprocess.run(
        _as_server_user(command), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _start(command: list[str], log: Path) -> None:
    try:
        _run(command)
    except RuntimeError as exc:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{exc}\nserver log:\n{tail}") from None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(NOT_INSTALLED)
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no 'postgres' system user to run PostgreSQL as (it refuses to run as root)")
    root = Path(tempfile.mkdtemp(prefix="camvault-pg-"))
    data_dir = root / "data"
    password = secrets.token_urlsafe(24)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        os.chown(root, server_user.pw_uid, server_user.pw_gid)
        os.chown(pwfile, server_user.pw_uid, server_user.pw_gid)
    os.chmod(root, 0o700)
    os.chmod(pwfile, 0o600)
    started = False
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _start(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            ],
            root / "server.log",
        )
        started = True
        yield PostgresServer("127.0.0.1", port, SUPERUSER, password, data_dir)
    finally:
        if started:
            stop = [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-w", "-t", str(START_TIMEOUT), "stop"]
            try:
                _run([*stop, "-m", "fast"])
            except (RuntimeError, subprocess.TimeoutExpired):
                with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                    _run([*stop, "-m", "immediate"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server, as a ``postgresql+psycopg://`` URL."""
    return postgres_server.create_database(f"t_{secrets.token_hex(6)}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each engine: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (not migrated)."""
    created = create_engine_for(database_url)
    yield created
    created.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each engine."""
    opened = Store.open(database_url)
    yield opened
    opened.close()
