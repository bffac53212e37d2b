"""A real Firsthand server and a real Chromium for the browser tests.

The server is the production path (``firsthand serve``: granian, WhiteNoise,
collected static files) on its own SQLite file in a temporary data folder, so
these tests never touch the ``db`` fixture or the test database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

# Debian's Chromium, not Playwright's download: CI machines have no internet.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def _firsthand_script() -> str:
    """The ``firsthand`` console script of the interpreter running the tests."""
    script = Path(sys.executable).with_name("firsthand")
    if not script.exists():
        pytest.fail(
            f"{script} not found. Install the project into this environment: "
            "pip install -e '.[test]'"
        )
    return str(script)


def _server_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment on a fresh data folder and the real settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["FIRSTHAND_DATA_DIR"] = str(data_dir)
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(script: str, args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"firsthand {' '.join(args)} exited with {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )


def _wait_until_up(
    base_url: str, server: subprocess.Popen[bytes], log_file: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"firsthand serve exited with {server.returncode}:\n"
                f"{log_file.read_text(errors='replace')}"
            )
        try:
            answer = httpx.get(f"{base_url}/", timeout=2.0)
        except httpx.TransportError as error:
            last_problem = repr(error)
        else:
            if answer.status_code == 200:
                return
            last_problem = f"HTTP {answer.status_code}"
        time.sleep(0.2)
    pytest.fail(
        f"firsthand serve did not answer 200 on {base_url}/ within "
        f"{START_TIMEOUT_SECONDS:.0f} s ({last_problem}):\n"
        f"{log_file.read_text(errors='replace')}"
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets granian stop its worker; SIGKILL the group if it hangs."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        # The server runs in its own session: its group is only its workers.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=STOP_TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def firsthand_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the demo site on a free port; yield its base URL (no trailing /)."""
    data_dir = tmp_path_factory.mktemp("firsthand-data")
    env = _server_env(data_dir)
    script = _firsthand_script()
    # `firsthand demo` does not migrate by itself (./run migrates first too).
    _run(script, ["migrate", "--noinput", "-v", "0"], env)
    _run(script, ["demo"], env)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_file = data_dir / "serve.log"
    with log_file.open("wb") as log:
        command = [script, "serve", "--host", "127.0.0.1", "--port", str(port)]
        server = subprocess.Popen(
            [*command, "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(base_url, server, log_file)
            yield base_url
        finally:
            _stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            # In CI a skipped browser test would pass silently: make it fail.
            pytest.fail(CHROMIUM_MISSING)
        pytest.skip(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, desktop-sized."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()
