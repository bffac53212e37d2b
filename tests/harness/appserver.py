"""A Firsthand server for load and crash tests: ``firsthand serve`` (granian,
two workers by default) in a process group of its own, so that ``kill -9`` of the
group takes the server and its workers together; and the background worker in
another group, which a crash of the app leaves running (as in production, where
they are separate services).

It is ``tests.sites.Site`` with what the load tests need on top: the loopback
address named a trusted proxy (the load generator's X-Forwarded-For addresses are
believed), extra settings, a kill and a restart on the same data folder and port,
and one log that spans restarts.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx

from tests.sites import FIRSTHAND, Site

# The data a load test needs: an author and ten open posts. Printed: one line
# per post, "id path".
SEED = """
import datetime
from django.contrib.auth.models import User
from django.utils import timezone
from firsthand.blog import publishing
from firsthand.blog.models import Author, Post
user = User.objects.create_user("ada")
author = Author.objects.create(user=user, slug="ada-quill", display_name="Ada Quill")
for n in range({posts}):
    post = publishing.publish_post(
        Post(title=f"Workshop note {{n + 1}}", body="Frames, *glue* and patience.",
             author=author),
        at=timezone.now() - datetime.timedelta(days=n + 1),
    )
    print(post.pk, post.get_absolute_url())
"""

# The connection settings a server process gets (its own settings, its own
# init_command): read back from a fresh connection made by the same settings.
PRAGMAS = """
from django.db import connection
connection.ensure_connection()
with connection.cursor() as cursor:
    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
        cursor.execute(f"PRAGMA {name}")
        print(name, cursor.fetchone()[0])
print("transaction_mode", connection.settings_dict["OPTIONS"]["transaction_mode"])
"""


class AppServer(Site):
    """``with AppServer(folder) as app: …``; ``app.crash()`` then ``app.restart()``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        background_worker: bool = True,
        settings: dict[str, str] | None = None,
    ) -> None:
        super().__init__(data_dir, worker=background_worker)
        self.workers = workers
        self.settings = dict(settings or {})
        self.app: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"

    def env(self) -> dict[str, str]:
        env = super().env()
        # The load generator speaks for many readers through one loopback
        # connection pool: their addresses come in X-Forwarded-For, believed only
        # because 127.0.0.1 is named here (firsthand.client.client_ip).
        env["FIRSTHAND_TRUSTED_PROXIES"] = "127.0.0.1"
        env.update(self.settings)
        return env

    def prepare(self, posts: int = 10) -> list[tuple[int, str]]:
        """Migrate and publish ``posts`` posts; their ids and paths."""
        self.migrate()
        printed = self.python(SEED.format(posts=posts))
        found = []
        for line in printed.split("\n"):
            if line.strip():
                pk, path = line.split()
                found.append((int(pk), path))
        return found

    def copy_to(self, data_dir: Path) -> AppServer:
        """A new server on a copy of this one's (stopped) data folder."""
        checkpoint(self.data_dir / "firsthand.sqlite3")
        shutil.copytree(self.data_dir, data_dir)
        (data_dir / "serve.log").unlink(missing_ok=True)
        return AppServer(
            data_dir,
            workers=self.workers,
            background_worker=self.worker,
            settings=self.settings,
        )

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._spawn_app()
        if self.worker:
            self._spawn("worker")
        self.wait_ready(30)

    def _spawn_app(self) -> None:
        with self.log.open("ab") as output:
            self.app = subprocess.Popen(
                [
                    FIRSTHAND,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env(),
                cwd=self.data_dir,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: see crash()
            )
        if self.log not in self._logs:
            self._logs.append(self.log)

    def wait_ready(self, seconds: float) -> float:
        """Poll the front page until it answers 200; when it did (monotonic)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.app is not None and self.app.poll() is not None:
                raise AssertionError(f"the server exited:\n{self.logs()}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return time.monotonic()
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise AssertionError(f"{self.url} did not answer:\n{self.logs()}")

    def crash(self) -> None:
        """``kill -9`` of the server's whole process group (granian's main
        process and its workers), as an out-of-memory kill or a power cut of the
        app would; returns once the group leader is gone."""
        assert self.app is not None
        os.killpg(self.app.pid, signal.SIGKILL)
        self.app.wait(timeout=10)
        # The workers are in the same group and got the same signal; wait until
        # none is left holding the port.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.app.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)
        raise AssertionError("the server's process group outlived kill -9")

    def restart(self) -> None:
        """The same command on the same data folder and port."""
        self._spawn_app()

    def stop(self) -> None:
        if self.app is not None and self.app.poll() is None:
            os.killpg(self.app.pid, signal.SIGTERM)
            try:
                self.app.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.app.pid, signal.SIGKILL)
                self.app.wait(timeout=10)
        super().stop()  # the background worker

    def server_log(self) -> str:
        """Everything the server and the background worker wrote."""
        return "\n".join(
            log.read_text(errors="replace") for log in self._logs if log.exists()
        )


def checkpoint(database: Path) -> None:
    """Fold the WAL into the database file, so a copy of the file alone is whole."""
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def integrity(database: Path) -> str:
    """``PRAGMA integrity_check`` on a fresh connection (which also recovers a
    WAL left by a crash)."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "\n".join(str(row[0]) for row in rows)


def group_pids(leader: int) -> list[int]:
    """The server's processes: granian's main process and its workers."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) == leader:
                found.append(int(entry))
        except ProcessLookupError:
            continue
    return sorted(found)


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
