"""Real Firsthand sites on loopback: ``firsthand serve`` and ``firsthand worker`` in
their own processes, data folders and ports, for tests between two sites.

Nothing is mocked: each site is what a person would run, told by settings that its
public address is http://127.0.0.1:<port> and that it may reach the other site's
loopback address (FIRSTHAND_FETCH_ALLOW names it exactly).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import httpx

FIRSTHAND = str(Path(sys.executable).parent / "firsthand")
PYTHON = sys.executable
OUTER_ONLY = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Site:
    """One Firsthand site: ``with Site(tmp_path / "a") as a: …``."""

    def __init__(
        self, data_dir: Path, *, allow: list[str] | None = None, worker: bool = True
    ) -> None:
        self.data_dir = data_dir
        self.worker = worker
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.allow = list(allow or [])
        self._processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        clean = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("FIRSTHAND_") and name not in OUTER_ONLY
        }
        clean.update(
            FIRSTHAND_DATA_DIR=str(self.data_dir),
            FIRSTHAND_SITE_URL=self.url,
            FIRSTHAND_ALLOWED_HOSTS="127.0.0.1,localhost",
            FIRSTHAND_FETCH_ALLOW=",".join(self.allow),
            # Two sites on one machine post to each other quickly; flood control
            # is tested elsewhere.
            FIRSTHAND_FLOOD_INTERVAL="0",
        )
        return clean

    def python(self, code: str) -> str:
        """Run Django code against this site's database; returns what it printed."""
        script = (
            "import django, os\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'firsthand.settings')\n"
            "django.setup()\n" + code
        )
        done = subprocess.run(
            [PYTHON, "-c", script],
            env=self.env(),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"site script failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def migrate(self) -> None:
        """Create the data folder and bring its database up to date."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [FIRSTHAND, "migrate", "--noinput", "-v", "0"],
            env=self.env(),
            cwd=self.data_dir,
            check=True,
            timeout=120,
        )

    def start(self) -> None:
        self.migrate()
        self._spawn(
            "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"
        )
        if self.worker:
            self._spawn("worker")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} did not start:\n{self.logs()}")

    def _spawn(self, *args: str) -> None:
        log = self.data_dir / f"{args[0]}.log"
        self._logs.append(log)
        with log.open("wb") as output:
            self._processes.append(
                subprocess.Popen(
                    [FIRSTHAND, *args],
                    env=self.env(),
                    cwd=self.data_dir,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}"
            for log in self._logs
            if log.exists()
        )

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def __enter__(self) -> Site:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def eventually(
    check: Callable[[], bool], *, seconds: float = 45, what: str = ""
) -> None:
    """Poll until ``check()`` is true; the worker polls its queue every second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what or check}")
