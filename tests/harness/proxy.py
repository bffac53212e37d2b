"""nginx in front of a test server, configured the way ``docs/deployment.md`` says.

The site's ``server { … }`` block is read from the deployment guide itself, so the
slow-client and transport tests prove the documented deployment and fail when the
guide changes under them. Only what cannot exist on loopback is changed: the block
listens on a free loopback port over plain HTTP instead of 443 with certificates,
and passes to the test server's port instead of 8000. Everything else (timeouts,
body size, buffering, the forwarded headers) is the guide's, line for line.

nginx comes from the machine (``nginx`` on ``PATH`` or ``/usr/sbin/nginx``) or from
``.venv/nginx`` (Debian's package unpacked there by ``scripts/venv.sh``'s
``ensure_nginx``, which ``./test --all`` runs).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx

from tests.sites import free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deployment.md"
_FENCE = re.compile(r"```nginx\n(.*?)```", re.S)
# What loopback has no use for: certificates, HTTP/2 (TLS only here), the listen.
_DROPPED = re.compile(r"^\s*(listen|ssl_\w+|http2)\b")


def nginx_binary() -> str | None:
    """The nginx to run, or None (the caller skips, naming the fix)."""
    for candidate in (
        shutil.which("nginx"),
        "/usr/sbin/nginx",
        str(ROOT / ".venv" / "nginx" / "usr" / "sbin" / "nginx"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_nginx() -> str:
    """The nginx binary; without one, skip (fail in CI, which installs it)."""
    import pytest

    binary = nginx_binary()
    if binary is None:
        why = (
            "nginx is not installed: `./test --all` unpacks Debian's package into "
            ".venv/nginx (scripts/venv.sh), or: apt-get install nginx"
        )
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return binary


def documented_server_block() -> str:
    """The guide's HTTPS ``server`` block (the one that proxies to Firsthand)."""
    for fence in _FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        block: str
        for block in re.findall(r"^server \{\n.*?^\}", fence, re.S | re.M):
            if "proxy_pass" in block:
                return block
    raise AssertionError(f"{GUIDE} has no nginx server block with proxy_pass")


def loopback_block(listen: int, upstream: int) -> str:
    """The documented block, listening on loopback and passing to ``upstream``."""
    lines = documented_server_block().split("\n")
    kept = [line for line in lines if not _DROPPED.match(line)]
    kept.insert(1, f"    listen 127.0.0.1:{listen} default_server;")
    block = "\n".join(kept)
    passes = "proxy_pass http://127.0.0.1:8000;"
    if passes not in block:
        raise AssertionError(f"{GUIDE}'s server block no longer says {passes!r}")
    return block.replace(passes, f"proxy_pass http://127.0.0.1:{upstream};")


def main_config(folder: Path, server_block: str) -> str:
    """What Debian's ``nginx.conf`` holds around a site, in ``folder``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\n"
        "worker_processes 1;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {folder / 'access.log'};\n"
        f"{temp}\n"
        + "\n".join("    " + line for line in server_block.split("\n"))
        + "\n}\n"
    )


class Nginx:
    """``with Nginx(folder, upstream_port) as proxy: httpx.get(proxy.url)``."""

    def __init__(self, folder: Path, upstream: int) -> None:
        self.binary = require_nginx()
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream = upstream
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "nginx.conf"
        config.write_text(
            main_config(self.folder, loopback_block(self.port, self.upstream)),
            encoding="utf-8",
        )
        command = [self.binary, "-p", str(self.folder), "-c", str(config)]
        checked = subprocess.run(
            [*command, "-t", "-q"], capture_output=True, text=True, check=False
        )
        if checked.returncode != 0:
            raise AssertionError(f"nginx refused the config:\n{checked.stderr}")
        with (self.folder / "nginx.out").open("wb") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/", timeout=2)
                return
            except httpx.TransportError:
                if self.process.poll() is not None:
                    raise AssertionError(f"nginx exited:\n{self.log()}") from None
                time.sleep(0.05)
        raise AssertionError(f"nginx did not answer on {self.url}:\n{self.log()}")

    def error_lines(self, containing: str) -> list[str]:
        """Lines of nginx's error log (level info) that contain a phrase."""
        log = self.folder / "error.log"
        lines = log.read_text(errors="replace").split("\n") if log.exists() else []
        return [line for line in lines if containing in line]

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-3000:]
            for path in (self.folder / "nginx.out", self.folder / "error.log")
            if path.exists()
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
