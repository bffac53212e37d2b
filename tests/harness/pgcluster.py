"""A private PostgreSQL cluster for tests that crash the database server.

The shared server on port 5432 is never stopped or killed; a test that needs a
database to go away makes its own cluster: ``initdb`` into a temporary folder as
the ``postgres`` OS user (PostgreSQL refuses to run as root), its own free port on
127.0.0.1 and its unix socket in that folder, started and stopped with
``pg_ctl``. "Crash" means ``pg_ctl stop -m immediate`` (no checkpoint, WAL replay
at the next start) or ``kill -9`` of the postmaster. ``destroy`` stops it and
removes the folder whatever state it was left in.

    with PgCluster.create() as cluster:
        url = cluster.url("firsthand")

``create(data=…)`` puts the data directory (tables and WAL) somewhere of the
test's own, such as a small disk it mounted, while the socket and the server's
log stay in the temporary folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg

from tests.sites import free_port

OS_USER = "postgres"


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's programs, if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if bin_dir() is None:
        return "no PostgreSQL server programs under /usr/lib/postgresql/*/bin"
    if os.geteuid() != 0:
        return "a private cluster runs as the postgres user: the tests must be root"
    if shutil.which("runuser") is None:
        return "runuser is missing (util-linux)"
    try:
        subprocess.run(["id", OS_USER], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        return f"there is no {OS_USER} OS user"
    return None


class PgCluster:
    def __init__(self, folder: Path, programs: Path, data: Path | None = None) -> None:
        self.folder = folder
        self.data = data or folder / "data"
        self.socket_dir = folder / "socket"
        self.log = folder / "server.log"
        self.programs = programs
        self.port = free_port()

    @classmethod
    def create(
        cls,
        *,
        settings: dict[str, str] | None = None,
        data: Path | None = None,
        initdb: tuple[str, ...] = (),
    ) -> PgCluster:
        """``data``: a folder for the data directory, which must not exist yet
        (it is made for the postgres user). ``initdb``: more of initdb's options,
        such as ``--waldir``."""
        programs = bin_dir()
        if programs is None:
            raise RuntimeError(unavailable_reason())
        folder = Path(tempfile.mkdtemp(prefix="firsthand-pg-"))
        cluster = cls(folder, programs, data)
        try:
            cluster._init(settings or {}, initdb)
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def _as_postgres(
        self, *args: str, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["runuser", "-u", OS_USER, "--", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}{done.stderr[-2000:]}\n{self.server_log()}"
            )
        return done

    def _init(self, settings: dict[str, str], options: tuple[str, ...]) -> None:
        self.socket_dir.mkdir()
        shutil.chown(self.folder, OS_USER, OS_USER)
        shutil.chown(self.socket_dir, OS_USER, OS_USER)
        if not self.data.is_relative_to(self.folder):
            self.data.mkdir(mode=0o700)
            shutil.chown(self.data, OS_USER, OS_USER)
        self._as_postgres(
            str(self.programs / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",  # the test's own crash is of the server, not the machine
            "-E",
            "UTF8",
            "--locale=C",
            *options,
        )
        lines = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            # Small: two servers on a shared 2-core machine.
            "shared_buffers": "'32MB'",
            "max_connections": "40",
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            # After a crash, sync the data folder with one syncfs() rather than
            # an fsync() per file (3 s of every restart here).
            "recovery_init_sync_method": "syncfs",
            **settings,
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# firsthand tests\n")
            for name, value in lines.items():
                conf.write(f"{name} = {value}\n")

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        self._as_postgres(
            str(self.programs / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            *args,
            timeout=timeout,
        )

    def start(self) -> None:
        self.pg_ctl("start", "-w", "-t", "60")

    def stop_immediate(self) -> None:
        """A crash of the server: no shutdown checkpoint, WAL replay on start."""
        self.pg_ctl("stop", "-m", "immediate", "-w")

    def postmaster_pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except FileNotFoundError:
            return None
        return int(first) if first.strip().isdigit() else None

    def kill_postmaster(self, *, wait: float = 20) -> None:
        """``kill -9`` of the postmaster alone, as a crash or the OOM killer
        would; waits until its children noticed and left (the next start refuses
        while any of them holds the shared memory)."""
        pid = self.postmaster_pid()
        if pid is None:
            raise RuntimeError("the cluster is not running")
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not any(_alive(child) for child in (pid, *children)):
                break
            time.sleep(0.1)
        else:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if os.path.exists(f"/proc/{pid}"):
            # A zombie nobody reaps (a container's init may not): PostgreSQL's
            # start would take it for a live postmaster and refuse. Its children
            # are gone, so the lock file is stale, as after a machine crash.
            (self.data / "postmaster.pid").unlink(missing_ok=True)
            (self.socket_dir / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

    def running(self) -> bool:
        pid = self.postmaster_pid()
        return pid is not None and _alive(pid)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # a name of the test's

    def amcheck(self) -> subprocess.CompletedProcess[str]:
        """``pg_amcheck --all``, installing the amcheck extension it needs."""
        return self._as_postgres(
            str(self.programs / "pg_amcheck"),
            "--all",
            "--install-missing",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            check=False,
            timeout=120,
        )

    def databases(self) -> list[str]:
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT datname FROM pg_database WHERE datallowconn"
            ).fetchall()
        return [str(row[0]) for row in rows]

    def server_log(self) -> str:
        try:
            return "--- server.log\n" + self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        pid = self.postmaster_pid()
        if pid is not None and _alive(pid):
            try:
                self.stop_immediate()
            except (RuntimeError, subprocess.TimeoutExpired):
                self.kill_postmaster()
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.destroy()


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The fields after the command's closing parenthesis: state, ppid, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
